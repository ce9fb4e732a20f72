/**
 * `npm run admin -- migrate-store --to URL`: a real server on SQLite with history (enrolled
 * agents, commands and a fleet command, settings, an admin, audit rows, state history) is moved
 * into a fresh PostgreSQL database by the command run as its own process; a server started on
 * the same data dir with that database serves the same agents, which reconnect with their
 * credentials and keep working. A target that is not empty is refused and left as it was.
 *
 * Then PostgreSQL's backup and restore as docs/reliability.md gives it: `pg_dump` (custom
 * format), commands and a settings change after the dump, `pg_restore` into an empty database,
 * `npm run admin -- after-restore`, and a server on the restored database to which the same
 * agents come back and still run new commands and apply new settings.
 *
 * The servers here choose their stores themselves (SQLite first, then PostgreSQL databases the
 * test names), so the file runs once, in the sqlite project (vitest.config.ts), and skips itself
 * when PMDM_TEST_STORE=postgres is set by hand.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { AuditItem } from "../../server/admins/audit-log.js";
import type { BatchView } from "../../server/commands/batch-service.js";
import type { CommandView } from "../../server/commands/command.js";
import { DATABASE_FILE } from "../../server/server.js";
import { RESTORE_SEQ_GAP } from "../../server/store/backup.js";
import { TABLES_IN_COPY_ORDER } from "../../server/store/copy-store.js";
import { readDatabaseContents } from "../../server/store/postgres/database-contents.js";
import { openPostgresStore } from "../../server/store/postgres/postgres-store.js";
import { openSqliteStore } from "../../server/store/sqlite/sqlite-store.js";
import type { Store } from "../../server/store/store.js";
import { DEFAULT_PG_BIN } from "../../simulator/postgres-cluster.js";
import { createAdmin, login, TEST_PASSWORD } from "../helpers/admins.js";
import {
  createEnrollmentToken,
  startDevice,
  waitForBatch,
  waitForCommand,
  waitUntil,
} from "../helpers/devices.js";
import { newPostgresDatabase } from "../helpers/stores.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const CLI = fileURLToPath(new URL("../../server/admin-cli.ts", import.meta.url));
const PG_BIN = process.env.PMDM_TEST_PG_BIN ?? DEFAULT_PG_BIN;
const run = promisify(execFile);

/** Given in the target's URL; the test cluster trusts 127.0.0.1, so any password connects. */
const PASSWORD = "pw-never-shown-7341";

let work = "";
let dataDir = "";
let ports = { httpPort: 0, mqttPort: 0 };
let server: TestServer | undefined;
const devices: (SimulatedDevice & { deviceId: string })[] = [];
const databases: { url: string; drop(): Promise<void> }[] = [];
/** What the SQLite server issued: every device's commands, newest seq last. */
const issued: CommandView[] = [];
let createdAdminEmail = "";

function admin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", CLI, "--data-dir", dataDir, ...args],
      { env: { ...process.env, PMDM_DATABASE_URL: "" } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function freshDatabase(): Promise<string> {
  const database = await newPostgresDatabase();
  databases.push(database);
  return database.url;
}

function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = PASSWORD;
  return parsed.toString();
}

