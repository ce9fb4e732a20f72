/**
 * A device agent written from docs/device-protocol.md alone, run against the real server: the
 * check that the document is enough to implement the protocol. It uses what another team would
 * have: an MQTT 3.1.1 client (MQTT.js), the message definitions (proto/portal.proto, loaded at
 * run time by protobufjs, as a team would compile them), node:crypto for Ed25519 and fetch for
 * HTTP. Nothing from agent/ and nothing from proto/*.ts: only the .proto file.
 *
 * Its storage is in memory; `writes` records the order of its durable writes and publishes, so
 * the tests can check the order the document prescribes (journal before acting, tombstone before
 * anything, result and PUBACK before forgetting the credential).
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import mqtt, { type IPublishPacket, type MqttClient } from "mqtt";
import protobuf from "protobufjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closed, connectMqtt } from "../helpers/mqtt-clients.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

// ---- the messages, from the .proto ------------------------------------------------------------

const root = protobuf.loadSync(fileURLToPath(new URL("../../proto/portal.proto", import.meta.url)));
const message = (name: string) => root.lookupType(`portal.mdm.v1.${name}`);
const SignedCommand = message("SignedCommand");
const Command = message("Command");
const CommandResult = message("CommandResult");
const DesiredConfig = message("DesiredConfig");
const SigningKeySet = message("SigningKeySet");
const DeviceState = message("DeviceState");
const Status = root.lookupEnum("portal.mdm.v1.CommandResult.Status").values as Record<string, number>;

/** 64-bit fields as numbers, defaults filled in, the set oneof named in `action`. */
function decode<T>(type: protobuf.Type, bytes: Uint8Array): T {
  return type.toObject(type.decode(bytes), { longs: Number, defaults: true, oneofs: true }) as T;
}

function encode(type: protobuf.Type, value: Record<string, unknown>): Buffer {
  return Buffer.from(type.encode(type.create(value)).finish());
}

interface Envelope {
  command: Uint8Array;
  signature: Uint8Array;
  keyId: string;
}
interface DecodedCommand {
  id: string;
  deviceId: string;
  seq: number;
  issuedAtMs: number;
  expiresAtMs: number;
  action?: string;
  rename?: { name: string };
}
interface DecodedConfig {
  version: number;
  name: string;
  time?: { timezone: string; ntpServer: string };
  signingKeys?: { keySet: Uint8Array; signature: Uint8Array; keyId: string };
}

// ---- the agent ---------------------------------------------------------------------------------

interface PinnedKeys {
  version: number;
  keys: { keyId: string; publicKey: Buffer }[];
}

interface Identity {
  deviceId: string;
  secret: string;
  mqttUrl: string;
  keys: PinnedKeys;
}

interface JournalEntry {
  seq: number;
  type: string;
  state: "accepted" | "done";
  /** The encoded CommandResult sent (without state), to answer a duplicate with. */
  result?: Buffer;
}

interface SentResult {
  commandId: string;
  status: string;
  errorCode: string;
  hasState: boolean;
}

class EnrollmentRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`enrollment refused: ${status} ${code}`);
  }
}

/** `ed25519:` and the first 16 hex digits of the SHA-256 of the raw key (the document's key id). */
function keyIdOf(rawPublicKey: Buffer): string {
  return `ed25519:${createHash("sha256").update(rawPublicKey).digest("hex").slice(0, 16)}`;
}

/** A raw 32-byte Ed25519 public key as a key object, through its SPKI DER form (RFC 8410). */
function publicKeyFromRaw(raw: Buffer): KeyObject {
  const spkiPrefix = Buffer.from("302a300506032b6570032100", "hex");
  return createPublicKey({ key: Buffer.concat([spkiPrefix, raw]), format: "der", type: "spki" });
}

/** The signature refusal for these bytes, or null when a pinned key signed them. */
function signatureRefusal(bytes: Uint8Array, signature: Uint8Array, keyId: string, pinned: PinnedKeys) {
  if (signature.length === 0) return "unsigned";
  const key = pinned.keys.find((k) => k.keyId === keyId);
  if (!key) return "unknown_key";
  if (signature.length !== 64 || !verify(null, bytes, publicKeyFromRaw(key.publicKey), signature)) {
    return "bad_signature";
  }
  return null;
}

