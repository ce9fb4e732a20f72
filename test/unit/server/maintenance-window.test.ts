/**
 * Maintenance windows as times: what a window accepts, when it is open (crossing midnight, on
 * some days, in several zones), its next opening and closing, and the daylight saving rule
 * (the window follows its zone's wall clock).
 */
import { describe, expect, it } from "vitest";
import { isMdmError } from "../../../server/errors.js";
import {
  closesAt,
  isOpen,
  type MaintenanceWindow,
  nextClosesAt,
  nextOpensAt,
  parseWindow,
  windowState,
} from "../../../server/sites/maintenance-window.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const refusal = (fn: () => unknown): { code: string; field: unknown; message: string } => {
  try {
    fn();
  } catch (err) {
    if (isMdmError(err)) return { code: err.code, field: err.details?.field, message: err.message };
    throw err;
  }
  throw new Error("not refused");
};

describe("a window as given", () => {
  it("is stored checked, with its days in week order and its zone's current name", () => {
    expect(
      parseWindow(
        { start: " 01:00", end: "05:30 ", days: ["sun", "MON", "mon"], timezone: "Asia/Calcutta" },
        null,
      ),
    ).toEqual({ start: "01:00", end: "05:30", days: ["mon", "sun"], timezone: "Asia/Kolkata" });
    // Every day, said either way.
    const week = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    expect(parseWindow({ start: "22:00", end: "02:00", days: week, timezone: "UTC" }, null).days).toEqual([]);
    expect(parseWindow({ start: "22:00", end: "02:00", timezone: "UTC" }, null).days).toEqual([]);
  });

  it("is read in the site's own zone when it names none, and must name one when the site has none", () => {
    expect(parseWindow({ start: "01:00", end: "05:00" }, "Europe/Berlin").timezone).toBe("Europe/Berlin");
    expect(
      parseWindow({ start: "01:00", end: "05:00", timezone: "Asia/Tokyo" }, "Europe/Berlin").timezone,
    ).toBe("Asia/Tokyo");
    const missing = refusal(() => parseWindow({ start: "01:00", end: "05:00" }, null));
    expect(missing).toMatchObject({ code: "invalid_window", field: "window.timezone" });
    expect(missing.message).toContain("time zone");
  });

  it.each([
    ["a start that is no time of day", { start: "25:00", end: "05:00" }, "invalid_window", "window.start"],
    ["an end without minutes", { start: "01:00", end: "5" }, "invalid_window", "window.end"],
    ["an end equal to the start", { start: "01:00", end: "01:00" }, "invalid_window", "window.end"],
    ["an unknown day", { start: "01:00", end: "05:00", days: ["monday"] }, "invalid_window", "window.days"],
    [
      "a zone that does not exist",
      { start: "01:00", end: "05:00", timezone: "Mars/Base" },
      "invalid_timezone",
      "window.timezone",
    ],
    [
      "the network's zone",
      { start: "01:00", end: "05:00", timezone: "auto" },
      "invalid_timezone",
      "window.timezone",
    ],
  ])("is refused with %s, naming the field", (_what, input, code, field) => {
    const refused = refusal(() => parseWindow({ timezone: "UTC", ...input }, null));
    expect(refused).toMatchObject({ code, field });
    expect(refused.message).toContain("maintenance window");
  });
});

const daily = (start: string, end: string, timezone: string): MaintenanceWindow => ({
  start,
  end,
  days: [],
  timezone,
});

