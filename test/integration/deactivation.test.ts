/**
 * Permanent deactivation leaves no working credential behind, however the deactivate command
 * ends: the device answers SUCCEEDED, FAILED or REJECTED, stays silent, runs past its bound,
 * is offline until the command expires, or the command is canceled. Until then, the credential
 * admits the device only to receive its deactivation: it is not shown online, its reports are
 * dropped, and nothing else is delivered. Devices here are played over real MQTT by the test.
 */
import type { MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BatchView } from "../../server/commands/batch-service.js";
import type { CommandView } from "../../server/commands/command.js";
import type { DeviceView } from "../../server/devices/device.js";
import { validState } from "../../simulator/fuzz/payload-fuzzer.js";
import {
  type DeviceCredentials,
  enrollCredentials,
  uniqueSerial,
  waitForCommand,
  waitUntil,
} from "../helpers/devices.js";
import { closed } from "../helpers/mqtt-clients.js";
import { ScriptedDevice } from "../helpers/scripted-device.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
/** Added to the server's clock: deadlines are passed by moving it, not by waiting. */
let clockOffsetMs = 0;
const clients: MqttClient[] = [];

beforeAll(async () => {
  // The sweep runs on its own every second too; the tests also call it after moving the clock.
  t = await startTestServer({}, undefined, () => Date.now() + clockOffsetMs);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.end(true);
});
afterAll(async () => {
  await t.cleanup();
});

async function deviceView(deviceId: string): Promise<DeviceView> {
  return (await t.api.get<DeviceView>(`/devices/${deviceId}`)).body;
}

async function issue(deviceId: string, body: Record<string, unknown>): Promise<CommandView> {
  const res = await t.api.post<CommandView>(`/devices/${deviceId}/commands`, body);
  expect(res.status).toBe(202);
  return res.body;
}

/** A device enrolled and online, as the test plays it. */
async function onlineDevice(): Promise<{ creds: DeviceCredentials; device: ScriptedDevice }> {
  const creds = await enrollCredentials(t, uniqueSerial("DEACT"));
  const device = await ScriptedDevice.connect(t.server.mqttUrl, creds, clients);
  await waitUntil(t, async () => (await deviceView(creds.deviceId)).online, "device shown online");
  return { creds, device };
}

/** The credential no longer opens a connection. */
async function expectCredentialRefused(creds: DeviceCredentials): Promise<void> {
  await expect(ScriptedDevice.connect(t.server.mqttUrl, creds, clients)).rejects.toThrow(
    /Bad username or password/,
  );
}

/** Issues deactivate to an online device: its connection drops, and it comes back to receive it. */
async function deactivateOnline(): Promise<{
  creds: DeviceCredentials;
  device: ScriptedDevice;
  command: CommandView;
}> {
  const { creds, device: first } = await onlineDevice();
  const command = await issue(creds.deviceId, { type: "deactivate" });
  await closed(first.client);
  const device = await ScriptedDevice.connect(t.server.mqttUrl, creds, clients);
  await device.nextCommand((c) => c.id === command.id);
  return { creds, device, command };
}

async function sweepAfter(ms: number): Promise<void> {
  clockOffsetMs += ms;
  await t.server.services.commands.sweepDeadlines();
}

