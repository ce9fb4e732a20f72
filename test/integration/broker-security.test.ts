/**
 * Hostile and broken clients against the real server's broker: credentials, ACL, $SYS,
 * takeover, oversized and malformed packets. Everyone else keeps being served.
 */
import { connect as connectTcp } from "node:net";
import type { IClientOptions, MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeDesiredConfig, encodeDeviceState } from "../../proto/codec.js";
import { deviceTopic } from "../../proto/topics.js";
import { type DeviceCredentials, enrollCredentials, waitForCommand, waitUntil } from "../helpers/devices.js";
import { closed, connectMqtt, subscribeGranted } from "../helpers/mqtt-clients.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

type Credentials = DeviceCredentials;

let t: TestServer;
let a: Credentials;
let b: Credentials;
const clients: MqttClient[] = [];

function enroll(serial: string): Promise<Credentials> {
  return enrollCredentials(t, serial);
}

/** Connects and resolves with the client, or rejects with the CONNACK refusal. */
function connectAs(options: IClientOptions, url = t.server.mqttUrl): Promise<MqttClient> {
  return connectMqtt(url, { connectTimeout: 5000, ...options }, clients);
}

const asDevice = (c: Credentials, extra: IClientOptions = {}) =>
  connectAs({ clientId: c.deviceId, username: c.deviceId, password: c.secret, ...extra });

beforeAll(async () => {
  t = await startTestServer({ maxMqttPacketBytes: 4096, mqttConnectTimeoutMs: 500 });
  a = await enroll("SEC-A");
  b = await enroll("SEC-B");
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await t.cleanup();
});

describe("authentication", () => {
  it("accepts a device's own credential", async () => {
    const client = await asDevice(a);
    expect(client.connected).toBe(true);
    client.end(true);
  });

  it.each([
    ["a wrong secret", () => ({ clientId: a.deviceId, username: a.deviceId, password: "pds_wrong" })],
    ["no credentials", () => ({ clientId: a.deviceId })],
    [
      "another device's id with A's secret",
      () => ({ clientId: b.deviceId, username: b.deviceId, password: a.secret }),
    ],
    [
      "B's client id with A's credential",
      () => ({ clientId: b.deviceId, username: a.deviceId, password: a.secret }),
    ],
  ])("refuses %s at CONNACK", async (_name, options) => {
    await expect(connectAs(options())).rejects.toThrow(/Bad username or password|Not authorized/i);
  });

  it("does not let A take over B's online session", async () => {
    const bClient = await asDevice(b);
    await expect(
      connectAs({ clientId: b.deviceId, username: a.deviceId, password: a.secret }),
    ).rejects.toThrow();
    expect(bClient.connected).toBe(true);
    expect(t.server.gateway.isOnline(b.deviceId)).toBe(true);
    bClient.end(true);
  });
});

describe("topic ACL", () => {
  it("grants a device its own cmd and cfg, and refuses everything else with 0x80", async () => {
    const client = await asDevice(a);
    expect(await subscribeGranted(client, deviceTopic(a.deviceId, "cmd"))).toBe(1);
    expect(await subscribeGranted(client, deviceTopic(a.deviceId, "cfg"))).toBe(1);
    for (const topic of [
      deviceTopic(b.deviceId, "cmd"),
      deviceTopic(b.deviceId, "cfg"),
      deviceTopic(a.deviceId, "res"),
      "pmdm/v1/d/+/cmd",
      "pmdm/#",
      "#",
      "$SYS/#",
      `$SYS/${"x"}/new/clients`,
    ]) {
      expect(await subscribeGranted(client, topic), topic).toBe(128);
    }
    expect(client.connected).toBe(true);
    client.end(true);
  });

  it("disconnects a device that publishes to another device's topics or $SYS, and B sees nothing", async () => {
    const bClient = await asDevice(b);
    const leaked: string[] = [];
    bClient.on("message", (topic) => leaked.push(topic));
    await subscribeGranted(bClient, deviceTopic(b.deviceId, "cmd"));
    await subscribeGranted(bClient, deviceTopic(b.deviceId, "cfg"));
    await waitUntil(t, () => leaked.length === 1, "B receives its desired config");
    for (const topic of [deviceTopic(b.deviceId, "cmd"), deviceTopic(b.deviceId, "state"), "$SYS/hack"]) {
      const attacker = await asDevice(a);
      const gone = closed(attacker);
      attacker.publish(topic, Buffer.from("x"), { qos: 1 });
      await gone;
    }
    // A message B is allowed to get still arrives, and nothing of A's did.
    const cmd = await t.api.post<{ id: string }>(`/devices/${b.deviceId}/commands`, {
      type: "refresh_state",
    });
    await waitUntil(t, () => leaked.length > 1, "B receives its own command");
    expect(leaked, leaked.join()).toEqual([deviceTopic(b.deviceId, "cfg"), deviceTopic(b.deviceId, "cmd")]);
    await t.server.services.commands.cancel(cmd.body.id).catch(() => undefined);
    bClient.end(true);
  });

  it("refuses retained publishes from devices", async () => {
    const client = await asDevice(a);
    const gone = closed(client);
    client.publish(deviceTopic(a.deviceId, "state"), Buffer.from(""), { qos: 1, retain: true });
    await gone;
  });
});