class DocAgent extends EventEmitter {
  identity: Identity | null = null;
  tombstone: { atMs: number; reason: string } | null = null;
  readonly journal = new Map<string, JournalEntry>();
  lastSeq = 0;
  appliedConfigVersion = 0;
  /** What the device runs. */
  readonly device = { name: "", locked: false, timezone: "UTC", timezoneAutomatic: true, ntpServer: "" };
  readonly bootTimeMs = Date.now() - 60_000;
  /** Durable writes, publishes and acknowledgements, in order. */
  readonly writes: string[] = [];
  readonly sentResults: SentResult[] = [];
  readonly executed: string[] = [];
  /** Every message received: topic channel and the packet's QoS and retain flag. */
  readonly received: { channel: string; qos: number; retain: boolean }[] = [];
  /** Steps that threw: none should. */
  readonly failures: unknown[] = [];
  /** Replaces the handling of a received command, for tests that slip copies in first. */
  intercept: ((envelope: Buffer, handle: (bytes: Buffer) => Promise<void>) => Promise<void>) | null = null;
  private client: MqttClient | null = null;
  private work: Promise<void> = Promise.resolve();

  constructor(
    readonly serverUrl: string,
    readonly serial: string,
  ) {
    super();
  }

  private topic(channel: "cmd" | "cfg" | "res" | "state"): string {
    return `pmdm/v1/d/${this.identity!.deviceId}/${channel}`;
  }

  // ---- enrollment ----

  async enrollWithToken(token: string): Promise<Record<string, unknown>> {
    if (this.tombstone) throw new Error("this device was deactivated: it never enrolls again");
    const response = await fetch(new URL("/api/v1/enrollment/enroll", this.serverUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, serial: this.serial, model: "DocModel", agentVersion: "doc-1" }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status !== 201) {
      const code = (body.error as { code: string }).code;
      if (code === "device_deactivated") this.writeTombstone("the server refuses this serial for good");
      throw new EnrollmentRefused(response.status, code);
    }
    const signingKeys = body.signingKeys as { version: number; keys: { keyId: string; publicKey: string }[] };
    const keys = signingKeys.keys.map((k) => ({
      keyId: k.keyId,
      publicKey: Buffer.from(k.publicKey, "base64"),
    }));
    if (keys.length === 0 || keys.some((k) => k.publicKey.length !== 32))
      throw new Error("no usable signing key");
    this.identity = {
      deviceId: body.deviceId as string,
      secret: body.secret as string,
      mqttUrl: body.mqttUrl as string,
      keys: { version: signingKeys.version, keys },
    };
    this.writes.push("identity");
    return body;
  }

  // ---- connection ----

  connect(): void {
    const identity = this.identity;
    if (!identity || this.tombstone) throw new Error("nothing to connect with");
    const client = mqtt.connect(identity.mqttUrl, {
      protocolVersion: 4,
      clientId: identity.deviceId,
      username: identity.deviceId,
      password: identity.secret,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 100,
      resubscribe: false,
    });
    this.client = client;
    client.on("connect", () => this.enqueue(() => this.onConnected(client)));
    client.on("message", (topic, payload, packet: IPublishPacket) => {
      if (!this.identity) return;
      const channel = topic.slice(topic.lastIndexOf("/") + 1);
      this.received.push({ channel, qos: packet.qos, retain: packet.retain });
      if (topic === this.topic("cfg")) this.enqueue(() => this.onConfig(payload));
      else if (topic === this.topic("cmd")) {
        this.enqueue(() =>
          this.intercept
            ? this.intercept(payload, (bytes) => this.onCommand(bytes))
            : this.onCommand(payload),
        );
      }
    });
    client.on("error", () => {});
  }

  /** Handles one message at a time, in arrival order; a step that throws is kept for the test. */
  private enqueue(step: () => Promise<void>): void {
    this.work = this.work.then(step).catch((err: unknown) => {
      this.failures.push(err);
    });
  }

