/**
 * A site's maintenance window: local times of day (`start`, `end`) on some days of the week, in
 * an IANA zone, e.g. daily 01:00–05:00 in Europe/Berlin. An `end` before its `start` crosses
 * midnight (22:00–02:00 opens at 22:00 and closes at 02:00 the next day); `days` are the days
 * the window opens on (none listed: every day), so a Friday 22:00–02:00 window runs into
 * Saturday. Pure: times come in and go out as milliseconds since the epoch.
 *
 * When it is open: a window is open at `t` when its latest opening at or before `t` has not
 * closed yet. Openings are the start time on each listed day, as croner finds them in the zone;
 * the window opened at `o` closes at the first local end time after `o`.
 *
 * Daylight saving time, the rule implemented: the window follows the wall clock of its zone.
 * - An opening in a skipped hour (02:30 on the spring change in Berlin) opens at the first
 *   minute after the gap (03:00); one in a repeated hour opens once, at its first occurrence
 *   (croner's rule, as for schedules).
 * - It closes at its local end time, so on a change day it is an hour shorter or longer than
 *   usual: 01:00–05:00 lasts 3 h on the spring day and 5 h on the autumn day, and is closed from
 *   05:00 on either, when the working day starts. An end in a skipped hour closes at the first
 *   minute after the gap.
 * - Where the local end time is more than an hour off the window's usual length after its
 *   opening (only an opening pushed out of a skipped hour past its own end can be: 02:30–02:45
 *   opens at 03:00 on the spring day), the window lasts its usual length instead.
 */
import { Cron } from "croner";
import { MdmError } from "../errors.js";
import { normalizeTimezone } from "../settings/time-validation.js";

/** The days of the week as a window names them, Monday first. */
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Cron's day-of-week numbers (Sunday 0). */
const CRON_DAY: Record<Weekday, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MINUTES = 24 * 60;
/** The most a daylight saving change moves a local time (Lord Howe's is 30 min; none exceeds 1 h). */
const DST_SHIFT_MS = HOUR_MS;

/** A window as stored and shown: checked, with its zone's current name. */
export interface MaintenanceWindow {
  /** Local time of day it opens, "HH:MM". */
  start: string;
  /** Local time of day it closes, "HH:MM"; before `start`: the next day. */
  end: string;
  /** The days it opens on, Monday first; empty: every day. */
  days: Weekday[];
  /** The IANA zone its times are read in. */
  timezone: string;
}

/** A window as an admin gives it. */
export interface MaintenanceWindowInput {
  start: string;
  end: string;
  days?: readonly string[];
  timezone?: string;
}

/** Whether the window is open at a moment, and when that changes next. */
export interface WindowState {
  open: boolean;
  /** While closed: when it opens next. */
  opensAt: number | null;
  /** While open: when it closes. */
  closesAt: number | null;
}

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

function invalid(field: string, message: string): MdmError {
  return new MdmError("invalid_window", message, { field: `window.${field}` });
}

