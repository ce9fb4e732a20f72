/**
 * The agent core's command rules, with the transport replaced by an in-memory loop so each
 * rule can be driven precisely. (The integration tests run the same core over real MQTT.)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentCore } from "../../../agent/core/agent.js";
import { SimulatedPlatform } from "../../../agent/platform/simulated.js";
import type { AgentStorage } from "../../../agent/storage/agent-storage.js";
import { FileAgentStorage } from "../../../agent/storage/file-storage.js";
import { MemoryAgentStorage } from "../../../agent/storage/memory-storage.js";
import type { TransportFactory, TransportHandlers } from "../../../agent/transport/transport.js";
import {
  decodeCommandResult,
  encodeCommandBody,
  encodeDesiredConfig,
  encodeSignedCommand,
} from "../../../proto/codec.js";
import { deviceTopic } from "../../../proto/topics.js";
import type { CommandAction, CommandResult, DeviceCommand } from "../../../proto/wire.js";

const DEVICE_ID = "dev_unit";

/** A transport that connects at once and records what the agent publishes. */
class LoopTransport {
  handlers: TransportHandlers | null = null;
  published: { topic: string; payload: Uint8Array }[] = [];
  factory: TransportFactory = (_options, handlers) => {
    this.handlers = handlers;
    return {
      connect: () => setImmediate(() => handlers.connected()),
      subscribe: async () => {},
      publish: async (topic, payload) => {
        this.published.push({ topic, payload });
      },
      end: async () => {},
    };
  };
  results(): CommandResult[] {
    return this.published
      .filter((p) => p.topic === deviceTopic(DEVICE_ID, "res"))
      .map((p) => decodeCommandResult(p.payload));
  }
  deliver(command: DeviceCommand): void {
    const bytes = encodeSignedCommand({ commandBytes: encodeCommandBody(command) });
    this.handlers?.message(deviceTopic(DEVICE_ID, "cmd"), Buffer.from(bytes));
  }
}

let storage: AgentStorage;
let transport: LoopTransport;
let platform: SimulatedPlatform;
let agent: AgentCore;
let executed: string[];
let seq = 0;

function command(action: CommandAction, overrides: Partial<DeviceCommand> = {}): DeviceCommand {
  seq++;
  return {
    id: `cmd_${seq}`,
    deviceId: DEVICE_ID,
    seq,
    issuedAtMs: Date.now(),
    expiresAtMs: Date.now() + 60_000,
    action,
    ...overrides,
  };
}

async function startAgent(s: AgentStorage = storage): Promise<void> {
  agent = new AgentCore({
    platform,
    storage: s,
    transport: transport.factory,
    serverUrl: "http://127.0.0.1:1",
    agentVersion: "test",
    logger: pino({ level: "silent" }),
    stateReportIntervalMs: 0,
  });
  agent.on("executed", ({ commandId }) => executed.push(commandId));
  const online = new Promise<void>((resolve) => agent.on("status", (s) => s === "online" && resolve()));
  await agent.start();
  await online;
  await agent.idle();
}

async function deliverAndSettle(cmd: DeviceCommand): Promise<void> {
  transport.deliver(cmd);
  await new Promise((r) => setImmediate(r));
  await agent.idle();
}

beforeEach(async () => {
  storage = new MemoryAgentStorage();
  await storage.saveIdentity({
    deviceId: DEVICE_ID,
    secret: "s",
    mqttUrl: "mqtt://127.0.0.1:1",
    serverUrl: "http://127.0.0.1:1",
    enrolledAtMs: 0,
  });
  transport = new LoopTransport();
  platform = new SimulatedPlatform({ serial: "UNIT-1" });
  executed = [];
  await startAgent();
});
afterEach(async () => agent.stop());