  idle(): Promise<void> {
    return this.work;
  }

  private async onConnected(client: MqttClient): Promise<void> {
    const granted = await client.subscribeAsync([this.topic("cmd"), this.topic("cfg")], { qos: 1 });
    if (granted.some((g) => g.qos === 128)) throw new Error("subscription refused");
    await this.reportState();
    this.emit("ready");
  }

  private publish(channel: "res" | "state", payload: Buffer, qos: 0 | 1): Promise<void> {
    const client = this.client;
    if (!client) return Promise.resolve();
    // QoS 1 resolves on PUBACK.
    return client.publishAsync(this.topic(channel), payload, { qos, retain: false }).then(() => undefined);
  }

  private currentState(): Record<string, unknown> {
    return {
      atMs: Date.now(),
      name: this.device.name,
      locked: this.device.locked,
      timezone: this.device.timezone,
      timezoneAutomatic: this.device.timezoneAutomatic,
      ntpServer: this.device.ntpServer,
      clockOffsetMs: 0,
      lastTimeSyncAtMs: 0,
      timeSyncError: "",
      bootTimeMs: this.bootTimeMs,
      agentVersion: "doc-1",
      appliedConfigVersion: this.appliedConfigVersion,
      model: "DocModel",
      serial: this.serial,
      telemetry: { cpuLoadPercent: 1.5, uptimeSeconds: 60, os: "DocOS", osVersion: "1", batteryPercent: -1 },
      signingKeysVersion: this.identity?.keys.version ?? 0,
    };
  }

  private async reportState(): Promise<void> {
    await this.publish("state", encode(DeviceState, this.currentState()), 0);
    this.emit("stateReported");
  }

  // ---- desired config ----

  private async onConfig(payload: Buffer): Promise<void> {
    const config = decode<DecodedConfig>(DesiredConfig, payload);
    // The key set first: a rotation changes the keys, not the config.
    if (config.signingKeys?.keySet?.length) await this.considerKeySet(config.signingKeys);
    if (config.version <= this.appliedConfigVersion) return;
    if (config.name) this.device.name = config.name;
    const timezone = config.time?.timezone ?? "";
    this.device.timezoneAutomatic = timezone === "";
    this.device.timezone = timezone || "UTC";
    this.device.ntpServer = config.time?.ntpServer ?? "";
    this.appliedConfigVersion = config.version;
    this.writes.push(`config ${config.version}`);
    await this.reportState();
    this.emit("configApplied", config);
  }

  private async considerKeySet(signed: { keySet: Uint8Array; signature: Uint8Array; keyId: string }) {
    const identity = this.identity!;
    const set = decode<{ version: number; keys: { keyId: string; publicKey: Uint8Array }[] }>(
      SigningKeySet,
      signed.keySet,
    );
    if (set.version <= identity.keys.version) return;
    if (signatureRefusal(signed.keySet, signed.signature, signed.keyId, identity.keys)) return;
    const keys = set.keys
      .map((k) => ({ keyId: k.keyId, publicKey: Buffer.from(k.publicKey) }))
      .filter((k) => k.publicKey.length === 32);
    if (keys.length === 0) return;
    this.identity = { ...identity, keys: { version: set.version, keys } };
    this.writes.push(`keys ${set.version}`);
    await this.reportState();
  }

  // ---- commands ----

