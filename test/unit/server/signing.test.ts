/**
 * The server's key ring in the data dir (created once, owner-only, rotated by promoting the
 * next key) and what it signs, checked with the agent's own verifier.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SignatureVerifier } from "../../../agent/core/signatures.js";
import type { PinnedKeys } from "../../../agent/storage/agent-storage.js";
import { decodeSigningKeySet } from "../../../proto/codec.js";
import { keyIdOf } from "../../../proto/ed25519.js";
import { CommandSigner } from "../../../server/signing/command-signer.js";
import {
  loadOrCreateSigningKeys,
  rotateSigningKeys,
  SigningKeyFileError,
  signingKeysFile,
} from "../../../server/signing/signing-keys.js";

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "pmdm-keys-"));
});
afterEach(async () => rm(dataDir, { recursive: true, force: true }));

describe("the signing key ring", () => {
  it("is created at first start, readable by the owner only, and the same at the next start", async () => {
    const first = await loadOrCreateSigningKeys(dataDir);
    expect(first.version).toBe(1);
    expect(first.active.keyId).not.toBe(first.next.keyId);
    expect(first.active.keyId).toBe(keyIdOf(first.active.publicKey));
    expect((await stat(signingKeysFile(dataDir))).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateSigningKeys(dataDir);
    expect([again.active.keyId, again.next.keyId]).toEqual([first.active.keyId, first.next.keyId]);
  });

  it("rotates: the next key becomes active and a new next key is made", async () => {
    const first = await loadOrCreateSigningKeys(dataDir);
    const rotated = await rotateSigningKeys(dataDir);
    expect(rotated.version).toBe(2);
    expect(rotated.active.keyId).toBe(first.next.keyId);
    expect([first.active.keyId, first.next.keyId]).not.toContain(rotated.next.keyId);
    expect((await loadOrCreateSigningKeys(dataDir)).active.keyId).toBe(first.next.keyId);
    expect((await stat(signingKeysFile(dataDir))).mode & 0o777).toBe(0o600);
  });

  it("refuses to rotate a data dir that has no key ring", async () => {
    await expect(rotateSigningKeys(dataDir)).rejects.toBeInstanceOf(SigningKeyFileError);
  });

  it("refuses a file whose key id does not match its key", async () => {
    await loadOrCreateSigningKeys(dataDir);
    const file = signingKeysFile(dataDir);
    const stored = JSON.parse(await readFile(file, "utf8"));
    stored.active.keyId = "ed25519:0000000000000000";
    await writeFile(file, JSON.stringify(stored));
    await expect(loadOrCreateSigningKeys(dataDir)).rejects.toThrow(/active key's id/);
  });
});

describe("what the server signs", () => {
  const pinnedFrom = (signer: CommandSigner): PinnedKeys => signer.publishedKeySet();

  it("verifies with the keys an enrolling device receives", async () => {
    const signer = new CommandSigner(await loadOrCreateSigningKeys(dataDir));
    const bytes = new TextEncoder().encode("a command");
    const verifier = new SignatureVerifier();
    expect(verifier.check({ bytes, ...signer.sign(bytes) }, pinnedFrom(signer))).toBeNull();
    expect(
      verifier.check({ bytes: new Uint8Array([1]), ...signer.sign(bytes) }, pinnedFrom(signer)),
    ).toMatchObject({
      errorCode: "bad_signature",
    });
  });

  it("after a rotation, verifies with the keys pinned before it, and the new key set says so", async () => {
    const before = new CommandSigner(await loadOrCreateSigningKeys(dataDir));
    const after = new CommandSigner(await rotateSigningKeys(dataDir));
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
  it("answers a pinned key that is not a valid public key with bad_signature, never a throw", async () => {
    const signer = new CommandSigner(await loadOrCreateSigningKeys(dataDir));
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
