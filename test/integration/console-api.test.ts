/**
 * The API the web console leans on: sorted keyset paging over devices, the lock filter, the
 * devices that have not applied the global time, and listing and canceling fleet commands.
 * Devices are enrolled by token without agents, so they stay offline and commands stay queued.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

type Device = { id: string; name: string; serial: string; model: string; online: boolean };
type DevicePage = { items: Device[]; nextCursor: string | null; total: number };
type Batch = { id: string; total: number; counts: Record<string, number>; done: boolean };

const DEVICE_COUNT = 23;
let t: TestServer;
let deviceIds: string[] = [];

beforeAll(async () => {
  t = await startTestServer();
  const token = await t.api.post<{ token: string }>("/enrollment-tokens", {
    maxUses: DEVICE_COUNT,
    expiresInSeconds: 600,
  });
  for (let i = 0; i < DEVICE_COUNT; i++) {
    const res = await t.api.post<{ deviceId: string }>("/enrollment/enroll", {
      token: token.body.token,
      // Serials out of name order, so that sorting by name is not the enrollment order.
      serial: `SORT-${String((i * 7) % DEVICE_COUNT).padStart(2, "0")}`,
      model: i % 3 === 0 ? "Portal Go" : "Portal",
      agentVersion: "1.0.0",
    });
    expect(res.status).toBe(201);
    deviceIds.push(res.body.deviceId);
  }
});
afterAll(async () => {
  deviceIds = [];
  await t.cleanup();
});

async function walk(query: string, pageSize: number): Promise<Device[]> {
  const seen: Device[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: DevicePage } = await t.api.get<DevicePage>(
      `/devices?${query}&limit=${pageSize}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(DEVICE_COUNT);
    seen.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return seen;
}

describe("device list sorting", () => {
  it("pages through every device once, in the order asked for", async () => {
    const bySerialDesc = await walk("sort=serial&order=desc", 5);
    expect(bySerialDesc).toHaveLength(DEVICE_COUNT);
    const serials = bySerialDesc.map((d) => d.serial);
    expect(serials).toEqual([...serials].sort().reverse());

    // Many devices share a model: the id breaks ties, so no page repeats or skips one.
    const byModel = await walk("sort=model", 4);
    expect(new Set(byModel.map((d) => d.id)).size).toBe(DEVICE_COUNT);
    const models = byModel.map((d) => d.model);
    expect(models).toEqual([...models].sort());
  });

  it("refuses a cursor it did not issue with a clear error", async () => {
    const res = await t.api.get<{ error: { code: string } }>("/devices?sort=name&cursor=not-a-cursor");
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    const badSort = await t.api.get<{ error: { code: string } }>("/devices?sort=secret_hash");
    expect(badSort.status).toBe(400);
  });

  it("filters on the reported screen lock", async () => {
    // No device has reported yet: none is locked.
    const locked = await t.api.get<DevicePage>("/devices?locked=true");
    expect(locked.body.total).toBe(0);
    const unlocked = await t.api.get<DevicePage>("/devices?locked=false");
    expect(unlocked.body.total).toBe(DEVICE_COUNT);
  });
});

describe("global time: devices that have not applied it", () => {
  it("lists every managed device until it reports the setting", async () => {
    await t.api.put("/settings/time", { timezone: "Europe/Paris", ntpServer: null });
    const first = await t.api.get<{ items: Device[]; nextCursor: string | null }>(
      "/settings/time/pending?limit=20",
    );
    expect(first.body.items).toHaveLength(20);
    const rest = await t.api.get<{ items: Device[]; nextCursor: string | null }>(
      `/settings/time/pending?limit=20&cursor=${first.body.nextCursor}`,
    );
    expect(rest.body.nextCursor).toBeNull();
    expect([...first.body.items, ...rest.body.items].map((d) => d.id).sort()).toEqual([...deviceIds].sort());
  });
});

describe("fleet commands in the console", () => {
  it("lists batches newest first and cancels what has not reached a device", async () => {
    const older = await t.api.post<Batch>("/batches", { target: { all: true }, command: { type: "lock" } });
    const newer = await t.api.post<Batch>("/batches", {
      target: { deviceIds: deviceIds.slice(0, 5) },
      command: { type: "reboot" },
    });
    const list = await t.api.get<{ items: Batch[] }>("/batches?limit=2");
    expect(list.body.items.map((b) => b.id)).toEqual([newer.body.id, older.body.id]);

    const canceled = await t.api.post<{ canceled: number; batch: Batch }>(`/batches/${newer.body.id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.canceled).toBe(5);
    expect(canceled.body.batch.counts.canceled).toBe(5);
    expect(canceled.body.batch.done).toBe(true);
    // Nothing left to take back: a second cancel changes nothing.
    const again = await t.api.post<{ canceled: number }>(`/batches/${newer.body.id}/cancel`);
    expect(again.body.canceled).toBe(0);
    const missing = await t.api.post<{ error: { code: string } }>("/batches/bat_nope/cancel");
    expect(missing.status).toBe(404);
  });
});
