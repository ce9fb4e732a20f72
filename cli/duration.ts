/**
 * Durations and times on the command line: `90s`, `30m`, `1h`, `7d` (a number and a unit), and a
 * point in time as a duration ago (`--since 1h`) or an ISO 8601 time.
 */
import { CliError, EXIT } from "./errors.js";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Whole seconds of a duration such as `7d`, or a usage error naming the flag. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+)([smhdw])$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2]!]! : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new CliError(`${flag} takes a duration such as 90s, 30m, 1h or 7d`, "usage", EXIT.usage);
  }
  return seconds;
}

/** An ISO 8601 time, from a duration ago (`1h`) or an ISO time as given. */
export function parseSince(text: string, flag: string, now = Date.now()): string {
  if (/^\d+[smhdw]$/.test(text.trim())) return new Date(now - parseDuration(text, flag) * 1000).toISOString();
  const at = Date.parse(text);
  if (Number.isNaN(at)) {
    throw new CliError(`${flag} takes a duration ago (1h, 7d) or an ISO 8601 time`, "usage", EXIT.usage);
  }
  return new Date(at).toISOString();
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];
