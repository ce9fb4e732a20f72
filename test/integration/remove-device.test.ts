/**
 * Removing a device that will not come back: only while it is offline, its open commands are
 * canceled with the reason, and its credential no longer opens the broker if it does return.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { CommandView } from "../../server/commands/command.js";
import type { DeviceView } from "../../server/devices/device.js";
import { startDevice, uniqueSerial, waitUntil } from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
let device: SimulatedDevice & { deviceId: string };

beforeAll(async () => {
  t = await startTestServer();
  device = await startDevice(t, { serial: uniqueSerial("REMOVE") });
});
afterAll(async () => {
  await device.stop({ abrupt: true });
  await t.cleanup();
});

type Removed = { device: DeviceView; canceledCommands: CommandView[] };

describe("remove an offline device", () => {
  it("refuses while the device is online, and changes nothing", async () => {
    const res = await t.api.post<{ error: { code: string } }>(`/devices/${device.deviceId}/remove`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("device_online");
    const after = await t.api.get<DeviceView>(`/devices/${device.deviceId}`);
    expect(after.body.status).toBe("active");
    expect(t.server.gateway.isOnline(device.deviceId)).toBe(true);
  });

  it("cancels its open commands, marks it unmanaged and refuses its credential", async () => {
    await device.stop({ abrupt: true });
    await waitUntil(t, () => !t.server.gateway.isOnline(device.deviceId), "device offline at the server");
    const lock = await t.api.post<CommandView>(`/devices/${device.deviceId}/commands`, { type: "lock" });
    expect(lock.body.state).toBe("queued");

    const res = await t.api.post<Removed>(`/devices/${device.deviceId}/remove`);
    expect(res.status).toBe(200);
    expect(res.body.device.status).toBe("unmanaged");
    expect(res.body.canceledCommands.map((c) => [c.id, c.state, c.errorCode])).toEqual([
      [lock.body.id, "canceled", "device_removed"],
    ]);
    const stored = await t.api.get<CommandView>(`/commands/${lock.body.id}`);
    expect(stored.body.state).toBe("canceled");
    expect(stored.body.errorMessage).toMatch(/before it received/);

    const audit = await t.api.get<{ items: { action: string; outcome: string }[] }>(
      `/audit?target=${device.deviceId}&action=device.remove`,
    );
    // The refusal while online is on record too.
    expect(audit.body.items.map((a) => a.outcome).sort()).toEqual(["failure", "success"]);

    // The device comes back with its old credential: the broker refuses it, nothing runs.
    const refused = new Promise<string>((resolve) =>
      device.on("problem", (p) => {
        if (p.code === "credential_rejected") resolve(p.message);
      }),
    );
    await device.start();
    expect(await refused).toMatch(/refused/);
    expect(t.server.gateway.isOnline(device.deviceId)).toBe(false);
    expect(device.platform.locked).toBe(false);

    const again = await t.api.post<{ error: { code: string } }>(`/devices/${device.deviceId}/remove`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("device_not_managed");
  });

  it("answers 404 for an unknown device", async () => {
    const res = await t.api.post<{ error: { code: string } }>("/devices/dev_unknown/remove");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("device_not_found");
  });
});
