/**
 * Crash-safe small files. A write goes to a temporary file that is fsynced, renamed over the
 * target and followed by an fsync of the directory (the rename itself lives in the directory),
 * so a power cut leaves either the old or the new content, never a mix or nothing.
 */
import { randomBytes } from "node:crypto";
import { open, readdir, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

const TMP_SUFFIX = ".tmp";

/** Owner read/write only: these files hold the device's credential. */
export const PRIVATE_FILE_MODE = 0o600;

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeFileAtomic(file: string, content: string): Promise<void> {
  // A random name, so two writers never share a temporary file.
  const tmp = `${file}.${randomBytes(6).toString("hex")}${TMP_SUFFIX}`;
  const handle = await open(tmp, "wx", PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDirectory(dirname(file));
}

/** Removes a file so that the removal survives a power cut. Missing files are fine. */
export async function removeFileDurably(file: string): Promise<void> {
  await rm(file, { force: true });
  await syncDirectory(dirname(file));
}

/** `null` when the file does not exist; throws, naming the file, when it is not valid JSON. */
export async function readJsonFile<T>(file: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Deletes temporary files that a crash mid-write left behind in `dir`. */
export async function removeStaleTempFiles(dir: string, targets: readonly string[]): Promise<void> {
  const names = await readdir(dir);
  const stale = names.filter(
    (name) => name.endsWith(TMP_SUFFIX) && targets.some((target) => name.startsWith(`${basename(target)}.`)),
  );
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
}
