/**
 * A Portal-class display simulated in memory, with injectable latency, failures, reboot
 * duration and clock skew. The simulator runs thousands of these in one process, so it holds
 * plain fields and no timers of its own beyond an action's latency.
 */
import { AUTO_TIMEZONE, type Telemetry, type TimeSettings } from "../../proto/wire.js";
import type { Platform, PlatformState } from "./platform.js";

export interface SimulatedPlatformOptions {
  serial: string;
  /** Default "Portal". */
  model?: string;
  /** Default `{model} {last 4 of serial}`. */
  name?: string;
  /** True time, ms since the epoch. Default Date.now. */
  clock?: () => number;
  /** Time each action takes: a fixed number or a uniform range, ms. Default 0. */
  latencyMs?: number | { min: number; max: number };
  /** Share of actions (0–1) that fail. Default 0. */
  failureRate?: number;
  /** Random source in [0, 1), injectable for deterministic tests. Default Math.random. */
  random?: () => number;
  /** How long the device is gone during a reboot, ms. Default 200. */
  rebootDurationMs?: number;
  /** How far this device's clock is ahead of true time (negative: behind), ms. Default 0. */
  clockOffsetMs?: number;
  /** The zone the network provides while the time zone is automatic. Default "UTC". */
  networkTimezone?: string;
  /** Called when the device reboots; the host stops the agent and starts it again later. */
  onReboot?: (durationMs: number) => void;
  /** Zones this device cannot set (as if missing from its tz database). Default none. */
  unsupportedTimezones?: readonly string[];
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export class SimulatedPlatform implements Platform {
  readonly serial: string;
  readonly model: string;
  name: string;
  locked = false;
  /** `"auto"` or an IANA zone, as last set. */
  timezone: string = AUTO_TIMEZONE;
  ntpServer: string | null = null;
  bootTimeMs: number;
  factoryResets = 0;
  reboots = 0;
  onReboot: ((durationMs: number) => void) | undefined;
  /** Zones setTimeSettings refuses; a test may change it while the device runs. */
  readonly unsupportedTimezones: Set<string>;

  constructor(private readonly options: SimulatedPlatformOptions) {
    this.unsupportedTimezones = new Set(options.unsupportedTimezones);
    this.serial = options.serial;
    this.model = options.model ?? "Portal";
    this.name = options.name ?? this.defaultName();
    this.bootTimeMs = this.deviceTimeMs();
    this.onReboot = options.onReboot;
  }

  get rebootDurationMs(): number {
    return this.options.rebootDurationMs ?? 200;
  }

  /** The device's own clock: true time plus the simulated skew. */
  deviceTimeMs(): number {
    return (this.options.clock ?? Date.now)() + (this.options.clockOffsetMs ?? 0);
  }

  private defaultName(): string {
    return `${this.model} ${this.serial.slice(-4)}`;
  }

  private random(): number {
    return (this.options.random ?? Math.random)();
  }

  /** Waits the configured latency, then fails with the configured probability. */
  private async act(what: string): Promise<void> {
    const latency = this.options.latencyMs ?? 0;
    const delayMs =
      typeof latency === "number" ? latency : latency.min + this.random() * (latency.max - latency.min);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const failureRate = this.options.failureRate ?? 0;
    if (failureRate > 0 && this.random() < failureRate) {
      throw new Error(`simulated failure while trying to ${what} on ${this.serial}`);
    }
  }

  async lock(): Promise<void> {
    await this.act("lock the screen");
    this.locked = true;
  }

  async reboot(): Promise<void> {
    await this.act("reboot");
    this.reboots++;
    // Asynchronous on purpose: the agent finishes its current step before it is torn down,
    // as the process would on a real device while the init system stops it.
    setImmediate(() => this.onReboot?.(this.rebootDurationMs));
  }

  /** The device comes back from a reboot: a new boot time. */
  boot(): void {
    this.bootTimeMs = Math.max(this.deviceTimeMs(), this.bootTimeMs + 1);
  }

  async factoryReset(): Promise<void> {
    await this.act("factory reset");
    this.factoryResets++;
    this.locked = false;
    this.name = this.defaultName();
    this.timezone = AUTO_TIMEZONE;
    this.ntpServer = null;
  }

  async setName(name: string): Promise<void> {
    await this.act("rename");
    this.name = name;
  }

  async setTimeSettings(settings: TimeSettings): Promise<void> {
    await this.act("set the time settings");
    if (settings.timezone !== AUTO_TIMEZONE && !isValidTimeZone(settings.timezone)) {
      throw new Error(`unknown time zone '${settings.timezone}'`);
    }
    if (this.unsupportedTimezones.has(settings.timezone)) {
      throw new Error(`time zone '${settings.timezone}' is not installed on this device`);
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
    const nowMs = this.deviceTimeMs();
    return {
      name: this.name,
      locked: this.locked,
      timezone: automatic ? (this.options.networkTimezone ?? "UTC") : this.timezone,
      timezoneAutomatic: automatic,
      ntpServer: this.ntpServer,
      clockOffsetMs: this.options.clockOffsetMs ?? 0,
      // A simulated clock syncs at boot and never fails.
      lastTimeSyncAtMs: this.bootTimeMs,
      timeSyncError: null,
      bootTimeMs: this.bootTimeMs,
      telemetry: this.telemetry(nowMs),
    };
  }

  private telemetry(nowMs: number): Telemetry {
    return {
      cpuLoadPercent: 3,
      memoryTotalBytes: 2 * 1024 ** 3,
      memoryUsedBytes: 900 * 1024 ** 2,
      diskTotalBytes: 16 * 1024 ** 3,
      diskUsedBytes: 5 * 1024 ** 3,
      uptimeSeconds: Math.max(0, Math.round((nowMs - this.bootTimeMs) / 1000)),
      os: "Portal OS (simulated)",
      osVersion: "1.0",
      batteryPercent: -1,
      interfaces: [],
    };
  }
}
