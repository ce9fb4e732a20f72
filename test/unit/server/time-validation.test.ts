import { describe, expect, it } from "vitest";
import { isMdmError } from "../../../server/errors.js";
import { normalizeNtpServer, normalizeTimezone } from "../../../server/settings/time-validation.js";

describe("normalizeTimezone", () => {
  it("accepts auto in any case", () => {
    expect(normalizeTimezone("AUTO")).toBe("auto");
  });

  it("canonicalizes IANA zones", () => {
    expect(normalizeTimezone("Europe/Paris")).toBe("Europe/Paris");
    expect(normalizeTimezone("america/new_york")).toBe("America/New_York");
    expect(normalizeTimezone("UTC")).toBe("UTC");
  });

  it.each(["", "Mars/Olympus", "+01:00", "-0500", "Europe/ Paris", "GMT+25"])("refuses %j", (zone) => {
    try {
      normalizeTimezone(zone);
      expect.unreachable();
    } catch (err) {
      expect(isMdmError(err, "invalid_timezone")).toBe(true);
    }
  });
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