  private async onCommand(payload: Buffer): Promise<void> {
    const identity = this.identity;
    if (!identity) return;
    let envelope: Envelope;
    let command: DecodedCommand;
    try {
      envelope = decode<Envelope>(SignedCommand, payload);
      command = decode<DecodedCommand>(Command, envelope.command);
    } catch {
      return;
    }
    if (!command.id || !command.action) return;
    const refusal = signatureRefusal(envelope.command, envelope.signature, envelope.keyId, identity.keys);
    if (refusal) return this.answer(command.id, "REJECTED", refusal, { journal: null });
    if (command.deviceId !== identity.deviceId) {
      return this.answer(command.id, "REJECTED", "wrong_device", { journal: null });
    }
    const seen = this.journal.get(command.id);
    if (seen) {
      if (seen.result) {
        // The journaled result again, as it was sent but without the state.
        const again = decode<{ status: number; errorCode: string }>(CommandResult, seen.result);
        const status = Object.keys(Status).find((name) => Status[name] === again.status) ?? "";
        this.sentResults.push({ commandId: command.id, status, errorCode: again.errorCode, hasState: false });
        await this.publish("res", seen.result, 1);
      } else await this.answer(command.id, "FAILED", "interrupted", { journal: seen });
      return;
    }
    const entry: JournalEntry = { seq: command.seq, type: command.action, state: "accepted" };
    if (command.expiresAtMs <= Date.now()) {
      return this.answer(command.id, "REJECTED", "expired", { journal: entry });
    }
    if (command.seq <= this.lastSeq) {
      return this.answer(command.id, "REJECTED", "out_of_order", { journal: entry });
    }
    const leaving = command.action === "deactivate";
    if (leaving) this.writeTombstone("deactivated by an administrator");
    // Durable before acting.
    this.journal.set(command.id, entry);
    this.lastSeq = command.seq;
    this.writes.push(`journal ${command.action}`);
    switch (command.action) {
      case "lock":
        this.device.locked = true;
        break;
      case "rename":
        this.device.name = command.rename?.name ?? this.device.name;
        break;
      case "refresh_state":
      case "deactivate":
        break;
      default:
        return this.answer(command.id, "FAILED", "platform_error", {
          journal: entry,
          message: "not supported",
        });
    }
    this.executed.push(command.id);
    await this.answer(command.id, "SUCCEEDED", "", { journal: entry, withState: !leaving });
    if (leaving) await this.leave();
  }

  /** Journals the final result (unless `journal` is null), then publishes it at QoS 1. */
  private async answer(
    commandId: string,
    status: keyof typeof Status,
    errorCode: string,
    options: { journal: JournalEntry | null; withState?: boolean; message?: string },
  ): Promise<void> {
    const result = {
      commandId,
      status: Status[status],
      errorCode,
      message: options.message ?? "",
      atMs: Date.now(),
    };
    const journaled = encode(CommandResult, result);
    if (options.journal) {
      options.journal.state = "done";
      options.journal.result = journaled;
      this.journal.set(commandId, options.journal);
      this.writes.push(`result ${status}`);
    }
    const sent = options.withState
      ? encode(CommandResult, { ...result, state: this.currentState() })
      : journaled;
    this.sentResults.push({ commandId, status, errorCode, hasState: options.withState ?? false });
    await this.publish("res", sent, 1);
    this.writes.push(`puback ${status}`);
  }

  private writeTombstone(reason: string): void {
    if (this.tombstone) return;
    this.tombstone = { atMs: Date.now(), reason };
    this.writes.push("tombstone");
  }

  /** After the leaving command's result is acknowledged: forget the credential, hang up for good. */
  private async leave(): Promise<void> {
    this.identity = null;
    this.writes.push("forgot identity");
    const client = this.client;
    this.client = null;
    await client?.endAsync();
    this.emit("left");
  }

  stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    return client ? client.endAsync(true) : Promise.resolve();
  }
}

// ---- the tests ---------------------------------------------------------------------------------

let t: TestServer;
const agents: DocAgent[] = [];
const rawClients: MqttClient[] = [];

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  for (const c of rawClients) c.end(true);
  await t.cleanup();
  expect(agents.flatMap((a) => a.failures)).toEqual([]);
});

interface CommandView {
  id: string;
  seq: number;
  state: string;
  errorCode: string | null;
}
interface DeviceView {
  status: string;
  online: boolean;
  name: string;
  desired: { version: number; name: string };
  reported: {
    name: string;
    locked: boolean;
    appliedConfigVersion: number;
    signingKeysVersion: number;
    telemetry: { batteryPercent: number } | null;
  } | null;
}

