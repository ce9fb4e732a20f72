/**
 * Test doubles for the agent core: an in-memory network standing in for the MQTT transport,
 * command builders, and a harness that starts an AgentCore and waits for it to be online.
 */
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { pino } from "pino";
import { AgentCore, type AgentCoreOptions } from "../../../agent/core/agent.js";
import type { AgentStatus } from "../../../agent/core/agent-events.js";
import { SimulatedPlatform } from "../../../agent/platform/simulated.js";
import type { AgentStorage, Identity } from "../../../agent/storage/agent-storage.js";
import { MemoryAgentStorage } from "../../../agent/storage/memory-storage.js";
import type {
  AgentTransport,
  ConnectOptions,
  TransportFactory,
  TransportHandlers,
} from "../../../agent/transport/transport.js";
import {
  decodeCommandResult,
  decodeDeviceState,
  encodeCommandBody,
  encodeDesiredConfig,
  encodeSignedCommand,
} from "../../../proto/codec.js";
import { keyIdOf, rawPublicKey } from "../../../proto/ed25519.js";
import { deviceTopic, parseDeviceTopic } from "../../../proto/topics.js";
import type {
  CommandAction,
  CommandResult,
  DesiredConfig,
  DeviceCommand,
  DeviceState,
} from "../../../proto/wire.js";

export const DEVICE_ID = "dev_unit";
export const silentLogger = pino({ level: "silent" });

/** A server signing key pair, as the server's key ring holds one. */
export interface TestSigningKey {
  keyId: string;
  privateKey: KeyObject;
  /** Raw 32 bytes. */
  publicKey: Uint8Array;
  /** How an agent pins it. */
  pinned: { keyId: string; publicKey: string };
}

export function newSigningKey(): TestSigningKey {
  const { privateKey, publicKey: publicKeyObject } = generateKeyPairSync("ed25519");
  const publicKey = rawPublicKey(publicKeyObject);
  const keyId = keyIdOf(publicKey);
  return {
    keyId,
    privateKey,
    publicKey,
    pinned: { keyId, publicKey: Buffer.from(publicKey).toString("base64") },
  };
}

/** The key the server of these tests signs with; IDENTITY pins it. */
export const SERVER_KEY = newSigningKey();

export const IDENTITY: Identity = {
  deviceId: DEVICE_ID,
  secret: "pds_secret",
  mqttUrl: "mqtt://127.0.0.1:1883",
  serverUrl: "http://127.0.0.1:8080",
  enrolledAtMs: 1,
  serverKeys: { version: 1, keys: [SERVER_KEY.pinned] },
};

/** The envelope as the server sends it: `command` signed by `key`. */
export function signedCommand(command: DeviceCommand, key: TestSigningKey = SERVER_KEY): Uint8Array {
  const commandBytes = encodeCommandBody(command);
  return encodeSignedCommand({
    commandBytes,
    signature: sign(null, commandBytes, key.privateKey),
    keyId: key.keyId,
  });
}

/** One connection made by one agent core; the broker side of it, driven by the test. */
export class FakeLink implements AgentTransport {
  connectCalls = 0;
  endedWith: { force: boolean } | null = null;
  subscriptions: string[] = [];

  constructor(
    readonly options: ConnectOptions,
    readonly handlers: TransportHandlers,
    private readonly network: FakeNetwork,
  ) {}

  connect(): void {
    this.connectCalls++;
    if (this.network.autoConnect) setImmediate(() => this.handlers.connected());
  }

  async subscribe(topics: string[]): Promise<void> {
    this.subscriptions.push(...topics);
  }

  async publish(topic: string, payload: Uint8Array): Promise<void> {
    await this.network.beforePuback?.(topic, payload);
    this.network.published.push({ topic, payload, link: this });
  }

  async end(force: boolean): Promise<void> {
    this.endedWith = { force };
  }
}

/** Every link any agent core opened, and everything published over them, in order. */
export class FakeNetwork {
  readonly links: FakeLink[] = [];
  readonly published: { topic: string; payload: Uint8Array; link: FakeLink }[] = [];
  autoConnect = true;
  /** Runs before a publish is acknowledged; a test can hold or fail it. */
  beforePuback: ((topic: string, payload: Uint8Array) => Promise<void> | void) | null = null;

  readonly factory: TransportFactory = (options, handlers) => {
    const link = new FakeLink(options, handlers, this);
    this.links.push(link);
    return link;
  };

  get link(): FakeLink {
    const link = this.links.at(-1);
    if (!link) throw new Error("no agent has connected");
    return link;
  }

  /** Over this device's `cmd` topic, signed by SERVER_KEY, whatever device the command names. */
  deliver(command: DeviceCommand, link = this.link): void {
    this.deliverEnvelope(signedCommand(command), link);
  }

  /** An envelope exactly as given: forged, tampered or unsigned. */
  deliverEnvelope(bytes: Uint8Array, link = this.link): void {
    link.handlers.message(deviceTopic(DEVICE_ID, "cmd"), bytes);
  }