function minutesOf(value: string, field: "start" | "end"): number {
  const match = TIME_OF_DAY.exec(value.trim());
  if (!match) {
    throw invalid(
      field,
      `a maintenance window's ${field} is a time of day 'HH:MM' (00:00 to 23:59), not '${value}'`,
    );
  }
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * The window checked and in its stored form; refused with `invalid_window` (or
 * `invalid_timezone`) naming the field. `defaultTimezone`: the zone a window without one is read
 * in (the site's own fixed zone), null when the site has none and the window must state it.
 */
export function parseWindow(
  input: MaintenanceWindowInput,
  defaultTimezone: string | null,
): MaintenanceWindow {
  const start = minutesOf(input.start, "start");
  const end = minutesOf(input.end, "end");
  if (start === end) {
    throw invalid(
      "end",
      `a maintenance window's end must differ from its start (both ${input.start.trim()})`,
    );
  }
  const given = new Set<string>();
  for (const day of input.days ?? []) {
    const name = day.trim().toLowerCase();
    if (!(WEEKDAYS as readonly string[]).includes(name)) {
      throw invalid("days", `'${day}' is not a day of a maintenance window: use ${WEEKDAYS.join(", ")}`);
    }
    given.add(name);
  }
  // All seven days and none say the same: stored as none.
  const days = given.size === WEEKDAYS.length ? [] : WEEKDAYS.filter((d) => given.has(d));
  return { start: hhmm(start), end: hhmm(end), days, timezone: windowZone(input.timezone, defaultTimezone) };
}

function windowZone(given: string | undefined, defaultTimezone: string | null): string {
  if (given === undefined || given.trim() === "") {
    if (defaultTimezone === null) {
      throw invalid(
        "timezone",
        "a maintenance window states its IANA time zone (window.timezone, e.g. Europe/Berlin) when its site has no time zone of its own",
      );
    }
    return defaultTimezone;
  }
  let zone: string;
  try {
    zone = normalizeTimezone(given);
  } catch {
    zone = "";
  }
  if (zone === "" || zone === "auto") {
    throw new MdmError(
      "invalid_timezone",
      `a maintenance window's time zone is an IANA zone such as Europe/Berlin (GET /settings/timezones lists them), not '${given}'`,
      { field: "window.timezone" },
    );
  }
  return zone;
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** The window's usual length: from start to end, the next day when end is earlier. */
export function windowLengthMs(window: MaintenanceWindow): number {
  const start = minutesOf(window.start, "start");
  const end = minutesOf(window.end, "end");
  return ((((end - start) % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES || DAY_MINUTES) * MINUTE_MS;
}

/** The cron expression of a time of day, on some days (empty: every day). */
function cronAt(time: string, days: readonly Weekday[], timezone: string): Cron {
  const [hours, minutes] = time.split(":").map(Number);
  const dayField = days.length === 0 ? "*" : days.map((d) => CRON_DAY[d]).join(",");
  // No function: the object only computes times, it never starts a timer.
  return new Cron(`${minutes} ${hours} * * ${dayField}`, { timezone, mode: "5-part" });
}

/** A window's opening and closing times, computed with croner in its zone. */
class WindowTimes {
  private readonly openings: Cron;
  private readonly ends: Cron;
  readonly lengthMs: number;

  constructor(window: MaintenanceWindow) {
    this.openings = cronAt(window.start, window.days, window.timezone);
    this.ends = cronAt(window.end, [], window.timezone);
    this.lengthMs = windowLengthMs(window);
  }

  /** The first opening strictly after `afterMs`. */
  nextOpening(afterMs: number): number {
    const next = this.openings.nextRun(new Date(afterMs));
    // Every pattern here names a day each week: croner always finds one.
    if (!next) throw new Error("a maintenance window without a next opening");
    return next.getTime();
  }

  /** When the window opened at `openedAtMs` closes (see the rule above). */
  closeOf(openedAtMs: number): number {
    const localEnd = this.ends.nextRun(new Date(openedAtMs))?.getTime() ?? openedAtMs + this.lengthMs;
    return Math.abs(localEnd - openedAtMs - this.lengthMs) <= DST_SHIFT_MS
      ? localEnd
      : openedAtMs + this.lengthMs;
  }

  /** The opening of the window open at `atMs`; null when it is closed then. */
  openingAt(atMs: number): number | null {
    // A window lasts at most its length and a daylight saving shift: an older opening has closed.
    let candidate = this.nextOpening(atMs - this.lengthMs - DST_SHIFT_MS - 1);
    let latest: number | null = null;
    while (candidate <= atMs) {
      latest = candidate;
      candidate = this.nextOpening(candidate);
    }
    return latest !== null && atMs < this.closeOf(latest) ? latest : null;
  }
}

/** Whether the window is open at `atMs`. */
export function isOpen(window: MaintenanceWindow, atMs: number): boolean {
  return new WindowTimes(window).openingAt(atMs) !== null;
}

/** When the window next opens after `afterMs` (while open: the opening after this one). */
export function nextOpensAt(window: MaintenanceWindow, afterMs: number): number {
  return new WindowTimes(window).nextOpening(afterMs);
}

/** When the window open at `atMs` closes; null when it is closed then. */
export function closesAt(window: MaintenanceWindow, atMs: number): number | null {
  const times = new WindowTimes(window);
  const opening = times.openingAt(atMs);
  return opening === null ? null : times.closeOf(opening);
}

/** When the window closes next after `afterMs`: this opening's close, or the next one's. */
export function nextClosesAt(window: MaintenanceWindow, afterMs: number): number {
  const times = new WindowTimes(window);
  const opening = times.openingAt(afterMs) ?? times.nextOpening(afterMs);
  return times.closeOf(opening);
}

/** Open or closed at `atMs`, and the next change. */
export function windowState(window: MaintenanceWindow, atMs: number): WindowState {
  const times = new WindowTimes(window);
  const opening = times.openingAt(atMs);
  return opening === null
    ? { open: false, opensAt: times.nextOpening(atMs), closesAt: null }
    : { open: true, opensAt: null, closesAt: times.closeOf(opening) };
}
