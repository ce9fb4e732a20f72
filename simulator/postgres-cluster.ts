/**
 * A throwaway PostgreSQL cluster: Debian's `postgresql` (15) binaries make one in a temp dir
 * with `initdb` and run it with `pg_ctl` on 127.0.0.1 on a free port, as the `postgres` user
 * when this process is root (PostgreSQL refuses to run as root). The tests start one per run
 * with durability off; the benchmark starts one with durability on and settings it prints.
 * Databases are made and dropped in it through its superuser.
 */
import { execFile } from "node:child_process";
import { chmod, chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);
export const DEFAULT_PG_BIN = "/usr/lib/postgresql/15/bin";
const SUPERUSER = "postgres";

/** Server settings, each passed as `-c name=value`. */
export type PostgresSettings = Readonly<Record<string, string | number>>;

export interface PostgresClusterOptions {
  /** Settings beyond the port, the listen address and the socket directory. */
  settings?: PostgresSettings;
  /** Where `initdb`, `pg_ctl` and `postgres` are. Default: PostgreSQL 15's, Debian's layout. */
  binDir?: string;
  /** `initdb --no-sync`: faster, and a crash of the machine may lose the new cluster. */
  initNoSync?: boolean;
  /** Prefix of the temp dir. */
  tempPrefix?: string;
}

export interface PostgresCluster {
  /** A URL of the cluster's `postgres` database, as the superuser. */
  adminUrl: string;
  port: number;
  /** The cluster's data directory (its log is `log` beside it). */
  dataDir: string;
  /** The settings it runs with, as given. */
  settings: PostgresSettings;
  /** PostgreSQL's own log (gone with the cluster: copy it before {@link stop}). */
  logFile: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
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
async function asClusterOwner(binDir: string, tool: string, args: string[]): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  const [file, argv] = isRoot
    ? ["runuser", ["-u", SUPERUSER, "--", join(binDir, tool), ...args]]
    : [join(binDir, tool), args];
  await run(file, argv, { timeout: 60_000 });
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run("id", ["-u", SUPERUSER]);
  const { stdout: gid } = await run("id", ["-g", SUPERUSER]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const binDir = options.binDir ?? DEFAULT_PG_BIN;
  const settings = options.settings ?? {};
  const dir = await mkdtemp(join(tmpdir(), options.tempPrefix ?? "pmdm-pg-"));
  const data = join(dir, "data");
  try {
    if (process.getuid?.() === 0) {
      const { uid, gid } = await postgresUser();
      await chown(dir, uid, gid);
    }
    await chmod(dir, 0o700);
    const port = await freePort();
    await asClusterOwner(binDir, "initdb", [
      "-D",
      data,
      "-U",
      SUPERUSER,
      "-A",
      "trust",
      "-E",
      "UTF8",
      ...(options.initNoSync ? ["--no-sync"] : []),
    ]);
    const serverOptions = [
      `-p ${port}`,
      "-c listen_addresses=127.0.0.1",
      `-c unix_socket_directories=${dir}`,
      ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
    ].join(" ");
    await asClusterOwner(binDir, "pg_ctl", [
      "-D",
      data,
      "-o",
      serverOptions,
      "-l",
      join(dir, "log"),
      "-w",
      "-t",
      "60",
      "start",
    ]);
    return {
      adminUrl: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`,
      port,
      dataDir: data,
      settings,
      logFile: join(dir, "log"),
      async stop() {
        await asClusterOwner(binDir, "pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(
          () => undefined,
        );
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function asSuperuser<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

let databaseCounter = 0;

/** A new, empty database in the cluster; its URL. */
export async function createDatabase(adminUrl: string, prefix = "pmdm"): Promise<string> {
  databaseCounter++;
  const name = `${prefix}_${process.pid}_${databaseCounter}_${Date.now().toString(36)}`;
  await asSuperuser(adminUrl, (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  await asSuperuser(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
  );
}