describe("a deactivated device's credential", () => {
  it("admits the device only to receive the deactivation: not online, reports dropped, nothing else sent", async () => {
    const { creds, device: first } = await onlineDevice();
    await first.reportState(validState("before"));
    await waitUntil(
      t,
      async () => (await deviceView(creds.deviceId)).reported?.name === "before",
      "first report",
    );
    // Offline, so this lock stays queued; the deactivation must take it back.
    first.client.end(true);
    await waitUntil(t, async () => !(await deviceView(creds.deviceId)).online, "offline");
    const lock = await issue(creds.deviceId, { type: "lock" });
    const deactivate = await issue(creds.deviceId, { type: "deactivate" });
    expect((await t.api.get<CommandView>(`/commands/${lock.id}`)).body).toMatchObject({
      state: "canceled",
      errorCode: "device_deactivated",
    });

    const device = await ScriptedDevice.connect(t.server.mqttUrl, creds, clients);
    const received = await device.nextCommand();
    expect(received.id).toBe(deactivate.id);
    await device.reportState(validState("after"));
    // A result still goes through: the proof that the report before it was taken and dropped.
    await device.answer(deactivate.id, "accepted");
    await waitForCommand(t, deactivate.id, (c) => c.state === "accepted");
    const view = await deviceView(creds.deviceId);
    expect(view.status).toBe("deactivated");
    expect(view.online).toBe(false);
    expect(view.reported?.name).toBe("before");
    expect(device.received.map((c) => c.id)).toEqual([deactivate.id]);
    await device.answer(deactivate.id, "succeeded");
    await waitForCommand(t, deactivate.id);
    await closed(device.client);
    await expectCredentialRefused(creds);
  });

  it.each([
    ["FAILED", "failed", "platform_error"],
    ["REJECTED", "rejected", "out_of_order"],
  ] as const)("is revoked when the device answers %s", async (_name, status, errorCode) => {
    const { creds, device, command } = await deactivateOnline();
    await device.answer(command.id, status, { errorCode, message: "no" });
    expect((await waitForCommand(t, command.id)).state).toBe(status);
    await closed(device.client);
    await expectCredentialRefused(creds);
    expect(await deviceView(creds.deviceId)).toMatchObject({ status: "deactivated", online: false });
  });

  it("is revoked when the device receives the command and never answers", async () => {
    const { creds, device, command } = await deactivateOnline();
    await sweepAfter(6 * 60_000);
    expect(await waitForCommand(t, command.id)).toMatchObject({ state: "failed", errorCode: "timed_out" });
    await closed(device.client);
    await expectCredentialRefused(creds);
  });

  it("is revoked when the device accepts and never finishes", async () => {
    const { creds, device, command } = await deactivateOnline();
    await device.answer(command.id, "accepted");
    await waitForCommand(t, command.id, (c) => c.state === "accepted");
    await sweepAfter(6 * 60_000);
    expect(await waitForCommand(t, command.id)).toMatchObject({ state: "failed", errorCode: "timed_out" });
    await closed(device.client);
    await expectCredentialRefused(creds);
  });

  it("is revoked when the device stays offline until the command expires", async () => {
    const { creds, device } = await onlineDevice();
    device.client.end(true);
    await waitUntil(t, async () => !(await deviceView(creds.deviceId)).online, "offline");
    const command = await issue(creds.deviceId, { type: "deactivate", ttlSeconds: 60 });
    await sweepAfter(61_000);
    expect((await waitForCommand(t, command.id)).state).toBe("expired");
    await expectCredentialRefused(creds);
  });

  it("is revoked when the deactivate command is canceled", async () => {
    const { creds, device } = await onlineDevice();
    device.client.end(true);
    await waitUntil(t, async () => !(await deviceView(creds.deviceId)).online, "offline");
    const command = await issue(creds.deviceId, { type: "deactivate" });
    const canceled = await t.api.post<CommandView>(`/commands/${command.id}/cancel`);
    expect(canceled.body.state).toBe("canceled");
    await expectCredentialRefused(creds);
    // Deactivation itself is not undone by that.
    expect((await deviceView(creds.deviceId)).status).toBe("deactivated");
    const again = await t.api.post("/enrollment/enroll", {
      token: (
        await t.api.post<{ token: string }>("/enrollment-tokens", { maxUses: 1, expiresInSeconds: 600 })
      ).body.token,
      serial: (await deviceView(creds.deviceId)).serial,
      model: "Portal",
      agentVersion: "1.0.0",
    });
    expect(again.body).toMatchObject({ error: { code: "device_deactivated" } });
  });

  it("can be revoked by an admin at once, ending the pending deactivation", async () => {
    const { creds, device, command } = await deactivateOnline();
    const res = await t.api.post<{ device: DeviceView; canceledCommands: CommandView[] }>(
      `/devices/${creds.deviceId}/revoke-credential`,
    );
    expect(res.status).toBe(200);
    expect(res.body.device.status).toBe("deactivated");
    expect(res.body.canceledCommands.map((c) => [c.id, c.errorCode])).toEqual([
      [command.id, "credential_revoked"],
    ]);
    await closed(device.client);
    await expectCredentialRefused(creds);
  });
});

describe("revoking an active device's credential", () => {
  it("closes its connection at once, online or not, and leaves it unmanaged", async () => {
    const { creds, device } = await onlineDevice();
    const res = await t.api.post<{ device: DeviceView }>(`/devices/${creds.deviceId}/revoke-credential`);
    expect(res.status).toBe(200);
    expect(res.body.device.status).toBe("unmanaged");
    await closed(device.client);
    await expectCredentialRefused(creds);
    const audit = await t.api.get<{ items: { action: string; target: string }[] }>(
      "/audit?action=device.revoke_credential",
    );
    expect(audit.body.items[0]?.target).toBe(creds.deviceId);
  });
});

describe("a fleet deactivation", () => {
  it("takes the same path as a single one: earlier queued commands canceled, everything announced", async () => {
    const creds = await Promise.all([1, 2].map(() => enrollCredentials(t, uniqueSerial("FLEET-DEACT"))));
    const ids = creds.map((c) => c.deviceId);
    const locks = await Promise.all(ids.map((id) => issue(id, { type: "lock" })));
    const updated = new Map<string, string>();
    const announced: CommandView[] = [];
    const offs = [
      t.server.services.events.on("device.updated", ({ device }) => updated.set(device.id, device.status)),
      t.server.services.events.on("command.updated", ({ command }) => announced.push(command)),
    ];
    try {
      const res = await t.api.post<BatchView>("/batches", {
        target: { deviceIds: ids },
        command: { type: "deactivate" },
      });
      expect(res.status).toBe(202);
      for (const lock of locks) {
        expect((await t.api.get<CommandView>(`/commands/${lock.id}`)).body).toMatchObject({
          state: "canceled",
          errorCode: "device_deactivated",
        });
      }
      await waitUntil(
        t,
        () => ids.every((id) => updated.get(id) === "deactivated"),
        "device.updated for each",
      );
      const queued = announced.filter((c) => c.batchId === res.body.id && c.state === "queued");
      expect(queued.map((c) => c.deviceId).sort()).toEqual([...ids].sort());
      expect(
        announced
          .filter((c) => c.state === "canceled")
          .map((c) => c.id)
          .sort(),
      ).toEqual(locks.map((l) => l.id).sort());
      // Queued while offline: each device, when it connects, gets the deactivation and nothing else.
      const device = await ScriptedDevice.connect(t.server.mqttUrl, creds[0]!, clients);
      const received = await device.nextCommand();
      expect(received.action.type).toBe("deactivate");
      expect(device.received.some((c) => c.action.type === "lock")).toBe(false);
    } finally {
      for (const off of offs) off();
    }
  });
});
