/**
 * The data dir holds password hashes, emails, the audit log and the command-signing keys (all in
 * the database) and the admin token: every file the server writes there is owner-only (0600) whatever the umask, the SQLite
 * WAL and shared memory included, and a database file left readable by others is made
 * owner-only when it is opened. A backup is as private: its directory 0700, its files 0600, and
 * so is what a restore writes.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_FILE } from "../../server/server.js";
import { restoreDataDir } from "../../server/store/backup.js";
import { Database } from "../../server/store/database.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const CLI = fileURLToPath(new URL("../../server/admin-cli.ts", import.meta.url));

let previousUmask = 0;
let work = "";
const started: TestServer[] = [];

beforeAll(async () => {
  // The usual umask, which leaves new files readable by everyone (0644).
  previousUmask = process.umask(0o022);
  work = await mkdtemp(join(tmpdir(), "pmdm-perms-"));
});
afterAll(async () => {
  for (const t of started) await t.stop();
  process.umask(previousUmask);
  if (work) await rm(work, { recursive: true, force: true });
});

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** Every file in `dir` with its mode, as `name: 0oNNN` strings, for readable failures. */
async function modes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort())
    out[name] = `0o${(await modeOf(join(dir, name))).toString(8)}`;
  return out;
}

/** A data dir made beforehand the usual way (`mkdir data`): 0755. */
async function existingDataDir(name: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir);
  expect(await modeOf(dir)).toBe(0o755);
  return dir;
}

async function start(dataDir: string): Promise<TestServer> {
  const t = await startTestServer({}, dataDir);
  started.push(t);
  return t;
}

/** Writes through the API: an admin (a password hash and an email) and an audit row. */
async function writeSomething(t: TestServer, email: string): Promise<void> {
  const created = await t.api.post("/admins", {
    email,
    name: "Perm Tester",
    roleId: "system_admin",
    password: "olive Tractor 81 lantern",
  });
  expect(created.status).toBe(201);
}

function admin(dataDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", CLI, "--data-dir", dataDir, ...args],
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("data dir permissions, umask 022", () => {
  it("makes every file of a pre-existing data dir owner-only: database, WAL, shared memory, token", async () => {
    const dataDir = await existingDataDir("existing");
    const t = await start(dataDir);
    await writeSomething(t, "perm-one@example.com");
    const files = await modes(dataDir);
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        DATABASE_FILE,
        `${DATABASE_FILE}-wal`,
        `${DATABASE_FILE}-shm`,
        "admin-token",
        "server.pid",
      ]),
    );
    expect(files).toEqual(Object.fromEntries(Object.keys(files).map((name) => [name, "0o600"])));
    await t.stop();
  });

  it("makes a database left readable by others owner-only at start, with its WAL and shared memory", async () => {
    const dataDir = await existingDataDir("loosened");
    const first = await start(dataDir);
    await writeSomething(first, "perm-two@example.com");
    await first.stop();
    await chmod(join(dataDir, DATABASE_FILE), 0o644);

    const second = await start(dataDir);
    await writeSomething(second, "perm-three@example.com");
    expect(await modeOf(join(dataDir, DATABASE_FILE))).toBe(0o600);
    expect(await modeOf(join(dataDir, `${DATABASE_FILE}-wal`))).toBe(0o600);
    expect(await modeOf(join(dataDir, `${DATABASE_FILE}-shm`))).toBe(0o600);

    // A WAL and shared memory left readable (by a crash under an earlier version, say) are
    // fixed by the next open too, such as `npm run admin` while the server runs.
    for (const suffix of ["", "-wal", "-shm"]) await chmod(join(dataDir, `${DATABASE_FILE}${suffix}`), 0o644);
    const cli = await Database.open(join(dataDir, DATABASE_FILE));
    await cli.close();
    expect(await modes(dataDir)).toMatchObject({
      [DATABASE_FILE]: "0o600",
      [`${DATABASE_FILE}-wal`]: "0o600",
      [`${DATABASE_FILE}-shm`]: "0o600",
    });
    await second.stop();
  });

  it("writes a backup owner-only (directory 0700, files 0600), and so does a restore", async () => {
    const dataDir = await existingDataDir("backed-up");
    const t = await start(dataDir);
    await writeSomething(t, "perm-four@example.com");
    const backupDir = join(work, "backup");
    const backup = await admin(dataDir, ["backup", backupDir]);
    expect(backup.stderr).toBe("");
    expect(backup.code).toBe(0);
    expect(await modeOf(backupDir)).toBe(0o700);
    const backedUp = await modes(backupDir);
    expect(Object.keys(backedUp)).toEqual(
      expect.arrayContaining([DATABASE_FILE, "admin-token", "backup.json"]),
    );
    expect(backedUp).toEqual(Object.fromEntries(Object.keys(backedUp).map((name) => [name, "0o600"])));
    await t.stop();

    const restoredDir = join(work, "restored", "data");
    await restoreDataDir(backupDir, restoredDir);
    expect(await modeOf(restoredDir)).toBe(0o700);
    const restored = await modes(restoredDir);
    expect(Object.keys(restored)).toEqual(expect.arrayContaining([DATABASE_FILE, "admin-token"]));
    expect(restored).toEqual(Object.fromEntries(Object.keys(restored).map((name) => [name, "0o600"])));
  });
});
