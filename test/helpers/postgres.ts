/**
 * A real PostgreSQL for tests: Debian's `postgresql` (15) cluster made in a temp dir with
 * `initdb` and run with `pg_ctl` on 127.0.0.1 on a free port, as the `postgres` user when the
 * tests run as root (PostgreSQL refuses to run as root). One cluster per test run (vitest's
 * global setup); each suite takes its own fresh database from it.
 */
import { execFile } from "node:child_process";
import { chmod, chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);
const PG_BIN = process.env.PMDM_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";
const SUPERUSER = "postgres";

export interface PostgresCluster {
  /** A URL of the cluster's `postgres` database, as the superuser. */
  adminUrl: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Runs a PostgreSQL tool, as the `postgres` user when this process is root. */
async function asClusterOwner(tool: string, args: string[]): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  const [file, argv] = isRoot
    ? ["runuser", ["-u", SUPERUSER, "--", join(PG_BIN, tool), ...args]]
    : [join(PG_BIN, tool), args];
  await run(file, argv, { timeout: 60_000 });
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const dir = await mkdtemp(join(tmpdir(), "pmdm-pg-"));
  const data = join(dir, "data");
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresUser();
    await chown(dir, uid, gid);
  }
  await chmod(dir, 0o700);
  const port = await freePort();
  await asClusterOwner("initdb", ["-D", data, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-sync"]);
  // Durability is not what these tests look at; fsync off saves most of their time.
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
  ].join(" ");
  await asClusterOwner("pg_ctl", [
    "-D",
    data,
    "-o",
    options,
    "-l",
    join(dir, "log"),
    "-w",
    "-t",
    "60",
    "start",
  ]);
  return {
    adminUrl: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`,
    async stop() {
      await asClusterOwner("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run("id", ["-u", SUPERUSER]);
  const { stdout: gid } = await run("id", ["-g", SUPERUSER]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

let databaseCounter = 0;

/** A new, empty database in the cluster; its URL. */
export async function createTestDatabase(adminUrl: string, prefix = "pmdm"): Promise<string> {
  databaseCounter++;
  const name = `${prefix}_${process.pid}_${databaseCounter}_${Date.now().toString(36)}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropTestDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
