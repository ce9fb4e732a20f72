/**
 * Signed commands end to end, with real agents over real MQTT.
 *
 * Devices cannot publish on a `cmd` topic (the broker's ACL), so forgeries need another way
 * in. Two are used, each for what it can honestly show:
 * - The server's own gateway (`t.server.gateway.publishCommand`) sends commands that are
 *   genuinely signed but must still be refused: expired, or with a seq that goes backwards.
 * - A rogue broker: a plain aedes with no ACL, standing for a compromised broker or a network
 *   attacker. A device that enrolled with the real server (and pinned its keys) is pointed at
 *   it, and a raw MQTT client publishes on the device's `cmd` topic what an attacker could:
 *   unsigned, tampered and re-signed commands, and replays of genuine signed bytes captured on
 *   the way to this device and to another one.
 */
import { sign } from "node:crypto";
import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import { mqttJsTransport } from "../../agent/transport/mqtt-transport.js";
import type { TransportFactory } from "../../agent/transport/transport.js";
import { decodeSignedCommand, encodeCommandBody, encodeSignedCommand } from "../../proto/codec.js";
import { deviceTopic } from "../../proto/topics.js";
import type { CommandResult, DeviceCommand } from "../../proto/wire.js";
import type { CommandView } from "../../server/commands/command.js";
import { deviceShowingCode, startDevice, waitForCommand } from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { newSigningKey } from "../unit/agent/fakes.js";

let t: TestServer;
const devices: SimulatedDevice[] = [];
afterAll(async () => {
  await Promise.all(devices.map((d) => d.stop({ abrupt: true })));
  await t.cleanup();
});
beforeAll(async () => {
  t = await startTestServer();
});

/** The MQTT.js transport, recording every command envelope it receives. */
function tappedTransport(captured: Uint8Array[]): TransportFactory {
  const base = mqttJsTransport();
  return (options, handlers) =>
    base(options, {
      ...handlers,
      message(topic, payload) {
        if (topic.endsWith("/cmd")) captured.push(payload);
        handlers.message(topic, payload);
      },
    });
}

async function issue(deviceId: string, body: Record<string, unknown>): Promise<string> {
  const res = await t.api.post<CommandView>(`/devices/${deviceId}/commands`, body);
  expect(res.status).toBe(202);
  return res.body.id;
}

/** Resolves with the next result the device publishes for `commandId`. */
function nextResult(device: SimulatedDevice, commandId: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const onResult = (result: CommandResult) => {
      if (result.commandId !== commandId) return;
      device.off("result", onResult);
      resolve(result);
    };
    device.on("result", onResult);
  });
}

describe("enrollment pins the server's keys", () => {
  it("by token: the device stores the keys the server signs with, and obeys them", async () => {
    const device = await startDevice(t);
    devices.push(device);
    const published = t.server.signer.publishedKeySet();
    expect(device.storage.identity()?.serverKeys).toEqual(published);
    expect(published.keys[0]?.keyId).toBe(t.server.signer.activeKeyId);
    const lock = await issue(device.deviceId, { type: "lock" });
    expect((await waitForCommand(t, lock)).state).toBe("succeeded");
  });

  it("by device code: the poll answer carries the same keys", async () => {
    const { device, userCode: code } = deviceShowingCode(t);
    devices.push(device);
    const online = device.waitForStatus("online");
    void device.start();
    expect((await t.api.post("/enrollment/claims", { code: await code })).status).toBe(201);
    await online;
    expect(device.storage.identity()?.serverKeys).toEqual(t.server.signer.publishedKeySet());
  });
});

describe("an agent enrolled before commands were signed", () => {
  it("pins the server's key set at its first connect and then runs its pending command", async () => {
    const device = await startDevice(t);
    devices.push(device);
    await device.stop();
    const { serverKeys: _pinned, ...legacy } = device.storage.identity()!;
    await device.storage.saveIdentity(legacy);
    // Queued while it is away: delivered right after the config that carries the key set.
    const lock = await issue(device.deviceId, { type: "lock" });
    const pinned = new Promise<number>((resolve) => device.once("keysPinned", (k) => resolve(k.version)));
    await device.start();
    expect(await pinned).toBe(1);
    expect((await waitForCommand(t, lock)).state).toBe("succeeded");
    expect(device.storage.identity()?.serverKeys).toEqual(t.server.signer.publishedKeySet());
  });
});

describe("genuinely signed commands that must still be refused", () => {
  it("expired or with a seq going backwards: rejected, never run", async () => {
    const device = await startDevice(t);
    devices.push(device);
    const lock = await issue(device.deviceId, { type: "lock" });
    const done = await waitForCommand(t, lock);
    expect(done.state).toBe("succeeded");

    const now = Date.now();
    const base = { deviceId: device.deviceId, issuedAtMs: now, action: { type: "factory_reset" } } as const;
    const expired: DeviceCommand = {
      ...base,
      id: "cmd_forged_expired",
      seq: done.seq + 1,
      expiresAtMs: now - 1,
    };
    const backwards: DeviceCommand = {
      ...base,
      id: "cmd_forged_old_seq",
      seq: done.seq,
      expiresAtMs: now + 60_000,
    };
    for (const [command, code] of [
      [expired, "expired"],
      [backwards, "out_of_order"],
    ] as const) {
      const result = nextResult(device, command.id);
      await t.server.gateway.publishCommand(command);
      expect(await result).toMatchObject({ status: "rejected", errorCode: code });
    }
    expect(device.executions.map((e) => e.commandId)).toEqual([lock]);
    expect(device.storage.identity()).not.toBeNull();
  });
});

