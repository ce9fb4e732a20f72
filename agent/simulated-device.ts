/**
 * One simulated display: a SimulatedPlatform, its storage and the agent core, including the
 * reboot a real device goes through (the agent stops abruptly, the device is gone for a
 * while, then a new agent starts over the same storage with a new boot time).
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { CommandType } from "../proto/wire.js";
import { AgentCore } from "./core/agent.js";
import type { AgentEvents, AgentStatus } from "./core/agent-events.js";
import { SimulatedPlatform, type SimulatedPlatformOptions } from "./platform/simulated.js";
import type { AgentStorage } from "./storage/agent-storage.js";
import { MemoryAgentStorage } from "./storage/memory-storage.js";
import { mqttJsTransport } from "./transport/mqtt-transport.js";
import type { TransportFactory } from "./transport/transport.js";
import { AGENT_VERSION } from "./version.js";

export interface SimulatedDeviceOptions extends Omit<SimulatedPlatformOptions, "onReboot"> {
  serverUrl: string;
  logger: Logger;
  enrollmentToken?: string;
  storage?: AgentStorage;
  transport?: TransportFactory;
  stateReportIntervalMs?: number;
  agentVersion?: string;
}

export interface Execution {
  commandId: string;
  type: CommandType;
  atMs: number;
}

export class SimulatedDevice extends EventEmitter {
  readonly platform: SimulatedPlatform;
  readonly storage: AgentStorage;
  /** Every platform action, in order: the device-side record of what really ran. */
  readonly executions: Execution[] = [];
  private core: AgentCore | null = null;
  private rebootTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly options: SimulatedDeviceOptions) {
    super();
    this.platform = new SimulatedPlatform({ ...options, onReboot: (ms) => this.reboot(ms) });
    this.storage = options.storage ?? new MemoryAgentStorage();
  }

  get status(): AgentStatus {
    return this.core?.status ?? "stopped";
  }

  get deviceId(): string | null {
    return this.storage.identity()?.deviceId ?? this.core?.deviceId ?? null;
  }

  get serial(): string {
    return this.platform.serial;
  }

  /** Times each command id was executed on this device. */
  executionCount(commandId: string): number {
    return this.executions.filter((e) => e.commandId === commandId).length;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const core = new AgentCore({
      platform: this.platform,
      storage: this.storage,
      transport: this.options.transport ?? mqttJsTransport,
      serverUrl: this.options.serverUrl,
      agentVersion: this.options.agentVersion ?? AGENT_VERSION,
      logger: this.options.logger,
      clock: this.options.clock ?? (() => Date.now() + (this.options.clockOffsetMs ?? 0)),
      enrollmentToken: this.options.enrollmentToken,
      stateReportIntervalMs: this.options.stateReportIntervalMs,
    });
    this.core = core;
    for (const event of [
      "status",
      "userCode",
      "enrolled",
      "result",
      "stateReported",
      "wiped",
      "problem",
    ] as const) {
      core.on(event, (payload: AgentEvents[typeof event]) => this.emit(event, payload));
    }
    core.on("executed", ({ commandId, type }) => {
      const execution = { commandId, type, atMs: Date.now() };
      this.executions.push(execution);
      this.emit("executed", execution);
    });
    await core.start();
  }

  async stop(options: { abrupt?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.rebootTimer) clearTimeout(this.rebootTimer);
    await this.core?.stop(options);
  }

  /** Resolves when the agent has handled everything it received so far. */
  idle(): Promise<void> {
    return this.core?.idle() ?? Promise.resolve();
  }

  private reboot(durationMs: number): void {
    const core = this.core;
    this.emit("rebooting", durationMs);
    void core?.stop({ abrupt: true }).then(() => {
      if (this.stopped) return;
      this.rebootTimer = setTimeout(() => {
        if (this.stopped) return;
        this.platform.boot();
        this.start().catch((err: unknown) =>
          this.options.logger.error({ err }, "simulated device failed to boot"),
        );
      }, durationMs);
    });
  }

  /** Waits until the agent reports `status` (or already does). */
  waitForStatus(status: AgentStatus, timeoutMs = 20_000): Promise<void> {
    if (this.status === status) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off("status", onStatus);
        reject(
          new Error(
            `device ${this.serial} did not become ${status} within ${timeoutMs} ms (is ${this.status})`,
          ),
        );
      }, timeoutMs);
      const onStatus = (s: AgentStatus) => {
        if (s !== status) return;
        clearTimeout(timer);
        this.off("status", onStatus);
        resolve();
      };
      this.on("status", onStatus);
    });
  }
}
