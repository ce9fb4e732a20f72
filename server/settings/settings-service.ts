/**
 * Global settings. Date & time is desired state for every device: changing it rewrites each
 * managed device's desired config and pushes it to those online; the rest get it on connect.
 * The clock drift threshold decides which devices' clocks count as off (see clock-drift.ts).
 */
import { AUTO_TIMEZONE, type TimeSettings } from "../../proto/wire.js";
import { DEFAULT_CLOCK_DRIFT_THRESHOLD_MS } from "../devices/clock-drift.js";
import type { DeviceRow, DeviceView } from "../devices/device.js";
import type { DeviceService } from "../devices/device-service.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import type { Database, WriteContext } from "../store/database.js";
import { normalizeTimeSettings } from "./time-validation.js";
import { TimeZoneCatalog } from "./time-zones.js";

const TIME_KEY = "time";
/** A device has applied the global time when it reports the desired config version or later
 * and its desired time equals the global one. Parameters: the global zone and NTP server. */
const APPLIED = `desired_timezone = ? AND coalesce(desired_ntp_server, '') = ?
  AND coalesce(json_extract(reported_json, '$.appliedConfigVersion'), 0) >= desired_version`;
export const DEFAULT_TIME_SETTINGS: TimeSettings = { timezone: AUTO_TIMEZONE, ntpServer: null };

const CLOCK_DRIFT_KEY = "clock_drift";

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

export class SettingsService {
  /** The zones an admin can choose for the date & time; validation accepts exactly these. */
  readonly timeZones: TimeZoneCatalog;

  constructor(
    private readonly db: Database,
    private readonly devices: DeviceService,
    private readonly events: EventBus<ServerEvents>,
    private readonly clock: () => number,
  ) {
    this.timeZones = new TimeZoneCatalog(clock);
  }

  /** Inside a write unit, pass its context. */
  async time(tx: Pick<WriteContext, "get"> = this.db): Promise<TimeSettings> {
    const row = await tx.get<{ value_json: string }>("SELECT value_json FROM settings WHERE key = ?", [
      TIME_KEY,
    ]);
    return row ? (JSON.parse(row.value_json) as TimeSettings) : DEFAULT_TIME_SETTINGS;
  }

  async timeView(): Promise<TimeSettingsView> {
    const row = await this.db.get<{ value_json: string; updated_at: number }>(
      "SELECT value_json, updated_at FROM settings WHERE key = ?",
      [TIME_KEY],
    );
    const time = row ? (JSON.parse(row.value_json) as TimeSettings) : DEFAULT_TIME_SETTINGS;
    const counts = await this.db.get<{ applied: number; total: number }>(
      `SELECT count(*) AS total, coalesce(sum(CASE WHEN ${APPLIED} THEN 1 ELSE 0 END), 0) AS applied
       FROM devices WHERE status = 'active'`,
      [time.timezone, time.ntpServer ?? ""],
    );
    const applied = counts?.applied ?? 0;
    return {
      ...time,
      updatedAt: row ? new Date(row.updated_at).toISOString() : null,
      applied,
      pending: (counts?.total ?? 0) - applied,
    };
  }

  /** Managed devices that have not applied the global time (yet), by id. */
  async pendingDevices(
    limit: number,
    cursor: string | null,
  ): Promise<{ items: DeviceView[]; nextCursor: string | null }> {
    const time = await this.time();
    const rows = await this.db.all<DeviceRow>(
      `SELECT * FROM devices WHERE status = 'active' AND NOT (${APPLIED}) ${cursor ? "AND id > ?" : ""}
       ORDER BY id LIMIT ?`,
      [time.timezone, time.ntpServer ?? "", ...(cursor ? [cursor] : []), limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => this.devices.view(r)),
      nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  async setTime(input: { timezone: string; ntpServer: string | null }): Promise<TimeSettingsView> {
    const time = normalizeTimeSettings(input);
    const now = this.clock();
    await this.db.write(async (tx) => {
      await tx.run(
        `INSERT INTO settings (key, value_json, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`,
        [TIME_KEY, JSON.stringify(time), now],
      );
      await this.devices.setDesiredTimeForAll(tx, time);
    });
    this.events.emit("settings.time.updated", { time });
    // Every managed device with a connection now; the stored online flag may lag behind a
    // device that has just connected (and one that connects later gets it at its connect).
    const managed = await this.devices.idsMatching({ status: "active" });
    await Promise.all(managed.map((id) => this.devices.pushDesiredConfig(id)));
    return this.timeView();
  }

  private async storedClockDrift(): Promise<{ settings: ClockDriftSettings; updatedAt: number | null }> {
    const row = await this.db.get<{ value_json: string; updated_at: number }>(
      "SELECT value_json, updated_at FROM settings WHERE key = ?",
      [CLOCK_DRIFT_KEY],
    );
    return row
      ? { settings: JSON.parse(row.value_json) as ClockDriftSettings, updatedAt: row.updated_at }
      : { settings: { thresholdMs: DEFAULT_CLOCK_DRIFT_THRESHOLD_MS }, updatedAt: null };
  }

  /** At start: the stored threshold, and the devices over it. */
  async loadClockDrift(): Promise<void> {
    const { settings } = await this.storedClockDrift();
    await this.devices.applyClockDriftThreshold(settings.thresholdMs);
  }

  async clockDriftView(): Promise<ClockDriftSettingsView> {
    const { settings, updatedAt } = await this.storedClockDrift();
    return {
      thresholdMs: settings.thresholdMs,
      updatedAt: updatedAt === null ? null : new Date(updatedAt).toISOString(),
      exceeding: this.devices.clockDrift.exceedingCount,
    };
  }

  async setClockDrift(input: ClockDriftSettings): Promise<ClockDriftSettingsView> {
    const settings: ClockDriftSettings = { thresholdMs: input.thresholdMs };
    await this.db.write((tx) =>
      tx
        .run(
          `INSERT INTO settings (key, value_json, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`,
          [CLOCK_DRIFT_KEY, JSON.stringify(settings), this.clock()],
        )
        .then(() => undefined),
    );
    await this.devices.applyClockDriftThreshold(settings.thresholdMs);
    return this.clockDriftView();
  }
}
