import { describe, expect, it } from "vitest";
import { isMdmError } from "../../../server/errors.js";
import { normalizeNtpServer, normalizeTimezone } from "../../../server/settings/time-validation.js";
import { RENAMED_ZONES, TimeZoneCatalog } from "../../../server/settings/time-zones.js";

describe("normalizeTimezone", () => {
  it("accepts auto in any case", () => {
    expect(normalizeTimezone("AUTO")).toBe("auto");
  });

  it("canonicalizes IANA zones", () => {
    expect(normalizeTimezone("Europe/Paris")).toBe("Europe/Paris");
    expect(normalizeTimezone("america/new_york")).toBe("America/New_York");
    expect(normalizeTimezone("UTC")).toBe("UTC");
  });

  it("stores a renamed zone under its current name, whichever name it is given", () => {
    expect(normalizeTimezone("Asia/Calcutta")).toBe("Asia/Kolkata");
    expect(normalizeTimezone("Asia/Kolkata")).toBe("Asia/Kolkata");
    expect(normalizeTimezone("europe/kiev")).toBe("Europe/Kyiv");
    expect(normalizeTimezone("Asia/Rangoon")).toBe("Asia/Yangon");
    expect(normalizeTimezone("Asia/Katmandu")).toBe("Asia/Kathmandu");
    expect(normalizeTimezone("Asia/Saigon")).toBe("Asia/Ho_Chi_Minh");
    expect(normalizeTimezone("Etc/UTC")).toBe("UTC");
  });

  it("accepts exactly the listed zones: each under its name and every alias, as that name", () => {
    const zones = new TimeZoneCatalog(() => Date.UTC(2026, 0, 15)).list();
    expect(zones.length).toBeGreaterThan(400);
    const accepted = zones.flatMap((z) =>
      [z.name, ...z.aliases].map((name) => [name, normalizeTimezone(name)]),
    );
    expect(
      accepted.filter(
        ([given, stored]) =>
          stored !== zones.find((z) => z.name === given || z.aliases.includes(given!))?.name,
      ),
    ).toEqual([]);
    // Every renamed zone ICU still calls by its old name is listed under its new one.
    for (const [old, current] of Object.entries(RENAMED_ZONES)) {
      expect(zones.find((z) => z.name === current)?.aliases, current).toContain(old);
    }
  });

  it.each(["", "Mars/Olympus", "+01:00", "-0500", "Europe/ Paris", "GMT+25", "Etc/GMT+5"])(
    "refuses %j",
    (zone) => {
      try {
        normalizeTimezone(zone);
        expect.unreachable();
      } catch (err) {
        expect(isMdmError(err, "invalid_timezone")).toBe(true);
      }
    },
  );
});

describe("normalizeNtpServer", () => {
  it("treats empty and null as automatic", () => {
    expect(normalizeNtpServer(null)).toBeNull();
    expect(normalizeNtpServer("  ")).toBeNull();
  });

  it.each([
    ["pool.ntp.org", "pool.ntp.org"],
    ["Time.Example.COM:123", "time.example.com:123"],
    ["127.0.0.1:11123", "127.0.0.1:11123"],
    ["ntp://time.example.com", "time.example.com"],
    ["[::1]:123", "[::1]:123"],
    ["[2001:db8::1]", "[2001:db8::1]"],
  ])("accepts %j as %j", (input, expected) => {
    expect(normalizeNtpServer(input)).toBe(expected);
  });

  it.each([
    "http://time.example.com/x",
    "time.example.com:0",
    "time.example.com:70000",
    "time.example.com:12a",
    "-bad-.example.com",
    "300.1.1.1",
    "a b",
    "::1",
    "[zz::1]",
    "host:1:2",
    `${"a".repeat(64)}.com`,
  ])("refuses %j", (input) => {
    try {
      normalizeNtpServer(input);
      expect.unreachable();
    } catch (err) {
      expect(isMdmError(err, "invalid_ntp_server")).toBe(true);
    }
  });
});
