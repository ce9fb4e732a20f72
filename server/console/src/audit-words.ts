/**
 * The audit log in words: what each action did, why a failure failed, what a target is and
 * which page shows it, and parameters as a readable list. One table per question, so a new
 * action or error code is worded in one place (a unit test checks every action has words).
 * Nothing is imported, so the server's tests can read these tables too.
 */

/** The parts of an audit entry (types.ts AuditEntry) the words are made from. */
interface WordedEntry {
  action: string;
  outcome: "success" | "failure";
  params: unknown;
  target: string | null;
  targetKind: string | null;
  targetName: string | null;
}

/** Each action's words, as a sentence about the actor: "Erin … Issued a command". */
export const AUDIT_ACTION_LABELS: Record<string, string> = {
  "auth.login": "Signed in",
  "auth.login_throttled": "Sign-ins slowed down after failures",
  "auth.logout": "Signed out",
  "auth.logout_all": "Signed out everywhere",
  "auth.password_change": "Changed their password",
  "admin.bootstrap": "Created the first admin",
  "admin.create": "Added an admin",
  "admin.update": "Changed an admin",
  "admin.password_set": "Set an admin's password",
  "role.create": "Created a role",
  "role.update": "Changed a role",
  "role.delete": "Deleted a role",
  "token.create": "Created an API token",
  "token.revoke": "Revoked an API token",
  "command.issue": "Issued a command",
  "command.cancel": "Canceled a command",
  "batch.create": "Started a fleet action",
  "batch.cancel": "Canceled a fleet action",
  "batch.retry": "Retried a fleet action",
  "device.remove": "Removed a device",
  "device.revoke_credential": "Revoked a device's credential",
  "device.config_resend": "Sent a device its configuration again",
  "device.labels.change": "Changed devices' labels",
  "group.create": "Created a device group",
  "group.update": "Changed a device group",
  "group.delete": "Deleted a device group",
  "site.create": "Created a site",
  "site.update": "Changed a site",
  "site.delete": "Deleted a site",
  "site.assign": "Moved devices to a site",
  "schedule.create": "Created a schedule",
  "schedule.update": "Changed a schedule",
  "schedule.pause": "Paused a schedule",
  "schedule.resume": "Resumed a schedule",
  "schedule.delete": "Deleted a schedule",
  "rollout.create": "Started a staged rollout",
  "rollout.pause": "Paused a rollout",
  "rollout.resume": "Resumed a rollout",
  "rollout.cancel": "Canceled a rollout",
  "rollout.approve": "Approved a rollout's next phase",
  "rollout.retry": "Retried a rollout's failed devices",
  "rollout.abort": "Aborted a rollout",
  "settings.time.update": "Changed the date and time",
  "settings.clock_drift.update": "Changed the clock drift threshold",
  "enrollment_token.create": "Created an enrollment token",
  "enrollment_token.revoke": "Revoked an enrollment token",
  "enrollment.claim": "Connected a device",
  "signing_key.rotate": "Rotated the command signing key",
};

/** Failures that read better as their own words than as "<action>, failed". */
const FAILED_ACTION_LABELS: Record<string, string> = {
  "auth.login": "Failed sign-in",
  "auth.password_change": "Failed password change",
};

export function actionLabel(entry: Pick<WordedEntry, "action" | "outcome">): string {
  if (entry.outcome === "failure" && Object.hasOwn(FAILED_ACTION_LABELS, entry.action))
    return FAILED_ACTION_LABELS[entry.action]!;
  return Object.hasOwn(AUDIT_ACTION_LABELS, entry.action) ? AUDIT_ACTION_LABELS[entry.action]! : entry.action;
}

/** The type of the command an entry issued, when it issued one (`reboot`). */
export function commandTypeOf(entry: Pick<WordedEntry, "action" | "params">): string | null {
  const params = entry.params as Record<string, unknown> | null;
  const type =
    entry.action === "command.issue"
      ? params?.type
      : entry.action === "batch.create" || entry.action === "rollout.create"
        ? (params?.command as Record<string, unknown> | undefined)?.type
        : undefined;
  return typeof type === "string" ? type : null;
}

