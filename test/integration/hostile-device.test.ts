/**
 * A hostile device A next to a healthy device B (the real agent): A tries B's topics, every
 * wildcard, $SYS, B's client id and a will aimed at B; A floods; A stops reading its socket.
 * Each time A is refused or dropped, nothing of B's reaches A, and B's commands keep flowing.
 */
import { connect as connectTcp, type Socket } from "node:net";
import type { IClientOptions, MqttClient } from "mqtt";
import mqttPacket from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import { encodeDeviceState } from "../../proto/codec.js";
import { deviceTopic } from "../../proto/topics.js";
import { validState } from "../../simulator/fuzz/payload-fuzzer.js";
import {
  type DeviceCredentials,
  enrollCredentials,
  startDevice,
  waitForCommand,
  waitUntil,
} from "../helpers/devices.js";
import { closed, connectMqtt, subscribeGranted } from "../helpers/mqtt-clients.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

type Credentials = DeviceCredentials;

/** Enough for B's whole life in this file; A goes through it in one flood. */
const PUBLISH_BURST = 400;
const MAX_QUEUED_BYTES = 64 * 1024;

let t: TestServer;
let b: SimulatedDevice & { deviceId: string };
const clients: MqttClient[] = [];
const sockets: Socket[] = [];

function enroll(serial: string): Promise<Credentials> {
  return enrollCredentials(t, serial);
}

function connectAs(c: Credentials, extra: IClientOptions = {}): Promise<MqttClient> {
  return connectMqtt(
    t.server.mqttUrl,
    { clientId: c.deviceId, username: c.deviceId, password: c.secret, ...extra },
    clients,
  );
}

/** B completes a command: the proof that B is unaffected. */
async function bCompletesACommand(): Promise<void> {
  const cmd = await t.api.post<{ id: string }>(`/devices/${b.deviceId}/commands`, { type: "refresh_state" });
  expect((await waitForCommand(t, cmd.body.id)).state).toBe("succeeded");
}

async function health(): Promise<{ stateReportsStored: number }> {
  return (await fetch(`${t.server.httpUrl}/healthz`)).json() as Promise<{ stateReportsStored: number }>;
}

beforeAll(async () => {
  t = await startTestServer({
    // Refills so slowly that a test never sees a token come back.
    mqttPublishRatePerSecond: 0.01,
    mqttPublishBurst: PUBLISH_BURST,
    mqttMaxQueuedBytesPerClient: MAX_QUEUED_BYTES,
    // Long enough that only the queued-bytes bound can drop the slow reader below.
    mqttDrainTimeoutMs: 120_000,
    mqttConnectTimeoutMs: 500,
  });
  b = await startDevice(t, { serial: "HOSTILE-B" });
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  for (const s of sockets) s.destroy();
  await b.stop();
  await t.cleanup();
});

