import type { ConfigError, DeviceState, Telemetry } from "../../proto/wire.js";
import type { DesiredTimeSource, DeviceRecord } from "../store/repositories/device-repository.js";
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
  /** The server node holding its connection; null while offline. */
  connectedNode: string | null;
  enrolledAt: string;
  desired: DesiredView;
  reported: ReportedView | null;
  /** The clock offset last measured exceeds the clock drift threshold. */
  clockOffsetExceeded: boolean;
  /** Its labels, in code-point order. */
  labels: string[];
  /** The site it belongs to; null: none. */
  site: { id: string; name: string } | null;
  /**
   * The date & time it is to run, and where that comes from: its site's (`site`), the global
   * setting (`global`: it has no site, or its site has no date & time of its own), or a time
   * settings command for it alone (`device`, until its site's or the global setting changes, or
   * it moves).
   */
  effectiveTime: { timezone: string; ntpServer: string | null; source: DesiredTimeSource };
}

/**
 * What the device list can be sorted by (the API accepts exactly these). Each sorts with the id
 * as the tie-break; the clock offset sorts by size, either way off; a device that never reported
 * sorts before every one that did.
 */
export const DEVICE_SORT_KEYS = [
  "name",
  "serial",
  "model",
  "status",
  "online",
  "lastSeenAt",
  "enrolledAt",
  "locked",
  "timezone",
  "clockOffsetMs",
  "agentVersion",
] as const;
export type DeviceSortKey = (typeof DEVICE_SORT_KEYS)[number];

export interface DeviceSort {
  by: DeviceSortKey;
  descending: boolean;
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

export function deviceView(device: DeviceRecord, clockDriftThresholdMs: number): DeviceView {
  const reported = device.reported;
  return {
    id: device.id,
    name: device.name,
    serial: device.serial,
    model: device.model,
    status: device.status,
    online: device.online,
    lastSeenAt: iso(device.lastSeenAtMs),
    connectedNode: device.online ? device.connectedNode : null,
    enrolledAt: new Date(device.enrolledAtMs).toISOString(),
    desired: {
      version: device.desiredVersion,
      name: device.desiredName,
      timezone: device.desiredTimezone,
      ntpServer: device.desiredNtpServer,
    },
    reported,
    clockOffsetExceeded: clockOffsetExceeds(reported, clockDriftThresholdMs),
    labels: device.labels,
    site: device.site,
    effectiveTime: {
      timezone: device.desiredTimezone,
      ntpServer: device.desiredNtpServer,
      source: device.desiredTimeSource,
    },
  };
}
