/**
 * The agent obeys only commands signed by a server key it has pinned: unsigned, tampered,
 * re-signed and unknown-key commands are rejected with a reason, never executed and never
 * journaled. The pinned keys change only through a newer key set signed by a pinned key;
 * an agent enrolled before signing existed pins the first key set it receives.
 */
import { sign } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileAgentStorage } from "../../../../agent/storage/file-storage.js";
import { MemoryAgentStorage } from "../../../../agent/storage/memory-storage.js";
import { encodeCommandBody, encodeSignedCommand, encodeSigningKeySet } from "../../../../proto/codec.js";
import type { DesiredConfig, SignedKeySet } from "../../../../proto/wire.js";
import {
  IDENTITY,
  newSigningKey,
  SERVER_KEY,
  signedCommand,
  TestDevice,
  type TestSigningKey,
} from "../fakes.js";

let device: TestDevice;
afterEach(async () => {
  await device?.agent?.stop({ abrupt: true });
});

/** A key set at `version` holding `keys`, signed by `by`. */
function keySet(version: number, keys: TestSigningKey[], by: TestSigningKey): SignedKeySet {
  const keySetBytes = encodeSigningKeySet({
    version,
    keys: keys.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })),
  });
  return { keySetBytes, signature: sign(null, keySetBytes, by.privateKey), keyId: by.keyId };
}

function configWith(signingKeys: SignedKeySet, version = 1): DesiredConfig {
  return { version, name: "", time: { timezone: "auto", ntpServer: null }, signingKeys };
}

async function bootEnrolled(): Promise<TestDevice> {
  device = await TestDevice.enrolled();
  await device.boot();
  return device;
}

describe("a command's signature", () => {
  it("by the pinned key lets the command run", async () => {
    await bootEnrolled();
    const lock = device.commands.next({ type: "lock" });
    await device.sendEnvelope(signedCommand(lock));
    expect(device.network.outcomes(lock.id)).toEqual(["succeeded"]);
  });

  it("missing: rejected as unsigned, never run, never journaled", async () => {
    await bootEnrolled();
    const lock = device.commands.next({ type: "lock" });
    await device.sendEnvelope(encodeSignedCommand({ commandBytes: encodeCommandBody(lock) }));
    expect(device.network.outcomes(lock.id)).toEqual(["rejected:unsigned"]);
    expect(device.executed).toEqual([]);
    expect(device.platform.locked).toBe(false);
    expect(device.storage.journalEntry(lock.id)).toBeUndefined();
  });

  it("over other bytes (a tampered command): rejected as bad_signature", async () => {
    await bootEnrolled();
    const genuine = device.commands.next({ type: "lock" });
    const signature = sign(null, encodeCommandBody(genuine), SERVER_KEY.privateKey);
    const tampered = encodeCommandBody({ ...genuine, action: { type: "factory_reset" } });
    await device.sendEnvelope(
      encodeSignedCommand({ commandBytes: tampered, signature, keyId: SERVER_KEY.keyId }),
    );
    expect(device.network.outcomes(genuine.id)).toEqual(["rejected:bad_signature"]);
    expect(device.executed).toEqual([]);
  });

  it("by another key that claims the pinned key's id: rejected as bad_signature", async () => {
    await bootEnrolled();
    const attacker = newSigningKey();
    const reset = device.commands.next({ type: "factory_reset" });
    await device.sendEnvelope(signedCommand(reset, { ...attacker, keyId: SERVER_KEY.keyId }));
    expect(device.network.outcomes(reset.id)).toEqual(["rejected:bad_signature"]);
    expect(device.storage.identity()).not.toBeNull();
  });

  it("by a key the device does not know: rejected as unknown_key", async () => {
    await bootEnrolled();
    const reset = device.commands.next({ type: "factory_reset" });
    await device.sendEnvelope(signedCommand(reset, newSigningKey()));
    expect(device.network.outcomes(reset.id)).toEqual(["rejected:unknown_key"]);
    expect(device.executed).toEqual([]);
  });

  it("cut short: rejected as bad_signature", async () => {
    await bootEnrolled();
    const lock = device.commands.next({ type: "lock" });
    const commandBytes = encodeCommandBody(lock);
    const signature = sign(null, commandBytes, SERVER_KEY.privateKey).subarray(0, 63);
    await device.sendEnvelope(encodeSignedCommand({ commandBytes, signature, keyId: SERVER_KEY.keyId }));
    expect(device.network.outcomes(lock.id)).toEqual(["rejected:bad_signature"]);
  });

  it("forged with a genuine command's id does not take that id: the genuine one still runs", async () => {
    await bootEnrolled();
    const lock = device.commands.next({ type: "lock" });
    await device.sendEnvelope(signedCommand(lock, newSigningKey()));
    await device.send(lock);
    expect(device.network.outcomes(lock.id)).toEqual(["rejected:unknown_key", "succeeded"]);
    expect(device.executed).toEqual([lock.id]);
  });

  it("is checked before the device, the journal, expiry and seq", async () => {
    await bootEnrolled();
    const lock = device.commands.next({ type: "lock" });
    await device.send(lock);
    // A replay of a seen id, signed by an unknown key: refused, not answered from the journal.
    await device.sendEnvelope(signedCommand(lock, newSigningKey()));
    expect(device.network.outcomes(lock.id)).toEqual(["succeeded", "rejected:unknown_key"]);
  });
});

