/**
 * No command stays open forever: one a device accepted and never finishes fails with
 * `timed_out` at its type's bound, and an admin can end one that is running. A device that does
 * not listen on its `cmd` topic is sent nothing, so what it is given stays queued and cancelable.
 * What the device reports later is still the truth and wins. Devices are played by the test.
 */
import type { MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deviceTopic } from "../../proto/topics.js";
import type { BatchView } from "../../server/commands/batch-service.js";
import type { CommandView } from "../../server/commands/command.js";
import { COMMAND_CATALOG } from "../../server/commands/command-catalog.js";
import {
  enrollCredentials,
  uniqueSerial,
  waitForBatch,
  waitForCommand,
  waitUntil,
} from "../helpers/devices.js";
import { ScriptedDevice } from "../helpers/scripted-device.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
let clockOffsetMs = 0;
const clients: MqttClient[] = [];

beforeAll(async () => {
  t = await startTestServer({}, undefined, () => Date.now() + clockOffsetMs);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.end(true);
});
afterAll(async () => {
  await t.cleanup();
});

async function onlineDevice(): Promise<ScriptedDevice> {
  const creds = await enrollCredentials(t, uniqueSerial("DEADLINE"));
  const device = await ScriptedDevice.connect(t.server.mqttUrl, creds, clients);
  await waitUntil(t, () => t.server.gateway.isOnline(creds.deviceId), "online");
  return device;
}

async function issue(deviceId: string, body: Record<string, unknown>): Promise<CommandView> {
  const res = await t.api.post<CommandView>(`/devices/${deviceId}/commands`, body);
  expect(res.status).toBe(202);
  return res.body;
}

async function runningOn(device: ScriptedDevice, body: Record<string, unknown>): Promise<CommandView> {
  const command = await issue(device.credentials.deviceId, body);
  await device.nextCommand((c) => c.id === command.id);
  await device.answer(command.id, "accepted");
  return waitForCommand(t, command.id, (c) => c.state === "accepted");
}

describe("a command the device accepted and never finishes", () => {
  it("fails with timed_out once its type's bound has passed, and not before", async () => {
    const device = await onlineDevice();
    const lock = await runningOn(device, { type: "lock" });
    const boundMs = COMMAND_CATALOG.get("lock")!.maxRunMs;
    clockOffsetMs += boundMs - 10_000;
    await t.server.services.commands.sweepDeadlines();
    expect((await t.server.services.commands.get(lock.id)).state).toBe("accepted");
    clockOffsetMs += 20_000;
    await t.server.services.commands.sweepDeadlines();
    const failed = await waitForCommand(t, lock.id);
    expect(failed).toMatchObject({ state: "failed", errorCode: "timed_out" });
    expect(failed.errorMessage).toMatch(/did not finish it within 120 s/);

    // The device finishing late is what really happened.
    await device.answer(lock.id, "succeeded");
    await waitForCommand(t, lock.id, (c) => c.state === "succeeded");
  });

  it("lets a fleet command's progress complete", async () => {
    const devices = await Promise.all([1, 2].map(() => onlineDevice()));
    const batch = await t.api.post<BatchView>("/batches", {
      target: { deviceIds: devices.map((d) => d.credentials.deviceId) },
      command: { type: "reboot" },
    });
    for (const d of devices) {
      const command = await d.nextCommand((c) => c.action.type === "reboot");
      await d.answer(command.id, "accepted");
    }
    await waitUntil(
      t,
      async () => (await t.api.get<BatchView>(`/batches/${batch.body.id}`)).body.counts.accepted === 2,
      "both accepted",
    );
    clockOffsetMs += COMMAND_CATALOG.get("reboot")!.maxRunMs + 1000;
    await t.server.services.commands.sweepDeadlines();
    const done = await waitForBatch(t, batch.body.id);
    expect(done.counts.failed).toBe(2);
  });

  it("can be ended by an admin; the device's own result still wins if it comes", async () => {
    const device = await onlineDevice();
    const reboot = await runningOn(device, { type: "reboot" });
    const ended = await t.api.post<CommandView>(`/commands/${reboot.id}/cancel`);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ state: "canceled", errorCode: "ended_by_admin" });
    await device.answer(reboot.id, "succeeded");
    await waitForCommand(t, reboot.id, (c) => c.state === "succeeded");
  });
});

describe("a device that does not listen on its cmd topic", () => {
  it("gets nothing marked sent: its commands stay queued and cancelable until it listens again", async () => {
    const device = await onlineDevice();
    const { deviceId } = device.credentials;
    await device.client.unsubscribeAsync(deviceTopic(deviceId, "cmd"));
    const lock = await issue(deviceId, { type: "lock" });
    const rename = await issue(deviceId, { type: "rename", name: "Lobby" });
    // The server hears of the unsubscribe before it acknowledges it, and a command's POST answers
    // once delivery has decided; what it would have marked sent is stored after this.
    await t.server.services.commands.drainWrites();
    expect((await t.server.services.commands.get(lock.id)).state).toBe("queued");
    expect(device.received).toEqual([]);
    const canceled = await t.api.post<CommandView>(`/commands/${lock.id}/cancel`);
    expect(canceled.body.state).toBe("canceled");

    await device.client.subscribeAsync(deviceTopic(deviceId, "cmd"), { qos: 1 });
    const received = await device.nextCommand();
    expect(received.id).toBe(rename.id);
    expect(device.received.map((c) => c.id)).not.toContain(lock.id);
    await waitForCommand(t, rename.id, (c) => c.state === "sent");
  });
});
