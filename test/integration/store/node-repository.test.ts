/**
 * Server nodes and job leases, the same on every store backend: heartbeats and silence, and a
 * lease that exactly one of many nodes asking at once gets, its holder renews, and another takes
 * once it has run out.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeRepository } from "../../../server/store/repositories/node-repository.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

describe.each(STORE_BACKENDS)("node repository on %s", (dialect) => {
  let t: TestStore;
  const repo = new NodeRepository();
  beforeAll(async () => {
    t = await openTestStore(dialect);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const node = (id: string, heartbeatAtMs: number) => ({
    id,
    startedAtMs: 1000,
    heartbeatAtMs,
    httpUrl: `http://127.0.0.1/${id}`,
    mqttUrls: [`mqtt://127.0.0.1/${id}`, `mqtts://127.0.0.1/${id}`],
  });

  it("keeps each node's latest heartbeat, lists the live ones and removes the silent", async () => {
    await repo.heartbeat(t.store.db, node("node-a", 5000));
    await repo.heartbeat(t.store.db, node("node-b", 2000));
    await repo.heartbeat(t.store.db, node("node-a", 9000));
    expect(await repo.aliveSince(t.store.db, 4000)).toEqual([node("node-a", 9000)]);
    expect((await repo.aliveSince(t.store.db, 0)).map((n) => n.id)).toEqual(["node-a", "node-b"]);
    expect(await repo.removeSilentSince(t.store.db, 4000)).toEqual(["node-b"]);
    expect(await repo.removeSilentSince(t.store.db, 4000)).toEqual([]);
    await repo.remove(t.store.db, "node-a");
    expect(await repo.aliveSince(t.store.db, 0)).toEqual([]);
  });

  it("gives a lease to exactly one of many nodes asking at once", async () => {
    const holders = Array.from({ length: 12 }, (_, i) => `node-${i}`);
    const got = await Promise.all(
      holders.map((holder) => t.store.unit((tx) => repo.takeLease(tx, "race", holder, 100, 5100))),
    );
    expect(got.filter(Boolean)).toHaveLength(1);
    const winner = holders[got.indexOf(true)]!;
    expect(await repo.leaseHolder(t.store.db, "race", 200)).toBe(winner);
  });

  it("lets the holder renew its lease, others take it only once it has run out", async () => {
    expect(await repo.takeLease(t.store.db, "sweep", "node-a", 1000, 6000)).toBe(true);
    expect(await repo.takeLease(t.store.db, "sweep", "node-b", 5999, 10_999)).toBe(false);
    expect(await repo.takeLease(t.store.db, "sweep", "node-a", 5000, 10_000)).toBe(true);
    expect(await repo.takeLease(t.store.db, "sweep", "node-b", 9999, 14_999)).toBe(false);
    expect(await repo.takeLease(t.store.db, "sweep", "node-b", 10_000, 15_000)).toBe(true);
    expect(await repo.leaseHolder(t.store.db, "sweep", 12_000)).toBe("node-b");
    expect(await repo.leaseHolder(t.store.db, "sweep", 15_000)).toBeNull();
  });

  it("gives a stopping node's leases back at once", async () => {
    expect(await repo.takeLease(t.store.db, "prune", "node-c", 1000, 60_000)).toBe(true);
    await repo.releaseLeases(t.store.db, "node-c");
    expect(await repo.takeLease(t.store.db, "prune", "node-d", 1001, 60_000)).toBe(true);
  });
});
