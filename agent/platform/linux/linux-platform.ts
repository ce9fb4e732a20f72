/**
 * A systemd Linux device: every action is a command (or a config file) through the
 * CommandRunner, so each one is logged, bounded in time, reported with the command's own error
 * when it fails, and skipped in dry-run mode.
 *
 * | action        | what runs                                                                  |
 * | ------------- | -------------------------------------------------------------------------- |
 * | lock          | `loginctl lock-sessions`                                                   |
 * | reboot        | `systemctl reboot`                                                         |
 * | factory reset | the configured wipe script; the time source back to automatic (the agent   |
 * |               | then forgets its identity, and its host reboots the device)                |
 * | rename        | `hostnamectl set-hostname --pretty -- NAME`                                |
 * | time zone     | `timedatectl set-timezone ZONE`; automatic: `systemctl enable --now        |
 * |               | UNIT` of the configured mechanism (refused when the device has none)      |
 * | NTP server    | the configured mechanism (see ntp-mechanisms.ts)                           |
 *
 * What the agent applied (name, automatic zone, NTP server) is kept in `platform.json` in its
 * state dir, next to its identity, and reported from there. The clock offset is measured
 * against the NTP server in use (see agent/clock/clock-monitor.ts).
 */
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { AUTO_TIMEZONE, type Telemetry, type TimeSettings } from "../../../proto/wire.js";
import type { ClockMonitor } from "../../clock/clock-monitor.js";
import { parseNtpServer } from "../../clock/ntp-server.js";
import { readJsonFile, writeFileAtomic } from "../../storage/atomic-file.js";
import type { Platform, PlatformState } from "../platform.js";
import type { CommandRunner } from "./command-runner.js";
import type { NtpMechanism } from "./ntp-mechanisms.js";
import {
  canonicalTimeZone,
  readBootTimeMs,
  readScreenLocked,
  readTimeZone,
  type SystemFiles,
} from "./system-readings.js";

export const APPLIED_SETTINGS_FILE = "platform.json";

/** What the agent itself set on the device; survives restarts, reset by a factory reset. */
export interface AppliedSettings {
  /** null: never renamed through the agent; the host name is reported. */
  name: string | null;
  timezoneAutomatic: boolean;
  ntpServer: string | null;
}

const FACTORY_SETTINGS: AppliedSettings = { name: null, timezoneAutomatic: false, ntpServer: null };

export interface LinuxPlatformOptions {
  runner: CommandRunner;
  logger: Logger;
  model: string;
  serial: string;
  /** The agent's state dir; `platform.json` lives there. */
  stateDir: string;
  ntp: NtpMechanism;
  /** The systemd unit that keeps the zone automatic (e.g. automatic-timezoned.service); null: none. */
  automaticTimezoneUnit: string | null;
  /** Erases user data on a factory reset; null: factory reset is refused. */
  wipeScript: string | null;
  /** Default 10 minutes. */
  wipeTimeoutMs?: number;
  /** Measures the clock against the NTP server in use; unmeasured when absent. */
  clock?: ClockMonitor;
  /** Telemetry with every state; none when absent. */
  telemetry?: { read(): Promise<Telemetry> };
  /** Files read for the device's state; tests point them elsewhere. */
  files?: SystemFiles;
}

export class LinuxPlatform implements Platform {
  readonly model: string;
  readonly serial: string;
  private applied: AppliedSettings = FACTORY_SETTINGS;

  private constructor(private readonly options: LinuxPlatformOptions) {
    this.model = options.model;
    this.serial = options.serial;
  }

  /** Loads what the agent applied before it last stopped. */
  static async create(options: LinuxPlatformOptions): Promise<LinuxPlatform> {
    const platform = new LinuxPlatform(options);
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    const stored = await readJsonFile<AppliedSettings>(platform.settingsFile);
    platform.applied = { ...FACTORY_SETTINGS, ...stored };
    options.clock?.useServer(platform.applied.ntpServer);
    return platform;
  }

  get appliedSettings(): Readonly<AppliedSettings> {
    return this.applied;
  }

  private get runner(): CommandRunner {
    return this.options.runner;
  }

  private get settingsFile(): string {
    return join(this.options.stateDir, APPLIED_SETTINGS_FILE);
  }

