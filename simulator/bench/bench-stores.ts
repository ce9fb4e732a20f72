/**
 * The stores the benchmark runs the server on, each behind one interface: what the server
 * process needs in its environment, and what the benchmark reads straight from the store (a
 * fleet command's per-device times, from the commands' own timestamps) and from the database
 * processes (their CPU; SQLite's is the server's own). PostgreSQL gets a cluster of its own,
 * started once for the run with durability on (see {@link BENCH_POSTGRES_SETTINGS}).
 */
import { copyFile, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import sqlite3 from "sqlite3";
import { DATABASE_FILE } from "../../server/store/open-store.js";
import {
  createDatabase,
  dropDatabase,
  type PostgresCluster,
  type PostgresSettings,
  startPostgresCluster,
} from "../postgres-cluster.js";
import { cpuMs } from "./proc-stats.js";

export const BENCH_STORE_NAMES = ["sqlite", "postgres"] as const;
export type BenchStoreName = (typeof BENCH_STORE_NAMES)[number];

export const STORE_LABELS: Record<BenchStoreName, string> = { sqlite: "SQLite", postgres: "PostgreSQL" };

export interface CommandTimes {
  /** Created → finished, and created → handed to the broker (null when never marked sent). */
  ms: number;
  toSentMs: number | null;
  state: string;
}

export interface CommandOutcome {
  state: string;
  error_code: string | null;
  n: number;
}

/** What a phase learns from the database itself, beside the server's own figures. */
export interface StoreReader {
  batchCommandTimes(batchId: string): Promise<CommandTimes[]>;
  batchOutcomes(batchId: string): Promise<CommandOutcome[]>;
  /** CPU the database's own processes have used so far, ms (0 for SQLite: it runs in the server). */
  databaseCpuMs(): Promise<number>;
  close(): Promise<void>;
}

export interface BenchStore {
  readonly name: BenchStoreName;
  readonly label: string;
  /** The server's environment for this store (PostgreSQL: a fresh database each call). */
  serverEnv(): Promise<Record<string, string>>;
  /** Opened once the server has created and migrated the store. */
  openReader(dataDir: string): Promise<StoreReader>;
  /** Removes what {@link serverEnv} made. */
  release(): Promise<void>;
}

const BATCH_TIMES_SQL =
  "SELECT finished_at - created_at AS ms, sent_at - created_at AS to_sent_ms, state FROM commands WHERE batch_id = $1";
const BATCH_OUTCOMES_SQL =
  "SELECT state, error_code, count(*) AS n FROM commands WHERE batch_id = $1 GROUP BY state, error_code";

type TimesRow = { ms: number; to_sent_ms: number | null; state: string };
const toTimes = (rows: TimesRow[]): CommandTimes[] =>
  rows.map((r) => ({
    ms: Number(r.ms),
    toSentMs: r.to_sent_ms === null ? null : Number(r.to_sent_ms),
    state: r.state,
  }));

// ---- SQLite ---------------------------------------------------------------------------------

function sqliteAll<T>(db: sqlite3.Database, query: string, params: unknown[]): Promise<T[]> {
  return new Promise((resolve, reject) =>
    db.all(query, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))),
  );
}

export function sqliteBenchStore(): BenchStore {
  return {
    name: "sqlite",
    label: STORE_LABELS.sqlite,
    serverEnv: async () => ({}),
    async openReader(dataDir) {
      // Its own read-only connection: it sees committed rows only, and never writes.
      const db = new sqlite3.Database(join(dataDir, DATABASE_FILE), sqlite3.OPEN_READONLY);
      return {
        batchCommandTimes: async (batchId) =>
          toTimes(await sqliteAll<TimesRow>(db, BATCH_TIMES_SQL.replace("$1", "?"), [batchId])),
        batchOutcomes: (batchId) =>
          sqliteAll<CommandOutcome>(db, BATCH_OUTCOMES_SQL.replace("$1", "?"), [batchId]),
        databaseCpuMs: async () => 0,
        close: () => new Promise<void>((resolve) => db.close(() => resolve())),
      };
    },
    release: async () => {},
  };
}

// ---- PostgreSQL -----------------------------------------------------------------------------

/**
 * The benchmark's PostgreSQL: durable as shipped (fsync, synchronous_commit and
 * full_page_writes on, so each commit waits for its WAL flush as SQLite's synchronous = FULL
 * waits for its fsync), with memory for a machine of this size and checkpoints spaced so that
 * none falls inside a phase.
 */