/** The server's error codes (server/errors.ts) in words; an unknown code shows as it is. */
const ERROR_LABELS: Record<string, string> = {
  bad_request: "Bad request",
  validation_failed: "Invalid input",
  invalid_timezone: "Unknown time zone",
  invalid_cron: "Invalid cron expression",
  invalid_window: "Invalid maintenance window",
  invalid_ntp_server: "Invalid NTP server",
  weak_password: "Password too weak",
  unauthorized: "Not signed in",
  invalid_enrollment_token: "Invalid enrollment token",
  invalid_credentials: "Wrong email or password",
  forbidden: "Not allowed",
  device_deactivated: "Device deactivated",
  password_reset_required: "Password change required first",
  account_deactivated: "Account deactivated",
  wrong_password: "Wrong current password",
  right_not_held: "Grants a right the actor does not hold",
  own_access: "Changes the actor's own access",
  target_outranks_you: "Target holds rights the actor lacks",
  cross_site_request: "Sent from another site",
  not_found: "Not found",
  device_not_found: "No such device",
  command_not_found: "No such command",
  batch_not_found: "No such fleet action",
  device_code_not_found: "No device shows this code",
  admin_not_found: "No such admin",
  role_not_found: "No such role",
  site_not_found: "No such site",
  schedule_not_found: "No such schedule",
  rollout_not_found: "No such rollout",
  token_not_found: "No such token",
  enrollment_token_not_found: "No such enrollment token",
  group_not_found: "No such group",
  device_not_managed: "Device not managed",
  device_online: "Device is online",
  device_offline: "Device is offline",
  device_already_enrolled: "Serial already managed",
  command_not_cancelable: "Command can no longer be canceled",
  batch_nothing_to_retry: "Nothing to retry",
  device_code_already_claimed: "Code already used",
  admin_email_taken: "Email already in use",
  role_name_taken: "Role name already in use",
  role_built_in: "Built-in role",
  role_in_use: "Role still given to admins",
  last_system_admin: "Last system admin",
  too_many_labels: "Too many labels",
  group_name_taken: "Group name already in use",
  too_many_groups: "Too many groups",
  site_name_taken: "Site name already in use",
  too_many_sites: "Too many sites",
  too_many_schedules: "Too many schedules",
  schedule_finished: "Schedule has no run left",
  too_many_rollouts: "Too many open rollouts",
  rollout_finished: "Rollout already ended",
  rollout_not_running: "Rollout not running",
  rollout_not_paused: "Rollout not paused",
  rollout_not_waiting_approval: "Rollout not waiting for approval",
  rollout_nothing_to_retry: "Nothing to retry",
  device_code_expired: "Code expired",
  payload_too_large: "Request too large",
  unsupported_media_type: "Unsupported content type",
  slow_down: "Polled too fast",
  too_many_attempts: "Too many failed attempts",
  rate_limited: "Too many requests",
  internal: "Server error",
  store_unavailable: "Database unavailable",
};

export function errorCodeLabel(code: string): string {
  return Object.hasOwn(ERROR_LABELS, code) ? ERROR_LABELS[code]! : code;
}

export const TARGET_KIND_LABELS: Record<string, string> = {
  device: "Device",
  command: "Command",
  batch: "Fleet action",
  admin: "Admin",
  role: "Role",
  group: "Device group",
  api_token: "API token",
  enrollment_token: "Enrollment token",
  setting: "Setting",
  signing_key: "Signing key",
  site: "Site",
  schedule: "Schedule",
  rollout: "Rollout",
};

/** The console page that shows an entry's target, if one does. */
export function targetHref(entry: WordedEntry): string | null {
  const id = entry.target;
  if (id === null || entry.targetKind === null) return null;
  const params = entry.params as Record<string, unknown> | null;
  switch (entry.targetKind) {
    case "device":
      return `/devices/${encodeURIComponent(id)}`;
    case "command":
      return typeof params?.deviceId === "string" ? `/devices/${encodeURIComponent(params.deviceId)}` : null;
    case "batch":
      return `/fleet/${encodeURIComponent(id)}`;
    case "admin":
      return entry.targetName ? `/admins?q=${encodeURIComponent(entry.targetName)}` : null;
    case "role":
      return `/roles?role=${encodeURIComponent(id)}`;
    case "group":
      return `/groups?group=${encodeURIComponent(id)}`;
    case "api_token":
      return "/tokens";
    case "enrollment_token":
      return "/connect?tokens=all";
    case "setting":
      return "/settings/time";
    case "site":
      return `/sites/${encodeURIComponent(id)}`;
    case "schedule":
      return "/schedules";
    case "rollout":
      return `/rollouts/${encodeURIComponent(id)}`;
    default:
      return null;
  }
}

/** `maxUses` → "Max uses", `ntpServer` → "NTP server". */
export function paramLabel(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/_/g, " ")
    .toLowerCase()
    .replace(/\b(ntp|id|ttl|ip)\b/g, (w) => w.toUpperCase());
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A parameter's value for reading: text as it is, yes/no, "none", nested values as JSON. */
export function paramValue(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string" || typeof value === "number") return String(value);
  return JSON.stringify(value);
}
