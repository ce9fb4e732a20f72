/** A short soak: a churning fleet under periodic fleet commands ends with no stuck command. */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClient } from "../../simulator/admin-client.js";
import { Fleet } from "../../simulator/fleet.js";
import { parseDuration, runSoak } from "../../simulator/soak.js";
import { SourcePortAllocator } from "../../simulator/source-ports.js";
import { createEnrollmentToken } from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.cleanup());

describe("soak", () => {
  it("parses durations", () => {
    expect(parseDuration("30m")).toBe(1_800_000);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(() => parseDuration("soon")).toThrow(/not a duration/);
  });

  it("keeps a churning fleet busy and reports zero stuck commands", async () => {
    const fleet = new Fleet({
      serverUrl: t.server.httpUrl,
      enrollmentToken: await createEnrollmentToken(t, 50),
      profile: {
        name: "soak",
        models: [{ model: "Portal", share: 1 }],
        groups: [
          {
            name: "roaming",
            share: 1,
            latencyMs: { min: 5, max: 50 },
            churn: { everyMs: { min: 300, max: 900 }, offlineMs: { min: 50, max: 300 } },
          },
        ],
      },
      size: 50,
      serialPrefix: "SOAK",
      // Named source ports, as large fleets use them; reconnects take the next ones.
      sourcePorts: new SourcePortAllocator(42_000 + (process.pid % 1000) * 10, 52_999),
      logger: pino({ level: "silent" }),
    });
    await fleet.start();
    const lines: string[] = [];
    try {
      const report = await runSoak({
        admin: new AdminClient(t.server.httpUrl, t.api.token!),
        durationMs: 3000,
        commandEveryMs: 500,
        sampleEveryMs: 1000,
        graceMs: 30_000,
        print: (line) => lines.push(line),
      });
      // How many fleet commands fit in the 3 s depends on the machine's load; that there were
      // several, each to the whole fleet, and none stuck, does not.
      expect(report.batches).toBeGreaterThanOrEqual(2);
      expect(report.commands).toBe(report.batches * 50);
      expect(report.stuck).toBe(0);
      expect(report.samples.length).toBeGreaterThanOrEqual(3);
      expect(report.samples.every((s) => s.serverRssMb > 0)).toBe(true);
      expect(fleet.outages).toBeGreaterThan(0);
      expect(lines.at(-1)).toContain("stuck commands: 0");
    } finally {
      await fleet.stop();
    }
  }, 90_000);
});
