/**
 * Fleet commands: 200 real agents in this process, one batch, every command recorded
 * succeeded in SQLite and executed exactly once on its device.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { BatchCommandView, BatchView } from "../../server/commands/batch-service.js";
import {
  createEnrollmentToken,
  startDevice,
  uniqueSerial,
  waitForBatch,
  waitUntil,
} from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const FLEET_SIZE = 200;
let t: TestServer;
let fleet: (SimulatedDevice & { deviceId: string })[] = [];

beforeAll(async () => {
  t = await startTestServer();
  const token = await createEnrollmentToken(t, FLEET_SIZE);
  // Enroll in waves so the test does not open 200 sockets in the same millisecond.
  for (let i = 0; i < FLEET_SIZE; i += 50) {
    const wave = await Promise.all(
      Array.from({ length: Math.min(50, FLEET_SIZE - i) }, (_, j) =>
        startDevice(t, {
          enrollmentToken: token,
          serial: uniqueSerial(`FLEET-${i + j}`),
          model: (i + j) % 2 === 0 ? "Portal" : "Portal Go",
          latencyMs: { min: 1, max: 20 },
        }),
      ),
    );
    fleet.push(...wave);
  }
}, 120_000);
afterAll(async () => {
  await Promise.all(fleet.map((d) => d.stop({ abrupt: true })));
  fleet = [];
  await t.cleanup();
});

describe("fleet commands", () => {
  it(`lock ${FLEET_SIZE} devices: all succeeded, each executed once`, async () => {
    const res = await t.api.post<BatchView>("/batches", { target: { all: true }, command: { type: "lock" } });
    expect(res.status).toBe(202);
    expect(res.body.total).toBe(FLEET_SIZE);
    const batch = await waitForBatch(t, res.body.id);
    expect(batch.counts.succeeded).toBe(FLEET_SIZE);
    const rows = await t.server.store.db
      .selectFrom("commands")
      .select(["id", "device_id"])
      .where("batch_id", "=", res.body.id)
      .execute();
    const byDevice = new Map(fleet.map((d) => [d.deviceId, d]));
    for (const row of rows) {
      const device = byDevice.get(row.device_id)!;
      expect(device.executionCount(row.id)).toBe(1);
      expect(device.platform.locked).toBe(true);
    }
  });

  it("targets a filter and a list, and skips devices that are not active", async () => {
    const goModels = fleet.filter((d) => d.platform.model === "Portal Go").length;
    const byFilter = await t.api.post<BatchView>("/batches", {
      target: { filter: { model: "Portal Go" } },
      command: { type: "refresh_state" },
    });
    expect(byFilter.body.total).toBe(goModels);
    expect((await waitForBatch(t, byFilter.body.id)).counts.succeeded).toBe(goModels);

    const [first, second] = fleet;
    // The agent forgets its id when it stops being managed.
    const secondId = second!.deviceId;
    const unmanage = await t.api.post<{ id: string }>(`/devices/${secondId}/commands`, {
      type: "stop_managing",
    });
    await waitUntil(
      t,
      async () => (await t.server.services.commands.get(unmanage.body.id)).state === "succeeded",
      "unmanaged",
    );
    const byList = await t.api.post<BatchView>("/batches", {
      target: { deviceIds: [first!.deviceId, secondId] },
      command: { type: "rename", name: "Front desk" },
    });
    expect(byList.body, JSON.stringify(byList.body)).toMatchObject({ total: 1, skipped: 1 });
    const done = await waitForBatch(t, byList.body.id);
    expect(done.counts.succeeded).toBe(1);
    expect(first!.platform.name).toBe("Front desk");

    const unknown = await t.api.post<{ error: { code: string } }>("/batches", {
      target: { deviceIds: ["dev_unknown"] },
      command: { type: "lock" },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("device_not_found");
  });

  it("lists the devices where a fleet command did not succeed, with the reason", async () => {
    const broken = await startDevice(t, { serial: uniqueSerial("FLEET-BROKEN"), failureRate: 1 });
    fleet.push(broken);
    const healthy = [fleet[2]!, fleet[3]!];
    const res = await t.api.post<BatchView>("/batches", {
      target: { deviceIds: [broken.deviceId, ...healthy.map((d) => d.deviceId)] },
      command: { type: "lock" },
    });
    const done = await waitForBatch(t, res.body.id);
    expect(done.counts).toMatchObject({ succeeded: 2, failed: 1 });

    type Page = { items: BatchCommandView[]; nextCursor: string | null };
    const unsuccessful = await t.api.get<Page>(
      `/batches/${res.body.id}/commands?state=failed,rejected,expired,canceled`,
    );
    expect(unsuccessful.status).toBe(200);
    expect(unsuccessful.body.items).toHaveLength(1);
    const [failure] = unsuccessful.body.items;
    expect(failure).toMatchObject({ deviceId: broken.deviceId, state: "failed", batchId: res.body.id });
    expect(failure!.deviceName).toBe(broken.platform.name);
    expect(failure!.errorMessage).toContain("simulated failure");

    // Every command of the batch, one per page, each device once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Page } = await t.api.get<Page>(
        `/batches/${res.body.id}/commands?limit=1${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...page.body.items.map((c) => c.deviceId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([broken.deviceId, ...healthy.map((d) => d.deviceId)].sort());

    const badState = await t.api.get<{ error: { code: string } }>(
      `/batches/${res.body.id}/commands?state=lost`,
    );
    expect(badState.status).toBe(400);
    const unknown = await t.api.get<{ error: { code: string } }>("/batches/bat_unknown/commands");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("batch_not_found");
  });
});