export const BENCH_POSTGRES_SETTINGS: PostgresSettings = {
  fsync: "on",
  synchronous_commit: "on",
  full_page_writes: "on",
  shared_buffers: "1GB",
  effective_cache_size: "4GB",
  work_mem: "16MB",
  maintenance_work_mem: "256MB",
  wal_buffers: "16MB",
  max_wal_size: "8GB",
  checkpoint_timeout: "30min",
  max_connections: 100,
};

/**
 * Added with `--postgres-profile`: per-statement times, I/O timing, lock waits in the log, and
 * the plan (with rows, buffers and WAL) of every statement over 100 ms in the log, at a cost
 * that the figures of a profiled run include.
 */
export const PROFILE_POSTGRES_SETTINGS: PostgresSettings = {
  shared_preload_libraries: "pg_stat_statements,auto_explain",
  "pg_stat_statements.track": "all",
  "pg_stat_statements.max": 10000,
  track_io_timing: "on",
  log_lock_waits: "on",
  "auto_explain.log_min_duration": "100ms",
  "auto_explain.log_analyze": "on",
  "auto_explain.log_buffers": "on",
  "auto_explain.log_wal": "on",
  "auto_explain.log_timing": "off",
  "auto_explain.log_nested_statements": "on",
};

/** CPU of the postmaster and every process it runs, live or ended (cutime/cstime), ms. */
async function clusterCpuMs(dataDir: string): Promise<number> {
  const postmaster = Number((await readFile(join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
  const stat = await readFile(`/proc/${postmaster}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime, stime, cutime, cstime are fields 14-17 (11-14 after the command name), in ticks.
  let total =
    ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const child = await readFile(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(child.slice(child.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === postmaster) total += await cpuMs(Number(entry));
    } catch {
      // A process that ended meanwhile is in the postmaster's cutime by now.
    }
  }
  return total;
}

export interface PostgresBenchOptions {
  /** Pool size the server gets (`PMDM_DATABASE_POOL_SIZE`). */
  poolSize: number;
  /** Settings that override {@link BENCH_POSTGRES_SETTINGS}. */
  overrides: PostgresSettings;
  /** Load pg_stat_statements, time I/O and log lock waits (see postgres-profile.ts). */
  profile: boolean;
  /** Leave the cluster running and each run's database in it, to look into afterwards. */
  keep: boolean;
}

export interface PostgresBench extends BenchStore {
  readonly cluster: PostgresCluster;
  readonly version: string;
  readonly poolSize: number;
  /** The database of the current server run (after {@link serverEnv}). */
  databaseUrl(): string;
  /** Stops the cluster; its log is copied to `keepLogAs` first when given. */
  stopCluster(keepLogAs?: string): Promise<void>;
}

export async function postgresBenchStore(options: PostgresBenchOptions): Promise<PostgresBench> {
  const cluster = await startPostgresCluster({
    settings: {
      ...BENCH_POSTGRES_SETTINGS,
      ...(options.profile ? PROFILE_POSTGRES_SETTINGS : {}),
      ...options.overrides,
    },
    tempPrefix: "pmdm-bench-pg-",
  });
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  const version = (await admin.query<{ server_version: string }>("SHOW server_version")).rows[0]!
    .server_version;
  await admin.end();
  let current: string | null = null;
  const bench: PostgresBench = {
    name: "postgres",
    label: STORE_LABELS.postgres,
    cluster,
    version,
    poolSize: options.poolSize,
    databaseUrl() {
      if (!current) throw new Error("no PostgreSQL database made yet");
      return current;
    },
    async serverEnv() {
      current = await createDatabase(cluster.adminUrl, "pmdm_bench");
      return { PMDM_DATABASE_URL: current, PMDM_DATABASE_POOL_SIZE: String(options.poolSize) };
    },
    async openReader() {
      const client = new pg.Client({ connectionString: bench.databaseUrl() });
      await client.connect();
      return {
        batchCommandTimes: async (batchId) =>
          toTimes((await client.query<TimesRow>(BATCH_TIMES_SQL, [batchId])).rows),
        batchOutcomes: async (batchId) =>
          (await client.query<CommandOutcome>(BATCH_OUTCOMES_SQL, [batchId])).rows.map((r) => ({
            ...r,
            n: Number(r.n),
          })),
        databaseCpuMs: () => clusterCpuMs(cluster.dataDir),
        close: () => client.end(),
      };
    },
    async release() {
      if (current && !options.keep) await dropDatabase(cluster.adminUrl, current);
      current = null;
    },
    async stopCluster(keepLogAs) {
      if (options.keep) return;
      if (keepLogAs) await copyFile(cluster.logFile, keepLogAs).catch(() => undefined);
      await cluster.stop();
    },
  };
  return bench;
}