describe("a rogue broker", () => {
  let rogue: Aedes;
  let rogueServer: Server;
  let rogueUrl: string;
  let attacker: MqttClient;

  beforeAll(async () => {
    rogue = await Aedes.createBroker();
    rogueServer = createServer((socket) => rogue.handle(socket));
    await new Promise<void>((resolve) => rogueServer.listen(0, "127.0.0.1", resolve));
    const address = rogueServer.address();
    rogueUrl = `mqtt://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    attacker = await new Promise<MqttClient>((resolve, reject) => {
      const client = mqtt.connect(rogueUrl, { clientId: "attacker", reconnectPeriod: 0 });
      client.once("connect", () => resolve(client));
      client.once("error", reject);
    });
  });
  afterAll(async () => {
    attacker.end(true);
    await new Promise<void>((resolve) => rogue.close(() => resolve()));
    await new Promise<void>((resolve) => rogueServer.close(() => resolve()));
  });

  /** Restarts the device's agent against `mqttUrl`, keeping everything else it stored. */
  async function moveTo(device: SimulatedDevice, mqttUrl: string): Promise<void> {
    await device.stop();
    const identity = device.storage.identity();
    if (!identity) throw new Error("device has no identity");
    await device.storage.saveIdentity({ ...identity, mqttUrl });
    const online = device.waitForStatus("online");
    await device.start();
    await online;
  }

  async function publishAs(deviceId: string, envelope: Uint8Array): Promise<void> {
    await attacker.publishAsync(deviceTopic(deviceId, "cmd"), Buffer.from(envelope), { qos: 1 });
  }

  it("cannot make a device run anything: forgeries and replays are refused with a reason", async () => {
    const capturedA: Uint8Array[] = [];
    const capturedB: Uint8Array[] = [];
    const a = await startDevice(t, { transport: tappedTransport(capturedA) });
    const b = await startDevice(t, { transport: tappedTransport(capturedB) });
    devices.push(a, b);
    const lockA = await issue(a.deviceId, { type: "lock" });
    expect((await waitForCommand(t, lockA)).state).toBe("succeeded");
    const lockB = await issue(b.deviceId, { type: "lock" });
    expect((await waitForCommand(t, lockB)).state).toBe("succeeded");
    const genuineA = capturedA.find((bytes) => decodeSignedCommand(bytes).command.id === lockA)!;
    const genuineB = capturedB.find((bytes) => decodeSignedCommand(bytes).command.id === lockB)!;

    await moveTo(a, rogueUrl);
    const seq = decodeSignedCommand(genuineA).command.seq;
    const reset = (id: string): DeviceCommand => ({
      id,
      deviceId: a.deviceId,
      seq: seq + 10,
      issuedAtMs: Date.now(),
      expiresAtMs: Date.now() + 60_000,
      action: { type: "factory_reset" },
    });
    const tampered = (() => {
      const { commandBytes, signature, keyId } = decodeSignedCommand(genuineA);
      const edited = encodeCommandBody({
        ...decodeSignedCommand(genuineA).command,
        action: { type: "factory_reset" },
      });
      expect(edited).not.toEqual(commandBytes);
      return encodeSignedCommand({ commandBytes: edited, signature, keyId });
    })();
    const attackerKey = newSigningKey();
    const resignedBytes = encodeCommandBody(reset("cmd_resigned"));
    const pinnedKeyId = t.server.signer.activeKeyId;

    const attempts: [string, Uint8Array, string][] = [
      [lockA, genuineA, "succeeded"], // a replay: answered from the journal, not run again
      [lockB, genuineB, "rejected:wrong_device"],
      [lockA, tampered, "rejected:bad_signature"],
      [
        "cmd_unsigned",
        encodeSignedCommand({ commandBytes: encodeCommandBody(reset("cmd_unsigned")) }),
        "rejected:unsigned",
      ],
      [
        "cmd_resigned",
        encodeSignedCommand({
          commandBytes: resignedBytes,
          signature: sign(null, resignedBytes, attackerKey.privateKey),
          keyId: attackerKey.keyId,
        }),
        "rejected:unknown_key",
      ],
      [
        "cmd_resigned",
        encodeSignedCommand({
          commandBytes: resignedBytes,
          signature: sign(null, resignedBytes, attackerKey.privateKey),
          keyId: pinnedKeyId,
        }),
        "rejected:bad_signature",
      ],
    ];
    for (const [commandId, envelope, expected] of attempts) {
      const result = nextResult(a, commandId);
      await publishAs(a.deviceId, envelope);
      const { status, errorCode } = await result;
      expect(errorCode ? `${status}:${errorCode}` : status, expected).toBe(expected);
    }
    expect(a.executions.map((e) => e.commandId)).toEqual([lockA]);
    expect(a.storage.identity()?.deviceId).toBe(a.deviceId);
    expect(a.storage.journalEntry("cmd_resigned")).toBeUndefined();

    // Back with its server, the device obeys it as before.
    await moveTo(a, t.server.mqttUrl);
    const refresh = await issue(a.deviceId, { type: "refresh_state" });
    expect((await waitForCommand(t, refresh)).state).toBe("succeeded");
  });
});