describe("bad packets and payloads", () => {
  it("drops malformed protobuf from a device, keeps its connection and serves its next valid report", async () => {
    const client = await asDevice(a);
    await new Promise<void>((resolve) =>
      client.publish(deviceTopic(a.deviceId, "state"), Buffer.from([0xff, 0xff, 0x01]), { qos: 1 }, () =>
        resolve(),
      ),
    );
    await new Promise<void>((resolve) =>
      client.publish(deviceTopic(a.deviceId, "res"), Buffer.from("not protobuf at all"), { qos: 1 }, () =>
        resolve(),
      ),
    );
    expect(client.connected).toBe(true);
    const state = encodeDeviceState({
      atMs: Date.now(),
      name: "still fine",
      locked: false,
      timezone: "UTC",
      timezoneAutomatic: true,
      ntpServer: null,
      clockOffsetMs: 0,
      lastTimeSyncAtMs: null,
      timeSyncError: null,
      bootTimeMs: 1,
      agentVersion: "1.0.0",
      appliedConfigVersion: 0,
      model: "Portal",
      serial: "SEC-A",
      telemetry: null,
      signingKeysVersion: 1,
    });
    client.publish(deviceTopic(a.deviceId, "state"), Buffer.from(state), { qos: 1 });
    await waitUntil(
      t,
      async () => (await t.server.services.devices.get(a.deviceId)).reported?.name === "still fine",
      "valid report stored",
    );
    client.end(true);
  });

  it("closes only the connection that sends an oversized packet", async () => {
    const bystander = await asDevice(b);
    const attacker = await asDevice(a);
    const gone = closed(attacker);
    attacker.publish(deviceTopic(a.deviceId, "state"), Buffer.alloc(8192, 1), { qos: 1 });
    await gone;
    expect(bystander.connected).toBe(true);
    expect(await subscribeGranted(bystander, deviceTopic(b.deviceId, "cfg"))).toBe(1);
    bystander.end(true);
  });

  it("closes a socket whose first packet announces 256 MB, without waiting for the data", async () => {
    const socket = connectTcp(t.server.mqttPort, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    // PUBLISH with Remaining Length 0x0FFFFFFF (268 435 455 bytes), then a few bytes.
    socket.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01]));
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    expect(socket.destroyed).toBe(true);
  });

  it("closes a socket that never sends CONNECT within the connect timeout", async () => {
    const socket = connectTcp(t.server.mqttPort, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const startedMs = Date.now();
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    // The configured timeout is 500 ms; the socket must not outlive it by much.
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(400);
  });

  it("serves MQTT over WebSocket at /mqtt with the same rules", async () => {
    const wsUrl = `${t.server.httpUrl.replace("http", "ws")}/mqtt`;
    await expect(
      connectAs({ clientId: a.deviceId, username: a.deviceId, password: "pds_wrong" }, wsUrl),
    ).rejects.toThrow();
    const client = await connectAs({ clientId: a.deviceId, username: a.deviceId, password: a.secret }, wsUrl);
    const config = new Promise<Buffer>((resolve) =>
      client.once("message", (_topic, payload) => resolve(payload)),
    );
    expect(await subscribeGranted(client, deviceTopic(a.deviceId, "cmd"))).toBe(1);
    expect(await subscribeGranted(client, deviceTopic(a.deviceId, "cfg"))).toBe(1);
    // The server pushes the desired config once the device has subscribed.
    expect(decodeDesiredConfig(await config).version).toBeGreaterThanOrEqual(1);
    client.end(true);
  });
});

describe("credential lifecycle", () => {
  it("closes the connection and refuses reconnects once the credential is revoked", async () => {
    const c = await enroll("SEC-REVOKED");
    const client = await asDevice(c);
    await subscribeGranted(client, deviceTopic(c.deviceId, "cmd"));
    await subscribeGranted(client, deviceTopic(c.deviceId, "cfg"));
    await waitUntil(t, () => t.server.gateway.isOnline(c.deviceId), "online");
    const gone = closed(client);
    const cmd = await t.api.post<{ id: string }>(`/devices/${c.deviceId}/commands`, {
      type: "stop_managing",
    });
    // A raw client is not an agent: answer as one would.
    const { encodeCommandResult } = await import("../../proto/codec.js");
    client.publish(
      deviceTopic(c.deviceId, "res"),
      Buffer.from(
        encodeCommandResult({
          commandId: cmd.body.id,
          status: "succeeded",
          errorCode: "",
          message: "",
          atMs: 1,
        }),
      ),
      { qos: 1 },
    );
    expect((await waitForCommand(t, cmd.body.id)).state).toBe("succeeded");
    await gone;
    await expect(asDevice(c)).rejects.toThrow(/Bad username or password/i);
  });
});
