/**
 * The device label repository, the same on every store backend (see test/helpers/stores.ts):
 * labels of many devices added and removed in one statement each (unknown devices skipped, a
 * label a device has already left alone), read back per device and counted, devices over a
 * limit found; and the device repository's records and filter with labels.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialectOf } from "../../../server/store/dialect.js";
import { DeviceLabelRepository } from "../../../server/store/repositories/device-label-repository.js";
import { DeviceRepository } from "../../../server/store/repositories/device-repository.js";
import type { StoreDialect } from "../../../server/store/store.js";
import { recordStatements } from "../../helpers/statements.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

describe.each(STORE_BACKENDS)("device label repository on %s", (dialect: StoreDialect) => {
  let t: TestStore;
  let repo: DeviceLabelRepository;
  let devices: DeviceRepository;
  beforeAll(async () => {
    t = await openTestStore(dialect);
    repo = new DeviceLabelRepository(dialectOf(dialect));
    devices = new DeviceRepository(dialectOf(dialect));
    for (const id of ["dev_a", "dev_b", "dev_c"]) {
      await devices.insertDevice(t.store.db, {
        id,
        serial: `SN-${id}`,
        model: "kiosk",
        name: id,
        atMs: 1,
        desiredTime: { timezone: "UTC", ntpServer: null },
      });
    }
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it("adds and removes a fleet's labels in one statement each, and says which devices changed", async () => {
    const recorder = recordStatements(t.store.db);
    const gained = await repo.add(
      t.store.db,
      ["dev_a", "dev_b", "dev_nobody"],
      ["lobby", "Ground floor"],
      10,
    );
    recorder.stop();
    expect(recorder.statements).toHaveLength(1);
    expect(gained.sort()).toEqual(["dev_a", "dev_b"]);
    // Labels a device has already are left alone.
    expect(await repo.add(t.store.db, ["dev_a", "dev_c"], ["lobby"], 20)).toEqual(["dev_c"]);
    expect(await repo.labelsOf(t.store.db, ["dev_a", "dev_b", "dev_c"])).toEqual(
      new Map([
        ["dev_a", ["Ground floor", "lobby"]],
        ["dev_b", ["Ground floor", "lobby"]],
        ["dev_c", ["lobby"]],
      ]),
    );
    expect(await repo.counts(t.store.db)).toEqual([
      { label: "Ground floor", devices: 2 },
      { label: "lobby", devices: 3 },
    ]);
    expect((await repo.remove(t.store.db, ["dev_b", "dev_c"], ["Ground floor", "nothing"])).sort()).toEqual([
      "dev_b",
    ]);
    expect((await repo.labelsOf(t.store.db, ["dev_b"])).get("dev_b")).toEqual(["lobby"]);
  });

  it("finds the devices over a number of labels", async () => {
    await repo.add(t.store.db, ["dev_c"], ["one", "two", "three"], 30);
    expect(await repo.overLimit(t.store.db, ["dev_a", "dev_c"], 3)).toEqual(new Map([["dev_c", 4]]));
    expect(await repo.overLimit(t.store.db, ["dev_a", "dev_c"], 4)).toEqual(new Map());
  });

  it("reads devices with their labels, and filters them by a label, exactly", async () => {
    const [a] = await devices.recordsByIds(t.store.db, ["dev_a", "dev_nobody"]);
    expect(a).toMatchObject({ id: "dev_a", labels: ["Ground floor", "lobby"] });
    expect((await devices.deviceById(t.store.db, "dev_c"))!.labels).toEqual(["lobby", "one", "three", "two"]);
    expect(await devices.idsMatching(t.store.db, { label: "Ground floor" })).toEqual(["dev_a"]);
    expect(await devices.idsMatching(t.store.db, { label: "ground floor" })).toEqual([]);
    expect(await devices.idsOfSerials(t.store.db, ["SN-dev_b", "SN-none"])).toEqual(
      new Map([["SN-dev_b", "dev_b"]]),
    );
  });
});