describe("a hostile device", () => {
  it("receives nothing of B's while trying B's topics, wildcards and $SYS, and B keeps working", async () => {
    const credentials = await enroll("HOSTILE-A1");
    const a = await connectAs(credentials);
    const leaked: string[] = [];
    a.on("message", (topic) => leaked.push(topic));
    const refusedTopics = [
      deviceTopic(b.deviceId, "cmd"),
      deviceTopic(b.deviceId, "cfg"),
      deviceTopic(b.deviceId, "res"),
      deviceTopic(b.deviceId, "state"),
      `pmdm/v1/d/${b.deviceId}/#`,
      "pmdm/v1/d/+/cmd",
      "pmdm/v1/d/+/+",
      "#",
      "+/#",
      "$SYS/#",
    ];
    for (const topic of refusedTopics) expect(await subscribeGranted(a, topic), topic).toBe(128);
    // B's traffic both ways: a command, its results, a state report, a new config.
    await bCompletesACommand();
    const rename = await t.api.post<{ id: string }>(`/devices/${b.deviceId}/commands`, {
      type: "rename",
      name: "B renamed",
    });
    expect((await waitForCommand(t, rename.body.id)).state).toBe("succeeded");
    // A round trip on A's own connection: anything the broker routed to A before it is in.
    const report = Buffer.from(encodeDeviceState(validState("A")));
    await a.publishAsync(deviceTopic(credentials.deviceId, "state"), report, { qos: 1 });
    expect(a.connected).toBe(true);
    expect(leaked).toEqual([]);
  });

  it("cannot take B's client id, and B stays online and working", async () => {
    const credentials = await enroll("HOSTILE-A2");
    await expect(connectAs(credentials, { clientId: b.deviceId })).rejects.toThrow(/Not authorized/i);
    await expect(connectAs({ deviceId: b.deviceId, secret: credentials.secret })).rejects.toThrow(
      /Bad username or password/i,
    );
    expect(t.server.gateway.isOnline(b.deviceId)).toBe(true);
    await bCompletesACommand();
  });

  it("leaves a will aimed at another device's topics that is never published", async () => {
    const target = await enroll("HOSTILE-TARGET");
    const targetClient = await connectAs(target);
    const received: string[] = [];
    targetClient.on("message", (topic) => received.push(topic));
    await targetClient.subscribeAsync(
      [deviceTopic(target.deviceId, "cmd"), deviceTopic(target.deviceId, "cfg")],
      {
        qos: 1,
      },
    );
    await waitUntil(t, () => received.length === 1, "the target receives its desired config");
    const credentials = await enroll("HOSTILE-A5");
    for (const topic of [
      deviceTopic(target.deviceId, "cmd"),
      deviceTopic(target.deviceId, "cfg"),
      "$SYS/x",
    ]) {
      const a = await connectAs(credentials, {
        will: { topic, payload: Buffer.from("obey me"), qos: 1, retain: false },
      });
      // Dropping the connection without DISCONNECT is what fires a will.
      const gone = closed(a);
      (a.stream as Socket).destroy();
      await gone;
    }
    // A message the target is allowed to get arrives after any will would have.
    const cmd = await t.api.post<{ id: string }>(`/devices/${target.deviceId}/commands`, { type: "lock" });
    await waitUntil(t, () => received.length === 2, "the target receives its own command");
    expect(received).toEqual([deviceTopic(target.deviceId, "cfg"), deviceTopic(target.deviceId, "cmd")]);
    await t.api.post(`/commands/${cmd.body.id}/cancel`).catch(() => undefined);
  });

  it("is disconnected once over its publish budget, stays cut off on reconnect, and B is unaffected", async () => {
    const credentials = await enroll("HOSTILE-A3");
    const a = await connectAs(credentials);
    const storedBefore = (await health()).stateReportsStored;
    const gone = closed(a);
    const report = Buffer.from(encodeDeviceState(validState("flood")));
    for (let i = 0; i < 4 * PUBLISH_BURST; i++)
      a.publish(deviceTopic(credentials.deviceId, "state"), report, { qos: 0 });
    await gone;
    // The budget, not the flood, decided how much of it the server took in.
    await t.server.services.devices.drainWrites();
    const stored = (await health()).stateReportsStored - storedBefore;
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThanOrEqual(PUBLISH_BURST);
    await bCompletesACommand();
    // Reconnecting does not refill the bucket: the next publish is over the budget again.
    const again = await connectAs(credentials);
    const goneAgain = closed(again);
    again.publish(deviceTopic(credentials.deviceId, "state"), report, { qos: 1 });
    await goneAgain;
    await bCompletesACommand();
  });

  it("is closed when it sends half a CONNECT and nothing more", async () => {
    const connectBytes = mqttPacket.generate({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clean: true,
      clientId: "half",
      keepalive: 0,
    });
    const socket = connectTcp(t.server.mqttPort, "127.0.0.1");
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const socketClosed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write(connectBytes.subarray(0, 6));
    await socketClosed;
    expect(socket.destroyed).toBe(true);
  });

  it("is dropped when it stops reading while the server sends to it, and B's commands keep flowing", async () => {
    const credentials = await enroll("HOSTILE-A4");
    const socket = connectTcp(t.server.mqttPort, "127.0.0.1");
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const socketClosed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
    socket.write(
      mqttPacket.generate({
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clean: true,
        clientId: credentials.deviceId,
        username: credentials.deviceId,
        password: Buffer.from(credentials.secret),
        keepalive: 0,
      }),
    );
    socket.write(
      mqttPacket.generate({
        cmd: "subscribe",
        messageId: 1,
        subscriptions: [
          { topic: deviceTopic(credentials.deviceId, "cmd"), qos: 1 },
          { topic: deviceTopic(credentials.deviceId, "cfg"), qos: 1 },
        ],
      }),
    );
    await waitUntil(t, () => t.server.gateway.isOnline(credentials.deviceId), "A subscribed");
    // From here on A reads nothing: what the server sends piles up in the network, then in
    // the server's output buffer for A.
    socket.pause();
    // Large commands straight through the gateway (as the server sends any command), enough
    // to fill the loopback buffers many times over. No store rows: only delivery is tested.
    const name = "n".repeat(32 * 1024);
    let sent = 0;
    while (t.server.gateway.isOnline(credentials.deviceId) && sent < 2000) {
      void t.server.gateway.publishCommand({
        id: `cmd_slow_${sent}`,
        deviceId: credentials.deviceId,
        seq: sent + 1,
        issuedAtMs: Date.now(),
        expiresAtMs: Date.now() + 60_000,
        action: { type: "rename", name },
      });
      sent++;
      if (sent % 16 === 0) await bCompletesACommand();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(t.server.gateway.isOnline(credentials.deviceId)).toBe(false);
    await bCompletesACommand();
    // A's socket was closed from the server's side, though A never read it.
    socket.resume();
    await socketClosed;
  });
});
