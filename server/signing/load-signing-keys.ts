/**
 * Which key ring a server signs with, decided at its start: the store's, so that every node on
 * the store signs with the same keys. A store without one takes the data dir's
 * `signing-keys.json` (a data dir from before the ring moved into the store: the same keys and
 * version, so its devices keep verifying), and a store with neither gets a new ring. When nodes
 * start at once on an empty store, the first ring stored wins and every node reads it back.
 */
import type { Logger } from "../logger.js";
import type { Store } from "../store/store.js";
import { readSigningKeyFile, signingKeysFile } from "./key-ring-file.js";
import { newSigningKeyRing, type SigningKeyRing, sameSigningKeyRing } from "./signing-keys.js";
import { StoredKeyRing } from "./stored-key-ring.js";

export interface LoadSigningKeysOptions {
  store: Store;
  dataDir: string;
  logger: Logger;
  clock?: () => number;
}

const ringFields = (ring: SigningKeyRing) => ({
  signingKeysVersion: ring.version,
  activeKeyId: ring.active.keyId,
  nextKeyId: ring.next.keyId,
});

/**
 * The store's key ring; imported from the data dir's file, or created, when the store has none.
 * Throws when the store's ring (or, when it has none, the file) cannot be read.
 */
export async function loadOrCreateSigningKeys(options: LoadSigningKeysOptions): Promise<SigningKeyRing> {
  const { store, dataDir, logger } = options;
  const clock = options.clock ?? Date.now;
  const keys = new StoredKeyRing(store);
  const stored = await keys.read();
  if (stored) {
    await warnOfAnotherFile(stored, dataDir, logger);
    return stored;
  }
  const imported = await importSigningKeyFile(keys, dataDir, logger, clock);
  if (imported) return imported;
  const created = newSigningKeyRing(clock);
  const ring = await keys.storeFirst(created, clock());
  if (sameSigningKeyRing(ring, created)) {
    logger.info(ringFields(ring), "created the command-signing key ring in the store");
  }
  return ring;
}

/**
 * Stores the data dir's `signing-keys.json` as the store's first ring, when the data dir has
 * one; the ring stored (another process's, if it stored one first), or null without a file.
 * The file is left in place; it is not read again once the store has a ring.
 */
export async function importSigningKeyFile(
  keys: StoredKeyRing,
  dataDir: string,
  logger: Logger,
  clock: () => number = Date.now,
): Promise<SigningKeyRing | null> {
  const fromFile = await readSigningKeyFile(dataDir);
  if (!fromFile) return null;
  const file = signingKeysFile(dataDir);
  const ring = await keys.storeFirst(fromFile, clock());
  if (sameSigningKeyRing(ring, fromFile)) {
    logger.info(
      { file, ...ringFields(ring) },
      `imported the data dir's key ring into the store: the store's ring signs from now on, and ${file} is no longer used (it is left in place)`,
    );
  } else {
    logger.warn(
      { file, ...ringFields(ring), fileKeyIds: [fromFile.active.keyId, fromFile.next.keyId] },
      `another process stored a key ring first; ${file} holds other keys and is not used`,
    );
  }
  return ring;
}

/**
 * A data dir whose file holds keys other than the store's at the same or a later version (a node
 * that ran on a data dir of its own before joining the store): its devices pinned keys that no
 * longer sign. Said at each start, since nothing else would tell. A file the store's ring was
 * imported from (the same ring, or an older version once the ring has rotated) is left unsaid.
 */
async function warnOfAnotherFile(stored: SigningKeyRing, dataDir: string, logger: Logger): Promise<void> {
  const file = signingKeysFile(dataDir);
  let fromFile: SigningKeyRing | null;
  try {
    fromFile = await readSigningKeyFile(dataDir);
  } catch (err) {
    logger.warn({ file, reason: (err as Error).message }, `${file} is unreadable; it is not used either way`);
    return;
  }
  // An older version is what an imported file becomes once the store's ring rotates.
  if (!fromFile || fromFile.version < stored.version || sameSigningKeyRing(fromFile, stored)) return;
  logger.warn(
    { file, ...ringFields(stored), fileKeyIds: [fromFile.active.keyId, fromFile.next.keyId] },
    `${file} holds other keys than the store's key ring, which is the one in use: devices that pinned only the file's keys verify no command until they are enrolled again`,
  );
}
