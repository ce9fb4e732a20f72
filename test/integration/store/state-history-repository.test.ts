/**
 * The state history repository, the same on every store backend (see test/helpers/stores.ts):
 * rows of many devices appended in one statement (those of unknown devices dropped), read back
 * newest first, each device bounded to its newest rows in one statement for all (the oldest go
 * first, other devices untouched), and rows pruned by age.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialectOf } from "../../../server/store/dialect.js";
import { DeviceRepository } from "../../../server/store/repositories/device-repository.js";
import {
  type StateHistoryEntry,
  StateHistoryRepository,
} from "../../../server/store/repositories/state-history-repository.js";
import type { Queryable, StoreDialect } from "../../../server/store/store.js";
import { recordStatements } from "../../helpers/statements.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

/** A history row's document: which device, which row of it (in the order appended). */
const state = (deviceId: string, n: number) => JSON.stringify({ deviceId, n, name: `It's "${n}" ✓` });

describe.each(STORE_BACKENDS)("state history repository on %s", (dialect: StoreDialect) => {
  let t: TestStore;
  let repo: StateHistoryRepository;
  let devices: DeviceRepository;
  beforeAll(async () => {
    t = await openTestStore(dialect);
    repo = new StateHistoryRepository(dialectOf(dialect));
    devices = new DeviceRepository(dialectOf(dialect));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const addDevices = (ids: readonly string[], q: Queryable = t.store.db) =>
    Promise.all(
      ids.map((id) =>
        devices.insertDevice(q, {
          id,
          serial: `SN-${id}`,
          model: "kiosk",
          name: id,
          atMs: 1,
          desiredTime: { timezone: "UTC", ntpServer: null },
        }),
      ),
    );

  /** Each device's row numbers (see {@link state}), newest first. */
  async function rowNumbers(deviceId: string): Promise<number[]> {
    const rows = await repo.newestOf(t.store.db, deviceId, 10_000);
    return rows.map((r) => (r.state as { n: number }).n);
  }

  /** `count` rows for each device, interleaved: device a's row 0, b's row 0, a's row 1, ... */
  const interleaved = (ids: readonly string[], count: number, firstAtMs: number): StateHistoryEntry[] =>
    Array.from({ length: count }, (_, n) =>
      ids.map((deviceId) => ({ deviceId, atMs: firstAtMs + n, stateJson: state(deviceId, n) })),
    ).flat();

  it("appends rows of many devices in one statement, dropping those of unknown devices", async () => {
    await addDevices(["dev_a1", "dev_a2"]);
    const entries = [
      ...interleaved(["dev_a1", "dev_a2"], 3, 1_000),
      { deviceId: "dev_nobody", atMs: 1_000, stateJson: state("dev_nobody", 0) },
    ];
    const recorder = recordStatements(t.store.db);
    await repo.append(t.store.db, entries);
    await repo.append(t.store.db, []);
    recorder.stop();
    expect(recorder.statements).toHaveLength(1);
    expect(recorder.statements[0]!.parameters).toHaveLength(1);
    expect(await repo.newestOf(t.store.db, "dev_a1", 10)).toEqual(
      [2, 1, 0].map((n) => ({
        atMs: 1_000 + n,
        state: JSON.parse(state("dev_a1", n)),
      })),
    );
    expect(await rowNumbers("dev_a2")).toEqual([2, 1, 0]);
    expect(await repo.newestOf(t.store.db, "dev_nobody", 10)).toEqual([]);
    const orphans = await t.store.db
      .selectFrom("state_history")
      .select("id")
      .where("device_id", "=", "dev_nobody")
      .execute();
    expect(orphans).toEqual([]);
  });

  it("reads a device's newest rows first, as many as asked", async () => {
    await addDevices(["dev_read"]);
    await repo.append(t.store.db, interleaved(["dev_read"], 6, 2_000));
    expect(await rowNumbers("dev_read")).toEqual([5, 4, 3, 2, 1, 0]);
    expect((await repo.newestOf(t.store.db, "dev_read", 2)).map((r) => r.atMs)).toEqual([2_005, 2_004]);
    expect(await repo.newestOf(t.store.db, "dev_read", 0)).toEqual([]);
  });

  it("keeps each listed device's newest rows in one statement: the oldest go first, others stay", async () => {
    const listed = ["dev_k_many", "dev_k_few", "dev_k_exact"];
    await addDevices([...listed, "dev_k_unlisted"]);
    await repo.append(t.store.db, interleaved(["dev_k_many", "dev_k_unlisted"], 9, 3_000));
    await repo.append(t.store.db, interleaved(["dev_k_few"], 3, 3_000));
    await repo.append(t.store.db, interleaved(["dev_k_exact"], 5, 3_000));
    const recorder = recordStatements(t.store.db);
    // As the report writer calls it: one id per row appended, so ids come more than once.
    await repo.keepNewest(t.store.db, [...listed, ...listed, "dev_nobody"], 5);
    await repo.keepNewest(t.store.db, [], 5);
    recorder.stop();
    expect(recorder.statements).toHaveLength(1);
    expect(await rowNumbers("dev_k_many")).toEqual([8, 7, 6, 5, 4]);
    expect(await rowNumbers("dev_k_few")).toEqual([2, 1, 0]);
    expect(await rowNumbers("dev_k_exact")).toEqual([4, 3, 2, 1, 0]);
    expect(await rowNumbers("dev_k_unlisted")).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it("holds the bound round after round of appends, inside units", async () => {
    const ids = ["dev_r1", "dev_r2", "dev_r3"];
    await addDevices(ids);
    for (let round = 0; round < 6; round++) {
      await t.store.unit(async (tx) => {
        const entries = ids.flatMap((deviceId, d) =>
          Array.from({ length: d + 1 }, (_, k) => ({
            deviceId,
            atMs: 4_000 + round * 10 + k,
            stateJson: state(deviceId, round * 10 + k),
          })),
        );
        await repo.append(tx, entries);
        await repo.keepNewest(
          tx,
          entries.map((e) => e.deviceId),
          4,
        );
      });
    }
    // dev_r1 adds one row a round, dev_r2 two, dev_r3 three: the newest four of each remain.
    expect(await rowNumbers("dev_r1")).toEqual([50, 40, 30, 20]);
    expect(await rowNumbers("dev_r2")).toEqual([51, 50, 41, 40]);
    expect(await rowNumbers("dev_r3")).toEqual([52, 51, 50, 42]);
  });

  it("keeps nothing of a device bounded to no rows", async () => {
    await addDevices(["dev_zero"]);
    await repo.append(t.store.db, interleaved(["dev_zero"], 3, 5_000));
    await repo.keepNewest(t.store.db, ["dev_zero"], 0);
    expect(await rowNumbers("dev_zero")).toEqual([]);
  });

  it("prunes every row older than a time, keeping those at it, and says how many went", async () => {
    // A store of its own, so the count is only these rows.
    const own = await openTestStore(dialect);
    try {
      await addDevices(["dev_p1", "dev_p2"], own.store.db);
      await repo.append(own.store.db, interleaved(["dev_p1", "dev_p2"], 5, 10_000));
      expect(await repo.pruneOlderThan(own.store.db, 10_002)).toBe(4);
      expect(await repo.pruneOlderThan(own.store.db, 10_002)).toBe(0);
      const left = await repo.newestOf(own.store.db, "dev_p1", 10);
      expect(left.map((r) => r.atMs)).toEqual([10_004, 10_003, 10_002]);
      expect(await own.store.unit((tx) => repo.pruneOlderThan(tx, 20_000))).toBe(6);
      expect(await repo.newestOf(own.store.db, "dev_p2", 10)).toEqual([]);
      // Rows appended after a prune that emptied the table are still read newest first.
      await repo.append(own.store.db, interleaved(["dev_p1"], 3, 30_000));
      expect((await repo.newestOf(own.store.db, "dev_p1", 10)).map((r) => r.atMs)).toEqual([
        30_002, 30_001, 30_000,
      ]);
    } finally {
      await own.cleanup();
    }
  });
});
