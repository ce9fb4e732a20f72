/**
 * The store's tables as the query builder sees them, the same on SQLite and PostgreSQL. Times
 * are milliseconds since the epoch (INTEGER / BIGINT); JSON documents are text; flags are
 * `SqlBool` (0/1 on SQLite, boolean on PostgreSQL) and become booleans in the repositories,
 * which are the only readers of these rows.
 */
import type { Generated, SqlBool } from "kysely";

export interface DevicesTable {
  id: string;
  serial: string;
  model: string;
  name: string;
  status: "active" | "reset" | "unmanaged" | "deactivated";
  online: Generated<SqlBool>;
  last_seen_at: number | null;
  enrolled_at: number;
  created_at: number;
  next_seq: Generated<number>;
  desired_version: Generated<number>;
  desired_name: string;
  desired_timezone: string;
  desired_ntp_server: string | null;
  reported_json: string | null;
  reported_at: number | null;
  /**
   * Fields of the last report (null before the first), written with `reported_json` by the
   * report writer: what the device list sorts, filters and counts by, in plain indexed columns.
   */
  reported_locked: SqlBool | null;
  reported_timezone: string | null;
  reported_clock_offset_ms: number | null;
  /** The device measured its clock against its time source at least once (`lastTimeSyncAt` set). */
  reported_clock_measured: SqlBool | null;
  reported_agent_version: string | null;
  reported_applied_config_version: number | null;
  /** The server node holding the device's connection while it is online (null otherwise). */
  connected_node: string | null;
  /** The site it belongs to (at most one); null: none. */
  site_id: string | null;
  /** What set the desired date & time last: `global`, `site` or `device` (a command for it). */
  desired_time_source: Generated<string>;
}

export interface DeviceCredentialsTable {
  device_id: string;
  secret_hash: string;
  created_at: number;
}

export interface DeniedSerialsTable {
  serial: string;
  device_id: string | null;
  denied_at: number;
}

export interface BatchesTable {
  id: string;
  type: string;
  params_json: string;
  target_json: string;
  total: number;
  created_at: number;
  created_by: string | null;
}

export interface CommandsTable {
  id: string;
  device_id: string;
  batch_id: string | null;
  seq: number;
  type: string;
  params_json: string;
  state: "queued" | "sent" | "accepted" | "succeeded" | "failed" | "rejected" | "expired" | "canceled";
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  expires_at: number;
  updated_at: number;
  sent_at: number | null;
  accepted_at: number | null;
  finished_at: number | null;
  created_by: string | null;
  /** Null: any time; 'held': waits for the device's maintenance window; 'released': may go. */
  window_hold: "held" | "released" | null;
}

export interface StateHistoryTable {
  id: Generated<number>;
  device_id: string;
  at: number;
  state_json: string;
}

export interface EnrollmentTokensTable {
  id: string;
  token_hash: string;
  name: Generated<string>;
  max_uses: number;
  uses: Generated<number>;
  expires_at: number;
  created_at: number;
  created_by: string | null;
  last_used_at: number | null;
  revoked_at: number | null;
  /** Labels each device it enrolls gets: a JSON array of strings. */
  labels_json: Generated<string>;
  /** The site each device it enrolls joins; null: none. */
  site_id: string | null;
}

export interface DeviceCodesTable {
  device_code_hash: string;
  user_code: string;
  serial: string;
  model: string;
  agent_version: string;
  created_at: number;
  expires_at: number;
  last_poll_at: number | null;
  claimed_device_id: string | null;
  claimed_at: number | null;
  consumed_at: number | null;
}

export interface SettingsTable {
  key: string;
  value_json: string;
  updated_at: number;
}

export interface RolesTable {
  id: string;
  name: string;
  rights_json: string;
  built_in: Generated<SqlBool>;
  created_at: number;
  updated_at: number;
}

