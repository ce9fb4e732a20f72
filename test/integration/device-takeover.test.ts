/**
 * Enrolling the serial of a managed device never replaces its identity or credential: not with
 * a bulk enrollment token, not through a device code, unless an admin explicitly approves the
 * replacement of that device. Devices the server knows were reset or removed re-enroll as before.
 */
import type { MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { CommandView } from "../../server/commands/command.js";
import type { DeviceView } from "../../server/devices/device.js";
import {
  createEnrollmentToken,
  type DeviceCredentials,
  deviceShowingCode,
  enrollCredentials,
  startDevice,
  uniqueSerial,
  waitForCommand,
  waitUntil,
} from "../helpers/devices.js";
import { closed } from "../helpers/mqtt-clients.js";
import { ScriptedDevice } from "../helpers/scripted-device.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
const agents: SimulatedDevice[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true);
  await Promise.all(agents.splice(0).map((a) => a.stop({ abrupt: true })));
});
afterAll(async () => {
  await t.cleanup();
});

interface Refusal {
  error: {
    code: string;
    message: string;
    details: { deviceId: string; name: string; online: boolean; lastSeenAt: string | null };
  };
}

async function tokenUses(tokenId: string): Promise<number> {
  const list = await t.api.get<{ items: { id: string; uses: number }[] }>("/enrollment-tokens");
  return list.body.items.find((i) => i.id === tokenId)!.uses;
}

async function lockSucceeds(deviceId: string): Promise<void> {
  const lock = await t.api.post<CommandView>(`/devices/${deviceId}/commands`, { type: "lock" });
  expect((await waitForCommand(t, lock.body.id)).state).toBe("succeeded");
}

describe("a bulk enrollment token", () => {
  it("cannot take over an online managed device: 409, and the device keeps its identity and credential", async () => {
    const serial = uniqueSerial("VICTIM");
    const victim = await startDevice(t, { serial });
    agents.push(victim);
    const token = await t.api.post<{ id: string; token: string }>("/enrollment-tokens", {
      maxUses: 5,
      expiresInSeconds: 600,
    });
    const attempt = await t.api.post<Refusal>("/enrollment/enroll", {
      token: token.body.token,
      serial,
      model: "Portal",
      agentVersion: "6.6.6",
    });
    expect(attempt.status).toBe(409);
    expect(attempt.body.error.code).toBe("device_already_enrolled");
    expect(attempt.body.error.details).toMatchObject({ deviceId: victim.deviceId, online: true });
    expect(attempt.body.error.message).toMatch(/online now/);
    expect(await tokenUses(token.body.id)).toBe(0);
    // Still the same device, still connected with its own credential, still obeying.
    expect(t.server.gateway.isOnline(victim.deviceId)).toBe(true);
    await lockSucceeds(victim.deviceId);
  });

  it("cannot take over an offline managed device either", async () => {
    const serial = uniqueSerial("OFFLINE");
    const creds = await enrollCredentials(t, serial);
    const attempt = await t.api.post<Refusal>("/enrollment/enroll", {
      token: await createEnrollmentToken(t),
      serial,
      model: "Portal",
      agentVersion: "1.0.0",
    });
    expect(attempt.status).toBe(409);
    expect(attempt.body.error.details).toMatchObject({ deviceId: creds.deviceId, online: false });
    // The original credential still works.
    const device = await ScriptedDevice.connect(t.server.mqttUrl, creds, clients);
    expect(device.client.connected).toBe(true);
  });

  it("re-enrolls a device the server knows was removed, with the same record", async () => {
    const serial = uniqueSerial("REMOVED");
    const creds = await enrollCredentials(t, serial);
    expect((await t.api.post(`/devices/${creds.deviceId}/remove`)).status).toBe(200);
    const again = await t.api.post<DeviceCredentials>("/enrollment/enroll", {
      token: await createEnrollmentToken(t),
      serial,
      model: "Portal",
      agentVersion: "1.0.0",
    });
    expect(again.status).toBe(201);
    expect(again.body.deviceId).toBe(creds.deviceId);
    expect((await t.api.get<DeviceView>(`/devices/${creds.deviceId}`)).body.status).toBe("active");
  });

  it("re-enrolls a device after its factory reset", async () => {
    const serial = uniqueSerial("WIPED");
    const device = await startDevice(t, { serial });
    agents.push(device);
    const deviceId = device.deviceId;
    const wiped = new Promise<void>((resolve) => device.once("wiped", () => resolve()));
    const reset = await t.api.post<CommandView>(`/devices/${device.deviceId}/commands`, {
      type: "factory_reset",
    });
    expect((await waitForCommand(t, reset.body.id)).state).toBe("succeeded");
    await wiped;
    const again = await t.api.post<DeviceCredentials>("/enrollment/enroll", {
      token: await createEnrollmentToken(t),
      serial,
      model: "Portal",
      agentVersion: "1.0.0",
    });
    expect(again.status).toBe(201);
    expect(again.body.deviceId).toBe(deviceId);
  });
});

