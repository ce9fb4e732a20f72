/** The API's JSON shapes as the console reads them (see /api/openapi.json). */

export type DeviceStatus = "active" | "reset" | "unmanaged" | "deactivated";
export type CommandState =
  | "queued"
  | "sent"
  | "accepted"
  | "succeeded"
  | "failed"
  | "rejected"
  | "expired"
  | "canceled";
export type CommandType =
  | "lock"
  | "reboot"
  | "factory_reset"
  | "rename"
  | "set_time"
  | "stop_managing"
  | "deactivate"
  | "refresh_state";

export const COMMAND_STATES: readonly CommandState[] = [
  "queued",
  "sent",
  "accepted",
  "succeeded",
  "failed",
  "rejected",
  "expired",
  "canceled",
];
export const OPEN_STATES: ReadonlySet<CommandState> = new Set(["queued", "sent", "accepted"]);

export interface Telemetry {
  cpuLoadPercent: number;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  diskTotalBytes: number;
  diskUsedBytes: number;
  uptimeSeconds: number;
  os: string;
  osVersion: string;
  batteryPercent: number;
  interfaces: { name: string; mac: string; addresses: string[] }[];
}

export interface Reported {
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
  /** Why the device could not apply desired config `version`; null or absent when it applied. */
  configError?: { version: number; message: string } | null;
  telemetry: Telemetry | null;
  reportedAt: string;
}

export interface Device {
  id: string;
  name: string;
  serial: string;
  model: string;
  status: DeviceStatus;
  online: boolean;
  lastSeenAt: string | null;
  connectedNode: string | null;
  enrolledAt: string;
  desired: { version: number; name: string; timezone: string; ntpServer: string | null };
  reported: Reported | null;
  /** The last measured clock offset exceeds the clock drift threshold. */
  clockOffsetExceeded: boolean;
  /** Its labels, in code-point order. */
  labels: string[];
  /** The site it belongs to; null: none. */
  site: { id: string; name: string } | null;
  /** The date & time it is to run, and whose it is: its site's, the global one, or its own. */
  effectiveTime: EffectiveTime;
  /** When the desired config took its current version (only from GET /devices/:id). */
  desiredChangedAt?: string;
}

/** GET /devices/counts: managed devices per tile of the devices page. */
export interface DeviceCounts {
  total: number;
  online: number;
  offline: number;
  locked: number;
  clockDrift: number;
  configPending: number;
}

/** A zone of GET /settings/timezones. */
export interface TimeZone {
  name: string;
  aliases: string[];
  city: string;
  utcOffset: string;
  standardOffset: string;
  daylightOffset: string | null;
}

export interface ClockDriftView {
  thresholdMs: number;
  updatedAt: string | null;
  exceeding: number;
}

export interface Command {
  id: string;
  deviceId: string;
  batchId: string | null;
  seq: number;
  type: CommandType;
  params: Record<string, unknown>;
  state: CommandState;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
  expiresAt: string;
  updatedAt: string;
  sentAt: string | null;
  acceptedAt: string | null;
  finishedAt: string | null;
  createdBy: string | null;
  /** Sent to wait for its device's maintenance window. */
  inWindow: boolean;
  /** Queued and held until its device's maintenance window opens. */
  waitingForWindow: boolean;
}

/** One device's command of a fleet command. */
export interface BatchCommand extends Command {
  deviceName: string;
}

export interface Batch {
  id: string;
  type: CommandType;
  params: Record<string, unknown>;
  target: unknown;
  total: number;
  skipped: number;
  counts: Record<CommandState, number>;
  /** Of the queued ones, those held until their devices' maintenance windows open. */
  waitingForWindow: number;
  /** Its commands wait for their devices' maintenance windows. */
  inWindow: boolean;
  done: boolean;
  createdAt: string;
  createdBy: string | null;
}

