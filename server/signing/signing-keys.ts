/**
 * The server's command-signing key ring, kept in the data dir as `signing-keys.json` (owner
 * read/write only). Two Ed25519 keys: the active one signs every command; the next one is
 * already pinned by every device, so that a rotation (next becomes active, a new next is made)
 * never leaves a device unable to verify. Created at the first start of a data dir.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { join } from "node:path";
import { readJsonFile, writeFileAtomic } from "../../agent/storage/atomic-file.js";
import { keyIdOf, rawPublicKey } from "../../proto/ed25519.js";

export const SIGNING_KEYS_FILE = "signing-keys.json";

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  /** Raw 32 bytes. */
  publicKey: Uint8Array;
  createdAtMs: number;
}

export interface SigningKeyRing {
  /** Starts at 1 and grows by one with every rotation. */
  version: number;
  active: SigningKey;
  next: SigningKey;
}

interface StoredKey {
  keyId: string;
  /** PKCS#8 PEM. */
  privateKey: string;
  createdAt: string;
}

interface StoredKeyRing {
  version: number;
  active: StoredKey;
  next: StoredKey;
}

export class SigningKeyFileError extends Error {
  override name = "SigningKeyFileError";
}

export function signingKeysFile(dataDir: string): string {
  return join(dataDir, SIGNING_KEYS_FILE);
}

function newKey(nowMs: number): SigningKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return { keyId: keyIdOf(publicKey), privateKey, publicKey, createdAtMs: nowMs };
}

function toStored(key: SigningKey): StoredKey {
  return {
    keyId: key.keyId,
    privateKey: key.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    createdAt: new Date(key.createdAtMs).toISOString(),
  };
}

function fromStored(stored: StoredKey, file: string, role: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(stored.privateKey);
  } catch (err) {
    throw new SigningKeyFileError(`${file}: the ${role} key is unreadable: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new SigningKeyFileError(`${file}: the ${role} key is not an Ed25519 key`);
  }
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  // The id is derived, never trusted from the file: a hand-edited id cannot misname a key.
  const keyId = keyIdOf(publicKey);
  if (stored.keyId !== keyId) {
    throw new SigningKeyFileError(`${file}: the ${role} key's id is ${keyId}, the file says ${stored.keyId}`);
  }
  return { keyId, privateKey, publicKey, createdAtMs: Date.parse(stored.createdAt) || 0 };
}

async function save(file: string, ring: SigningKeyRing): Promise<void> {
  const stored: StoredKeyRing = {
    version: ring.version,
    active: toStored(ring.active),
    next: toStored(ring.next),
  };
  await writeFileAtomic(file, `${JSON.stringify(stored, null, 2)}\n`);
}

async function load(file: string): Promise<SigningKeyRing | null> {
  const stored = await readJsonFile<StoredKeyRing>(file);
  if (!stored) return null;
  if (!Number.isInteger(stored.version) || stored.version < 1 || !stored.active || !stored.next) {
    throw new SigningKeyFileError(`${file}: expected {version, active, next}`);
  }
  return {
    version: stored.version,
    active: fromStored(stored.active, file, "active"),
    next: fromStored(stored.next, file, "next"),
  };
}

/** The data dir's key ring, or null before the first start. */
export function readSigningKeys(dataDir: string): Promise<SigningKeyRing | null> {
  return load(signingKeysFile(dataDir));
}

/** The data dir's key ring; the first start of a data dir creates it. */
export async function loadOrCreateSigningKeys(
  dataDir: string,
  clock: () => number = Date.now,
): Promise<SigningKeyRing> {
  const file = signingKeysFile(dataDir);
  const existing = await load(file);
  if (existing) return existing;
  const ring: SigningKeyRing = { version: 1, active: newKey(clock()), next: newKey(clock()) };
  await save(file, ring);
  return ring;
}

/**
 * Rotates the data dir's key ring: the next key becomes active and a new next key is made.
 * A running server keeps its keys until it restarts. Throws when there is no key ring yet.
 */
export async function rotateSigningKeys(
  dataDir: string,
  clock: () => number = Date.now,
): Promise<SigningKeyRing> {
  const file = signingKeysFile(dataDir);
  const current = await load(file);
  if (!current) throw new SigningKeyFileError(`${file} does not exist; start the server once to create it`);
  const rotated: SigningKeyRing = {
    version: current.version + 1,
    active: current.next,
    next: newKey(clock()),
  };
  await save(file, rotated);
  return rotated;
}
