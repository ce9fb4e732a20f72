/**
 * A fleet of simulated displays in one process: each device runs the real agent core over the
 * lean MQTT transport, with the faults its profile group gives it. Offline churn is driven by
 * one fleet-wide ticker, not a timer per device.
 */
import type { Logger } from "pino";
import { Agent } from "undici";
import { SignatureVerifier } from "../agent/core/signatures.js";
import { SimulatedDevice } from "../agent/simulated-device.js";
import { KeepaliveTicker, type LeanTransport, leanTransport } from "../agent/transport/lean-transport.js";
import type { TransportFactory } from "../agent/transport/transport.js";
import { type FaultGroup, type FleetProfile, pickByShare, sample } from "./profile.js";
import { seededRandom } from "./random.js";
import type { SourcePortAllocator } from "./source-ports.js";

export interface FleetOptions {
  serverUrl: string;
  enrollmentToken: string;
  profile: FleetProfile;
  size: number;
  logger: Logger;
  /** Serial prefix, so several fleets (or workers) never share serials. */
  serialPrefix?: string;
  seed?: number;
  /** How many devices enroll and connect at the same time. Default 200. */
  concurrency?: number;
  stateReportIntervalMs?: number;
  /** Name each connection's local port from this range (fleets past ~14 000 devices). */
  sourcePorts?: SourcePortAllocator;
  /** Called as devices come online. */
  onProgress?: (online: number, total: number) => void;
  /**
   * Longest wait between reconnect attempts. Default 60 000 ms; crash tests shorten it so the
   * fleet is back soon after its server.
   */
  maxReconnectDelayMs?: number;
  /** Trusted CA certificate(s) (PEM) for a server on TLS: enrollment over HTTPS, MQTT over TLS. */
  ca?: string | Buffer;
}

export interface FleetDevice {
  device: SimulatedDevice;
  group: FaultGroup;
  /** The live transport, for simulated outages. */
  transport: LeanTransport | null;
  nextChurnAtMs: number;
}

const CHURN_TICK_MS = 500;

/** Hands each command to the agent a second time with the group's duplicate rate, after any read delay. */
function faultyTransport(base: TransportFactory, group: FaultGroup, random: () => number): TransportFactory {
  if (!group.duplicateRate && !group.readDelayMs) return base;
  return (options, handlers) =>
    base(options, {
      ...handlers,
      message(topic, payload) {
        const deliver = () => {
          handlers.message(topic, payload);
          if (topic.endsWith("/cmd") && random() < (group.duplicateRate ?? 0))
            handlers.message(topic, payload);
        };
        if (group.readDelayMs) setTimeout(deliver, group.readDelayMs);
        else deliver();
      },
    });
}

export class Fleet {
  readonly members: FleetDevice[] = [];
  private churnTimer: NodeJS.Timeout | null = null;
  /** One keepalive timer for the whole fleet. */
  private readonly keepalive = new KeepaliveTicker();
  /**
   * Enrollment requests close their connection when answered: a device's MQTT socket follows
   * at once, and idle pooled HTTP connections on top of ~19 900 device sockets would push
   * both processes past the open-file limit.
   */
  private readonly enrollmentConnections: Agent;
  /** One for the fleet: every device pins the same server keys (one key object each). */
  private readonly signatureVerifier = new SignatureVerifier();
  /** Simulated network outages so far. */
  outages = 0;
  private readonly random: () => number;

  private readonly localEndpoint: (() => { localAddress: string; localPort: number }) | undefined;

  constructor(private readonly options: FleetOptions) {
    this.random = seededRandom(options.seed ?? 1);
    this.enrollmentConnections = new Agent({
      pipelining: 0,
      ...(options.ca ? { connect: { ca: options.ca } } : {}),
    });
    const ports = options.sourcePorts;
    this.localEndpoint = ports ? () => ({ localAddress: "127.0.0.1", localPort: ports.take() }) : undefined;
  }

  get devices(): SimulatedDevice[] {
    return this.members.map((m) => m.device);
  }

  onlineCount(): number {
    return this.members.reduce((n, m) => n + (m.device.status === "online" ? 1 : 0), 0);
  }

  private build(index: number): FleetDevice {
    const { profile } = this.options;
    const group = pickByShare(profile.groups, this.random());
    const model = pickByShare(profile.models, this.random()).model;
    const name = (profile.nameTemplate ?? "{model} {n}")
      .replace("{model}", model)
      .replace("{n}", String(index + 1));
    const skewMs = Math.round(sample(group.clockSkewMs, this.random));
    const member: FleetDevice = {
      device: undefined as unknown as SimulatedDevice,
      group,
      transport: null,
      nextChurnAtMs: 0,
    };
    const transport = faultyTransport(
      leanTransport(
        {
          ticker: this.keepalive,
          localEndpoint: this.localEndpoint,
          maxReconnectDelayMs: this.options.maxReconnectDelayMs,
          ca: this.options.ca,
        },
        (t) => {
          member.transport = t;
        },
      ),
      group,
      this.random,
    );
    member.device = new SimulatedDevice({
      serial: `${this.options.serialPrefix ?? "SIM"}-${String(index + 1).padStart(6, "0")}`,
      model,
      name,
      serverUrl: this.options.serverUrl,
      enrollmentToken: this.options.enrollmentToken,
      logger: this.options.logger,
      transport,
      latencyMs: group.latencyMs ?? 0,
      failureRate: group.failureRate ?? 0,
      rebootDurationMs: Math.round(sample(group.rebootDurationMs, this.random)) || 200,
      clockOffsetMs: skewMs,
      random: this.random,
      stateReportIntervalMs: this.options.stateReportIntervalMs ?? 0,
      enrollmentDispatcher: this.enrollmentConnections,
      signatureVerifier: this.signatureVerifier,
    });
    if (group.churn) member.nextChurnAtMs = Date.now() + sample(group.churn.everyMs, this.random);
    return member;
  }

  /** Enrolls and connects every device, `concurrency` at a time. */
  async start(): Promise<void> {
    const { size } = this.options;
    for (let i = 0; i < size; i++) this.members.push(this.build(i));
    let next = 0;
    let online = 0;
    const worker = async () => {
      while (next < this.members.length) {
        const member = this.members[next++]!;
        const ready = member.device.waitForStatus("online", 120_000);
        await member.device.start();
        await ready;
        online++;
        this.options.onProgress?.(online, size);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 200, size) }, worker));
    if (this.members.some((m) => m.group.churn)) {
      this.churnTimer = setInterval(() => this.churn(), CHURN_TICK_MS);
      this.churnTimer.unref();
    }
  }

  private churn(): void {
    const now = Date.now();
    for (const member of this.members) {
      const churn = member.group.churn;
      if (!churn || now < member.nextChurnAtMs) continue;
      if (member.transport) {
        member.transport.dropConnection(Math.round(sample(churn.offlineMs, this.random)));
        this.outages++;
      }
      member.nextChurnAtMs = now + sample(churn.everyMs, this.random);
    }
  }

  async stop(): Promise<void> {
    if (this.churnTimer) clearInterval(this.churnTimer);
    await Promise.all(this.members.map((m) => m.device.stop({ abrupt: true })));
    await this.enrollmentConnections.close();
  }
}
