/**
 * The server's key ring (made once, rotated by promoting the next key), its stored shape (the
 * same in the store and in a data dir's `signing-keys.json` from before), and what it signs,
 * checked with the agent's own verifier. Where the ring lives (the store, imported from the
 * file) is tested against real stores in test/integration/store/signing-key-repository.test.ts.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SignatureVerifier } from "../../../agent/core/signatures.js";
import type { PinnedKeys } from "../../../agent/storage/agent-storage.js";
import { decodeSigningKeySet } from "../../../proto/codec.js";
import { keyIdOf } from "../../../proto/ed25519.js";
import { CommandSigner } from "../../../server/signing/command-signer.js";
import { readSigningKeyFile, signingKeysFile } from "../../../server/signing/key-ring-file.js";
import {
  encodeSigningKeyRing,
  newSigningKeyRing,
  parseSigningKeyRing,
  rotatedSigningKeyRing,
  SigningKeyRingError,
  sameSigningKeyRing,
} from "../../../server/signing/signing-keys.js";

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "pmdm-keys-"));
});
afterEach(async () => rm(dataDir, { recursive: true, force: true }));

describe("the signing key ring", () => {
  it("starts at version 1 with two different keys whose ids are derived from them", () => {
    const first = newSigningKeyRing();
    expect(first.version).toBe(1);
    expect(first.active.keyId).not.toBe(first.next.keyId);
    expect(first.active.keyId).toBe(keyIdOf(first.active.publicKey));
    expect(first.next.keyId).toBe(keyIdOf(first.next.publicKey));
  });

  it("rotates: the next key becomes active and a new next key is made", () => {
    const first = newSigningKeyRing();
    const rotated = rotatedSigningKeyRing(first);
    expect(rotated.version).toBe(2);
    expect(rotated.active.keyId).toBe(first.next.keyId);
    expect([first.active.keyId, first.next.keyId]).not.toContain(rotated.next.keyId);
    expect(sameSigningKeyRing(rotated, first)).toBe(false);
  });

  it("reads back from its stored shape with the same keys, PKCS#8 PEM private keys in it", () => {
    const ring = rotatedSigningKeyRing(newSigningKeyRing(() => 1_700_000_000_000));
    const json = encodeSigningKeyRing(ring);
    const stored = JSON.parse(json);
    expect(Object.keys(stored).sort()).toEqual(["active", "next", "version"]);
    expect(stored.active.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const back = parseSigningKeyRing(json, "test");
    expect(sameSigningKeyRing(back, ring)).toBe(true);
    expect(back.active.createdAtMs).toBe(1_700_000_000_000);
    const bytes = new TextEncoder().encode("a command");
    // The private key read back signs as the original does (Ed25519 is deterministic).
    expect(new CommandSigner(back).sign(bytes)).toEqual(new CommandSigner(ring).sign(bytes));
  });

  it("refuses a stored ring whose key id does not match its key, or that is not a ring", () => {
    const stored = JSON.parse(encodeSigningKeyRing(newSigningKeyRing()));
    stored.active.keyId = "ed25519:0000000000000000";
    expect(() => parseSigningKeyRing(JSON.stringify(stored), "where")).toThrow(/where: the active key's id/);
    expect(() => parseSigningKeyRing("{}", "where")).toThrow(SigningKeyRingError);
    expect(() => parseSigningKeyRing("not json", "where")).toThrow(/where: not valid JSON/);
    stored.active.keyId = keyIdOf(newSigningKeyRing().active.publicKey);
    stored.next.privateKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    expect(() => parseSigningKeyRing(JSON.stringify(stored), "where")).toThrow(SigningKeyRingError);
  });
});

describe("a data dir's signing-keys.json", () => {
  it("is absent from a new data dir, and read as the ring it holds when there is one", async () => {
    expect(await readSigningKeyFile(dataDir)).toBeNull();
    const ring = newSigningKeyRing();
    await writeFile(signingKeysFile(dataDir), encodeSigningKeyRing(ring), { mode: 0o600 });
    const read = await readSigningKeyFile(dataDir);
    expect(read && sameSigningKeyRing(read, ring)).toBe(true);
  });

  it("names the file when it is unreadable", async () => {
    await writeFile(signingKeysFile(dataDir), '{"version": 1}');
    await expect(readSigningKeyFile(dataDir)).rejects.toThrow(signingKeysFile(dataDir));
  });
});

describe("what the server signs", () => {
  const pinnedFrom = (signer: CommandSigner): PinnedKeys => signer.publishedKeySet();

  it("verifies with the keys an enrolling device receives", () => {
    const signer = new CommandSigner(newSigningKeyRing());
    const bytes = new TextEncoder().encode("a command");
    const verifier = new SignatureVerifier();
    expect(verifier.check({ bytes, ...signer.sign(bytes) }, pinnedFrom(signer))).toBeNull();
    expect(
      verifier.check({ bytes: new Uint8Array([1]), ...signer.sign(bytes) }, pinnedFrom(signer)),
    ).toMatchObject({
      errorCode: "bad_signature",
    });
  });

  it("after a rotation, verifies with the keys pinned before it, and the new key set says so", () => {
    const ring = newSigningKeyRing();
    const before = new CommandSigner(ring);
    const after = new CommandSigner(rotatedSigningKeyRing(ring));
    const verifier = new SignatureVerifier();
    const bytes = new TextEncoder().encode("a command");
    expect(verifier.check({ bytes, ...after.sign(bytes) }, pinnedFrom(before))).toBeNull();
    const { keySetBytes, signature, keyId } = after.signedKeySet;
    expect(verifier.check({ bytes: keySetBytes, signature, keyId }, pinnedFrom(before))).toBeNull();
    const set = decodeSigningKeySet(keySetBytes);
    expect(set.version).toBe(2);
    expect(set.keys.map((k) => k.keyId)).toEqual(pinnedFrom(after).keys.map((k) => k.keyId));
  });
});

describe("the agent's verifier", () => {
  it("answers a pinned key that is not a valid public key with bad_signature, never a throw", () => {
    const signer = new CommandSigner(newSigningKeyRing());
    const bytes = new TextEncoder().encode("a command");
    const { keyId, signature } = signer.sign(bytes);
    const broken: PinnedKeys = { version: 1, keys: [{ keyId, publicKey: "bm90IGEga2V5" }] };
    expect(new SignatureVerifier().check({ bytes, signature, keyId }, broken)).toMatchObject({
      errorCode: "bad_signature",
    });
  });

  it("names the reason: unsigned, unknown key, nothing pinned", () => {
    const verifier = new SignatureVerifier();
    const bytes = new Uint8Array([1]);
    const pinned: PinnedKeys = { version: 1, keys: [] };
    expect(verifier.check({ bytes, signature: new Uint8Array(0), keyId: "" }, pinned)?.errorCode).toBe(
      "unsigned",
    );
    expect(verifier.check({ bytes, signature: new Uint8Array(64), keyId: "k" }, pinned)?.errorCode).toBe(
      "unknown_key",
    );
    expect(verifier.check({ bytes, signature: new Uint8Array(64), keyId: "k" }, undefined)).toEqual({
      errorCode: "unknown_key",
      message: "this device has no server key pinned yet",
    });
  });
});
