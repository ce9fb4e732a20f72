/**
 * Validation of time settings as admins type them: an IANA zone (or "auto") and an NTP server
 * as `host` or `host:port` (or null for automatic).
 */
import { AUTO_TIMEZONE, type TimeSettings } from "../../proto/wire.js";
import { MdmError } from "../errors.js";
import { listedZoneName } from "./time-zones.js";

/** Longer than any IANA zone name (the longest has 32 characters). */
export const MAX_TIMEZONE_LENGTH = 64;
/** A 253-character host name, a colon and a 5-digit port. */
export const MAX_NTP_SERVER_LENGTH = 259;

/**
 * Returns the zone's current IANA name ("europe/paris" → "Europe/Paris", "Asia/Calcutta" →
 * "Asia/Kolkata"), or "auto". Accepted are exactly the zones of GET /settings/timezones, under
 * their current name or an alias (see time-zones.ts).
 */
export function normalizeTimezone(input: string): string {
  const zone = input.trim();
  if (zone.toLowerCase() === AUTO_TIMEZONE) return AUTO_TIMEZONE;
  const invalid = () =>
    new MdmError(
      "invalid_timezone",
      `'${input}' is not an IANA time zone (e.g. Europe/Paris; GET /settings/timezones lists them) or 'auto'`,
    );
  // Offsets such as "+01:00" are valid for Intl but are not regions: a region follows DST.
  if (zone === "" || /^[+-]/.test(zone) || /\s/.test(zone)) throw invalid();
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw invalid();
  }
  const listed = listedZoneName(resolved);
  if (!listed) throw invalid();
  return listed;
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isHostname(host: string): boolean {
  if (host.length > 253) return false;
  const labels = host.replace(/\.$/, "").split(".");
  // All-numeric names that are not valid IPv4 addresses (e.g. 300.1.1.1) are typos.
  if (labels.every((l) => /^\d+$/.test(l))) return IPV4.test(host);
  return labels.every((l) => HOST_LABEL.test(l));
}

function isIpv6(host: string): boolean {
  return /^[0-9a-f:.]+$/i.test(host) && host.includes(":") && URL.canParse(`ntp://[${host}]/`);
}

/** Accepts `host`, `host:port`, `[v6]` and `[v6]:port`; an `ntp://` prefix is tolerated. */
export function normalizeNtpServer(input: string | null): string | null {
  if (input === null) return null;
  let value = input.trim();
  if (value === "" || value.toLowerCase() === AUTO_TIMEZONE) return null;
  value = value.replace(/^ntp:\/\//i, "").replace(/\/$/, "");
  const invalid = () =>
    new MdmError(
      "invalid_ntp_server",
      `'${input}' is not an NTP server: use host or host:port, e.g. time.example.com:123`,
    );
  let host: string;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2];
    if (!isIpv6(host)) throw invalid();
  } else {
    const parts = value.split(":");
    if (parts.length > 2) throw invalid();
    host = parts[0]!;
    port = parts[1];
    if (!isHostname(host)) throw invalid();
  }
  if (port !== undefined) {
    const n = Number(port);
    if (!/^\d{1,5}$/.test(port) || n < 1 || n > 65535) throw invalid();
  }
  const hostPart = bracketed ? `[${host}]` : host.toLowerCase();
  return port === undefined ? hostPart : `${hostPart}:${Number(port)}`;
}

export function normalizeTimeSettings(input: { timezone: string; ntpServer: string | null }): TimeSettings {
  return { timezone: normalizeTimezone(input.timezone), ntpServer: normalizeNtpServer(input.ntpServer) };
}