describe("agent core: command rules", () => {
  it("executes a command once and answers a duplicate with the stored result", async () => {
    const lock = command({ type: "lock" });
    await deliverAndSettle(lock);
    await deliverAndSettle(lock);
    expect(executed).toEqual([lock.id]);
    expect(transport.results().map((r) => r.status)).toEqual(["accepted", "succeeded", "succeeded"]);
  });

  it("rejects an expired command and never runs it", async () => {
    await deliverAndSettle(command({ type: "lock" }, { expiresAtMs: Date.now() - 1 }));
    expect(executed).toEqual([]);
    expect(transport.results()).toMatchObject([{ status: "rejected", errorCode: "expired" }]);
    expect(platform.locked).toBe(false);
  });

  it("rejects a command addressed to another device", async () => {
    await deliverAndSettle(command({ type: "lock" }, { deviceId: "dev_other" }));
    expect(executed).toEqual([]);
    expect(transport.results()).toMatchObject([{ status: "rejected", errorCode: "wrong_device" }]);
  });

  it("rejects a seq that goes backwards but accepts gaps", async () => {
    const later = command({ type: "refresh_state" }, { seq: 50 });
    await deliverAndSettle(later);
    await deliverAndSettle(command({ type: "lock" }, { seq: 49 }));
    await deliverAndSettle(command({ type: "lock" }, { seq: 80 }));
    expect(transport.results().map((r) => `${r.status}${r.errorCode ? `:${r.errorCode}` : ""}`)).toEqual([
      "accepted",
      "succeeded",
      "rejected:out_of_order",
      "accepted",
      "succeeded",
    ]);
  });

  it("records the command durably before the platform acts", async () => {
    const lock = command({ type: "lock" });
    let journalWhenActing: string | undefined;
    platform.lock = async () => {
      journalWhenActing = storage.journalEntry(lock.id)?.state;
    };
    await deliverAndSettle(lock);
    expect(journalWhenActing).toBe("accepted");
  });

  it("after a crash mid-command, reports it interrupted and never runs it again", async () => {
    const lock = command({ type: "lock" });
    // What a crash after acceptance leaves behind: an entry with no result.
    await storage.putJournalEntry({ commandId: lock.id, seq: lock.seq, type: "lock", state: "accepted" });
    await agent.stop();
    transport = new LoopTransport();
    await startAgent();
    expect(transport.results()).toMatchObject([
      { commandId: lock.id, status: "failed", errorCode: "interrupted" },
    ]);
    await deliverAndSettle(lock);
    expect(executed).toEqual([]);
    expect(transport.results().map((r) => r.status)).toEqual(["failed", "failed"]);
  });

  it("succeeds a reboot only once the boot time has changed", async () => {
    const reboot = command({ type: "reboot" });
    platform.onReboot = () => {};
    await deliverAndSettle(reboot);
    expect(transport.results().map((r) => r.status)).toEqual(["accepted"]);
    // The same process sees the command again before restarting: still accepted.
    await deliverAndSettle(reboot);
    expect(transport.results().map((r) => r.status)).toEqual(["accepted", "accepted"]);
    await agent.stop();
    platform.boot();
    transport = new LoopTransport();
    await startAgent();
    expect(transport.results()).toMatchObject([{ commandId: reboot.id, status: "succeeded" }]);
    expect(executed).toEqual([reboot.id]);
  });

  it("fails a reboot that a restart shows never happened", async () => {
    const reboot = command({ type: "reboot" });
    platform.onReboot = () => {};
    await deliverAndSettle(reboot);
    await agent.stop();
    transport = new LoopTransport();
    await startAgent();
    expect(transport.results()).toMatchObject([{ status: "failed", errorCode: "reboot_not_observed" }]);
  });

  it("applies each desired config version once", async () => {
    let renames = 0;
    const setName = platform.setName.bind(platform);
    platform.setName = async (name) => {
      renames++;
      await setName(name);
    };
    const cfg = encodeDesiredConfig({
      version: 2,
      name: "Lobby",
      time: { timezone: "Europe/Oslo", ntpServer: null },
    });
    transport.handlers?.message(deviceTopic(DEVICE_ID, "cfg"), Buffer.from(cfg));
    transport.handlers?.message(deviceTopic(DEVICE_ID, "cfg"), Buffer.from(cfg));
    await new Promise((r) => setImmediate(r));
    await agent.idle();
    expect(renames).toBe(1);
    expect(platform.name).toBe("Lobby");
    expect(platform.timezone).toBe("Europe/Oslo");
    expect(storage.appliedConfigVersion()).toBe(2);
  });

  it("ignores malformed commands and keeps working", async () => {
    transport.handlers?.message(deviceTopic(DEVICE_ID, "cmd"), Buffer.from([0xff, 0x00, 0xff]));
    await deliverAndSettle(command({ type: "lock" }));
    expect(platform.locked).toBe(true);
  });

  it("deactivation leaves a tombstone that stops every later start", async () => {
    await deliverAndSettle(command({ type: "deactivate" }));
    expect(agent.status).toBe("deactivated");
    expect(storage.tombstone()).not.toBeNull();
    transport = new LoopTransport();
    agent = new AgentCore({
      platform,
      storage,
      transport: transport.factory,
      serverUrl: "http://127.0.0.1:1",
      agentVersion: "test",
      logger: pino({ level: "silent" }),
      enrollmentToken: "pet_anything",
    });
    await agent.start();
    expect(agent.status).toBe("deactivated");
    expect(transport.handlers).toBeNull();
  });
});

describe("FileAgentStorage", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pmdm-agent-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("keeps identity, journal and tombstone across a reload, and wipes all but the tombstone", async () => {
    const first = new FileAgentStorage(dir);
    await first.load();
    await first.saveIdentity({
      deviceId: "dev_1",
      secret: "s",
      mqttUrl: "m",
      serverUrl: "h",
      enrolledAtMs: 1,
    });
    await first.putJournalEntry({ commandId: "cmd_a", seq: 7, type: "lock", state: "accepted" });
    await first.setAppliedConfigVersion(3);
    await first.writeTombstone({ deviceId: "dev_1", atMs: 2, reason: "r" });

    const second = new FileAgentStorage(dir);
    await second.load();
    expect(second.identity()?.deviceId).toBe("dev_1");
    expect(second.journalEntry("cmd_a")?.state).toBe("accepted");
    expect(second.lastSeq()).toBe(7);
    expect(second.appliedConfigVersion()).toBe(3);
    await second.wipe();

    const third = new FileAgentStorage(dir);
    await third.load();
    expect(third.identity()).toBeNull();
    expect(third.lastSeq()).toBe(0);
    expect(third.tombstone()?.reason).toBe("r");
  });

  it("keeps the highest seq when old journal entries are trimmed", async () => {
    const s = new MemoryAgentStorage();
    for (let i = 1; i <= 1100; i++)
      await s.putJournalEntry({ commandId: `c${i}`, seq: i, type: "lock", state: "done" });
    expect(s.journalEntries()).toHaveLength(1000);
    expect(s.journalEntry("c1")).toBeUndefined();
    expect(s.lastSeq()).toBe(1100);
  });
});
