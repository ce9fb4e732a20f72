/**
 * The server's command-signing key ring: two Ed25519 keys. The active one signs every command;
 * the next one is already pinned by every device, so that a rotation (next becomes active, a
 * new next is made) never leaves a device unable to verify.
 *
 * The ring lives in the store (./stored-key-ring.ts), shared by every node; a data dir from
 * before kept it in `signing-keys.json` (./key-ring-file.ts). Both hold the same stored shape,
 * written and read here: the version and each key's id, PKCS#8 PEM private key and creation
 * time.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { keyIdOf, rawPublicKey } from "../../proto/ed25519.js";

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

/** A key ring that cannot be read or used; the message names where it came from. */
export class SigningKeyRingError extends Error {
  override name = "SigningKeyRingError";
}

function newKey(nowMs: number): SigningKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return { keyId: keyIdOf(publicKey), privateKey, publicKey, createdAtMs: nowMs };
}

/** A first ring, version 1: what a store that has none starts with. */
export function newSigningKeyRing(clock: () => number = Date.now): SigningKeyRing {
  return { version: 1, active: newKey(clock()), next: newKey(clock()) };
}

/** The ring after one rotation: the next key becomes active and a new next key is made. */
export function rotatedSigningKeyRing(
  current: SigningKeyRing,
  clock: () => number = Date.now,
): SigningKeyRing {
  return { version: current.version + 1, active: current.next, next: newKey(clock()) };
}

/** Whether two rings hold the same keys at the same version. */
export function sameSigningKeyRing(a: SigningKeyRing, b: SigningKeyRing): boolean {
  return a.version === b.version && a.active.keyId === b.active.keyId && a.next.keyId === b.next.keyId;
}

function toStored(key: SigningKey): StoredKey {
  return {
    keyId: key.keyId,
    privateKey: key.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    createdAt: new Date(key.createdAtMs).toISOString(),
  };
}

function fromStored(stored: unknown, where: string, role: string): SigningKey {
  const key = stored as Partial<StoredKey> | null;
  if (!key || typeof key !== "object" || typeof key.privateKey !== "string") {
    throw new SigningKeyRingError(`${where}: the ${role} key is missing or has no privateKey`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key.privateKey);
  } catch (err) {
    throw new SigningKeyRingError(`${where}: the ${role} key is unreadable: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new SigningKeyRingError(`${where}: the ${role} key is not an Ed25519 key`);
  }
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  // The id is derived, never trusted from what was stored: a hand-edited id cannot misname a key.
  const keyId = keyIdOf(publicKey);
  if (key.keyId !== keyId) {
    throw new SigningKeyRingError(`${where}: the ${role} key's id is ${keyId}, the ring says ${key.keyId}`);
  }
  return { keyId, privateKey, publicKey, createdAtMs: Date.parse(key.createdAt ?? "") || 0 };
}

/** The ring in its stored shape (`signing-keys.json` as it always was; `ring_json` in the store). */
export function encodeSigningKeyRing(ring: SigningKeyRing): string {
  const stored: StoredKeyRing = {
    version: ring.version,
    active: toStored(ring.active),
    next: toStored(ring.next),
  };
  return `${JSON.stringify(stored, null, 2)}\n`;
}

/** Reads a ring of the stored shape; `where` names its source in the error when it is unusable. */
export function decodeSigningKeyRing(stored: unknown, where: string): SigningKeyRing {
  const ring = stored as Partial<StoredKeyRing> | null;
  if (
    !ring ||
    typeof ring !== "object" ||
    !Number.isInteger(ring.version) ||
    (ring.version ?? 0) < 1 ||
    !ring.active ||
    !ring.next
  ) {
    throw new SigningKeyRingError(`${where}: expected {version, active, next}`);
  }
  return {
    version: ring.version as number,
    active: fromStored(ring.active, where, "active"),
    next: fromStored(ring.next, where, "next"),
  };
}

/** {@link decodeSigningKeyRing} of JSON text. */
export function parseSigningKeyRing(json: string, where: string): SigningKeyRing {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new SigningKeyRingError(`${where}: not valid JSON: ${(err as Error).message}`);
  }
  return decodeSigningKeyRing(parsed, where);
}
