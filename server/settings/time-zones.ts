/**
 * The IANA time zones an admin can choose, each under its current name, with the older names
 * that mean the same zone and its UTC offsets. Validation (time-validation.ts) accepts exactly
 * these zones, under any of their names, and stores the current name.
 *
 * The zones come from the runtime's ICU (`Intl.supportedValuesOf`), which follows CLDR: CLDR
 * keeps the first name a zone had as its identifier, so ICU answers `Asia/Calcutta` for
 * `Asia/Kolkata` and lists only the old name. {@link RENAMED_ZONES} maps those old names to the
 * current ones.
 */

/**
 * Zones that IANA renamed and that CLDR still identifies by their old name: old name → current
 * name. From the IANA tz database's `backward` file (tzdata 2025b), the links that record a
 * rename (a new spelling, or a city renamed); where `backward` now links both names to another
 * zone of the same offsets (Asmara, Atikokan, Chuuk, Pohnpei), the current name is the one
 * `zone.tab` lists for the place. These are all of ICU 78's zone identifiers that tzdata 2025b
 * has as such renamed links; the other names ICU lists are current.
 */
export const RENAMED_ZONES: Readonly<Record<string, string>> = {
  "Africa/Asmera": "Africa/Asmara",
  "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
  "America/Catamarca": "America/Argentina/Catamarca",
  "America/Coral_Harbour": "America/Atikokan",
  "America/Cordoba": "America/Argentina/Cordoba",
  "America/Godthab": "America/Nuuk",
  "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Jujuy": "America/Argentina/Jujuy",
  "America/Louisville": "America/Kentucky/Louisville",
  "America/Mendoza": "America/Argentina/Mendoza",
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Europe/Kiev": "Europe/Kyiv",
  "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Truk": "Pacific/Chuuk",
};

/** Names for UTC itself; ICU lists no zone for it (only regions). */
const UTC_ALIASES = ["Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Etc/Zulu"];

export interface TimeZoneEntry {
  /** The current IANA name, e.g. `Asia/Kolkata`. */
  name: string;
  /** Older names of the same zone, e.g. `Asia/Calcutta`; validation accepts them too. */
  aliases: string[];
  /** The place the name is made of, e.g. `Ho Chi Minh`, `Buenos Aires`. */
  city: string;
  /** The offset from UTC in force now, `+05:30`, `-03:00`, `+00:00`. */
  utcOffset: string;
  /** The offset outside daylight saving time. */
  standardOffset: string;
  /** The offset during daylight saving time; null for a zone without it this year. */
  daylightOffset: string | null;
}

/** The current name of a zone that ICU calls `zone` (unchanged when it was not renamed). */
export function currentZoneName(zone: string): string {
  return RENAMED_ZONES[zone] ?? zone;
}

function cityOf(name: string): string {
  return name === "UTC"
    ? "Coordinated Universal Time"
    : (name.split("/").at(-1) ?? name).replaceAll("_", " ");
}

/** Minutes east of UTC at `atMs`, from ICU's `GMT+05:30` (`GMT` alone for zero). */
function offsetMinutes(format: Intl.DateTimeFormat, atMs: number): number {
  const part = format.formatToParts(atMs).find((p) => p.type === "timeZoneName")?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(part ?? "");
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === "-" ? -minutes : minutes;
}

export function formatUtcOffset(minutes: number): string {
  const abs = Math.abs(minutes);
  const hours = String(Math.floor(abs / 60)).padStart(2, "0");
  return `${minutes < 0 ? "-" : "+"}${hours}:${String(abs % 60).padStart(2, "0")}`;
}

/** Offsets a zone uses in the year of `atMs`: one per month is enough to meet both seasons. */
function offsetsOf(
  zone: string,
  atMs: number,
): Pick<TimeZoneEntry, "utcOffset" | "standardOffset" | "daylightOffset"> {
  const format = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
  const year = new Date(atMs).getUTCFullYear();
  const samples = Array.from({ length: 12 }, (_, month) => offsetMinutes(format, Date.UTC(year, month, 15)));
  const standard = Math.min(...samples);
  const daylight = Math.max(...samples);
  return {
    utcOffset: formatUtcOffset(offsetMinutes(format, atMs)),
    standardOffset: formatUtcOffset(standard),
    daylightOffset: daylight === standard ? null : formatUtcOffset(daylight),
  };
}

/** Every name validation accepts (current names and aliases) → the zone's current name. */
let currentNames: ReadonlyMap<string, string> | null = null;

/**
 * Built on first use and kept: it depends only on the runtime's ICU, like a table compiled in.
 */
function currentNamesByName(): ReadonlyMap<string, string> {
  if (currentNames) return currentNames;
  const names = new Map<string, string>([["UTC", "UTC"], ...UTC_ALIASES.map((a) => [a, "UTC"] as const)]);
  for (const zone of Intl.supportedValuesOf("timeZone")) {
    const current = currentZoneName(zone);
    names.set(current, current);
    names.set(zone, current);
  }
  currentNames = names;
  return names;
}

/**
 * The current name of a zone as ICU resolved it (`Asia/Calcutta` → `Asia/Kolkata`), or null
 * when it is no zone of the list (`Etc/GMT+5`: an offset, not a region).
 */
export function listedZoneName(resolved: string): string | null {
  return currentNamesByName().get(resolved) ?? null;
}

/**
 * The zones an admin can choose, by current name. Offsets follow the clock (daylight saving
 * time in force now, the year's standard and daylight offsets); the list is computed at most
 * once per UTC day, so a DST change shows by the next day.
 */
export class TimeZoneCatalog {
  private cached: { day: number; zones: TimeZoneEntry[] } | null = null;

  constructor(private readonly clock: () => number) {}

  list(): TimeZoneEntry[] {
    const nowMs = this.clock();
    const day = Math.floor(nowMs / 86_400_000);
    if (this.cached?.day === day) return this.cached.zones;
    const aliasesByName = new Map<string, string[]>();
    for (const [alias, current] of currentNamesByName()) {
      if (alias !== current) aliasesByName.set(current, [...(aliasesByName.get(current) ?? []), alias]);
    }
    const names = [...new Set(currentNamesByName().values())].sort();
    const zones = names.map((name) => ({
      name,
      aliases: (aliasesByName.get(name) ?? []).sort(),
      city: cityOf(name),
      ...offsetsOf(name, nowMs),
    }));
    this.cached = { day, zones };
    return zones;
  }
}

/**
 * Every name of the zone `name` names (current name and aliases), for matching what devices
 * report, which may be either; a name that is no listed zone matches only itself.
 */
export function namesOfZone(name: string): string[] {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return [name];
  }
  const current = listedZoneName(resolved);
  if (!current) return [name];
  const names = [...currentNamesByName()].filter(([, c]) => c === current).map(([alias]) => alias);
  return [...new Set([current, ...names])];
}
