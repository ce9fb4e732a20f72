/**
 * The simulator at small scale: 100 devices under each fault profile, running the real agent
 * core over the lean transport. Every fleet command ends terminal and no device runs a command
 * twice, whatever the faults.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchView } from "../../server/commands/batch-service.js";
import { Fleet } from "../../simulator/fleet.js";
import type { FaultGroup, FleetProfile } from "../../simulator/profile.js";
import { createEnrollmentToken, waitForBatch } from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const DEVICES_PER_PROFILE = 100;

const faultGroups: FaultGroup[] = [
  { name: "healthy", share: 1, latencyMs: { min: 0, max: 20 } },
  { name: "slow", share: 1, latencyMs: { min: 100, max: 600 }, readDelayMs: 50 },
  { name: "flaky", share: 1, latencyMs: { min: 0, max: 30 }, failureRate: 0.3 },
  { name: "duplicates", share: 1, latencyMs: { min: 0, max: 30 }, duplicateRate: 0.5 },
  { name: "skewed", share: 1, latencyMs: { min: 0, max: 20 }, clockSkewMs: { min: -120_000, max: 120_000 } },
  {
    name: "churn",
    share: 1,
    latencyMs: { min: 20, max: 200 },
    churn: { everyMs: { min: 300, max: 1500 }, offlineMs: { min: 50, max: 400 } },
  },
];

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.cleanup());

describe.each(faultGroups)("a fleet of $name devices", (group) => {
  it(`runs fleet commands on ${DEVICES_PER_PROFILE} devices: all terminal, none twice`, async () => {
    const profile: FleetProfile = {
      name: group.name,
      models: [{ model: "Portal", share: 1 }],
      groups: [group],
    };
    const fleet = new Fleet({
      serverUrl: t.server.httpUrl,
      enrollmentToken: await createEnrollmentToken(t, DEVICES_PER_PROFILE),
      profile,
      size: DEVICES_PER_PROFILE,
      serialPrefix: `SIM-${group.name}`,
      logger: pino({ level: "silent" }),
      concurrency: 50,
    });
    try {
      await fleet.start();
      const ids = fleet.devices.map((d) => d.deviceId!);
      const target = { deviceIds: ids };
      const lock = await t.api.post<BatchView>("/batches", { target, command: { type: "lock" } });
      const rename = await t.api.post<BatchView>("/batches", {
        target,
        command: { type: "rename", name: `${group.name} display` },
      });
      for (const batch of [await waitForBatch(t, lock.body.id), await waitForBatch(t, rename.body.id)]) {
        expect(batch.total).toBe(DEVICES_PER_PROFILE);
        const { succeeded, failed } = batch.counts;
        expect(succeeded + failed).toBe(DEVICES_PER_PROFILE);
        if (!group.failureRate) expect(failed).toBe(0);
      }
      if (group.churn) expect(fleet.outages).toBeGreaterThan(0);
      for (const device of fleet.devices) {
        const perCommand = new Map<string, number>();
        for (const e of device.executions)
          perCommand.set(e.commandId, (perCommand.get(e.commandId) ?? 0) + 1);
        expect(
          [...perCommand.values()].filter((n) => n > 1),
          device.serial,
        ).toEqual([]);
        expect(perCommand.size).toBe(2);
      }
    } finally {
      await fleet.stop();
    }
  }, 120_000);
});
