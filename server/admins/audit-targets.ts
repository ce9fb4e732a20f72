/**
 * What an audit row's target is, by its action: the kind of thing its id names, so that the
 * log can show a name (a device's, an admin's email, a role's) instead of a bare id. Ids alone
 * cannot tell: API tokens and enrollment tokens share the `tok_` prefix.
 */
import type { AuditAction } from "./audit-log.js";

export const AUDIT_TARGET_KINDS = [
  "device",
  "command",
  "batch",
  "admin",
  "role",
  "group",
  "api_token",
  "enrollment_token",
  "setting",
  "signing_key",
  "site",
  "schedule",
  "rollout",
] as const;
export type AuditTargetKind = (typeof AUDIT_TARGET_KINDS)[number];

/** Every action names its target's kind here; a new action does not compile until it does. */
export const TARGET_KIND_BY_ACTION: Record<AuditAction, AuditTargetKind> = {
  "auth.login": "admin",
  "auth.login_throttled": "admin",
  "auth.logout": "admin",
  "auth.logout_all": "admin",
  "auth.password_change": "admin",
  "admin.bootstrap": "admin",
  "admin.create": "admin",
  "admin.update": "admin",
  "admin.password_set": "admin",
  "role.create": "role",
  "role.update": "role",
  "role.delete": "role",
  "token.create": "api_token",
  "token.revoke": "api_token",
  "command.issue": "device",
  "command.cancel": "command",
  "batch.create": "batch",
  "batch.cancel": "batch",
  "batch.retry": "batch",
  "device.remove": "device",
  "device.revoke_credential": "device",
  "device.config_resend": "device",
  "device.labels.change": "device",
  "group.create": "group",
  "group.update": "group",
  "group.delete": "group",
  "site.create": "site",
  "site.update": "site",
  "site.delete": "site",
  "site.assign": "site",
  "schedule.create": "schedule",
  "schedule.update": "schedule",
  "schedule.pause": "schedule",
  "schedule.resume": "schedule",
  "schedule.delete": "schedule",
  "rollout.create": "rollout",
  "rollout.pause": "rollout",
  "rollout.resume": "rollout",
  "rollout.cancel": "rollout",
  "rollout.approve": "rollout",
  "rollout.retry": "rollout",
  "rollout.abort": "rollout",
  "settings.time.update": "setting",
  "settings.clock_drift.update": "setting",
  "enrollment_token.create": "enrollment_token",
  "enrollment_token.revoke": "enrollment_token",
  "enrollment.claim": "device",
  "signing_key.rotate": "signing_key",
};

/** The kind of a row's target; null for a row without one, or an action this server does not know. */
export function targetKindOf(action: string, target: string | null): AuditTargetKind | null {
  if (target === null || !Object.hasOwn(TARGET_KIND_BY_ACTION, action)) return null;
  return TARGET_KIND_BY_ACTION[action as AuditAction];
}

/** Settings are not rows of a table: their targets have fixed names. */
const SETTING_NAMES: Record<string, string> = {
  "settings/time": "Date and time",
  "settings/clock-drift": "Clock drift threshold",
};

export function settingName(target: string): string | null {
  return SETTING_NAMES[target] ?? null;
}

/**
 * The parameter that named the target when it was acted on, for a target whose row is gone
 * (a deleted role) or was never made (a failed creation): the name is then the one recorded.
 */
const NAME_PARAM_BY_KIND: Partial<Record<AuditTargetKind, string>> = {
  admin: "email",
  role: "name",
  group: "name",
  api_token: "name",
  enrollment_token: "name",
  site: "name",
  schedule: "name",
  rollout: "name",
};

export function recordedTargetName(kind: AuditTargetKind, params: Record<string, unknown>): string | null {
  const key = NAME_PARAM_BY_KIND[kind];
  const value = key === undefined ? undefined : params[key];
  return typeof value === "string" && value !== "" ? value : null;
}
