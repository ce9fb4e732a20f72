/**
 * Searching the time zones the server lists (GET /settings/timezones): by current name, old
 * name, city and UTC offset, so "Kolkata", "Calcutta", "ho chi minh" and "+05:30" all find a
 * zone.
 */
import type { TimeZone } from "./types";

/** "+5", "5:30", "UTC+05:30", "gmt-3" as an offset `+05:30`; null for anything else. */
function offsetQuery(query: string): string | null {
  const match = /^(?:utc|gmt)?\s*([+\-−])?\s*(\d{1,2})(?::?(\d{2}))?$/i.exec(query);
  if (!match) return null;
  const hours = Number(match[2]);
  const minutes = Number(match[3] ?? 0);
  if (hours > 14 || minutes > 59) return null;
  const sign = match[1] === "-" || match[1] === "−" ? "-" : "+";
  return `${sign}${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
}

const searchable = (text: string) => text.toLowerCase().replace(/[\s_]+/g, " ");

export function filterZones(zones: readonly TimeZone[], query: string): TimeZone[] {
  const q = query.trim();
  if (!q) return [...zones];
  const offset = offsetQuery(q);
  const text = searchable(q);
  return zones.filter(
    (z) =>
      (offset !== null && [z.utcOffset, z.standardOffset, z.daylightOffset].includes(offset)) ||
      [z.name, z.city, ...z.aliases].some((name) => searchable(name).includes(text)),
  );
}

/** The listed zone with this name or alias. */
export function zoneNamed(zones: readonly TimeZone[], name: string): TimeZone | undefined {
  return zones.find((z) => z.name === name || z.aliases.includes(name));
}

/** `Asia/Kolkata · UTC+05:30 (also Asia/Calcutta)`; without the name, the offsets alone. */
export function zoneLabel(zone: TimeZone, withName = true): string {
  const offsets = `UTC${zone.standardOffset}${zone.daylightOffset ? `, summer ${zone.daylightOffset}` : ""}`;
  if (!withName) return offsets;
  const formerly = zone.aliases.filter((a) => a.includes("/"));
  return `${zone.name.replaceAll("_", " ")} · ${offsets}${formerly.length ? ` (also ${formerly.join(", ")})` : ""}`;
}
