/**
 * Ed25519 keys as the wire contract carries them: a raw 32-byte public key, named by a key id
 * derived from it. Shared by the server (which signs) and the agent (which verifies).
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** `ed25519:` and the first 16 hex digits of the key's SHA-256: short, stable, never secret. */
export function keyIdOf(rawPublicKey: Uint8Array): string {
  return `ed25519:${createHash("sha256").update(rawPublicKey).digest("hex").slice(0, 16)}`;
}

/** The raw 32 bytes of an Ed25519 public (or private) key object. */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || typeof jwk.x !== "string") throw new Error("not an Ed25519 key");
  return new Uint8Array(Buffer.from(jwk.x, "base64url"));
}

/** Throws when `raw` is not a 32-byte Ed25519 public key. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new Error(`an Ed25519 public key has ${ED25519_PUBLIC_KEY_BYTES} bytes, got ${raw.length}`);
  }
  return createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") },
    format: "jwk",
  });
}
