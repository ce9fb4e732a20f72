/**
 * A forged or damaged copy of a genuine command (same id) earns a signature refusal from the
 * device; that refusal must not decide the genuine command's fate. The device plays what a real
 * agent does when a rogue broker delivers a tampered copy first: it answers REJECTED with
 * `bad_signature` for that id, then runs the genuine command and answers SUCCEEDED. (The agent's
 * side, refusing the copy without journaling it and then running the genuine bytes, is tested in
 * test/unit/agent/core/signed-commands.test.ts.)
 */
import type { MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SIGNATURE_REFUSAL_CODES } from "../../proto/result-codes.js";
import type { CommandView } from "../../server/commands/command.js";
import type { DeviceView } from "../../server/devices/device.js";
import { enrollCredentials, uniqueSerial, waitForCommand, waitUntil } from "../helpers/devices.js";
import { ScriptedDevice } from "../helpers/scripted-device.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
const clients: MqttClient[] = [];

beforeAll(async () => {
  t = await startTestServer();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.end(true);
});
afterAll(async () => {
  await t.cleanup();
});

async function onlineDevice(): Promise<ScriptedDevice> {
  const creds = await enrollCredentials(t, uniqueSerial("FORGED"));
  const device = await ScriptedDevice.connect(t.server.mqttUrl, creds, clients);
  await waitUntil(t, () => t.server.gateway.isOnline(creds.deviceId), "online");
  return device;
}

async function rename(device: ScriptedDevice, name: string): Promise<CommandView> {
  const res = await t.api.post<CommandView>(`/devices/${device.credentials.deviceId}/commands`, {
    type: "rename",
    name,
  });
  await device.nextCommand((c) => c.id === res.body.id);
  return res.body;
}

describe("a signature refusal for a genuine command", () => {
  it.each(SIGNATURE_REFUSAL_CODES)("(%s) yields to the genuine result, whose effects apply", async (code) => {
    const device = await onlineDevice();
    const command = await rename(device, `Lobby ${code}`);
    await device.answer(command.id, "rejected", { errorCode: code, message: "refused a copy" });
    await waitForCommand(t, command.id, (c) => c.state === "rejected");
    await device.answer(command.id, "succeeded");
    expect((await waitForCommand(t, command.id, (c) => c.state === "succeeded")).errorCode).toBeNull();
    await waitUntil(
      t,
      async () =>
        (await t.api.get<DeviceView>(`/devices/${device.credentials.deviceId}`)).body.desired.name ===
        `Lobby ${code}`,
      "the rename reached the desired config",
    );
  });

  it("arriving after the genuine result changes nothing", async () => {
    const device = await onlineDevice();
    const command = await rename(device, "Front desk");
    await device.answer(command.id, "succeeded");
    await waitForCommand(t, command.id);
    await device.answer(command.id, "rejected", { errorCode: "bad_signature" });
    // A later report that is applied proves the refusal before it was taken and ignored.
    const lock = await t.api.post<CommandView>(`/devices/${device.credentials.deviceId}/commands`, {
      type: "lock",
    });
    await device.nextCommand((c) => c.id === lock.body.id);
    await device.answer(lock.body.id, "succeeded");
    await waitForCommand(t, lock.body.id);
    expect((await t.server.services.commands.get(command.id)).state).toBe("succeeded");
  });

  it("while the genuine command runs leaves it running", async () => {
    const device = await onlineDevice();
    const command = await rename(device, "Meeting room");
    await device.answer(command.id, "accepted");
    await waitForCommand(t, command.id, (c) => c.state === "accepted");
    await device.answer(command.id, "rejected", { errorCode: "unknown_key" });
    await device.answer(command.id, "succeeded");
    await waitForCommand(t, command.id, (c) => c.state === "succeeded");
  });

  it("is final when no genuine result follows, and other refusals stay final", async () => {
    const device = await onlineDevice();
    const forged = await rename(device, "Never");
    await device.answer(forged.id, "rejected", { errorCode: "bad_signature" });
    expect((await waitForCommand(t, forged.id)).errorCode).toBe("bad_signature");
    const expired = await rename(device, "Late");
    await device.answer(expired.id, "rejected", { errorCode: "out_of_order" });
    await waitForCommand(t, expired.id);
    await device.answer(expired.id, "succeeded");
    const lock = await t.api.post<CommandView>(`/devices/${device.credentials.deviceId}/commands`, {
      type: "lock",
    });
    await device.nextCommand((c) => c.id === lock.body.id);
    await device.answer(lock.body.id, "succeeded");
    await waitForCommand(t, lock.body.id);
    expect(await t.server.services.commands.get(expired.id)).toMatchObject({
      state: "rejected",
      errorCode: "out_of_order",
    });
  });
});
