/**
 * The benchmark's PostgreSQL: a cluster of its own, durable as shipped, with the benchmark's
 * settings under any override; a fresh database per server run, dropped after it; the CPU of
 * its processes counted, also of backends that have ended; and the per-phase profile naming
 * the statements run in that phase only.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../../server/store/postgres/postgres-store.js";
import { type PostgresBench, postgresBenchStore } from "../../simulator/bench/bench-stores.js";
import { PostgresProfiler } from "../../simulator/bench/postgres-profile.js";

let bench: PostgresBench;

beforeAll(async () => {
  bench = await postgresBenchStore({
    poolSize: 3,
    overrides: { shared_buffers: "64MB" },
    profile: true,
    keep: false,
  });
}, 120_000);

afterAll(async () => {
  await bench?.stopCluster();
});

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const show = (client: pg.Client, name: string) =>
  client.query<Record<string, string>>(`SHOW ${name}`).then((r) => Object.values(r.rows[0]!)[0]);

/** Work enough for the CPU counters (10 ms ticks) to move. */
const burnCpu = (client: pg.Client) => client.query("SELECT count(*) FROM generate_series(1, 3000000)");

describe("the benchmark's PostgreSQL", () => {
  it("keeps every commit durable and applies overrides over the benchmark's settings", async () => {
    await withClient(bench.cluster.adminUrl, async (client) => {
      expect(await show(client, "fsync")).toBe("on");
      expect(await show(client, "synchronous_commit")).toBe("on");
      expect(await show(client, "full_page_writes")).toBe("on");
      expect(await show(client, "max_wal_size")).toBe("8GB");
      expect(await show(client, "shared_buffers")).toBe("64MB");
    });
    expect(bench.version).toMatch(/^15\./);
  });

  it("gives each server run a database of its own and drops it afterwards", async () => {
    const env = await bench.serverEnv();
    expect(env.PMDM_DATABASE_POOL_SIZE).toBe("3");
    const url = env.PMDM_DATABASE_URL!;
    expect(url).toBe(bench.databaseUrl());
    const store = await openPostgresStore({ url, poolSize: 1 });
    await store.close();
    const reader = await bench.openReader("");
    expect(await reader.batchOutcomes("bat_none")).toEqual([]);
    expect(await reader.batchCommandTimes("bat_none")).toEqual([]);
    await reader.close();
    await bench.release();
    const name = new URL(url).pathname.slice(1);
    const left = await withClient(bench.cluster.adminUrl, (client) =>
      client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]),
    );
    expect(left.rowCount).toBe(0);
  });

  it("counts the CPU of its processes, including backends that have ended", async () => {
    await bench.serverEnv();
    const reader = await bench.openReader("");
    try {
      const before = await reader.databaseCpuMs();
      await withClient(bench.databaseUrl(), burnCpu);
      // The backend that did the work is gone; its CPU stays counted.
      await new Promise((r) => setTimeout(r, 200));
      const after = await reader.databaseCpuMs();
      expect(after - before).toBeGreaterThan(50);
    } finally {
      await reader.close();
      await bench.release();
    }
  });

  it("profiles a phase: the statements run in it, not those before it", async () => {
    await bench.serverEnv();
    const profiler = await PostgresProfiler.open(bench.cluster.adminUrl, bench.databaseUrl(), bench.poolSize);
    try {
      await withClient(bench.databaseUrl(), (client) => client.query("SELECT 41 AS before_the_phase"));
      const stop = await profiler.start("a phase");
      await withClient(bench.databaseUrl(), burnCpu);
      const profile = await stop();
      expect(profile.phase).toBe("a phase");
      expect(profile.activity.samples).toBeGreaterThan(0);
      const queries = profile.top.map((s) => s.query);
      expect(queries.some((q) => q.includes("generate_series"))).toBe(true);
      expect(queries.some((q) => q.includes("before_the_phase"))).toBe(false);
      expect(profile.top[0]!.query).toContain("generate_series");
    } finally {
      await profiler.close();
      await bench.release();
    }
  });
});
