/**
 * Global settings. Date & time is desired state for every device: changing it rewrites each
 * managed device's desired config and pushes it to those online; the rest get it on connect.
 * The clock drift threshold decides which devices' clocks count as off (see clock-drift.ts).
 */
import { AUTO_TIMEZONE, type TimeSettings } from "../../proto/wire.js";
import type { ClusterLink } from "../cluster/cluster-link.js";
import { DEFAULT_CLOCK_DRIFT_THRESHOLD_MS } from "../devices/clock-drift.js";
import type { DeviceView } from "../devices/device.js";
import type { DeviceService } from "../devices/device-service.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { pageFrom } from "../paging.js";
import type { DeviceRepository } from "../store/repositories/device-repository.js";
import type { SettingsRepository } from "../store/repositories/settings-repository.js";
import type { Queryable, Store } from "../store/store.js";
import { normalizeTimeSettings } from "./time-validation.js";
import { TimeZoneCatalog } from "./time-zones.js";

export const DEFAULT_TIME_SETTINGS: TimeSettings = { timezone: AUTO_TIMEZONE, ntpServer: null };

export interface ClockDriftSettings {
  /** A device whose measured clock offset is larger than this, either way, is flagged. */
  thresholdMs: number;
}

export interface ClockDriftSettingsView extends ClockDriftSettings {
  updatedAt: string | null;
  /** Devices whose last measured offset exceeds the threshold. */
  exceeding: number;
}

export interface TimeSettingsView extends TimeSettings {
  updatedAt: string | null;
  /** Managed devices whose last report matches the setting, and those whose report does not (yet). */
  applied: number;
  pending: number;
}

export interface SettingsServiceDeps {
  store: Store;
  repository: SettingsRepository;
  /** What the settings read of devices: how many have applied the global time. */
  deviceRepository: DeviceRepository;
  devices: DeviceService;
  /** The other server nodes, told when a setting they keep in memory changed. */
  cluster?: ClusterLink;
  events: EventBus<ServerEvents>;
  clock: () => number;
}

export class SettingsService {
  /** The zones an admin can choose for the date & time; validation accepts exactly these. */
  readonly timeZones: TimeZoneCatalog;

  constructor(private readonly deps: SettingsServiceDeps) {
    this.timeZones = new TimeZoneCatalog(deps.clock);
  }

  private get db(): Queryable {
    return this.deps.store.db;
  }

  /** Inside a unit, pass its transaction. */
  async time(q: Queryable = this.db): Promise<TimeSettings> {
    const stored = await this.deps.repository.get(q, "time");
    return stored ? (stored.value as TimeSettings) : DEFAULT_TIME_SETTINGS;
  }

  async timeView(): Promise<TimeSettingsView> {
    const stored = await this.deps.repository.get(this.db, "time");
    const time = stored ? (stored.value as TimeSettings) : DEFAULT_TIME_SETTINGS;
    // The devices that follow it: of no site, or of a site without a date & time of its own.
    const counts = (await this.deps.deviceRepository.countTimeAppliedBySite(this.db, time)).filter(
      (c) => c.followsGlobal,
    );
    const total = counts.reduce((sum, c) => sum + c.total, 0);
    const applied = counts.reduce((sum, c) => sum + c.applied, 0);
    return {
      ...time,
      updatedAt: stored ? new Date(stored.updatedAtMs).toISOString() : null,
      applied,
      pending: total - applied,
    };
  }

  /** Managed devices following the global time that have not applied it (yet), by id. */
  async pendingDevices(
    limit: number,
    cursor: string | null,
  ): Promise<{ items: DeviceView[]; nextCursor: string | null }> {
    const time = await this.time();
    const records = await this.deps.deviceRepository.listTimePending(this.db, time, "global", {
      afterId: cursor,
      limit: limit + 1,
    });
    return pageFrom(
      records,
      limit,
      (r) => r.id,
      (r) => this.deps.devices.view(r),
    );
  }

  async setTime(input: { timezone: string; ntpServer: string | null }): Promise<TimeSettingsView> {
    const time = normalizeTimeSettings(input);
    const now = this.deps.clock();
    const changed = await this.deps.store.unit(async (tx) => {
      await this.deps.repository.put(tx, "time", time, now);
      return this.deps.devices.setDesiredTimeForAll(tx, time);
    });
    this.deps.events.emit("settings.time.updated", { time });
    // Each device it changed that has a connection now, whatever the stored online flag says
    // (it may lag behind a device that has just connected; one that connects later gets it at
    // its connect). Devices of sites with their own date & time are not among them.
    await Promise.all(changed.map((id) => this.deps.devices.pushDesiredConfig(id)));
    return this.timeView();
  }

  private async storedClockDrift(): Promise<{ settings: ClockDriftSettings; updatedAt: number | null }> {
    const stored = await this.deps.repository.get(this.db, "clock_drift");
    return stored
      ? { settings: stored.value as ClockDriftSettings, updatedAt: stored.updatedAtMs }
      : { settings: { thresholdMs: DEFAULT_CLOCK_DRIFT_THRESHOLD_MS }, updatedAt: null };
  }

  /** At start: the stored threshold, and the devices over it. */
  async loadClockDrift(): Promise<void> {
    const { settings } = await this.storedClockDrift();
    await this.deps.devices.applyClockDriftThreshold(settings.thresholdMs);
  }

  async clockDriftView(): Promise<ClockDriftSettingsView> {
    const { settings, updatedAt } = await this.storedClockDrift();
    return {
      thresholdMs: settings.thresholdMs,
      updatedAt: updatedAt === null ? null : new Date(updatedAt).toISOString(),
      // Each node sees the reports of the devices it holds; with several, the store counts.
      exceeding: this.deps.cluster?.shared
        ? (await this.deps.devices.counts()).clockDrift
        : this.deps.devices.clockDrift.exceedingCount,
    };
  }

  async setClockDrift(input: ClockDriftSettings): Promise<ClockDriftSettingsView> {
    const settings: ClockDriftSettings = { thresholdMs: input.thresholdMs };
    await this.deps.store.unit((tx) =>
      this.deps.repository.put(tx, "clock_drift", settings, this.deps.clock()),
    );
    await this.deps.devices.applyClockDriftThreshold(settings.thresholdMs);
    this.deps.cluster?.sendWork({ settings: ["clock_drift"] });
    return this.clockDriftView();
  }
}
