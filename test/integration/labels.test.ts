/**
 * Labels on devices, through the API with real agents: added and removed in bulk by ids, serials
 * or a filter, shown on each device, counted, filtered on, targeted by a fleet command, announced
 * and audited; bad changes refused whole.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { BatchView } from "../../server/commands/batch-service.js";
import type { DeviceView } from "../../server/devices/device.js";
import { dialectOf } from "../../server/store/dialect.js";
import { DeviceLabelRepository } from "../../server/store/repositories/device-label-repository.js";
import { someoneWaitsForALock } from "../helpers/concurrent-units.js";
import { createEnrollmentToken, startDevice, uniqueSerial, waitForBatch } from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}
interface ChangeResult {
  targeted: number;
  changed: number;
}

let t: TestServer;
let fleet: (SimulatedDevice & { deviceId: string })[] = [];

beforeAll(async () => {
  t = await startTestServer();
  const token = await createEnrollmentToken(t, 4);
  fleet = await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      startDevice(t, { enrollmentToken: token, serial: uniqueSerial(`LBL-${i}`) }),
    ),
  );
});
afterAll(async () => {
  await Promise.all(fleet.map((d) => d.stop({ abrupt: true })));
  await t.cleanup();
});

const labelsOf = async (deviceId: string) =>
  (await t.api.get<DeviceView>(`/devices/${deviceId}`)).body.labels;
const change = (body: Record<string, unknown>) =>
  t.api.post<ChangeResult & ErrorBody>("/devices/labels", body);

describe("device labels", () => {
  it("adds labels by ids and by serials, shows them in order on each device, and counts them", async () => {
    const [a, b, c] = fleet;
    const byIds = await change({
      target: { deviceIds: [a!.deviceId, b!.deviceId] },
      add: ["lobby", " Floor 2 "],
    });
    expect(byIds.status).toBe(200);
    expect(byIds.body).toEqual({ targeted: 2, changed: 2 });
    const bySerials = await change({ target: { serials: [b!.serial, c!.serial] }, add: ["lobby"] });
    expect(bySerials.body).toEqual({ targeted: 2, changed: 1 });
    expect(await labelsOf(a!.deviceId)).toEqual(["Floor 2", "lobby"]);
    expect(await labelsOf(c!.deviceId)).toEqual(["lobby"]);
    expect(await labelsOf(fleet[3]!.deviceId)).toEqual([]);
    const counts = await t.api.get<{ items: { label: string; devices: number }[] }>("/labels");
    expect(counts.body.items).toEqual([
      { label: "Floor 2", devices: 2 },
      { label: "lobby", devices: 3 },
    ]);
  });

  it("filters the device list by label, and targets a fleet command at a label", async () => {
    const list = await t.api.get<{ items: DeviceView[]; total: number }>("/devices?label=lobby");
    expect(list.body.total).toBe(3);
    expect(list.body.items.every((d) => d.labels.includes("lobby"))).toBe(true);
    const none = await t.api.get<{ total: number }>("/devices?label=Lobby");
    expect(none.body.total).toBe(0);
    const batch = await t.api.post<BatchView>("/batches", {
      target: { filter: { label: "Floor 2" } },
      command: { type: "refresh_state" },
    });
    expect(batch.status).toBe(202);
    expect(batch.body.total).toBe(2);
    const done = await waitForBatch(t, batch.body.id);
    expect(done.counts.succeeded).toBe(2);
  });

  it("removes labels by filter, announces the devices that changed, and audits the change", async () => {
    const announced: string[] = [];
    const off = t.server.services.events.on("device.updated", ({ device }) => {
      announced.push(`${device.id}:${device.labels.join("|")}`);
    });
    try {
      const removed = await change({ target: { filter: { label: "Floor 2" } }, remove: ["Floor 2"] });
      expect(removed.body).toEqual({ targeted: 2, changed: 2 });
    } finally {
      off();
    }
    expect(announced.sort()).toEqual([`${fleet[0]!.deviceId}:lobby`, `${fleet[1]!.deviceId}:lobby`].sort());
    const audit = await t.api.get<{ items: { action: string; params: Record<string, unknown> }[] }>(
      "/audit?action=device.labels.change",
    );
    expect(audit.body.items[0]).toMatchObject({
      action: "device.labels.change",
      params: { remove: ["Floor 2"], targeted: 2, changed: 2 },
    });
  });

  it("refuses a bad change whole: unknown serials, a label both added and removed, control characters", async () => {
    const unknown = await change({ target: { serials: [fleet[3]!.serial, "NO-SUCH-SERIAL"] }, add: ["x"] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("device_not_found");
    expect(await labelsOf(fleet[3]!.deviceId)).toEqual([]);
    const both = await change({ target: { all: true }, add: ["x"], remove: ["x"] });
    expect(both.status).toBe(400);
    const control = await change({ target: { all: true }, add: ["bad\u0007label"] });
    expect(control.status).toBe(400);
    expect(control.body.error.code).toBe("validation_failed");
    const nothing = await change({ target: { all: true } });
    expect(nothing.status).toBe(400);
  });

  it("gives each device an enrollment token enrolls the token's labels", async () => {
    const token = await t.api.post<{ token: string; labels: string[] }>("/enrollment-tokens", {
      maxUses: 1,
      expiresInSeconds: 600,
      labels: [" Berlin ", "lobby", "Berlin"],
    });
    expect(token.status).toBe(201);
    expect(token.body.labels).toEqual(["Berlin", "lobby"]);
    const device = await startDevice(t, {
      enrollmentToken: token.body.token,
      serial: uniqueSerial("LBL-TOKEN"),
    });
    fleet.push(device);
    expect(await labelsOf(device.deviceId)).toEqual(["Berlin", "lobby"]);
    const bad = await t.api.post<ErrorBody>("/enrollment-tokens", {
      maxUses: 1,
      expiresInSeconds: 600,
      labels: ["tab\there"],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("validation_failed");
  });

  it("keeps a device at 20 labels at most: a change that would pass it changes nothing", async () => {
    const d = fleet[3]!;
    const first = Array.from({ length: 15 }, (_, i) => `tag-${i}`);
    expect((await change({ target: { deviceIds: [d.deviceId] }, add: first })).status).toBe(200);
    const more = Array.from({ length: 6 }, (_, i) => `more-${i}`);
    const refused = await change({ target: { all: true }, add: more });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("too_many_labels");
    expect(await labelsOf(d.deviceId)).toHaveLength(15);
    expect(await labelsOf(fleet[0]!.deviceId)).toEqual(["lobby"]);
  });

  it("makes changes to the same device take turns, so the limit holds for both", async () => {
    const d = fleet[2]!;
    expect(await labelsOf(d.deviceId)).toEqual(["lobby"]);
    const labels = (prefix: string) => Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`);
    const { store } = t.server;
    const repository = new DeviceLabelRepository(dialectOf(store.dialect));
    // Another change, in a unit of its own, holds the device while it adds ten labels.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding = () => {};
    const locked = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const other = store.unit(async (tx) => {
      await t.server.services.devices.lockRows(tx, [d.deviceId]);
      await repository.add(tx, [d.deviceId], labels("east"), 1);
      holding();
      await held;
    });
    await locked;
    // Ten more would pass 20 together with those: this one waits for the other, then sees them.
    const change2 = change({ target: { deviceIds: [d.deviceId] }, add: labels("west") });
    await someoneWaitsForALock(store);
    release();
    await other;
    const refused = await change2;
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("too_many_labels");
    expect(await labelsOf(d.deviceId)).toHaveLength(11);
  });
});
