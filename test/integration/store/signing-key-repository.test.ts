/**
 * The signing key repository, the same on every store backend (see test/helpers/stores.ts): no
 * ring before the first; the first ring is stored once however many nodes create one at once
 * (each on its own connection to the same database, as servers starting together would), and
 * every one of them reads back the winner; a ring is replaced only from the version read, so of
 * two rotations at once one wins and the other changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialectOf } from "../../../server/store/dialect.js";
import { SigningKeyRepository } from "../../../server/store/repositories/signing-key-repository.js";
import type { StoreDialect } from "../../../server/store/store.js";
import { openStoreWithPool, secondWaitsForFirst, unitsAtOnce } from "../../helpers/concurrent-units.js";
import { storesOverOneDatabase } from "../../helpers/shared-database.js";
import { STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

const NODES = 6;

const ring = (version: number, name: string) => ({ version, ringJson: JSON.stringify({ version, name }) });

describe.each(STORE_BACKENDS)("signing key repository on %s", (dialect: StoreDialect) => {
  let t: TestStore;
  let repo: SigningKeyRepository;
  beforeAll(async () => {
    t = await openStoreWithPool(dialect, NODES + 2);
    repo = new SigningKeyRepository(dialectOf(dialect));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const rows = () => t.store.db.selectFrom("signing_key_ring").selectAll().execute();

  it("has no ring before the first", async () => {
    expect(await repo.read(t.store.db)).toBeNull();
    expect(await repo.version(t.store.db)).toBeNull();
    expect(await repo.replace(t.store.db, 1, ring(2, "nothing to replace"), 5)).toBe(false);
    expect(await rows()).toEqual([]);
  });

  it("stores the first ring and reads it back as written; a later first ring changes nothing", async () => {
    const first = ring(1, "first");
    expect(await repo.insertFirst(t.store.db, first, 1_700_000_000_123)).toEqual({
      ...first,
      updatedAtMs: 1_700_000_000_123,
    });
    expect(await repo.version(t.store.db)).toBe(1);
    const late = await repo.insertFirst(t.store.db, ring(1, "late"), 9);
    expect(late).toEqual({ ...first, updatedAtMs: 1_700_000_000_123 });
    expect(await rows()).toHaveLength(1);
  });

  it("replaces the ring only from the version read", async () => {
    expect(await repo.replace(t.store.db, 1, ring(2, "rotated"), 20)).toBe(true);
    expect(await repo.read(t.store.db)).toEqual({ ...ring(2, "rotated"), updatedAtMs: 20 });
    // From a version read before that rotation: refused, the ring as it was.
    expect(await repo.replace(t.store.db, 1, ring(2, "stale"), 30)).toBe(false);
    expect(await repo.read(t.store.db)).toEqual({ ...ring(2, "rotated"), updatedAtMs: 20 });
    expect(await rows()).toHaveLength(1);
  });

  it("rolls a replacement back with the unit it was in", async () => {
    await expect(
      t.store.unit(async (tx) => {
        expect(await repo.replace(tx, 2, ring(3, "abandoned"), 40)).toBe(true);
        throw new Error("abandoned");
      }),
    ).rejects.toThrow("abandoned");
    expect(await repo.read(t.store.db)).toEqual({ ...ring(2, "rotated"), updatedAtMs: 20 });
  });

  it("lets one of two rotations from the same version win, the other replacing nothing", async () => {
    const [first, second] = await secondWaitsForFirst(
      t.store,
      (tx) => repo.replace(tx, 2, ring(3, "first rotation"), 50),
      (tx) => repo.replace(tx, 2, ring(3, "second rotation"), 51),
    );
    expect([first, second]).toEqual([true, false]);
    expect(await repo.read(t.store.db)).toEqual({ ...ring(3, "first rotation"), updatedAtMs: 50 });
  });

  it("lets exactly one of many overlapping rotations from the same version win", async () => {
    const run = await unitsAtOnce(t.store, NODES, (tx, i) =>
      repo.replace(tx, 3, ring(4, `rotation ${i}`), 100 + i),
    );
    expect(run.mostOpenAtOnce).toBe(dialect === "postgres" ? NODES : 1);
    expect(run.results.filter(Boolean)).toHaveLength(1);
    const winner = run.results.indexOf(true);
    expect(await repo.read(t.store.db)).toEqual({
      ...ring(4, `rotation ${winner}`),
      updatedAtMs: 100 + winner,
    });
  });

  it("stores one first ring when nodes on their own connections create one at once, and all read it back", async () => {
    const nodes = await storesOverOneDatabase(dialect, NODES);
    try {
      const created = await Promise.all(
        nodes.stores.map((store, i) => repo.insertFirst(store.db, ring(1, `node ${i}`), i)),
      );
      const winner = created[0]!;
      expect(created).toEqual(Array.from({ length: NODES }, () => winner));
      expect(winner.ringJson).toMatch(/"node \d"/);
      const stored = await nodes.stores[0]!.db.selectFrom("signing_key_ring").selectAll().execute();
      expect(stored).toHaveLength(1);
    } finally {
      await nodes.cleanup();
    }
  });

  it("stores one first ring when overlapping units create one at once", async () => {
    const fresh = await openStoreWithPool(dialect, NODES + 1);
    try {
      const run = await unitsAtOnce(fresh.store, NODES, (tx, i) =>
        repo.insertFirst(tx, ring(1, `unit ${i}`), i),
      );
      expect(run.mostOpenAtOnce).toBe(dialect === "postgres" ? NODES : 1);
      const winner = run.results[0]!;
      expect(run.results).toEqual(Array.from({ length: NODES }, () => winner));
      expect(await fresh.store.db.selectFrom("signing_key_ring").selectAll().execute()).toHaveLength(1);
    } finally {
      await fresh.cleanup();
    }
  });
});