describe("the pinned keys", () => {
  it("move to a newer key set signed by a pinned key, and commands by the new key run", async () => {
    await bootEnrolled();
    const next = newSigningKey();
    const pinned: string[] = [];
    device.running.on("keysPinned", ({ keyIds }) => pinned.push(...keyIds));
    await device.sendConfig(configWith(keySet(2, [SERVER_KEY, next], SERVER_KEY)));
    expect(pinned).toEqual([SERVER_KEY.keyId, next.keyId]);
    expect(device.storage.identity()?.serverKeys?.version).toBe(2);
    // Reported at once, so the server knows which devices are ready for the next rotation.
    expect(device.network.states().at(-1)?.signingKeysVersion).toBe(2);

    const lock = device.commands.next({ type: "lock" });
    await device.sendEnvelope(signedCommand(lock, next));
    expect(device.network.outcomes(lock.id)).toEqual(["succeeded"]);

    // After the next rotation the first key is no longer trusted.
    const third = newSigningKey();
    await device.sendConfig(configWith(keySet(3, [next, third], next)));
    const old = device.commands.next({ type: "lock" });
    await device.sendEnvelope(signedCommand(old, SERVER_KEY));
    expect(device.network.outcomes(old.id)).toEqual(["rejected:unknown_key"]);
  });

  it("ignore a key set signed by a key they do not hold, and report it", async () => {
    await bootEnrolled();
    const attacker = newSigningKey();
    const problems: string[] = [];
    device.running.on("problem", ({ code }) => problems.push(code));
    await device.sendConfig(configWith(keySet(2, [attacker], attacker)));
    expect(problems).toEqual(["key_set_rejected"]);
    expect(device.storage.identity()?.serverKeys).toEqual(IDENTITY.serverKeys);
    const reset = device.commands.next({ type: "factory_reset" });
    await device.sendEnvelope(signedCommand(reset, attacker));
    expect(device.network.outcomes(reset.id)).toEqual(["rejected:unknown_key"]);
  });

  it("never go back to an older key set, even one the pinned key signed", async () => {
    await bootEnrolled();
    const next = newSigningKey();
    const old = newSigningKey();
    await device.sendConfig(configWith(keySet(3, [SERVER_KEY, next], SERVER_KEY)));
    await device.sendConfig(configWith(keySet(2, [old], SERVER_KEY), 2));
    expect(device.storage.identity()?.serverKeys?.version).toBe(3);
    expect(device.storage.identity()?.serverKeys?.keys.map((k) => k.keyId)).toEqual([
      SERVER_KEY.keyId,
      next.keyId,
    ]);
  });

  it("are stored on disk with the identity", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pmdm-agent-"));
    try {
      device = await TestDevice.enrolled(new FileAgentStorage(dir));
      await device.boot();
      const next = newSigningKey();
      await device.sendConfig(configWith(keySet(2, [SERVER_KEY, next], SERVER_KEY)));
      const reloaded = new FileAgentStorage(dir);
      await reloaded.load();
      expect(reloaded.identity()?.serverKeys).toEqual({ version: 2, keys: [SERVER_KEY.pinned, next.pinned] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("an agent enrolled before commands were signed (no keys pinned)", () => {
  async function bootLegacy(): Promise<TestDevice> {
    const storage = new MemoryAgentStorage();
    await storage.load();
    const { serverKeys: _none, ...legacy } = IDENTITY;
    await storage.saveIdentity(legacy);
    device = new TestDevice(storage);
    await device.boot();
    return device;
  }

  it("rejects every command until it has pinned keys", async () => {
    await bootLegacy();
    const lock = device.commands.next({ type: "lock" });
    await device.send(lock);
    expect(device.network.outcomes(lock.id)).toEqual(["rejected:unknown_key"]);
    expect(device.executed).toEqual([]);
  });

  it("pins the first key set it receives when the set's own key signed it, then obeys that key", async () => {
    await bootLegacy();
    await device.sendConfig(configWith(keySet(1, [SERVER_KEY], SERVER_KEY)));
    expect(device.storage.identity()?.serverKeys).toEqual(IDENTITY.serverKeys);
    const lock = device.commands.next({ type: "lock" });
    await device.send(lock);
    expect(device.network.outcomes(lock.id)).toEqual(["succeeded"]);
  });

  it("does not pin a key set signed by a key outside it", async () => {
    await bootLegacy();
    await device.sendConfig(configWith(keySet(1, [newSigningKey()], SERVER_KEY)));
    expect(device.storage.identity()?.serverKeys).toBeUndefined();
  });
});