/** Re-checks `condition` on every server event and every 50 ms until it holds. */
function until(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const { events } = t.server.services;
  return new Promise((resolve, reject) => {
    const offs: (() => void)[] = [];
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(ticker);
      for (const off of offs) off();
      if (err) reject(err);
      else resolve();
    };
    const check = () =>
      condition().then(
        (ok) => ok && finish(),
        (err: Error) => finish(err),
      );
    const timer = setTimeout(() => finish(new Error(`timed out waiting for: ${what}`)), timeoutMs);
    const ticker = setInterval(() => void check(), 50);
    for (const name of ["device.online", "device.state", "device.updated", "command.updated"] as const) {
      offs.push(events.on(name, () => void check()));
    }
    void check();
  });
}

async function getCommand(id: string): Promise<CommandView> {
  return (await t.api.get<CommandView>(`/commands/${id}`)).body;
}
async function getDevice(id: string): Promise<DeviceView> {
  return (await t.api.get<DeviceView>(`/devices/${id}`)).body;
}
const OPEN_STATES: ReadonlySet<string> = new Set(["queued", "sent", "accepted"]);

/** The command once it is final, or once `reached` holds. */
async function finished(
  id: string,
  reached: (c: CommandView) => boolean = (c) => !OPEN_STATES.has(c.state),
): Promise<CommandView> {
  let command: CommandView | undefined;
  await until(async () => {
    command = await getCommand(id);
    return reached(command);
  }, `command ${id} final`);
  return command!;
}
async function issue(deviceId: string, body: Record<string, unknown>): Promise<CommandView> {
  const res = await t.api.post<CommandView>(`/devices/${deviceId}/commands`, body);
  expect(res.status).toBe(202);
  return res.body;
}
async function newToken(): Promise<string> {
  const res = await t.api.post<{ token: string }>("/enrollment-tokens", {
    maxUses: 1,
    expiresInSeconds: 600,
  });
  return res.body.token;
}

let serials = 0;
function newAgent(): DocAgent {
  const agent = new DocAgent(t.server.httpUrl, `DOC-${process.pid}-${++serials}`);
  agents.push(agent);
  return agent;
}

/** Enrolled, connected, and its first config applied. */
async function readyAgent(): Promise<DocAgent & { identity: Identity }> {
  const agent = newAgent();
  await agent.enrollWithToken(await newToken());
  const applied = new Promise((resolve) => agent.once("configApplied", resolve));
  agent.connect();
  await applied;
  return agent as DocAgent & { identity: Identity };
}

