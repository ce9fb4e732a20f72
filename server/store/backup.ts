/**
 * Backup and restore of a server's data dir. The SQLite database is copied with SQLite's online
 * backup API (one step, inside one read transaction: a consistent snapshot, while the server
 * keeps writing in WAL mode), checked with `PRAGMA integrity_check`, and the data dir's other
 * files (admin token, keys) are copied next to it with a manifest. A restore refuses to run
 * while a server holds the target data dir, and never lets a stale WAL meet the restored file.
 */
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import sqlite3 from "sqlite3";
import {
  createPrivateFile,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  privateDatabaseFiles,
  restrictToOwner,
} from "./private-files.js";

/** The server writes its pid here while it runs on a data dir, and removes it when it stops. */
export const SERVER_PID_FILE = "server.pid";
export const BACKUP_MANIFEST = "backup.json";

export interface BackupManifest {
  createdAt: string;
  database: string;
  /** The data dir's other files, copied as they were. */
  files: string[];
  counts: { devices: number; commands: number; admins: number };
}

/**
 * Added to every device's next command seq on restore. A device refuses a seq that does not go
 * forward, and it may have run commands issued after the backup was taken; gaps are harmless.
 */
export const RESTORE_SEQ_GAP = 1_000_000;

export class BackupError extends Error {
  override name = "BackupError";
}

/** The backup handle of node-sqlite3 (its typings leave it out). */
interface SqliteBackup {
  step(pages: number, callback: (err: Error | null) => void): void;
  finish(callback?: (err: Error | null) => void): void;
  readonly completed: boolean;
  readonly failed: boolean;
}

type BackupCapable = sqlite3.Database & {
  backup(file: string, callback: (err: Error | null) => void): SqliteBackup;
};

function open(file: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((resolveOpen, reject) => {
    const db = new sqlite3.Database(file, mode, (err) => (err ? reject(err) : resolveOpen(db)));
  });
}

function get<T>(db: sqlite3.Database, sql: string): Promise<T> {
  return new Promise((resolveGet, reject) =>
    db.get(sql, (err, row) => (err ? reject(err) : resolveGet(row as T))),
  );
}

function run(db: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolveRun, reject) => db.run(sql, (err) => (err ? reject(err) : resolveRun())));
}

function close(db: sqlite3.Database): Promise<void> {
  return new Promise((resolveClose, reject) => db.close((err) => (err ? reject(err) : resolveClose())));
}

/** Files of a data dir that belong to SQLite or to the running server, not to a backup. */
function isLiveFile(name: string, databaseFile: string): boolean {
  return (
    name === databaseFile ||
    name.startsWith(`${databaseFile}-`) ||
    name === SERVER_PID_FILE ||
    name.endsWith(".tmp")
  );
}

/** Copies the database online from `source` into the new file `target`, owner-only. */
async function onlineBackup(source: string, target: string): Promise<void> {
  // SQLite would create the copy with the umask's mode (0644, readable by all); an empty file
  // is an empty database to it, and its journal takes the file's mode.
  await createPrivateFile(target);
  const db = (await open(source, sqlite3.OPEN_READWRITE)) as BackupCapable;
  try {
    await new Promise<void>((resolveBackup, reject) => {
      const backup = db.backup(target, (initErr) => {
        if (initErr) return reject(initErr);
        // -1: every page in one step, so the copy is one consistent snapshot.
        backup.step(-1, (stepErr) => {
          backup.finish();
          if (stepErr) reject(stepErr);
          else if (!backup.completed) reject(new BackupError("the backup did not complete"));
          else resolveBackup();
        });
      });
    });
  } finally {
    await close(db);
  }
  // The copy carries the source's WAL mode; a rollback journal keeps the backup one
  // self-contained file (a server switches it back to WAL when it opens it).
  const copy = await open(target, sqlite3.OPEN_READWRITE);
  try {
    await run(copy, "PRAGMA journal_mode = DELETE");
  } finally {
    await close(copy);
  }
}