  deliverConfig(config: DesiredConfig, link = this.link): void {
    link.handlers.message(deviceTopic(DEVICE_ID, "cfg"), encodeDesiredConfig(config));
  }

  results(): CommandResult[] {
    return this.published
      .filter((p) => parseDeviceTopic(p.topic)?.channel === "res")
      .map((p) => decodeCommandResult(p.payload));
  }

  /** `status` or `status:error_code`, per result of `commandId` (all results if omitted). */
  outcomes(commandId?: string): string[] {
    return this.results()
      .filter((r) => commandId === undefined || r.commandId === commandId)
      .map((r) => (r.errorCode ? `${r.status}:${r.errorCode}` : r.status));
  }

  /** Every state the device reported, on its own or along with a command's result, in order. */
  states(): DeviceState[] {
    const states: DeviceState[] = [];
    for (const p of this.published) {
      const channel = parseDeviceTopic(p.topic)?.channel;
      if (channel === "state") states.push(decodeDeviceState(p.payload));
      const carried = channel === "res" ? decodeCommandResult(p.payload).state : null;
      if (carried) states.push(carried);
    }
    return states;
  }

  /** Channels in publish order, e.g. ["state", "res", "res", "state"]. */
  channels(): string[] {
    return this.published.map((p) => parseDeviceTopic(p.topic)?.channel ?? p.topic);
  }
}

/** A device clock the test moves by hand. */
export class ManualClock {
  constructor(public nowMs = 1_800_000_000_000) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export class CommandFactory {
  private lastSeq = 0;
  private lastId = 0;

  constructor(private readonly clock: ManualClock) {}

  /** The next command in seq order, valid for a minute, for DEVICE_ID. */
  next(action: CommandAction, overrides: Partial<DeviceCommand> = {}): DeviceCommand {
    this.lastId++;
    this.lastSeq = overrides.seq ?? this.lastSeq + 1;
    return {
      id: `cmd_${this.lastId}`,
      deviceId: DEVICE_ID,
      seq: this.lastSeq,
      issuedAtMs: this.clock.nowMs,
      expiresAtMs: this.clock.nowMs + 60_000,
      action,
      ...overrides,
    };
  }
}

export function waitForStatus(agent: AgentCore, status: AgentStatus): Promise<void> {
  if (agent.status === status) return Promise.resolve();
  return new Promise((resolve) => {
    const onStatus = (current: AgentStatus) => {
      if (current !== status) return;
      agent.off("status", onStatus);
      resolve();
    };
    agent.on("status", onStatus);
  });
}

/** A device with its storage, platform and network; `boot()` starts a fresh agent core on them. */
export class TestDevice {
  readonly clock = new ManualClock();
  readonly commands = new CommandFactory(this.clock);
  readonly network = new FakeNetwork();
  readonly executed: string[] = [];
  agent: AgentCore | null = null;

  constructor(
    readonly storage: AgentStorage = new MemoryAgentStorage(),
    readonly platform = new SimulatedPlatform({ serial: "UNIT-0001", clock: () => Date.now() }),
  ) {}

  static async enrolled(
    storage: AgentStorage = new MemoryAgentStorage(),
    platform?: SimulatedPlatform,
  ): Promise<TestDevice> {
    await storage.load();
    await storage.saveIdentity(IDENTITY);
    return new TestDevice(storage, platform);
  }

  create(options: Partial<AgentCoreOptions> = {}): AgentCore {
    const agent = new AgentCore({
      platform: this.platform,
      storage: this.storage,
      transportFactory: this.network.factory,
      serverUrl: "http://127.0.0.1:1",
      agentVersion: "9.9.9-test",
      logger: silentLogger,
      clock: this.clock.now,
      stateReportIntervalMs: 0,
      ...options,
    });
    agent.on("executed", ({ commandId }) => this.executed.push(commandId));
    this.agent = agent;
    return agent;
  }

  /** Starts a new agent core and resolves once it is online and has caught up. */
  async boot(options: Partial<AgentCoreOptions> = {}): Promise<AgentCore> {
    const agent = this.create(options);
    const online = waitForStatus(agent, "online");
    await agent.start();
    await online;
    await agent.idle();
    return agent;
  }

  get running(): AgentCore {
    if (!this.agent) throw new Error("no agent started");
    return this.agent;
  }

  /** Delivers the command over the current link and waits until the agent has handled it. */
  async send(command: DeviceCommand): Promise<void> {
    this.network.deliver(command);
    await this.running.idle();
  }

  /** Delivers an envelope as given and waits until the agent has handled it. */
  async sendEnvelope(bytes: Uint8Array): Promise<void> {
    this.network.deliverEnvelope(bytes);
    await this.running.idle();
  }

  async sendConfig(config: DesiredConfig): Promise<void> {
    this.network.deliverConfig(config);
    await this.running.idle();
  }
}
