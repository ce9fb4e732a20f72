/** How the console writes times, durations, offsets, sizes and command outcomes. */
import type { ServerCommandCode } from "../../../proto/result-codes";

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });

export function timeAgo(iso: string | null | undefined, nowMs = Date.now()): string {
  if (!iso) return "never";
  const seconds = Math.round((new Date(iso).getTime() - nowMs) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 5) return "just now";
  if (abs < 60) return relative.format(seconds, "second");
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), "hour");
  return relative.format(Math.round(seconds / 86_400), "day");
}

const dateTime = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium" });
const timeOnly = new Intl.DateTimeFormat("en", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "—";
}

export function formatTime(iso: string | null | undefined): string {
  return iso ? timeOnly.format(new Date(iso)) : "—";
}

export function formatOffset(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  const abs = Math.abs(ms);
  const sign = ms > 0 ? "+" : ms < 0 ? "−" : "±";
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  return `${sign}${(abs / 60_000).toFixed(1)} min`;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  return `${minutes} min`;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en");
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export const COMMAND_LABELS: Record<string, string> = {
  lock: "Lock screen",
  reboot: "Reboot",
  factory_reset: "Factory reset",
  rename: "Rename",
  set_time: "Set date & time",
  stop_managing: "Stop managing",
  deactivate: "Permanently deactivate",
  refresh_state: "Refresh state",
};

/** Readable wording for the codes the server ends a command with (its catalogue is the source). */
const SERVER_COMMAND_CODE_LABELS: Record<ServerCommandCode, string> = {
  timed_out: "Did not finish in time",
  ended_by_admin: "Ended by an admin",
  device_deactivated: "Device deactivated",
  device_removed: "Removed from management",
  device_replaced: "Replaced by another device",
  credential_revoked: "Credential revoked",
  rollout_stopped: "Rollout stopped",
};

/** A command's error code in words; a device's own codes show as they are. */
export function commandErrorLabel(code: string): string {
  return Object.hasOwn(SERVER_COMMAND_CODE_LABELS, code)
    ? SERVER_COMMAND_CODE_LABELS[code as ServerCommandCode]
    : code;
}

export function timezoneLabel(zone: string | null | undefined): string {
  if (!zone) return "—";
  return zone === "auto" ? "Automatic" : zone;
}