describe("an agent written from the protocol document", () => {
  it("enrolls by token and pins the keys the server signs with, named as the document says", async () => {
    const agent = newAgent();
    const answer = await agent.enrollWithToken(await newToken());
    expect(Object.keys(answer).sort()).toEqual([
      "deviceId",
      "mqttUrl",
      "mqttUrls",
      "name",
      "secret",
      "signingKeys",
    ]);
    const pinned = agent.identity!.keys;
    expect(pinned.version).toBe(1);
    expect(pinned.keys.map((k) => k.keyId)).toEqual(pinned.keys.map((k) => keyIdOf(k.publicKey)));
    expect(pinned.keys.map((k) => k.keyId)).toContain(t.server.signer.activeKeyId);

    const refused = newAgent();
    await expect(refused.enrollWithToken("pet_not-a-token")).rejects.toMatchObject({
      status: 401,
      code: "invalid_enrollment_token",
    });
    // The serial of a managed device is not enrolled again over it.
    const again = new DocAgent(t.server.httpUrl, agent.serial);
    await expect(again.enrollWithToken(await newToken())).rejects.toMatchObject({
      status: 409,
      code: "device_already_enrolled",
    });
  });

  it("gets the desired config before any command, applies it, reports it, and runs a queued lock", async () => {
    const agent = newAgent();
    await agent.enrollWithToken(await newToken());
    const { deviceId } = agent.identity!;
    // Issued before the device ever connects: delivered after the config at its first connect.
    const lock = await issue(deviceId, { type: "lock" });
    agent.connect();
    const done = await finished(lock.id);
    expect(done).toMatchObject({ state: "succeeded", errorCode: null });
    expect(agent.received[0]?.channel).toBe("cfg");
    expect(agent.received.map((r) => r.channel)).toContain("cmd");
    // Both sent at QoS 0 and never retained.
    expect(agent.received.every((r) => r.qos === 0 && !r.retain)).toBe(true);
    expect(agent.writes.indexOf("config 1")).toBeLessThan(agent.writes.indexOf("journal lock"));
    expect(agent.sentResults).toEqual([
      { commandId: lock.id, status: "SUCCEEDED", errorCode: "", hasState: true },
    ]);
    await until(async () => (await getDevice(deviceId)).reported?.locked === true, "locked reported");
    const view = await getDevice(deviceId);
    expect(view).toMatchObject({ status: "active", online: true });
    expect(view.reported).toMatchObject({
      appliedConfigVersion: view.desired.version,
      signingKeysVersion: 1,
    });
    expect(view.reported?.telemetry?.batteryPercent).toBe(-1);
  });

  it("renames: SUCCEEDED with its state, then the new name comes back as desired config and is reported applied", async () => {
    const agent = await readyAgent();
    const { deviceId } = agent.identity;
    const before = (await getDevice(deviceId)).desired.version;
    const nextConfig = new Promise<DecodedConfig>((resolve) => agent.once("configApplied", resolve));
    const rename = await issue(deviceId, { type: "rename", name: "Lobby display" });
    expect((await finished(rename.id)).state).toBe("succeeded");
    expect(agent.sentResults.at(-1)).toEqual({
      commandId: rename.id,
      status: "SUCCEEDED",
      errorCode: "",
      hasState: true,
    });
    const config = await nextConfig;
    expect(config).toMatchObject({ version: before + 1, name: "Lobby display" });
    await until(async () => {
      const view = await getDevice(deviceId);
      return view.reported?.appliedConfigVersion === before + 1 && view.reported.name === "Lobby display";
    }, "new config reported applied");
    expect((await getDevice(deviceId)).name).toBe("Lobby display");
  });

  it("refuses unsigned, tampered and foreign-signed copies without journaling them; the genuine command still runs", async () => {
    const agent = await readyAgent();
    const { deviceId } = agent.identity;
    const rogue = generateKeyPairSync("ed25519");
    let genuineId = "";
    let tamperedBytes: Buffer = Buffer.alloc(0);
    agent.intercept = async (payload, handle) => {
      agent.intercept = null;
      const genuine = decode<Envelope>(SignedCommand, payload);
      const command = decode<DecodedCommand>(Command, genuine.command);
      genuineId = command.id;
      // The same id with another action: what an attacker on the path would try.
      tamperedBytes = encode(Command, {
        ...Command.toObject(Command.decode(genuine.command), { longs: Number }),
        lock: undefined,
        factoryReset: {},
      });
      const copies = [
        encode(SignedCommand, { command: genuine.command, signature: Buffer.alloc(0), keyId: "" }),
        encode(SignedCommand, { command: tamperedBytes, signature: genuine.signature, keyId: genuine.keyId }),
        encode(SignedCommand, {
          command: tamperedBytes,
          signature: sign(null, tamperedBytes, rogue.privateKey),
          keyId: "ed25519:0000000000000000",
        }),
      ];
      for (const copy of copies) await handle(copy);
      await handle(payload);
    };
    const lock = await issue(deviceId, { type: "lock" });
    // A copy's refusal is final for a moment (rejected, unsigned), until the genuine answer replaces it.
    const done = await finished(lock.id, (c) => c.state === "succeeded");
    expect(genuineId).toBe(lock.id);
    expect(decode<DecodedCommand>(Command, tamperedBytes).action).toBe("factoryReset");
    expect(agent.sentResults.filter((r) => r.commandId === lock.id)).toEqual([
      { commandId: lock.id, status: "REJECTED", errorCode: "unsigned", hasState: false },
      { commandId: lock.id, status: "REJECTED", errorCode: "bad_signature", hasState: false },
      { commandId: lock.id, status: "REJECTED", errorCode: "unknown_key", hasState: false },
      { commandId: lock.id, status: "SUCCEEDED", errorCode: "", hasState: true },
    ]);
    expect(agent.executed).toEqual([lock.id]);
    // The refusals of the copies did not decide the genuine command's fate.
    expect(done).toMatchObject({ state: "succeeded", errorCode: null });
  });

  it("answers a command delivered again from its journal, without running it twice", async () => {
    const agent = await readyAgent();
    const { deviceId } = agent.identity;
    const lock = await issue(deviceId, { type: "lock" });
    const done = await finished(lock.id);
    const command = await t.api.get<{ seq: number; createdAt: string; expiresAt: string }>(
      `/commands/${lock.id}`,
    );
    await t.server.gateway.publishCommand({
      id: lock.id,
      deviceId,
      seq: command.body.seq,
      issuedAtMs: Date.parse(command.body.createdAt),
      expiresAtMs: Date.parse(command.body.expiresAt),
      action: { type: "lock" },
    });
    await until(
      async () => agent.sentResults.filter((r) => r.commandId === lock.id).length === 2,
      "answered again",
    );
    await agent.idle();
    expect(agent.sentResults.filter((r) => r.commandId === lock.id).map((r) => r.hasState)).toEqual([
      true,
      false,
    ]);
    expect(agent.executed).toEqual([lock.id]);
    expect((await getCommand(lock.id)).state).toBe(done.state);
  });

  it("deactivate: reconnects to receive it, tombstones first, answers, forgets the credential after the PUBACK", async () => {
    const agent = await readyAgent();
    const { deviceId, secret, mqttUrl } = agent.identity;
    const left = new Promise((resolve) => agent.once("left", resolve));
    const deactivate = await issue(deviceId, { type: "deactivate" });
    // The server drops the connection when the deactivation is issued; the agent comes back for it.
    await left;
    expect((await finished(deactivate.id)).state).toBe("succeeded");
    const fromTombstone = agent.writes.slice(agent.writes.indexOf("tombstone"));
    expect(fromTombstone).toEqual([
      "tombstone",
      "journal deactivate",
      "result SUCCEEDED",
      "puback SUCCEEDED",
      "forgot identity",
    ]);
    expect(agent.sentResults.at(-1)).toEqual({
      commandId: deactivate.id,
      status: "SUCCEEDED",
      errorCode: "",
      hasState: false,
    });
    expect(agent.identity).toBeNull();
    expect((await getDevice(deviceId)).status).toBe("deactivated");
    // The credential is gone at the server, and the serial can never enroll again.
    await expect(
      connectMqtt(mqttUrl, { clientId: deviceId, username: deviceId, password: secret }, rawClients),
    ).rejects.toThrow(/Bad username or password/);
    await expect(agent.enrollWithToken(await newToken())).rejects.toThrow(/never enrolls again/);
    const stranger = new DocAgent(t.server.httpUrl, agent.serial);
    await expect(stranger.enrollWithToken(await newToken())).rejects.toMatchObject({
      status: 403,
      code: "device_deactivated",
    });
    expect(stranger.tombstone).not.toBeNull();
  });

  it("is refused subscriptions outside its own cmd and cfg with SUBACK 0x80, and stays connected", async () => {
    const agent = await readyAgent();
    const { deviceId, secret, mqttUrl } = agent.identity;
    await agent.stop();
    const client = await connectMqtt(
      mqttUrl,
      { clientId: deviceId, username: deviceId, password: secret },
      rawClients,
    );
    // MQTT.js reports a refused subscription as an error carrying the SUBACK.
    const granted = await new Promise<number[]>((resolve) =>
      client.subscribe(
        ["pmdm/v1/d/+/cmd", `pmdm/v1/d/${deviceId}/res`, `pmdm/v1/d/${deviceId}/cmd`],
        { qos: 1 },
        (_err, _subscriptions, suback) => resolve((suback as { granted: number[] }).granted),
      ),
    );
    expect(granted).toEqual([128, 128, 1]);
    expect(client.connected).toBe(true);
    // Publishing where it may not: the broker closes the connection.
    client.publish(`pmdm/v1/d/${deviceId}/cmd`, Buffer.from([0]));
    await closed(client);
  });
});