describe("when a window is open", () => {
  it("opens at its start and closes at its end (end excluded)", () => {
    const w = daily("01:00", "05:00", "UTC");
    expect(isOpen(w, at("2026-06-10T00:59:59Z"))).toBe(false);
    expect(isOpen(w, at("2026-06-10T01:00:00Z"))).toBe(true);
    expect(isOpen(w, at("2026-06-10T04:59:59Z"))).toBe(true);
    expect(isOpen(w, at("2026-06-10T05:00:00Z"))).toBe(false);
    expect(windowState(w, at("2026-06-10T12:00:00Z"))).toEqual({
      open: false,
      opensAt: at("2026-06-11T01:00:00Z"),
      closesAt: null,
    });
    expect(windowState(w, at("2026-06-10T02:00:00Z"))).toEqual({
      open: true,
      opensAt: null,
      closesAt: at("2026-06-10T05:00:00Z"),
    });
  });

  it("crosses midnight when its end comes before its start, in its zone's local time", () => {
    // Berlin is UTC+2 in June: 22:00–02:00 local is 20:00–00:00 UTC.
    const w = daily("22:00", "02:00", "Europe/Berlin");
    expect(isOpen(w, at("2026-06-10T19:59:00Z"))).toBe(false);
    expect(isOpen(w, at("2026-06-10T20:00:00Z"))).toBe(true);
    expect(isOpen(w, at("2026-06-10T23:59:00Z"))).toBe(true);
    expect(isOpen(w, at("2026-06-11T00:00:00Z"))).toBe(false);
    expect(iso(closesAt(w, at("2026-06-10T23:00:00Z")))).toBe("2026-06-11T00:00:00.000Z");
    expect(closesAt(w, at("2026-06-10T12:00:00Z"))).toBeNull();
    expect(iso(nextClosesAt(w, at("2026-06-10T12:00:00Z")))).toBe("2026-06-11T00:00:00.000Z");
    expect(iso(nextOpensAt(w, at("2026-06-10T21:00:00Z")))).toBe("2026-06-11T20:00:00.000Z");
  });

  it("opens only on its days, and one opened on Friday night runs into Saturday", () => {
    const w: MaintenanceWindow = { start: "22:00", end: "02:00", days: ["fri"], timezone: "UTC" };
    // 2026-06-12 is a Friday.
    expect(isOpen(w, at("2026-06-11T23:00:00Z"))).toBe(false); // Thursday night
    expect(isOpen(w, at("2026-06-12T23:00:00Z"))).toBe(true); // Friday night
    expect(isOpen(w, at("2026-06-13T01:30:00Z"))).toBe(true); // Saturday, still Friday's window
    expect(isOpen(w, at("2026-06-13T23:00:00Z"))).toBe(false); // Saturday night
    expect(iso(nextOpensAt(w, at("2026-06-13T12:00:00Z")))).toBe("2026-06-19T22:00:00.000Z");
  });

  it("is the same local window in every zone", () => {
    const utcTimes = (timezone: string) => {
      const state = windowState(daily("01:00", "05:00", timezone), at("2026-01-15T12:00:00Z"));
      return iso(state.opensAt);
    };
    expect(utcTimes("Asia/Kolkata")).toBe("2026-01-15T19:30:00.000Z"); // +05:30
    expect(utcTimes("America/New_York")).toBe("2026-01-16T06:00:00.000Z"); // -05:00
    // Auckland is +13:00 in January: its 01:00 is this very moment.
    expect(utcTimes("Pacific/Auckland")).toBeNull();
    expect(isOpen(daily("01:00", "05:00", "Pacific/Auckland"), at("2026-01-15T12:00:00Z"))).toBe(true);
  });
});

describe("on a daylight saving day (Europe/Berlin)", () => {
  it("spring: 01:00–05:00 opens at 01:00 CET and closes at 05:00 CEST, three hours later", () => {
    const w = daily("01:00", "05:00", "Europe/Berlin");
    // 2026-03-29: 02:00 CET becomes 03:00 CEST.
    expect(windowState(w, at("2026-03-28T23:30:00Z"))).toEqual({
      open: false,
      opensAt: at("2026-03-29T00:00:00Z"),
      closesAt: null,
    });
    expect(iso(closesAt(w, at("2026-03-29T00:00:00Z")))).toBe("2026-03-29T03:00:00.000Z");
    expect(isOpen(w, at("2026-03-29T02:59:00Z"))).toBe(true);
    expect(isOpen(w, at("2026-03-29T03:30:00Z"))).toBe(false); // 05:30 CEST
  });

  it("autumn: 01:00–05:00 opens at 01:00 CEST and closes at 05:00 CET, five hours later", () => {
    const w = daily("01:00", "05:00", "Europe/Berlin");
    // 2026-10-25: 03:00 CEST becomes 02:00 CET.
    expect(iso(nextOpensAt(w, at("2026-10-24T12:00:00Z")))).toBe("2026-10-24T23:00:00.000Z");
    expect(iso(closesAt(w, at("2026-10-24T23:00:00Z")))).toBe("2026-10-25T04:00:00.000Z");
    expect(isOpen(w, at("2026-10-25T03:30:00Z"))).toBe(true); // 04:30 CET
    expect(isOpen(w, at("2026-10-25T04:00:00Z"))).toBe(false);
  });

  it("an opening in the skipped hour opens after the gap and keeps the window's length", () => {
    const w = daily("02:30", "02:45", "Europe/Berlin");
    expect(iso(nextOpensAt(w, at("2026-03-28T12:00:00Z")))).toBe("2026-03-29T01:00:00.000Z"); // 03:00 CEST
    expect(iso(closesAt(w, at("2026-03-29T01:05:00Z")))).toBe("2026-03-29T01:15:00.000Z");
    expect(isOpen(w, at("2026-03-29T01:20:00Z"))).toBe(false);
  });

  it("an opening in the repeated hour opens once, at its first occurrence", () => {
    const w = daily("02:30", "03:30", "Europe/Berlin");
    expect(iso(nextOpensAt(w, at("2026-10-24T12:00:00Z")))).toBe("2026-10-25T00:30:00.000Z"); // 02:30 CEST
    expect(iso(nextOpensAt(w, at("2026-10-25T00:30:00Z")))).toBe("2026-10-26T01:30:00.000Z");
  });
});
