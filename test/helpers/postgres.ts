/**
 * A real PostgreSQL for tests: a throwaway cluster (simulator/postgres-cluster.ts) on 127.0.0.1
 * on a free port. One cluster per test run (vitest's global setup); each suite takes its own
 * fresh database from it.
 */
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import {
  createDatabase,
  DEFAULT_PG_BIN,
  dropDatabase,
  type PostgresCluster,
  startPostgresCluster as startCluster,
} from "../../simulator/postgres-cluster.js";

export type { PostgresCluster };

/** Durability is not what the tests look at; without it they spend most of their time elsewhere. */
const TEST_SETTINGS = {
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  max_connections: 200,
};

const PG_BIN = process.env.PMDM_TEST_PG_BIN ?? DEFAULT_PG_BIN;

export function startPostgresCluster(): Promise<PostgresCluster> {
  return startCluster({
    binDir: PG_BIN,
    settings: TEST_SETTINGS,
    initNoSync: true,
  });
}

/** A new, empty database in the cluster; its URL. */
export function createTestDatabase(adminUrl: string, prefix = "pmdm"): Promise<string> {
  return createDatabase(adminUrl, prefix);
}

export function dropTestDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  return dropDatabase(adminUrl, databaseUrl);
}

const run = promisify(execFile);

/** `pg_ctl`, as the `postgres` user when this process is root (the cluster's owner). */
async function pgCtl(args: string[]): Promise<void> {
  const pgCtlPath = join(PG_BIN, "pg_ctl");
  const isRoot = process.getuid?.() === 0;
  if (isRoot) await run("runuser", ["-u", "postgres", "--", pgCtlPath, ...args], { timeout: 60_000 });
  else await run(pgCtlPath, args, { timeout: 60_000 });
}

/**
 * Stops a cluster's PostgreSQL and keeps its data, as an outage would: every connection is cut
 * and new ones are refused until {@link resumeCluster}. `fast` (default) is an orderly stop that
 * tells each client why; `immediate` is a crash, recovered from at the next start.
 */
export async function haltCluster(
  cluster: PostgresCluster,
  mode: "fast" | "immediate" = "fast",
): Promise<void> {
  await pgCtl(["-D", cluster.dataDir, "-m", mode, "-w", "stop"]);
}

/** Starts a halted cluster again: the same port, settings and data as before. */
export async function resumeCluster(cluster: PostgresCluster): Promise<void> {
  // The cluster keeps its socket and log beside its data dir.
  const dir = dirname(cluster.dataDir);
  const options = [
    `-p ${cluster.port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    ...Object.entries(cluster.settings).map(([name, value]) => `-c ${name}=${value}`),
  ].join(" ");
  await pgCtl(["-D", cluster.dataDir, "-o", options, "-l", join(dir, "log"), "-w", "-t", "60", "start"]);
}
