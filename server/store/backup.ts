/**
 * Backup and restore of a server's data dir (SQLite only). The database is copied with SQLite's
 * online backup API on the store's own connection class (`Database.backupTo`: one step, inside
 * one read transaction: a consistent snapshot, while the server keeps writing in WAL mode),
 * checked with `PRAGMA integrity_check`, and the data dir's other
 * files (admin token, keys) are copied next to it with a manifest. A restore refuses to run
 * while a server holds the target data dir, and never lets a stale WAL meet the restored file.
 */
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Database, type OpenOptions } from "./database.js";
import { createPrivateFile, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, restrictToOwner } from "./private-files.js";

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
 * Added to every device's next command seq and desired config version on restore. The devices
 * may have run commands and applied configs issued after the backup was taken; a device refuses
 * a seq that does not go forward and ignores a config version it has passed. Gaps are harmless.
 */
export const RESTORE_SEQ_GAP = 1_000_000;

export class BackupError extends Error {
  override name = "BackupError";
}

/** Runs `use` on the database in `file`, opened as the store opens it, and closes it. */
async function withDatabase<T>(
  file: string,
  options: OpenOptions,
  use: (database: Database) => Promise<T>,
): Promise<T> {
  const database = await Database.open(file, options);
  try {
    return await use(database);
  } finally {
    await database.close();
  }
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
  // The store's own connection to the file, not migrated: a backup copies the schema it finds.
  await withDatabase(source, {}, (database) => database.backupTo(target));
  // The copy carries the source's WAL mode; a rollback journal keeps the backup one
  // self-contained file (a server switches it back to WAL when it opens it).
  await withDatabase(target, {}, (copy) => copy.exec("PRAGMA journal_mode = DELETE"));
}

/** Checks the file and counts what it holds; throws BackupError when it is damaged. */
async function inspect(file: string): Promise<BackupManifest["counts"]> {
  return withDatabase(file, { readOnly: true }, async (db) => {
    const check = await db.get<{ integrity_check: string }>("PRAGMA integrity_check");
    if (check?.integrity_check !== "ok") {
      throw new BackupError(`${file} fails SQLite's integrity check: ${check?.integrity_check}`);
    }
    const count = async (table: string) =>
      (await db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n ?? 0;
    return {
      devices: await count("devices"),
      commands: await count("commands"),
      admins: await count("admins"),
    };
  });
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
  // A backup written by an earlier version may be readable by all; the store's open makes the
  // copy owner-only. The restore runs on the staged copy before any server can open it, so
  // it changes the devices' rows here rather than through their repository.
  await withDatabase(staged, {}, (db) =>
    db.write((tx) =>
      tx.run(
        `UPDATE devices SET next_seq = next_seq + ${RESTORE_SEQ_GAP}, desired_version = desired_version + ${RESTORE_SEQ_GAP}`,
      ),
    ),
  );
  await rename(staged, target);
  for (const name of manifest.files) {
    await copyFile(join(backupDir, name), join(dataDir, name));
    await restrictToOwner(join(dataDir, name));
  }
  return manifest;
}
