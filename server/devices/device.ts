import type { ConfigError, DeviceState, Telemetry, TimeSettings } from "../../proto/wire.js";
import { isoOrNull as iso } from "../time-format.js";
import { clockOffsetExceeds } from "./clock-drift.js";

export const DEVICE_STATUSES = ["active", "reset", "unmanaged", "deactivated"] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

export interface DesiredView {
  version: number;
  name: string;
  timezone: string;
  ntpServer: string | null;
}

export interface ReportedView {
  name: string;
  locked: boolean;
  timezone: string;
  timezoneAutomatic: boolean;
  ntpServer: string | null;
  clockOffsetMs: number;
  lastTimeSyncAt: string | null;
  timeSyncError: string | null;
  bootTime: string;
  agentVersion: string;
  appliedConfigVersion: number;
  /** Absent in reports from agents older than command signing. */
  signingKeysVersion?: number;
  /**
   * Why the device could not apply desired config `version`; null when it applied the last one
   * it received (or its agent does not say). Absent in reports stored before it existed.
   */
  configError?: ConfigError | null;
  telemetry: Telemetry | null;
  reportedAt: string;
}

/** A device as the API shows it. */
export interface DeviceView {
  id: string;
  name: string;
  serial: string;
  model: string;
  status: DeviceStatus;
  online: boolean;
  lastSeenAt: string | null;
  enrolledAt: string;
  desired: DesiredView;
  reported: ReportedView | null;
  /** The clock offset last measured exceeds the clock drift threshold. */
  clockOffsetExceeded: boolean;
}

/** A `devices` row as SQLite returns it. */
export interface DeviceRow {
  id: string;
  serial: string;
  model: string;
  name: string;
  status: DeviceStatus;
  online: number;
  last_seen_at: number | null;
  enrolled_at: number;
  created_at: number;
  next_seq: number;
  desired_version: number;
  desired_name: string;
  desired_timezone: string;
  desired_ntp_server: string | null;
  reported_json: string | null;
  reported_at: number | null;
}

export function reportedFromState(state: DeviceState, receivedAtMs: number): ReportedView {
  return {
    name: state.name,
    locked: state.locked,
    timezone: state.timezone,
    timezoneAutomatic: state.timezoneAutomatic,
    ntpServer: state.ntpServer,
    clockOffsetMs: state.clockOffsetMs,
    lastTimeSyncAt: iso(state.lastTimeSyncAtMs),
    timeSyncError: state.timeSyncError,
    bootTime: new Date(state.bootTimeMs).toISOString(),
    agentVersion: state.agentVersion,
    appliedConfigVersion: state.appliedConfigVersion,
    signingKeysVersion: state.signingKeysVersion,
    configError: state.configError ?? null,
    telemetry: state.telemetry,
    reportedAt: new Date(receivedAtMs).toISOString(),
  };
}

export function desiredTime(row: Pick<DeviceRow, "desired_timezone" | "desired_ntp_server">): TimeSettings {
  return { timezone: row.desired_timezone, ntpServer: row.desired_ntp_server };
}

export function deviceViewFromRow(
  row: DeviceRow,
  online: boolean,
  clockDriftThresholdMs: number,
): DeviceView {
  const reported = row.reported_json ? (JSON.parse(row.reported_json) as ReportedView) : null;
  return {
    id: row.id,
    name: row.name,
    serial: row.serial,
    model: row.model,
    status: row.status,
    online,
    lastSeenAt: iso(row.last_seen_at),
    enrolledAt: new Date(row.enrolled_at).toISOString(),
    desired: {
      version: row.desired_version,
      name: row.desired_name,
      timezone: row.desired_timezone,
      ntpServer: row.desired_ntp_server,
    },
    reported,
    clockOffsetExceeded: clockOffsetExceeds(reported, clockDriftThresholdMs),
  };
}
