/**
 * Which key set the managed devices last reported (the check before a signing key rotation),
 * and the dialect's JSON field read it rests on, the same on every store backend.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialectOf } from "../../../server/store/dialect.js";
import { DeviceKeyVersionRepository } from "../../../server/store/repositories/device-key-version-repository.js";
import type { DevicesTable } from "../../../server/store/schema.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

describe.each(STORE_BACKENDS)("device key versions on %s", (dialect) => {
  let t: TestStore;
  let repo: DeviceKeyVersionRepository;
  beforeAll(async () => {
    t = await openTestStore(dialect);
    repo = new DeviceKeyVersionRepository(dialectOf(dialect));
    const device = (
      id: string,
      reported: Record<string, unknown> | null,
      enrolledAtMs: number,
      status: DevicesTable["status"] = "active",
    ) => ({
      id,
      serial: `serial-${id}`,
      model: "Portal",
      name: id,
      status,
      enrolled_at: enrolledAtMs,
      created_at: enrolledAtMs,
      desired_name: id,
      desired_timezone: "auto",
      desired_ntp_server: null,
      reported_json: reported === null ? null : JSON.stringify(reported),
    });
    await t.store.db
      .insertInto("devices")
      .values([
        device("dev_current", { signingKeysVersion: 3, battery: 80 }, 10),
        device("dev_newer", { signingKeysVersion: 4 }, 10),
        device("dev_older", { signingKeysVersion: 2 }, 10),
        device("dev_no_field", { battery: 50 }, 10),
        device("dev_silent_old", null, 10),
        device("dev_older_reset", { signingKeysVersion: 1 }, 10, "reset"),
        device("dev_older_deactivated", { signingKeysVersion: 1 }, 10, "deactivated"),
      ])
      .execute();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it("reads a JSON field of a text column as an integer, null when absent", async () => {
    const rows = await t.store.db
      .selectFrom("devices")
      .select(["id", dialectOf(dialect).jsonInteger("reported_json", "signingKeysVersion").as("version")])
      .where("id", "in", ["dev_current", "dev_no_field", "dev_silent_old"])
      .orderBy("id")
      .execute();
    expect(rows).toEqual([
      { id: "dev_current", version: 3 },
      { id: "dev_no_field", version: null },
      { id: "dev_silent_old", version: null },
    ]);
  });

  it("counts the active devices that reported an older key set, or none", async () => {
    // dev_older, dev_no_field and dev_silent_old; devices not managed now do not count.
    expect(await repo.countActiveBehind(t.store.db, { version: 3, createdAtMs: 5 })).toBe(3);
    expect(await repo.countActiveBehind(t.store.db, { version: 2, createdAtMs: 5 })).toBe(2);
    expect(await repo.countActiveBehind(t.store.db, { version: 5, createdAtMs: 5 })).toBe(5);
  });
});
