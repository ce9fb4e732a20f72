/**
 * One simulated display: a SimulatedPlatform, its storage and the agent core, including the
 * reboot a real device goes through (the agent stops abruptly, the device is gone for a
 * while, then a new agent starts over the same storage with a new boot time). Hundreds of
 * these run in one process, in tests and in the simulator.
 */
import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import type { CommandType } from "../proto/wire.js";
import { AgentCore } from "./core/agent.js";
import type { AgentEvents, AgentStatus } from "./core/agent-events.js";
import { SafeEmitter } from "./core/safe-emitter.js";
import type { SignatureVerifier } from "./core/signatures.js";
import { EnrollmentClient } from "./enrollment/enrollment-client.js";
import { SimulatedPlatform, type SimulatedPlatformOptions } from "./platform/simulated.js";
import type { AgentStorage } from "./storage/agent-storage.js";
import { MemoryAgentStorage } from "./storage/memory-storage.js";
import { mqttJsTransport } from "./transport/mqtt-transport.js";
import type { TransportFactory } from "./transport/transport.js";
import { AGENT_VERSION } from "./version.js";

export interface SimulatedDeviceOptions extends Omit<SimulatedPlatformOptions, "onReboot"> {
  serverUrl: string;
  logger: Logger;
  /** Enroll with this token; without one the device shows a code (event `userCode`). */
  enrollmentToken?: string;
  /** Default: a fresh MemoryAgentStorage, which outlives the device's reboots. */
  storage?: AgentStorage;
  /** Default: MQTT.js. */
  transport?: TransportFactory;
  /** Default 60 000 ms; 0 disables periodic reports. */
  stateReportIntervalMs?: number;
  agentVersion?: string;
  /** Connection handling for enrollment requests (see EnrollmentClientOptions). */
  enrollmentDispatcher?: Dispatcher;
  /** Checks command signatures; a fleet shares one per process. Default: one per agent core. */
  signatureVerifier?: SignatureVerifier;
}

/** A platform action the device really ran. */
export interface Execution {
  commandId: string;
  type: CommandType;
  /** True time (not the device's skewed clock). */
  atMs: number;
}

export interface SimulatedDeviceEvents extends Omit<AgentEvents, "executed"> {
  executed: Execution;
  /** The device goes away for `durationMs`, then boots and starts a new agent. */
  rebooting: { durationMs: number };
}

/** Agent events passed through to the device's listeners as they are. */
const FORWARDED_EVENTS = [
  "status",
  "userCode",
  "enrolled",
  "result",
  "configApplied",
  "keysPinned",
  "brokerUrlsStored",
  "brokerChanged",
  "stateReported",
  "wiped",
  "problem",
] as const satisfies readonly (keyof AgentEvents & keyof SimulatedDeviceEvents)[];

export class SimulatedDevice extends SafeEmitter<SimulatedDeviceEvents> {
  readonly platform: SimulatedPlatform;
  readonly storage: AgentStorage;
  /** Every platform action, in order: the device-side record of what really ran. */
  readonly executions: Execution[] = [];
  private core: AgentCore | null = null;
  private rebootTimer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly options: SimulatedDeviceOptions) {
    super((event, err) => options.logger.error({ err, event }, "a simulated device listener failed"));
    this.platform = new SimulatedPlatform({ ...options, onReboot: (durationMs) => this.reboot(durationMs) });
    this.storage = options.storage ?? new MemoryAgentStorage();
  }

  /** The current agent's status; `stopped` while the device is rebooting. */
  get status(): AgentStatus {
    return this.core?.status ?? "stopped";
  }

  get deviceId(): string | null {
    return this.core?.deviceId ?? this.storage.identity()?.deviceId ?? null;
  }

  get serial(): string {
    return this.platform.serial;
  }

  /** Times `commandId` was executed on this device. */
  executionCount(commandId: string): number {
    return this.executions.filter((e) => e.commandId === commandId).length;
  }

  /** Powers the device on; resolves once its agent is connecting (see AgentCore.start). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.startAgent();
  }

  /** `abrupt`: a power cut; otherwise the agent finishes its current command and disconnects. */
  async stop(options: { abrupt?: boolean } = {}): Promise<void> {
    this.running = false;
    if (this.rebootTimer) clearTimeout(this.rebootTimer);
    this.rebootTimer = null;
    await this.core?.stop(options);
  }

  /** Resolves when the agent has handled everything it received so far. */
  idle(): Promise<void> {
    return this.core?.idle() ?? Promise.resolve();
  }

  /** Waits until the agent reports `status` (or already does). */
  waitForStatus(status: AgentStatus, timeoutMs = 20_000): Promise<void> {
    if (this.status === status) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onStatus = (current: AgentStatus) => {
        if (current !== status) return;
        clearTimeout(timer);
        this.off("status", onStatus);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off("status", onStatus);
        reject(
          new Error(
            `device ${this.serial} did not become ${status} within ${timeoutMs} ms (is ${this.status})`,
          ),
        );
      }, timeoutMs);
      this.on("status", onStatus);
    });
  }

  private async startAgent(): Promise<void> {
    const { options } = this;
    const core = new AgentCore({
      platform: this.platform,
      storage: this.storage,
      transportFactory: options.transport ?? mqttJsTransport(),
      serverUrl: options.serverUrl,
      agentVersion: options.agentVersion ?? AGENT_VERSION,
      logger: options.logger.child({ serial: this.platform.serial }),
      clock: () => this.platform.deviceTimeMs(),
      enrollment: { token: options.enrollmentToken },
      enrollmentClient: new EnrollmentClient(options.serverUrl, { dispatcher: options.enrollmentDispatcher }),
      stateReportIntervalMs: options.stateReportIntervalMs,
      signatureVerifier: options.signatureVerifier,
    });
    this.core = core;
    for (const event of FORWARDED_EVENTS) this.forward(core, event);
    core.on("executed", ({ commandId, type }) => {
      const execution: Execution = { commandId, type, atMs: (options.clock ?? Date.now)() };
      this.executions.push(execution);
      this.emit("executed", execution);
    });
    await core.start();
  }

  private forward<K extends (typeof FORWARDED_EVENTS)[number]>(core: AgentCore, event: K): void {
    // Same payload type by construction (SimulatedDeviceEvents keeps these keys of AgentEvents);
    // TypeScript cannot relate the two indexed types through a generic key.
    core.on(event, (payload) => this.emit(event, payload as SimulatedDeviceEvents[K]));
  }

  private reboot(durationMs: number): void {
    const core = this.core;
    if (!this.running || !core) return;
    this.emit("rebooting", { durationMs });
    void core.stop({ abrupt: true }).then(() => {
      if (!this.running || this.core !== core) return;
      this.rebootTimer = setTimeout(() => {
        this.rebootTimer = null;
        if (!this.running) return;
        this.platform.boot();
        this.startAgent().catch((err: unknown) =>
          this.options.logger.error({ err, serial: this.serial }, "simulated device failed to boot"),
        );
      }, durationMs);
    });
  }
}
