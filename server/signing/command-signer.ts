/**
 * Signs what the server sends to devices with the key ring's active key: every command's exact
 * bytes, and once per start the key set that devices should trust (sent along with every
 * desired config, so that a device learns the next key before it becomes active).
 */
import { sign } from "node:crypto";
import { encodeSigningKeySet } from "../../proto/codec.js";
import type { SignedKeySet, SigningKeySet } from "../../proto/wire.js";
import type { SigningKeyRing } from "./signing-keys.js";

export interface CommandSignature {
  signature: Uint8Array;
  keyId: string;
}

/** The key set as the enrollment answer carries it (JSON): public keys in base64. */
export interface PublishedKeySet {
  version: number;
  keys: { keyId: string; publicKey: string }[];
}

export class CommandSigner {
  /** Signed once: the same bytes go to every device. */
  readonly signedKeySet: SignedKeySet;
  readonly keySet: SigningKeySet;

  constructor(private readonly ring: SigningKeyRing) {
    this.keySet = {
      version: ring.version,
      keys: [ring.active, ring.next].map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })),
    };
    const keySetBytes = encodeSigningKeySet(this.keySet);
    this.signedKeySet = { keySetBytes, ...this.sign(keySetBytes) };
  }

  get activeKeyId(): string {
    return this.ring.active.keyId;
  }

  sign(bytes: Uint8Array): CommandSignature {
    return { signature: sign(null, bytes, this.ring.active.privateKey), keyId: this.ring.active.keyId };
  }

  publishedKeySet(): PublishedKeySet {
    return {
      version: this.keySet.version,
      keys: this.keySet.keys.map((k) => ({
        keyId: k.keyId,
        publicKey: Buffer.from(k.publicKey).toString("base64"),
      })),
    };
  }
}
