/**
 * Owner-only files in the data dir and in backups, whatever the umask. SQLite creates a
 * database's `-wal`, `-shm` and `-journal` files with the database file's own mode, so a
 * database file created 0600 before SQLite opens it keeps all of them private; files made by
 * an earlier version, or copied in by hand, are made 0600 when they are opened.
 */
import { chmod, open, stat } from "node:fs/promises";

/** Owner read and write, nothing for group and others. */
export const PRIVATE_FILE_MODE = 0o600;
/** Owner only, for directories the server creates. */
export const PRIVATE_DIR_MODE = 0o700;

/** The files SQLite keeps next to a database. */
const SQLITE_COMPANION_SUFFIXES = ["-wal", "-shm", "-journal"] as const;

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/**
 * Makes an existing file 0600; a missing one is fine. A file of another owner (EPERM) is left
 * as it is: only its owner may change its mode, and the owner's own next open does.
 */
export async function restrictToOwner(file: string): Promise<void> {
  try {
    if (((await stat(file)).mode & 0o777) === PRIVATE_FILE_MODE) return;
    await chmod(file, PRIVATE_FILE_MODE);
  } catch (err) {
    if (errorCode(err) === "ENOENT" || errorCode(err) === "EPERM") return;
    throw err;
  }
}

/** Creates `file` empty and 0600 if it is missing (never truncating it), else makes it 0600. */
export async function createPrivateFile(file: string): Promise<void> {
  // The umask applies to the creation mode; the chmod below makes it exact.
  const handle = await open(file, "a", PRIVATE_FILE_MODE);
  await handle.close();
  await restrictToOwner(file);
}

/** Before SQLite opens `databaseFile`: the file and its companions exist 0600, or not at all. */
export async function privateDatabaseFiles(databaseFile: string): Promise<void> {
  await createPrivateFile(databaseFile);
  for (const suffix of SQLITE_COMPANION_SUFFIXES) await restrictToOwner(`${databaseFile}${suffix}`);
}