describe("a device code for a managed serial", () => {
  it("is refused at the claim, naming the device; an explicit replacement takes over its record", async () => {
    const serial = uniqueSerial("REPLACE");
    const victim = await startDevice(t, { serial });
    agents.push(victim);
    const { device: newcomer, userCode } = deviceShowingCode(t, { serial });
    agents.push(newcomer);
    const newcomerOnline = newcomer.waitForStatus("online");
    void newcomer.start();
    const code = await userCode;

    const refused = await t.api.post<Refusal>("/enrollment/claims", { code });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("device_already_enrolled");
    expect(refused.body.error.details).toMatchObject({ deviceId: victim.deviceId, online: true });
    expect(refused.body.error.message).toContain(`replaceDeviceId '${victim.deviceId}'`);
    await lockSucceeds(victim.deviceId);

    // Naming another device is no approval.
    const other = await enrollCredentials(t, uniqueSerial("OTHER"));
    const wrong = await t.api.post<Refusal>("/enrollment/claims", { code, replaceDeviceId: other.deviceId });
    expect(wrong.status).toBe(409);

    const victimOffline = victim.waitForStatus("offline");
    const replaced = await t.api.post<{ deviceId: string; replaced: boolean }>("/enrollment/claims", {
      code,
      replaceDeviceId: victim.deviceId,
    });
    expect(replaced.status).toBe(201);
    expect(replaced.body).toMatchObject({ deviceId: victim.deviceId, replaced: true });
    await newcomerOnline;
    await victimOffline;
    expect(newcomer.deviceId).toBe(victim.deviceId);
    await waitUntil(
      t,
      () => t.server.gateway.isOnline(victim.deviceId),
      "the newcomer online as that device",
    );
    await lockSucceeds(victim.deviceId);
    expect(newcomer.platform.locked).toBe(true);

    const audit = await t.api.get<{ items: { params: Record<string, unknown> }[] }>(
      `/audit?action=enrollment.claim&target=${victim.deviceId}&outcome=success`,
    );
    expect(audit.body.items[0]?.params).toMatchObject({ replaced: true, replaceDeviceId: victim.deviceId });
  });

  it("ends the replaced device's credential and open commands", async () => {
    const serial = uniqueSerial("REPLACED");
    const creds = await enrollCredentials(t, serial);
    const old = await ScriptedDevice.connect(t.server.mqttUrl, creds, clients);
    const lock = await t.api.post<CommandView>(`/devices/${creds.deviceId}/commands`, { type: "lock" });
    await old.nextCommand((c) => c.id === lock.body.id);
    await old.answer(lock.body.id, "accepted");
    await waitForCommand(t, lock.body.id, (c) => c.state === "accepted");

    const { device: newcomer, userCode } = deviceShowingCode(t, { serial });
    agents.push(newcomer);
    void newcomer.start();
    const claim = await t.api.post("/enrollment/claims", {
      code: await userCode,
      replaceDeviceId: creds.deviceId,
    });
    expect(claim.status).toBe(201);
    await closed(old.client);
    expect(await waitForCommand(t, lock.body.id)).toMatchObject({
      state: "canceled",
      errorCode: "device_replaced",
    });
    await expect(ScriptedDevice.connect(t.server.mqttUrl, creds, clients)).rejects.toThrow(
      /Bad username or password/,
    );
  });
});
