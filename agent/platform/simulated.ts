/**
 * A Portal-class display simulated in memory, with injectable latency, failures, reboot
 * duration and clock skew. The simulator runs thousands of these in one process.
 */
import { AUTO_TIMEZONE, type Telemetry, type TimeSettings } from "../../proto/wire.js";
import type { Platform, PlatformState } from "./platform.js";

export interface SimulatedPlatformOptions {
  serial: string;
  model?: string;
  name?: string;
  clock?: () => number;
  /** Time each action takes: a fixed number or a uniform range. Default 0. */
  latencyMs?: number | { min: number; max: number };
  /** Share of actions (0–1) that fail. Default 0. */
  failureRate?: number;
  /** Random source in [0, 1), injectable for deterministic tests. */
  random?: () => number;
  /** How long the device is gone during a reboot. Default 200 ms. */
  rebootDurationMs?: number;
  /** How far this device's clock is from true time, ms. Default 0. */
  clockOffsetMs?: number;
  /** The zone the network would give when the time zone is automatic. Default "UTC". */
  networkTimezone?: string;
  /** Called when the device reboots; the host stops and restarts the agent. */
  onReboot?: (durationMs: number) => void;
}

export class SimulatedPlatform implements Platform {
  readonly serial: string;
  readonly model: string;
  name: string;
  locked = false;
  timezone: string = AUTO_TIMEZONE;
  ntpServer: string | null = null;
  bootTimeMs: number;
  factoryResets = 0;
  onReboot: ((durationMs: number) => void) | undefined;

  constructor(private readonly options: SimulatedPlatformOptions) {
    this.serial = options.serial;
    this.model = options.model ?? "Portal";
    this.name = options.name ?? `${this.model} ${options.serial.slice(-4)}`;
    this.bootTimeMs = this.now();
    this.onReboot = options.onReboot;
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  private random(): number {
    return (this.options.random ?? Math.random)();
  }

  /** Waits the configured latency, then fails with the configured probability. */
  private async act(what: string): Promise<void> {
    const latency = this.options.latencyMs ?? 0;
    const ms =
      typeof latency === "number" ? latency : latency.min + this.random() * (latency.max - latency.min);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    if (this.random() < (this.options.failureRate ?? 0))
      throw new Error(`simulated failure while trying to ${what}`);
  }

  async lock(): Promise<void> {
    await this.act("lock the screen");
    this.locked = true;
  }

  async reboot(): Promise<void> {
    await this.act("reboot");
    const durationMs = this.options.rebootDurationMs ?? 200;
    // Asynchronous on purpose: the agent finishes its current step before it is torn down,
    // as the process would on a real device while systemd stops it.
    setImmediate(() => this.onReboot?.(durationMs));
  }

  /** The device comes back: a new boot time, the screen locked as after any boot. */
  boot(): void {
    this.bootTimeMs = Math.max(this.now(), this.bootTimeMs + 1);
  }

  async factoryReset(): Promise<void> {
    await this.act("factory reset");
    this.factoryResets++;
    this.locked = false;
    this.name = `${this.model} ${this.serial.slice(-4)}`;
    this.timezone = AUTO_TIMEZONE;
    this.ntpServer = null;
  }

  async setName(name: string): Promise<void> {
    await this.act("rename");
    this.name = name;
  }

  async setTimeSettings(settings: TimeSettings): Promise<void> {
    await this.act("set time settings");
    if (settings.timezone !== AUTO_TIMEZONE) {
      try {
        new Intl.DateTimeFormat("en-US", { timeZone: settings.timezone });
      } catch {
        throw new Error(`unknown time zone '${settings.timezone}'`);
      }
    }
    this.timezone = settings.timezone;
    this.ntpServer = settings.ntpServer;
  }

  /** Someone at the device unlocks it. */
  unlockByUser(): void {
    this.locked = false;
  }

  async readState(): Promise<PlatformState> {
    const automatic = this.timezone === AUTO_TIMEZONE;
    return {
      name: this.name,
      locked: this.locked,
      timezone: automatic ? (this.options.networkTimezone ?? "UTC") : this.timezone,
      timezoneAutomatic: automatic,
      ntpServer: this.ntpServer,
      clockOffsetMs: this.options.clockOffsetMs ?? 0,
      lastTimeSyncAtMs: this.now(),
      timeSyncError: null,
      bootTimeMs: this.bootTimeMs,
      telemetry: this.telemetry(),
    };
  }

  private telemetry(): Telemetry {
    const uptimeSeconds = Math.max(0, Math.round((this.now() - this.bootTimeMs) / 1000));
    return {
      cpuLoadPercent: 3,
      memoryTotalBytes: 2 * 1024 ** 3,
      memoryUsedBytes: 900 * 1024 ** 2,
      diskTotalBytes: 16 * 1024 ** 3,
      diskUsedBytes: 5 * 1024 ** 3,
      uptimeSeconds,
      os: "Portal OS (simulated)",
      osVersion: "1.0",
      batteryPercent: -1,
      interfaces: [],
    };
  }
}