/** Checks the file and counts what it holds; throws BackupError when it is damaged. */
async function inspect(file: string): Promise<BackupManifest["counts"]> {
  const db = await open(file, sqlite3.OPEN_READONLY);
  try {
    const check = await get<{ integrity_check: string }>(db, "PRAGMA integrity_check");
    if (check.integrity_check !== "ok") {
      throw new BackupError(`${file} fails SQLite's integrity check: ${check.integrity_check}`);
    }
    const count = async (table: string) =>
      (await get<{ n: number }>(db, `SELECT count(*) AS n FROM ${table}`)).n;
    return {
      devices: await count("devices"),
      commands: await count("commands"),
      admins: await count("admins"),
    };
  } finally {
    await close(db);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The pid of a live server on `dataDir`, or null. A pid file left by a killed server is stale. */
export async function runningServerPid(dataDir: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(join(dataDir, SERVER_PID_FILE), "utf8");
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM" ? pid : null;
  }
}

/** Backs up `dataDir` into the new directory `backupDir`; the server may be running. */
export async function backupDataDir(
  dataDir: string,
  backupDir: string,
  databaseFile: string,
): Promise<BackupManifest> {
  const source = join(resolve(dataDir), databaseFile);
  if (!(await exists(source))) throw new BackupError(`no database at ${source}`);
  if ((await exists(backupDir)) && (await readdir(backupDir)).length > 0) {
    throw new BackupError(`${backupDir} is not empty; a backup goes into a new directory`);
  }
  await mkdir(backupDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await onlineBackup(source, join(backupDir, databaseFile));
  const counts = await inspect(join(backupDir, databaseFile));
  const files: string[] = [];
  for (const entry of await readdir(dataDir, { withFileTypes: true })) {
    if (!entry.isFile() || isLiveFile(entry.name, databaseFile)) continue;
    await copyFile(join(dataDir, entry.name), join(backupDir, entry.name));
    // A copy keeps its source's mode; whatever a data dir holds is private in a backup.
    await restrictToOwner(join(backupDir, entry.name));
    files.push(entry.name);
  }
  const manifest: BackupManifest = {
    createdAt: new Date().toISOString(),
    database: databaseFile,
    files,
    counts,
  };
  await writeFile(join(backupDir, BACKUP_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, {
    mode: PRIVATE_FILE_MODE,
  });
  return manifest;
}

/**
 * Restores `backupDir` into `dataDir`. Refuses while a server runs on `dataDir`, and replaces an
 * existing database only with `force`.
 */
export async function restoreDataDir(
  backupDir: string,
  dataDir: string,
  options: { force?: boolean } = {},
): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(join(backupDir, BACKUP_MANIFEST), "utf8")) as BackupManifest;
  } catch {
    throw new BackupError(`${backupDir} is not a backup (no readable ${BACKUP_MANIFEST})`);
  }
  const backupFile = join(backupDir, manifest.database);
  await inspect(backupFile);
  const pid = await runningServerPid(dataDir);
  if (pid !== null) {
    throw new BackupError(
      `a server (pid ${pid}) is running on ${dataDir}; stop it before restoring ` +
        `(if none is, remove ${join(dataDir, SERVER_PID_FILE)})`,
    );
  }
  const target = join(resolve(dataDir), manifest.database);
  if ((await exists(target)) && !options.force) {
    throw new BackupError(`${dataDir} already holds a database; --force replaces it`);
  }
  await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // The old database's WAL and shared memory must not be applied to the restored file.
  await rm(`${target}-wal`, { force: true });
  await rm(`${target}-shm`, { force: true });
  const staged = `${target}.restore.tmp`;
  await copyFile(backupFile, staged);
  // A backup written by an earlier version may be readable by all.
  await privateDatabaseFiles(staged);
  const db = await open(staged, sqlite3.OPEN_READWRITE);
  try {
    await run(db, `UPDATE devices SET next_seq = next_seq + ${RESTORE_SEQ_GAP}`);
  } finally {
    await close(db);
  }
  await rename(staged, target);
  for (const name of manifest.files) {
    await copyFile(join(backupDir, name), join(dataDir, name));
    await restrictToOwner(join(dataDir, name));
  }
  return manifest;
}
