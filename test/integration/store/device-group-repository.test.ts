/**
 * The device group repository, the same on every store backend (see test/helpers/stores.ts):
 * groups inserted, read back with their filters, listed by name in any case, counted, renamed
 * and given new filters, deleted; a name taken in another case refused by the store itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialectOf } from "../../../server/store/dialect.js";
import { DeviceGroupRepository } from "../../../server/store/repositories/device-group-repository.js";
import type { StoreDialect } from "../../../server/store/store.js";
import { isUniqueViolation } from "../../../server/store/unique-violation.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

describe.each(STORE_BACKENDS)("device group repository on %s", (dialect: StoreDialect) => {
  let t: TestStore;
  let repo: DeviceGroupRepository;
  beforeAll(async () => {
    t = await openTestStore(dialect);
    repo = new DeviceGroupRepository(dialectOf(dialect));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const group = (id: string, name: string, filter: Record<string, unknown>, atMs = 1_000) => ({
    id,
    name,
    filter,
    createdAtMs: atMs,
    updatedAtMs: atMs,
  });

  it("inserts groups and reads them back by id, by name in any case, in name order, and counts them", async () => {
    await repo.insert(t.store.db, group("grp_b", "lobby screens", { label: "lobby", online: false }));
    await repo.insert(t.store.db, group("grp_a", "Berlin", { site: "site_1", notSeenForDays: 7 }, 2_000));
    await repo.insert(t.store.db, group("grp_c", "Clock drift", { clockDrift: true }));
    expect(await repo.byId(t.store.db, "grp_a")).toEqual(
      group("grp_a", "Berlin", { site: "site_1", notSeenForDays: 7 }, 2_000),
    );
    expect((await repo.byName(t.store.db, "LOBBY SCREENS"))?.id).toBe("grp_b");
    expect(await repo.byId(t.store.db, "grp_none")).toBeNull();
    expect((await repo.list(t.store.db)).map((g) => g.name)).toEqual([
      "Berlin",
      "Clock drift",
      "lobby screens",
    ]);
    expect(await repo.count(t.store.db)).toBe(3);
  });

  it("refuses a name another group has in any case, as a unique violation", async () => {
    const refused = await repo
      .insert(t.store.db, group("grp_d", "BERLIN", { model: "Portal" }))
      .then(() => null)
      .catch((err: unknown) => err);
    expect(isUniqueViolation(refused)).toBe(true);
    const renamed = await repo
      .update(t.store.db, "grp_c", { name: "Lobby Screens" }, 3_000)
      .then(() => null)
      .catch((err: unknown) => err);
    expect(isUniqueViolation(renamed)).toBe(true);
    expect((await repo.byId(t.store.db, "grp_c"))?.name).toBe("Clock drift");
    expect(await repo.count(t.store.db)).toBe(3);
  });

  it("renames, gives a new filter, and deletes; says when there was no such group", async () => {
    expect(await repo.update(t.store.db, "grp_c", { name: "Drifting" }, 4_000)).toBe(true);
    expect(
      await repo.update(t.store.db, "grp_c", { filter: { clockDrift: true, online: true } }, 5_000),
    ).toBe(true);
    expect(await repo.byId(t.store.db, "grp_c")).toEqual({
      id: "grp_c",
      name: "Drifting",
      filter: { clockDrift: true, online: true },
      createdAtMs: 1_000,
      updatedAtMs: 5_000,
    });
    expect(await repo.update(t.store.db, "grp_none", { name: "x" }, 6_000)).toBe(false);
    expect(await repo.delete(t.store.db, "grp_c")).toBe(true);
    expect(await repo.delete(t.store.db, "grp_c")).toBe(false);
    expect(await repo.byId(t.store.db, "grp_c")).toBeNull();
    expect(await repo.count(t.store.db)).toBe(2);
  });

  it("locks for an insert inside a unit, and the unit still inserts", async () => {
    await t.store.unit(async (tx) => {
      await repo.lockForInsert(tx);
      expect(await repo.count(tx)).toBe(2);
      await repo.insert(tx, group("grp_e", "Offline", { online: false }));
    });
    expect((await repo.list(t.store.db)).map((g) => g.id)).toEqual(["grp_a", "grp_b", "grp_e"]);
  });
});
