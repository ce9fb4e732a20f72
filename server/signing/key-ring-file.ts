/**
 * `signing-keys.json`, where a data dir from before kept the key ring (owner read/write only).
 * Only read now: the first start on the store imports it (./load-signing-keys.ts), and from
 * then on the store's ring is the one in use; the file is left where it was.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseSigningKeyRing, type SigningKeyRing } from "./signing-keys.js";

export const SIGNING_KEYS_FILE = "signing-keys.json";

export function signingKeysFile(dataDir: string): string {
  return join(dataDir, SIGNING_KEYS_FILE);
}

/** The data dir's key ring file, or null when there is none; throws when it is unreadable. */
export async function readSigningKeyFile(dataDir: string): Promise<SigningKeyRing | null> {
  const file = signingKeysFile(dataDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  return parseSigningKeyRing(text, file);
}