  /** Written after the device has changed: a crash in between re-applies, never misreports. */
  private async record(change: Partial<AppliedSettings>): Promise<void> {
    const next = { ...this.applied, ...change };
    await writeFileAtomic(this.settingsFile, JSON.stringify(next, null, 2));
    this.applied = next;
    this.options.clock?.useServer(next.ntpServer);
  }

  /** Measures the clock at once and then on its schedule, while the agent runs. */
  watch(changed: () => void): () => void {
    const { clock } = this.options;
    if (!clock) return () => {};
    clock.start(changed);
    return () => clock.stop();
  }

  async lock(): Promise<void> {
    await this.runner.run("loginctl", ["lock-sessions"]);
  }

  async reboot(): Promise<void> {
    await this.runner.run("systemctl", ["reboot"]);
  }

  async factoryReset(): Promise<void> {
    const { wipeScript } = this.options;
    if (!wipeScript) {
      throw new Error(
        "no wipe script is configured (factoryReset.wipeScript in the agent's config); nothing was erased",
      );
    }
    await this.runner.run(wipeScript, [], { timeoutMs: this.options.wipeTimeoutMs ?? 600_000 });
    if (this.applied.ntpServer !== null) await this.options.ntp.apply(this.runner, null);
    await this.record(FACTORY_SETTINGS);
  }

  async setName(name: string): Promise<void> {
    await this.runner.run("hostnamectl", ["set-hostname", "--pretty", "--", name]);
    await this.record({ name });
  }

  /** The time source first, then the zone; each only when it differs from what is applied. */
  async setTimeSettings(settings: TimeSettings): Promise<void> {
    const automaticZone = settings.timezone === AUTO_TIMEZONE;
    const zone = automaticZone ? null : canonicalTimeZone(settings.timezone);
    if (!automaticZone && !zone) throw new Error(`unknown time zone '${settings.timezone}'`);
    const server = settings.ntpServer === null ? null : parseNtpServer(settings.ntpServer);
    this.options.ntp.check(server);

    if (settings.ntpServer !== this.applied.ntpServer) {
      await this.options.ntp.apply(this.runner, server);
      await this.record({ ntpServer: settings.ntpServer });
    }

    const unit = this.options.automaticTimezoneUnit;
    if (automaticZone) {
      if (!unit) {
        const current = await readTimeZone(this.options.files);
        throw new Error(
          "this device has no automatic time zone mechanism (timezone.automaticMechanism is " +
            `"none" in the agent's config); it keeps the zone ${current}`,
        );
      }
      if (!this.applied.timezoneAutomatic) {
        await this.runner.run("systemctl", ["enable", "--now", unit]);
        await this.record({ timezoneAutomatic: true });
      }
      return;
    }
    if (this.applied.timezoneAutomatic) {
      // The mechanism would change the zone back behind the agent's back.
      if (unit) await this.runner.run("systemctl", ["disable", "--now", unit]);
      await this.record({ timezoneAutomatic: false });
    }
    if ((await readTimeZone(this.options.files)) !== zone) {
      await this.runner.run("timedatectl", ["set-timezone", zone!]);
    }
  }

  async readState(): Promise<PlatformState> {
    const [bootTimeMs, timezone, locked, telemetry] = await Promise.all([
      readBootTimeMs(this.options.files),
      readTimeZone(this.options.files),
      readScreenLocked(this.runner),
      this.readTelemetry(),
    ]);
    return {
      name: this.applied.name ?? hostname(),
      locked,
      timezone,
      timezoneAutomatic: this.applied.timezoneAutomatic && this.options.automaticTimezoneUnit !== null,
      ntpServer: this.applied.ntpServer,
      ...(this.options.clock?.reading ?? { clockOffsetMs: 0, lastTimeSyncAtMs: null, timeSyncError: null }),
      bootTimeMs,
      telemetry,
    };
  }

  /** A failed reading costs the telemetry of one report, never the report. */
  private async readTelemetry(): Promise<Telemetry | null> {
    try {
      return (await this.options.telemetry?.read()) ?? null;
    } catch (err) {
      this.options.logger.warn({ err }, "could not read telemetry");
      return null;
    }
  }
}
