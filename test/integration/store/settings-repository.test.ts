/**
 * The settings repository, the same on every store backend (see test/helpers/stores.ts): a
 * setting reads back as the document written, with its time; a write replaces it whole; keys
 * stay apart; and units that write one new key at once leave one row, the last write's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialectOf } from "../../../server/store/dialect.js";
import { SettingsRepository } from "../../../server/store/repositories/settings-repository.js";
import type { StoreDialect } from "../../../server/store/store.js";
import { openStoreWithPool, secondWaitsForFirst, unitsAtOnce } from "../../helpers/concurrent-units.js";
import { STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

const UNITS_AT_ONCE = 10;

describe.each(STORE_BACKENDS)("settings repository on %s", (dialect: StoreDialect) => {
  let t: TestStore;
  let repo: SettingsRepository;
  beforeAll(async () => {
    t = await openStoreWithPool(dialect, UNITS_AT_ONCE + 2);
    repo = new SettingsRepository(dialectOf(dialect));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const rowsOf = (key: string) =>
    t.store.db.selectFrom("settings").selectAll().where("key", "=", key).execute();

  it("has no setting before the first write", async () => {
    expect(await repo.get(t.store.db, "time")).toBeNull();
    expect(await repo.get(t.store.db, "clock_drift")).toBeNull();
  });

  it("reads a setting back as the document written, with the time of the write", async () => {
    const time = { timezone: "Asia/Kolkata", ntpServer: "ntp.example.com:11123", note: 'it\'s "quoted" ✓' };
    await repo.put(t.store.db, "time", time, 1_700_000_000_123);
    expect(await repo.get(t.store.db, "time")).toEqual({ value: time, updatedAtMs: 1_700_000_000_123 });
    expect(await repo.get(t.store.db, "clock_drift")).toBeNull();
  });

  it("replaces the whole document on a later write, in one row", async () => {
    await repo.put(t.store.db, "clock_drift", { thresholdMs: 1_000, extra: [1, 2] }, 10);
    await repo.put(t.store.db, "clock_drift", { thresholdMs: 250 }, 20);
    expect(await repo.get(t.store.db, "clock_drift")).toEqual({
      value: { thresholdMs: 250 },
      updatedAtMs: 20,
    });
    expect(await rowsOf("clock_drift")).toHaveLength(1);
    // The other key is untouched.
    expect((await repo.get(t.store.db, "time"))?.updatedAtMs).toBe(1_700_000_000_123);
  });

  it("keeps documents of any JSON shape, null among them", async () => {
    for (const value of [
      null,
      0,
      "text",
      [1, "two", { three: 3 }],
      { nested: { deep: [true, false, null] } },
    ]) {
      await t.store.unit((tx) => repo.put(tx, "clock_drift", value, 30));
      expect(await repo.get(t.store.db, "clock_drift")).toEqual({ value, updatedAtMs: 30 });
    }
  });

  it("rolls a write back with the unit it was in", async () => {
    await repo.put(t.store.db, "clock_drift", { thresholdMs: 500 }, 40);
    await expect(
      t.store.unit(async (tx) => {
        await repo.put(tx, "clock_drift", { thresholdMs: 9_999 }, 50);
        throw new Error("abandoned");
      }),
    ).rejects.toThrow("abandoned");
    expect(await repo.get(t.store.db, "clock_drift")).toEqual({
      value: { thresholdMs: 500 },
      updatedAtMs: 40,
    });
  });

  it("leaves one row, the later write's, when two units write a new key at once", async () => {
    // A store of its own: the key must not exist yet.
    const fresh = await openStoreWithPool(dialect, 3);
    try {
      await secondWaitsForFirst(
        fresh.store,
        (tx) => repo.put(tx, "time", { timezone: "UTC", ntpServer: null }, 1),
        (tx) => repo.put(tx, "time", { timezone: "Europe/Kyiv", ntpServer: null }, 2),
      );
      expect(await repo.get(fresh.store.db, "time")).toEqual({
        value: { timezone: "Europe/Kyiv", ntpServer: null },
        updatedAtMs: 2,
      });
      expect(await fresh.store.db.selectFrom("settings").selectAll().execute()).toHaveLength(1);
    } finally {
      await fresh.cleanup();
    }
  });

  it("takes writes from many overlapping units without a conflict, ending with one of them", async () => {
    const run = await unitsAtOnce(t.store, UNITS_AT_ONCE, (tx, i) =>
      repo.put(tx, "clock_drift", { thresholdMs: 100 + i }, 1_000 + i),
    );
    expect(run.mostOpenAtOnce).toBe(dialect === "postgres" ? UNITS_AT_ONCE : 1);
    const last = await repo.get(t.store.db, "clock_drift");
    expect(last).not.toBeNull();
    const i = last!.updatedAtMs - 1_000;
    expect(i).toBeGreaterThanOrEqual(0);
    expect(i).toBeLessThan(UNITS_AT_ONCE);
    expect(last!.value).toEqual({ thresholdMs: 100 + i });
    expect(await rowsOf("clock_drift")).toHaveLength(1);
  });
});