export interface AdminsTable {
  id: string;
  email: string;
  name: string;
  role_id: string;
  password_hash: string | null;
  must_reset_password: Generated<SqlBool>;
  active: Generated<SqlBool>;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

export interface AdminSessionsTable {
  id: string;
  admin_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
  source_address: string | null;
}

export interface AdminTokensTable {
  id: string;
  token_hash: string;
  name: string;
  created_at: number;
  revoked_at: number | null;
  admin_id: string | null;
  rights_json: string | null;
  expires_at: number | null;
}

export interface AdminLoginDevicesTable {
  token_hash: string;
  admin_id: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
}

export interface AuditLogTable {
  seq: Generated<number>;
  at: number;
  actor_id: string | null;
  actor_email: string | null;
  credential_id: string | null;
  action: string;
  target: string | null;
  params_json: string;
  outcome: "success" | "failure";
  error_code: string | null;
  source_address: string | null;
}

/** A server process of the service, alive while its heartbeat is recent (its lease). */
export interface ServerNodesTable {
  id: string;
  started_at: number;
  heartbeat_at: number;
  http_url: string;
  /** JSON array of the MQTT URLs devices reach this node at. */
  mqtt_urls_json: string;
}

/** Who runs a job now, until when: a node takes a lease that has run out, or renews its own. */
export interface JobLeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

/** The one command-signing key ring every node signs with (see server/signing). */
export interface SigningKeyRingTable {
  id: number;
  version: number;
  ring_json: string;
  updated_at: number;
}

/** A device's labels, any number each; written only by the device label repository. */
export interface DeviceLabelsTable {
  id: Generated<number>;
  device_id: string;
  label: string;
  added_at: number;
}

export interface SitesTable {
  id: string;
  name: string;
  /** Null: the site's devices follow the global date & time. */
  time_timezone: string | null;
  time_ntp_server: string | null;
  /** The maintenance window as JSON (start, end, days, timezone); null: none. */
  window_json: string | null;
  created_at: number;
  updated_at: number;
}

export interface DeviceGroupsTable {
  id: string;
  name: string;
  /** The saved device filter, as the API takes it. */
  filter_json: string;
  created_at: number;
  updated_at: number;
}

export interface SchedulesTable {
  id: string;
  name: string;
  /** The command as the API took it: `{ type, ...fields, ttlSeconds? }`. */
  command_json: string;
  /** The device target, resolved at each run. */
  target_json: string;
  /** Null: a one-off run at `starts_at`. */
  cron: string | null;
  timezone: string;
  starts_at: number | null;
  ends_at: number | null;
  missed_runs: "skip" | "run_late";
  state: "active" | "paused" | "finished";
  next_run_at: number | null;
  last_run_at: number | null;
  runs: Generated<number>;
  created_at: number;
  updated_at: number;
  created_by: string | null;
}

export interface ScheduleRunsTable {
  id: Generated<number>;
  schedule_id: string;
  due_at: number;
  ran_at: number;
  outcome: "started" | "skipped" | "failed";
  batch_id: string | null;
  message: string | null;
}

export interface RolloutsTable {
  id: string;
  name: string;
  type: string;
  params_json: string;
  /** The target as given (a group with its name and filter) and the devices it named. */
  target_json: string;
  /** Phases, rate, gates, abort threshold, TTL and window as the API took them. */
  plan_json: string;
  state: "running" | "paused" | "waiting_approval" | "completed" | "aborted" | "canceled";
  current_phase: number;
  /** When the current phase's rate clock started (its start, or the last resume). */
  rate_since: number | null;
  /** Devices of the current phase released before `rate_since`. */
  rate_base: Generated<number>;
  reason_code: string | null;
  reason: string | null;
  retry_of: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  created_by: string | null;
}

export interface RolloutPhasesTable {
  id: Generated<number>;
  rollout_id: string;
  idx: number;
  state: "pending" | "running" | "waiting_approval" | "done" | "stopped";
  batch_id: string | null;
  devices: number;
  released: Generated<number>;
  skipped: Generated<number>;
  started_at: number | null;
  finished_at: number | null;
}

export interface RolloutDevicesTable {
  id: Generated<number>;
  rollout_id: string;
  device_id: string;
  phase: number;
  position: number;
  released_at: number | null;
}

export interface StoreSchema {
  devices: DevicesTable;
  sites: SitesTable;
  device_groups: DeviceGroupsTable;
  schedules: SchedulesTable;
  schedule_runs: ScheduleRunsTable;
  rollouts: RolloutsTable;
  rollout_phases: RolloutPhasesTable;
  rollout_devices: RolloutDevicesTable;
  device_labels: DeviceLabelsTable;
  device_credentials: DeviceCredentialsTable;
  denied_serials: DeniedSerialsTable;
  batches: BatchesTable;
  commands: CommandsTable;
  state_history: StateHistoryTable;
  enrollment_tokens: EnrollmentTokensTable;
  device_codes: DeviceCodesTable;
  settings: SettingsTable;
  roles: RolesTable;
  admins: AdminsTable;
  admin_sessions: AdminSessionsTable;
  admin_tokens: AdminTokensTable;
  admin_login_devices: AdminLoginDevicesTable;
  audit_log: AuditLogTable;
  server_nodes: ServerNodesTable;
  job_leases: JobLeasesTable;
  signing_key_ring: SigningKeyRingTable;
}