/** A dynamic group: a saved device filter, with how many devices match it now. */
export interface DeviceGroup {
  id: string;
  name: string;
  filter: Record<string, string | number | boolean>;
  devices: number;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The answer to claiming a device code. */
export interface ClaimedDevice {
  deviceId: string;
  serial: string;
  model: string;
  name: string;
  /** The device showing the code took over the record of a managed device with its serial. */
  replaced: boolean;
}

/** `details` of a 409 device_already_enrolled: the managed device that has the serial. */
export interface EnrolledDeviceConflict {
  deviceId: string;
  name: string;
  serial: string;
  online: boolean;
  lastSeenAt: string | null;
}

export type EnrollmentTokenState = "usable" | "used_up" | "expired" | "revoked";
export const ENROLLMENT_TOKEN_STATES: readonly EnrollmentTokenState[] = [
  "usable",
  "used_up",
  "expired",
  "revoked",
];

/** An enrollment token as listed; its secret is only in the answer that created it. */
export interface EnrollmentToken {
  id: string;
  name: string;
  maxUses: number;
  uses: number;
  usesLeft: number;
  expiresAt: string;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  state: EnrollmentTokenState;
  /** Labels each device it enrolls gets. */
  labels: string[];
  /** The site each device it enrolls joins; null: none. */
  siteId: string | null;
}

/** A date & time setting: a zone name or "auto", and an NTP server (null: the network's). */
export interface TimeSetting {
  timezone: string;
  ntpServer: string | null;
}

/** What a device runs, and where it comes from: its site, the global setting, or a command for it. */
export interface EffectiveTime extends TimeSetting {
  source: "site" | "global" | "device";
}

/** A site: devices grouped by place, with a date & time of their own or the global one. */
export interface Site {
  id: string;
  name: string;
  /** Its own date & time; null: its devices follow the global setting. */
  time: TimeSetting | null;
  effectiveTime: TimeSetting & { source: "site" | "global" };
  /** Its maintenance window; null: none (commands sent "in window" go at once). */
  window: MaintenanceWindow | null;
  /** Open or closed now, and the next change (opensAt while closed, closesAt while open). */
  windowState: { open: boolean; opensAt: string | null; closesAt: string | null };
  /** Its managed devices, those that run its effective date & time, and those that do not (yet). */
  devices: number;
  applied: number;
  pending: number;
  createdAt: string;
  updatedAt: string;
}

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A site's maintenance window: local times of day on some days (none: every day), in a zone. */
export interface MaintenanceWindow {
  start: string;
  end: string;
  days: Weekday[];
  timezone: string;
}

/** A label of GET /labels, with how many devices carry it. */
export interface LabelCount {
  label: string;
  devices: number;
}

export interface TimeSettingsView {
  timezone: string;
  ntpServer: string | null;
  updatedAt: string | null;
  applied: number;
  pending: number;
}

export const RIGHTS = [
  "devices:read",
  "devices:command",
  "devices:wipe",
  "devices:unenroll",
  "devices:deactivate",
  "devices:organize",
  "settings:manage",
  "enrollment:manage",
  "admins:manage",
  "roles:manage",
  "audit:read",
] as const;
export type Right = (typeof RIGHTS)[number];

export interface Role {
  id: string;
  name: string;
  builtIn: boolean;
  rights: Right[];
}

export interface Me {
  id: string;
  email: string;
  name: string;
  role: { id: string; name: string; builtIn: boolean };
  rights: string[];
  /** Applies to password sessions only; an API token works on regardless. */
  mustResetPassword: boolean;
  active: boolean;
  credential: { type: "session" | "token"; id: string; expiresAt: string | null };
}

export interface Admin {
  id: string;
  email: string;
  name: string;
  role: { id: string; name: string; builtIn?: boolean } | null;
  roleId?: string;
  active: boolean;
  mustResetPassword: boolean;
  createdAt?: string;
  lastLoginAt?: string | null;
}

export interface ApiToken {
  id: string;
  name: string;
  rights: string[];
  createdAt: string;
  expiresAt: string | null;
  expired?: boolean;
}

export type AuditTargetKind =
  | "device"
  | "command"
  | "batch"
  | "admin"
  | "role"
  | "group"
  | "api_token"
  | "enrollment_token"
  | "setting"
  | "signing_key";

export interface AuditEntry {
  id: string;
  at: string;
  actor: { id: string; email: string } | null;
  /** The signed-in actor's email, or the email a failed sign-in tried (then `actor` is null). */
  actorEmail: string | null;
  credentialId: string | null;
  action: string;
  target: string | null;
  targetKind: AuditTargetKind | null;
  /** The target's name (a device's, an admin's email, a role's), when the server knows it. */
  targetName: string | null;
  params: unknown;
  outcome: "success" | "failure";
  errorCode?: string | null;
  sourceAddress: string | null;
}

/** A line of the /api/v1/events stream. */
export interface ServerEvent {
  type: string;
  at: string;
  data: Record<string, unknown>;
}

export type ScheduleState = "active" | "paused" | "finished";
export type MissedRuns = "skip" | "run_late";

/** A scheduled command: once (`at`) or recurring (`cron` read in `timezone`). */
export interface Schedule {
  id: string;
  name: string;
  command: { type: CommandType } & Record<string, unknown>;
  target: unknown;
  kind: "once" | "cron";
  at: string | null;
  cron: string | null;
  timezone: string;
  startsAt: string | null;
  endsAt: string | null;
  missedRuns: MissedRuns;
  state: ScheduleState;
  nextRunAt: string | null;
  /** The next few run times of an active recurring schedule. */
  upcoming: string[];
  lastRunAt: string | null;
  runs: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string | null;
}

/** One due time of a schedule: the fleet command it started, or why none. */
export interface ScheduleRun {
  dueAt: string;
  ranAt: string;
  outcome: "started" | "skipped" | "failed";
  batchId: string | null;
  message: string | null;
}

export type RolloutState = "running" | "paused" | "waiting_approval" | "completed" | "aborted" | "canceled";
export type RolloutPhaseState = "pending" | "running" | "waiting_approval" | "done" | "stopped";
/** A phase's share of the rollout's target: a percentage of it or a number of devices. */
export type RolloutSize = { percent: number } | { count: number };
/** What a phase must reach before the next one starts: a success rate, or an admin's approval. */
export type RolloutGate = { successPercent: number } | { approval: true };
/** How fast commands go out: per minute, multiplied by `growthFactor` every `growEveryMinutes`. */
export interface RolloutRate {
  perMinute: number;
  growthFactor?: number;
  growEveryMinutes?: number;
}
/** Stop the rollout once this share of the commands executed so far failed (after `minExecuted`). */
export interface RolloutAbort {
  failurePercent: number;
  minExecuted: number;
}

/** One phase of a rollout: a fleet command (`batchId`) released at the rollout's rate. */
export interface RolloutPhase {
  index: number;
  name: string | null;
  size: RolloutSize | null;
  target: unknown;
  gate: RolloutGate | null;
  state: RolloutPhaseState;
  batchId: string | null;
  devices: number;
  released: number;
  skipped: number;
  /** Devices of the phase whose command has not been released yet. */
  pending: number;
  counts: Record<CommandState, number>;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A staged rollout: a command sent phase by phase, with gates between and an abort threshold. */
export interface Rollout {
  id: string;
  name: string;
  type: CommandType;
  params: Record<string, unknown>;
  command: { type: CommandType } & Record<string, unknown>;
  target: unknown;
  state: RolloutState;
  currentPhase: number;
  reason: { code: string; message: string } | null;
  rate: RolloutRate | null;
  abort: RolloutAbort | null;
  retryOf: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  createdBy: string | null;
  devices: number;
  skipped: number;
  counts: Record<CommandState | "pending", number>;
  phases: RolloutPhase[];
}
