/**
 * Checks that a command (or a key set) was signed by a server key the device has pinned. The
 * public key objects are cached by key: a simulated fleet shares one verifier per process, so
 * twenty thousand devices that pin the same two keys hold two key objects, not forty thousand.
 */
import { type KeyObject, verify } from "node:crypto";
import { ED25519_SIGNATURE_BYTES, publicKeyFromRaw } from "../../proto/ed25519.js";
import { DEVICE_RESULT_CODE, type SignatureRefusalCode } from "../../proto/result-codes.js";
import type { PinnedKeys } from "../storage/agent-storage.js";

export type SignatureRejectionCode = SignatureRefusalCode;

export interface SignatureRejection {
  errorCode: SignatureRejectionCode;
  message: string;
}

/** Bytes as they arrived, with the signature and key id that came with them. */
export interface SignedBytes {
  bytes: Uint8Array;
  signature: Uint8Array;
  keyId: string;
}

export class SignatureVerifier {
  /** By base64 public key. */
  private readonly keyObjects = new Map<string, KeyObject>();

  /** Null when `signed` carries a valid signature by one of `pinned`'s keys. */
  check(signed: SignedBytes, pinned: PinnedKeys | undefined): SignatureRejection | null {
    if (signed.signature.length === 0) {
      return { errorCode: DEVICE_RESULT_CODE.unsigned, message: "the command carries no signature" };
    }
    const key = pinned?.keys.find((k) => k.keyId === signed.keyId);
    if (!key) {
      return {
        errorCode: DEVICE_RESULT_CODE.unknown_key,
        message: pinned
          ? `signed with key '${signed.keyId}', which this device does not trust`
          : "this device has no server key pinned yet",
      };
    }
    if (signed.signature.length !== ED25519_SIGNATURE_BYTES || !this.verifies(signed, key.publicKey)) {
      return {
        errorCode: DEVICE_RESULT_CODE.bad_signature,
        message: `the signature by key '${signed.keyId}' does not match`,
      };
    }
    return null;
  }

  private verifies(signed: SignedBytes, publicKeyBase64: string): boolean {
    let keyObject = this.keyObjects.get(publicKeyBase64);
    if (!keyObject) {
      try {
        keyObject = publicKeyFromRaw(Buffer.from(publicKeyBase64, "base64"));
      } catch {
        return false;
      }
      this.keyObjects.set(publicKeyBase64, keyObject);
    }
    return verify(null, signed.bytes, keyObject, signed.signature);
  }
}