/** Rows of every table of the store. */
async function countsOf(store: Store): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES_IN_COPY_ORDER) {
    const row = await store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/** The SQLite store's row counts and its audit rows' ids. */
async function readSqlite(): Promise<{ counts: Record<string, number>; auditIds: string[] }> {
  const store = await openSqliteStore(join(dataDir, DATABASE_FILE));
  try {
    const audit = await store.db.selectFrom("audit_log").select("seq").execute();
    return { counts: await countsOf(store), auditIds: audit.map((row) => String(row.seq)) };
  } finally {
    await store.close();
  }
}

async function postgresCounts(url: string): Promise<Record<string, number>> {
  const store = await openPostgresStore({ url, poolSize: 1 });
  try {
    return await countsOf(store);
  } finally {
    await store.close();
  }
}

/** The audit rows' ids, all pages. */
async function auditIds(t: TestServer): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${cursor}` : "";
    const page = await t.api.get<{ items: AuditItem[]; nextCursor: string | null }>(
      `/audit?limit=500${query}`,
    );
    ids.push(...page.body.items.map((item) => item.id));
    cursor = page.body.nextCursor;
  } while (cursor);
  return ids;
}

const sha256 = async (file: string) =>
  createHash("sha256")
    .update(await readFile(file))
    .digest("hex");

/** Starts a server on the data dir, on the ports the agents know, with this store. */
async function startOn(databaseUrl: string): Promise<TestServer> {
  server = await startTestServer({ ...ports, databaseUrl }, dataDir);
  const t = server;
  for (const device of devices) {
    await waitUntil(t, () => t.server.gateway.isOnline(device.deviceId), "agent back online", 30_000);
  }
  return t;
}

async function stopServer(): Promise<void> {
  await server?.stop();
  server = undefined;
}

async function setTimeZone(t: TestServer, timezone: string): Promise<void> {
  const res = await t.api.put("/settings/time", { timezone, ntpServer: null });
  expect(res.status).toBe(200);
  for (const device of devices) {
    await waitUntil(t, () => device.platform.timezone === timezone, `agent applies ${timezone}`, 30_000);
  }
}

describe("npm run admin -- migrate-store", () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "pmdm-migrate-"));
    server = await startTestServer();
    const t = server;
    dataDir = t.dataDir;
    ports = { httpPort: t.server.httpPort, mqttPort: t.server.mqttPort };
    const token = await createEnrollmentToken(t, 3);
    for (let i = 0; i < 3; i++) devices.push(await startDevice(t, { enrollmentToken: token }));
    for (const device of devices) {
      for (const body of [{ type: "rename", name: `Room ${device.serial}` }, { type: "lock" }]) {
        const command = await t.api.post<CommandView>(`/devices/${device.deviceId}/commands`, body);
        issued.push(await waitForCommand(t, command.body.id));
      }
    }
    const fleet = await t.api.post<BatchView>("/batches", {
      target: { all: true },
      command: { type: "refresh_state" },
    });
    expect((await waitForBatch(t, fleet.body.id)).counts.succeeded).toBe(3);
    await setTimeZone(t, "Europe/Berlin");
    const created = await createAdmin(t, { rights: ["devices:read", "audit:read"] });
    createdAdminEmail = created.email;
    // A failed sign-in is an audit row too.
    const wrong = await t.api
      .withToken(null)
      .post("/auth/login", { email: created.email, password: "wrong" });
    expect(wrong.status).toBe(401);
    expect(issued.every((c) => c.state === "succeeded")).toBe(true);
    expect(Math.max(...issued.map((c) => c.seq))).toBeGreaterThan(1);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.stop({ abrupt: true })));
    await server?.cleanup();
    for (const database of databases) await database.drop().catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses while a server runs on the data dir, and writes nothing to the target", async () => {
    const target = await freshDatabase();
    const refused = await admin(["migrate-store", "--to", target]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/a server \(pid \d+\) is running on .*; stop it before migrating/);
    expect(await readDatabaseContents(target)).toMatchObject({ schemaVersion: null, otherTables: [] });
    const notPostgres = await admin(["migrate-store", "--to", "mysql://root:hunter2@db/pmdm"]);
    expect(notPostgres.code).not.toBe(0);
    expect(notPostgres.stderr).toContain("must be a PostgreSQL URL");
    expect(notPostgres.stderr).not.toContain("hunter2");
  });

  it("refuses a database holding tables of something else, and leaves it as it was", async () => {
    await stopServer();
    const other = await freshDatabase();
    const client = new pg.Client({ connectionString: other });
    await client.connect();
    await client.query("CREATE TABLE orders (id integer PRIMARY KEY)");
    await client.end();
    const refused = await admin(["migrate-store", "--to", other]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      "is not empty: it holds tables that are not portal-mdm's: public.orders",
    );
    expect(await readDatabaseContents(other)).toMatchObject({
      schemaVersion: null,
      otherTables: ["public.orders"],
    });
  });

  let migratedUrl = "";

  it("moves the store into PostgreSQL, and the same agents keep working on a server there", async () => {
    const sqliteFile = join(dataDir, DATABASE_FILE);
    const { counts: before, auditIds: auditBefore } = await readSqlite();
    expect(before.state_history).toBeGreaterThan(0);
    expect(before.audit_log).toBeGreaterThan(10);
    const fileBefore = await sha256(sqliteFile);
    migratedUrl = await freshDatabase();

    const migrated = await admin(["migrate-store", "--to", withPassword(migratedUrl)]);
    expect(migrated.stderr).not.toContain("failed");
    expect(migrated.code).toBe(0);
    // Progress: a line per table (stderr is no terminal here), rows copied of the total.
    for (const table of TABLES_IN_COPY_ORDER) {
      expect(migrated.stderr).toContain(`${table}: ${before[table]} / ${before[table]} rows`);
    }
    // The verified counts as printed, against what each store holds.
    const after = await postgresCounts(migratedUrl);
    for (const table of TABLES_IN_COPY_ORDER) {
      const printed = new RegExp(`^ +${table} +(\\d+) +(\\d+)$`, "m").exec(migrated.stdout);
      expect(printed, `${table} in the counts`).not.toBeNull();
      expect(Number(printed![1]), table).toBe(before[table]);
      expect(Number(printed![2]), table).toBe(after[table]);
    }
    expect(after).toEqual(before);
    // What to do next, the password never shown.
    expect(migrated.stdout).toContain(`PMDM_DATABASE_URL='${new URL(migratedUrl).protocol}//postgres:***@`);
    expect(migrated.stdout).toContain(`--data-dir ${dataDir}`);
    expect(migrated.stdout).toContain("the command-signing keys went with the store");
    expect(migrated.stdout + migrated.stderr).not.toContain(PASSWORD);
    // The SQLite file is left as it was, a fallback.
    expect(await sha256(sqliteFile)).toBe(fileBefore);

    // Again into the same database: refused, naming what is there, and nothing changes.
    const again = await admin(["migrate-store", "--to", withPassword(migratedUrl)]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(
      /is not empty: it already holds a portal-mdm store with devices \(3 rows\), .*audit_log \(\d+ rows\)/,
    );
    expect(again.stderr).not.toContain(PASSWORD);
    expect(await postgresCounts(migratedUrl)).toEqual(after);

    // The data dir's server on PostgreSQL: the same agents, credentials and history.
    const t = await startOn(migratedUrl);
    expect(t.server.store.dialect).toBe("postgres");
    expect(auditBefore.length).toBe(before.audit_log);
    expect(await auditIds(t)).toEqual(expect.arrayContaining(auditBefore));
    for (const command of issued) {
      const copy = await t.api.get<CommandView>(`/commands/${command.id}`);
      expect(copy.body).toMatchObject({ id: command.id, state: "succeeded", seq: command.seq });
    }
    for (const device of devices) {
      const history = await t.api.get<{ items: CommandView[] }>(
        `/devices/${device.deviceId}/commands?limit=50`,
      );
      // Its rename and lock, and the fleet command's refresh.
      expect(history.body.items.length).toBe(3);
      const lastSeq = Math.max(...history.body.items.map((c) => c.seq));
      const reboot = await t.api.post<CommandView>(`/devices/${device.deviceId}/commands`, {
        type: "reboot",
      });
      expect(reboot.body.seq).toBeGreaterThan(lastSeq);
      expect((await waitForCommand(t, reboot.body.id, undefined, 30_000)).state).toBe("succeeded");
    }
    const fleet = await t.api.post<BatchView>("/batches", {
      target: { all: true },
      command: { type: "refresh_state" },
    });
    expect((await waitForBatch(t, fleet.body.id)).counts.succeeded).toBe(3);
    const signedIn = await login(t, createdAdminEmail, TEST_PASSWORD);
    expect((await signedIn.api.get<{ total: number }>("/devices")).body.total).toBe(3);
  }, 180_000);

  it("restores a pg_dump into an empty database; after-restore lets the agents go on", async () => {
    expect(migratedUrl).not.toBe("");
    const dump = join(work, "pmdm.dump");
    await run(join(PG_BIN, "pg_dump"), ["--format=custom", "--file", dump, "--dbname", migratedUrl]);

    // After the dump, the agents run a command and apply new settings: the restored database
    // knows neither, and they must not make the agents refuse what comes next.
    let t = server!;
    const afterDump: CommandView[] = [];
    for (const device of devices) {
      const lock = await t.api.post<CommandView>(`/devices/${device.deviceId}/commands`, { type: "lock" });
      afterDump.push(await waitForCommand(t, lock.body.id, undefined, 30_000));
    }
    expect(afterDump.every((c) => c.state === "succeeded")).toBe(true);
    await setTimeZone(t, "Asia/Tokyo");
    await stopServer();

    const restoredUrl = await freshDatabase();
    const notYet = await admin(["after-restore", "--database-url", restoredUrl]);
    expect(notYet.code).not.toBe(0);
    expect(notYet.stderr).toContain("holds no portal-mdm store; restore the dump into it first");
    await run(join(PG_BIN, "pg_restore"), [
      "--no-owner",
      "--exit-on-error",
      "--single-transaction",
      "--dbname",
      restoredUrl,
      dump,
    ]);

    // Not while anyone else is connected to it (a server already running there).
    const other = new pg.Client({ connectionString: restoredUrl });
    await other.connect();
    const busy = await admin(["after-restore", "--database-url", withPassword(restoredUrl)]);
    await other.end();
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toMatch(/1 other session\(s\) are connected to .*; stop every server on it/);
    expect(busy.stderr).not.toContain(PASSWORD);

    const done = await admin(["after-restore", "--database-url", withPassword(restoredUrl)]);
    expect(done.stderr).toBe("");
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`of 3 device(s) by ${RESTORE_SEQ_GAP}`);
    expect(done.stdout).not.toContain(PASSWORD);

    t = await startOn(restoredUrl);
    // The agents applied a config version after the dump's; a new setting still reaches them.
    await setTimeZone(t, "America/New_York");
    for (const command of afterDump) {
      expect((await t.api.get(`/commands/${command.id}`)).status).toBe(404);
    }
    for (const device of devices) {
      const rename = await t.api.post<CommandView>(`/devices/${device.deviceId}/commands`, {
        type: "rename",
        name: `Restored ${device.serial}`,
      });
      expect(rename.body.seq).toBeGreaterThan(RESTORE_SEQ_GAP);
      expect((await waitForCommand(t, rename.body.id, undefined, 30_000)).state).toBe("succeeded");
      expect(device.platform.name).toBe(`Restored ${device.serial}`);
    }
  }, 180_000);
});
