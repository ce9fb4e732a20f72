/**
 * Every command end to end: API call → server → real MQTT → agent core → platform → result
 * and state back into SQLite.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { CommandView } from "../../server/commands/command.js";
import type { DeviceView } from "../../server/devices/device.js";
import {
  createEnrollmentToken,
  deviceShowingCode,
  startDevice,
  uniqueSerial,
  waitForCommand,
  waitUntil,
} from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
const devices: SimulatedDevice[] = [];

beforeAll(async () => {
  t = await startTestServer({ expirySweepSeconds: 1 });
});
afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.stop({ abrupt: true })));
});
afterAll(async () => t.cleanup());

async function device(options: Parameters<typeof startDevice>[1] = {}) {
  const d = await startDevice(t, options);
  devices.push(d);
  return d;
}

async function send(deviceId: string, body: Record<string, unknown>): Promise<CommandView> {
  const res = await t.api.post<CommandView>(`/devices/${deviceId}/commands`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body;
}

async function deviceView(deviceId: string): Promise<DeviceView> {
  return (await t.api.get<DeviceView>(`/devices/${deviceId}`)).body;
}

describe("each command, end to end", () => {
  it("lock: the screen locks and the server sees it reported", async () => {
    const d = await device();
    const cmd = await send(d.deviceId, { type: "lock" });
    const done = await waitForCommand(t, cmd.id);
    expect(done.state).toBe("succeeded");
    expect(done.acceptedAt).not.toBeNull();
    expect(d.platform.locked).toBe(true);
    await waitUntil(
      t,
      async () => (await deviceView(d.deviceId)).reported?.locked === true,
      "reported locked",
    );
  });

  it("reboot: accepted, the device restarts with a new boot time, then succeeded", async () => {
    const d = await device({ rebootDurationMs: 300 });
    const bootBefore = d.platform.bootTimeMs;
    const cmd = await send(d.deviceId, { type: "reboot" });
    await waitForCommand(t, cmd.id, (c) => c.state === "accepted");
    await waitUntil(t, () => !t.server.gateway.isOnline(d.deviceId), "device offline while rebooting");
    const done = await waitForCommand(t, cmd.id);
    expect(done.state).toBe("succeeded");
    expect(d.platform.bootTimeMs).toBeGreaterThan(bootBefore);
    await waitUntil(
      t,
      async () =>
        (await deviceView(d.deviceId)).reported?.bootTime === new Date(d.platform.bootTimeMs).toISOString(),
      "new boot time reported",
    );
    expect(d.executionCount(cmd.id)).toBe(1);
  });

  it("factory reset: final result, then the agent wipes its identity and the device shows reset", async () => {
    const d = await device();
    const id = d.deviceId; // the agent forgets it
    const cmd = await send(id, { type: "factory_reset" });
    expect((await waitForCommand(t, cmd.id)).state).toBe("succeeded");
    await d.waitForStatus("unenrolled");
    expect(d.platform.factoryResets).toBe(1);
    expect(d.storage.identity()).toBeNull();
    await waitUntil(t, async () => (await deviceView(id)).status === "reset", "status reset");
    const secretless = await t.server.services.devices.verifyCredential(id, "anything");
    expect(secretless).toBe(false);
    const row = await t.server.store.db
      .selectFrom("device_credentials")
      .select("device_id")
      .where("device_id", "=", id)
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it("rename: applied on the device, reported, and kept as desired config", async () => {
    const d = await device();
    const cmd = await send(d.deviceId, { type: "rename", name: "  Boardroom 4  " });
    expect(cmd.params).toEqual({ name: "Boardroom 4" });
    expect((await waitForCommand(t, cmd.id)).state).toBe("succeeded");
    expect(d.platform.name).toBe("Boardroom 4");
    await waitUntil(
      t,
      async () => (await deviceView(d.deviceId)).reported?.name === "Boardroom 4",
      "name reported",
    );
    const view = await deviceView(d.deviceId);
    expect(view.name).toBe("Boardroom 4");
    expect(view.desired.name).toBe("Boardroom 4");
  });

  it("set time: a fixed zone and a custom NTP server, applied and reported; then back to automatic", async () => {
    const d = await device();
    const cmd = await send(d.deviceId, {
      type: "set_time",
      timezone: "europe/paris",
      ntpServer: "Time.Example.com:123",
    });
    expect(cmd.params).toEqual({ timezone: "Europe/Paris", ntpServer: "time.example.com:123" });
    expect((await waitForCommand(t, cmd.id)).state).toBe("succeeded");
    expect(d.platform.timezone).toBe("Europe/Paris");
    expect(d.platform.ntpServer).toBe("time.example.com:123");
    await waitUntil(
      t,
      async () => (await deviceView(d.deviceId)).reported?.timezone === "Europe/Paris",
      "zone reported",
    );
    const view = await deviceView(d.deviceId);
    expect(view.reported).toMatchObject({ timezoneAutomatic: false, ntpServer: "time.example.com:123" });
    expect(view.desired).toMatchObject({ timezone: "Europe/Paris", ntpServer: "time.example.com:123" });

    const auto = await send(d.deviceId, { type: "set_time", timezone: "auto", ntpServer: null });
    expect((await waitForCommand(t, auto.id)).state).toBe("succeeded");
    await waitUntil(
      t,
      async () => (await deviceView(d.deviceId)).reported?.timezoneAutomatic === true,
      "auto zone",
    );
    expect((await deviceView(d.deviceId)).reported?.ntpServer).toBeNull();
  });

  it("stop managing: the agent forgets its credential and keeps running; the server revokes it", async () => {
    const d = await device();
    const id = d.deviceId; // the agent forgets it
    const cmd = await send(id, { type: "stop_managing" });
    expect((await waitForCommand(t, cmd.id)).state).toBe("succeeded");
    await d.waitForStatus("unmanaged");
    expect(d.storage.identity()).toBeNull();
    await waitUntil(t, async () => (await deviceView(id)).status === "unmanaged", "status unmanaged");
    await waitUntil(t, () => !t.server.gateway.isOnline(id), "disconnected");
    const refused = await t.api.post<{ error: { code: string } }>(`/devices/${id}/commands`, {
      type: "lock",
    });
    expect(refused.status).toBe(409);
  });

  it("deactivate: irreversible; the agent keeps a tombstone and never enrolls again", async () => {
    const serial = uniqueSerial("DEAD");
    const d = await device({ serial });
    const id = d.deviceId; // the agent forgets it
    const cmd = await send(id, { type: "deactivate" });
    expect((await deviceView(id)).status).toBe("deactivated");
    expect((await waitForCommand(t, cmd.id)).state).toBe("succeeded");
    await d.waitForStatus("deactivated");
    expect(d.storage.tombstone()).not.toBeNull();
    expect(d.storage.identity()).toBeNull();
    await waitUntil(t, () => !t.server.gateway.isOnline(id), "disconnected");

    // Restarting the agent, even with a valid enrollment token, does not bring it back.
    await d.stop();
    const again = d as SimulatedDevice;
    await again.start();
    expect(again.status).toBe("deactivated");
    expect(again.storage.identity()).toBeNull();

    // The server refuses the serial to anyone, e.g. an agent whose storage was wiped.
    const token = await createEnrollmentToken(t);
    const res = await t.api.post<{ error: { code: string } }>("/enrollment/enroll", {
      token,
      serial,
      model: "Portal",
      agentVersion: "1.0.0",
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("device_deactivated");
  });

  it("refresh state: succeeds with a fresh report", async () => {
    const d = await device();
    const before = (await deviceView(d.deviceId)).reported?.reportedAt;
    d.platform.unlockByUser();
    await new Promise((r) => setTimeout(r, 5)); // so the new report has a later timestamp
    const cmd = await send(d.deviceId, { type: "refresh_state" });
    expect((await waitForCommand(t, cmd.id)).state).toBe("succeeded");
    await waitUntil(
      t,
      async () => (await deviceView(d.deviceId)).reported?.reportedAt !== before,
      "new report",
    );
  });
});

describe("delivery", () => {
  it("delivers a command queued while the device was offline when it connects", async () => {
    const d = await device();
    await d.stop();
    await waitUntil(t, () => !t.server.gateway.isOnline(d.deviceId), "offline");
    const cmd = await send(d.deviceId, { type: "lock" });
    expect(cmd.state).toBe("queued");
    await d.start();
    expect((await waitForCommand(t, cmd.id)).state).toBe("succeeded");
    expect(d.platform.locked).toBe(true);
  });

  it("expires a command whose TTL passes before the device connects, and never runs it", async () => {
    const d = await device();
    await d.stop();
    await waitUntil(t, () => !t.server.gateway.isOnline(d.deviceId), "offline");
    const cmd = await send(d.deviceId, { type: "lock", ttlSeconds: 1 });
    expect((await waitForCommand(t, cmd.id)).state).toBe("expired");
    const later = await send(d.deviceId, { type: "rename", name: "After expiry" });
    await d.start();
    expect((await waitForCommand(t, later.id)).state).toBe("succeeded");
    expect(d.executionCount(cmd.id)).toBe(0);
    expect(d.platform.locked).toBe(false);
    expect((await t.server.services.commands.get(cmd.id)).state).toBe("expired");
  });

  it("executes a command delivered twice once, and answers the duplicate with the same result", async () => {
    const d = await device();
    const cmd = await send(d.deviceId, { type: "lock" });
    await waitForCommand(t, cmd.id);
    await d.idle();
    const results: string[] = [];
    d.on("result", (r: { commandId: string; status: string }) => {
      if (r.commandId === cmd.id) results.push(r.status);
    });
    // The server delivers the same command again (as after a lost PUBACK).
    const again = await t.server.store.db
      .selectFrom("commands")
      .select(["created_at", "expires_at"])
      .where("id", "=", cmd.id)
      .executeTakeFirst();
    await t.server.gateway.publishCommand({
      id: cmd.id,
      deviceId: d.deviceId,
      seq: cmd.seq,
      issuedAtMs: again!.created_at,
      expiresAtMs: again!.expires_at,
      action: { type: "lock" },
    });
    await waitUntil(t, () => results.length === 1, "duplicate answered");
    expect(results).toEqual(["succeeded"]);
    expect(d.executionCount(cmd.id)).toBe(1);
    expect((await t.server.services.commands.get(cmd.id)).state).toBe("succeeded");
  });

  it("rejects, and never runs, a command that reaches the device after it expired", async () => {
    const d = await device();
    const now = Date.now();
    const rejected: string[] = [];
    d.on("result", (r: { commandId: string; status: string; errorCode: string }) => {
      if (r.commandId === "cmd_stale") rejected.push(`${r.status}:${r.errorCode}`);
    });
    await t.server.gateway.publishCommand({
      id: "cmd_stale",
      deviceId: d.deviceId,
      seq: 1_000_000,
      issuedAtMs: now - 10_000,
      expiresAtMs: now - 1,
      action: { type: "lock" },
    });
    await waitUntil(t, () => rejected.length === 1, "stale command answered");
    expect(rejected).toEqual(["rejected:expired"]);
    expect(d.executionCount("cmd_stale")).toBe(0);
    expect(d.platform.locked).toBe(false);
  });

  it("lets a command fail with the platform's reason", async () => {
    const d = await device({ failureRate: 1 });
    const cmd = await send(d.deviceId, { type: "lock" });
    const done = await waitForCommand(t, cmd.id);
    expect(done.state).toBe("failed");
    expect(done.errorCode).toBe("platform_error");
    expect(done.errorMessage).toContain("simulated failure");
  });
});

describe("global date and time", () => {
  it("is pushed as desired config to every device, which applies and reports it", async () => {
    const a = await device();
    const b = await device();
    const res = await t.api.put<{ timezone: string }>("/settings/time", {
      timezone: "Asia/Tokyo",
      ntpServer: "ntp.example.org",
    });
    expect(res.status).toBe(200);
    for (const d of [a, b]) {
      await waitUntil(
        t,
        async () => (await deviceView(d.deviceId)).reported?.timezone === "Asia/Tokyo",
        `${d.deviceId} reports Tokyo`,
      );
      expect(d.platform.ntpServer).toBe("ntp.example.org");
    }
    // A device enrolled afterwards starts with the global setting.
    const c = await device();
    await waitUntil(t, () => c.platform.timezone === "Asia/Tokyo", "new device applies the setting");
    await waitUntil(
      t,
      async () => {
        const view = (await t.api.get<{ applied: number; pending: number }>("/settings/time")).body;
        return view.applied >= 3;
      },
      "applied count",
    );
    await t.api.put("/settings/time", { timezone: "auto", ntpServer: null });
  });
});

describe("enrollment by code with a real agent", () => {
  it("shows a code, an admin claims it, the agent comes online", async () => {
    const { device: d, userCode: code } = deviceShowingCode(t);
    devices.push(d);
    const online = d.waitForStatus("online");
    const started = d.start();
    const claim = await t.api.post<{ deviceId: string }>("/enrollment/claims", { code: await code });
    expect(claim.status).toBe(201);
    await started;
    await online;
    expect(d.deviceId).toBe(claim.body.deviceId);
    await waitUntil(t, () => t.server.gateway.isOnline(claim.body.deviceId), "online at the server");
  });
});
