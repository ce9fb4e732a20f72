/**
 * Time sync against a real NTP server: a chronyd on 127.0.0.1 serving its local clock, the
 * real Linux agent (dry run: its chrony and time zone commands are logged, not run) measuring
 * its clock with ntp-time-sync, and the real server; then the server's flag on devices whose
 * clock is off (simulated devices with a skewed clock next to the Linux one).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { CommandView } from "../../server/commands/command.js";
import type { DeviceView } from "../../server/devices/device.js";
import type { ServerEvents } from "../../server/events/server-events.js";
import { type Chronyd, startChronyd } from "../helpers/chronyd.js";
import { startDevice, waitForCommand, waitUntil } from "../helpers/devices.js";
import { type RunningLinuxDevice, startLinuxDevice } from "../helpers/linux-device.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
let chronyd: Chronyd;
let linux: RunningLinuxDevice;

beforeAll(async () => {
  [t, chronyd] = await Promise.all([startTestServer(), startChronyd()]);
  linux = await startLinuxDevice(t, {
    ntp: { mechanism: "chrony" },
    timezone: { automaticMechanism: "systemd-unit" },
    // Every two seconds, so that the test sees a scheduled measurement fail after chronyd stops.
    clock: { schedule: "*/2 * * * * *", replyTimeoutMs: 300, samples: 3 },
  });
});
afterAll(async () => {
  await linux?.cleanup();
  await chronyd?.cleanup();
  await t?.cleanup();
});

async function device(): Promise<DeviceView> {
  return (await t.api.get<DeviceView>(`/devices/${linux.deviceId}`)).body;
}

/** Waits until the device's stored report satisfies `condition`, and returns the device. */
async function deviceWhen(condition: (view: DeviceView) => boolean, what: string): Promise<DeviceView> {
  let view: DeviceView | undefined;
  await waitUntil(
    t,
    async () => {
      view = await device();
      return condition(view);
    },
    what,
  );
  return view!;
}

describe("the device's clock against a real chronyd", () => {
  it("set as the global NTP server, it is applied and the device reports a sane measured offset", async () => {
    const setAtMs = Date.now();
    const res = await t.api.put<{ ntpServer: string }>("/settings/time", {
      timezone: "auto",
      ntpServer: chronyd.server,
    });
    expect(res.status).toBe(200);
    expect(res.body.ntpServer).toBe(chronyd.server);

    const view = await deviceWhen(
      (v) => v.reported?.ntpServer === chronyd.server && v.reported.lastTimeSyncAt !== null,
      "offset measured against chronyd",
    );
    const reported = view.reported!;
    expect(reported.timeSyncError).toBeNull();
    // chronyd serves this machine's own clock: the offset is the measurement's noise (a busy
    // event loop on either side counts as offset), well under the drift threshold.
    expect(Math.abs(reported.clockOffsetMs)).toBeLessThan(1000);
    expect(view.clockOffsetExceeded).toBe(false);
    expect(Date.parse(reported.lastTimeSyncAt!)).toBeGreaterThanOrEqual(Math.floor(setAtMs / 1000) * 1000);
    expect(linux.device.platform.appliedSettings).toMatchObject({
      ntpServer: chronyd.server,
      timezoneAutomatic: true,
    });

    const settings = await t.api.get<{ applied: number; pending: number }>("/settings/time");
    expect(settings.body).toMatchObject({ applied: 1, pending: 0 });
  });

  it("with chronyd stopped, the device reports a clear sync error and keeps working", async () => {
    const before = (await deviceWhen((v) => v.reported?.lastTimeSyncAt != null, "synced")).reported!;
    await chronyd.stop();

    const view = await deviceWhen((v) => v.reported?.timeSyncError != null, "sync error reported");
    const reported = view.reported!;
    expect(reported.timeSyncError).toMatch(
      new RegExp(`^no usable answer from NTP server 127\\.0\\.0\\.1:${chronyd.port} after 3 tries of 300 ms`),
    );
    // The last good measurement stays, with its time.
    expect(reported.lastTimeSyncAt).not.toBeNull();
    expect(Date.parse(reported.lastTimeSyncAt!)).toBeGreaterThanOrEqual(Date.parse(before.lastTimeSyncAt!));
    expect(reported.ntpServer).toBe(chronyd.server);

    expect(view.online).toBe(true);
    const lock = await t.api.post<CommandView>(`/devices/${linux.deviceId}/commands`, { type: "lock" });
    expect(lock.status).toBe(202);
    expect((await waitForCommand(t, lock.body.id)).state).toBe("succeeded");
    const rename = await t.api.post<CommandView>(`/devices/${linux.deviceId}/commands`, {
      type: "rename",
      name: "Front desk",
    });
    expect((await waitForCommand(t, rename.body.id)).state).toBe("succeeded");
    await deviceWhen((v) => v.reported?.name === "Front desk", "renamed while the clock cannot be checked");
  });

  it("an invalid NTP host is refused by the API and changes nothing", async () => {
    for (const ntpServer of ["ntp server.example.com", "127.0.0.1:99999", "-bad-.example.com:123", "a:b:c"]) {
      const res = await t.api.put<{ error: { code: string; message: string } }>("/settings/time", {
        timezone: "auto",
        ntpServer,
      });
      expect(res.status, ntpServer).toBe(400);
      expect(res.body.error.code).toBe("invalid_ntp_server");
      expect(res.body.error.message).toContain(ntpServer);
    }
    const command = await t.api.post<{ error: { code: string } }>(`/devices/${linux.deviceId}/commands`, {
      type: "set_time",
      timezone: "auto",
      ntpServer: "bad host:1",
    });
    expect(command.status).toBe(400);
    expect(command.body.error.code).toBe("invalid_ntp_server");
    expect((await t.api.get<{ ntpServer: string }>("/settings/time")).body.ntpServer).toBe(chronyd.server);
  });
});

describe("devices whose clock is off", () => {
  type StreamEvent = { type: string; data: ServerEvents["device.clock_drift"] };

  /** The event stream as an admin sees it, from the moment it is open. */
  async function openEvents(): Promise<{ seen: StreamEvent[]; close: () => void }> {
    const url = `${t.server.httpUrl.replace("http", "ws")}/api/v1/events`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${t.api.token}` } });
    const seen: StreamEvent[] = [];
    ws.on("message", (data) => seen.push(JSON.parse(String(data)) as StreamEvent));
    await new Promise((resolve) => ws.once("message", resolve));
    return { seen, close: () => ws.close() };
  }

  function driftEvent(seen: StreamEvent[], deviceId: string, exceeded: boolean): Promise<StreamEvent> {
    const find = () =>
      seen.find(
        (e) =>
          e.type === "device.clock_drift" && e.data.deviceId === deviceId && e.data.exceeded === exceeded,
      );
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        const found = find();
        if (found) resolve(found);
        else if (Date.now() - started > 20_000)
          reject(new Error(`no clock_drift ${exceeded} for ${deviceId}`));
        else setTimeout(poll, 20);
      };
      poll();
    });
  }

  async function driftingIds(): Promise<string[]> {
    const res = await t.api.get<{ items: DeviceView[]; total: number }>("/devices?clockDrift=true");
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(res.body.items.length);
    return res.body.items.map((d) => d.id).sort();
  }

  it("are flagged past the threshold (default 1 s), listed, and announced when they start and stop", async () => {
    const stream = await openEvents();
    const ahead = await startDevice(t, { clockOffsetMs: 5000 });
    const behind = await startDevice(t, { clockOffsetMs: -300 });
    try {
      const started = await driftEvent(stream.seen, ahead.deviceId, true);
      expect(started.data).toEqual({
        deviceId: ahead.deviceId,
        exceeded: true,
        clockOffsetMs: 5000,
        thresholdMs: 1000,
      });
      await waitUntil(
        t,
        async () => (await t.api.get<DeviceView>(`/devices/${behind.deviceId}`)).body.reported !== null,
        "second device reported",
      );

      expect((await t.api.get<DeviceView>(`/devices/${ahead.deviceId}`)).body.clockOffsetExceeded).toBe(true);
      expect((await t.api.get<DeviceView>(`/devices/${behind.deviceId}`)).body.clockOffsetExceeded).toBe(
        false,
      );
      expect((await device()).clockOffsetExceeded).toBe(false);
      expect(await driftingIds()).toEqual([ahead.deviceId]);
      const rest = await t.api.get<{ items: DeviceView[] }>("/devices?clockDrift=false");
      expect(rest.body.items.map((d) => d.id).sort()).toEqual([behind.deviceId, linux.deviceId].sort());

      const settings = await t.api.get<{ thresholdMs: number; exceeding: number; updatedAt: string | null }>(
        "/settings/clock-drift",
      );
      expect(settings.body).toEqual({ thresholdMs: 1000, exceeding: 1, updatedAt: null });

      // Raised past every offset: the flag goes, and the stream hears it.
      const raised = await t.api.put<{ thresholdMs: number; exceeding: number }>("/settings/clock-drift", {
        thresholdMs: 10_000,
      });
      expect(raised.status).toBe(200);
      expect(raised.body).toMatchObject({ thresholdMs: 10_000, exceeding: 0 });
      const stopped = await driftEvent(stream.seen, ahead.deviceId, false);
      expect(stopped.data).toMatchObject({ exceeded: false, thresholdMs: 10_000 });
      expect(await driftingIds()).toEqual([]);
      expect((await t.api.get<DeviceView>(`/devices/${ahead.deviceId}`)).body.clockOffsetExceeded).toBe(
        false,
      );

      // Lowered under 300 ms: both simulated clocks are off now.
      await t.api.put("/settings/clock-drift", { thresholdMs: 250 });
      const behindStarted = await driftEvent(stream.seen, behind.deviceId, true);
      expect(behindStarted.data).toMatchObject({ clockOffsetMs: -300, thresholdMs: 250 });
      expect(await driftingIds()).toEqual(expect.arrayContaining([ahead.deviceId, behind.deviceId]));
    } finally {
      stream.close();
      await t.api.put("/settings/clock-drift", { thresholdMs: 1000 });
      await Promise.all([ahead.stop({ abrupt: true }), behind.stop({ abrupt: true })]);
    }
  });

  it("a threshold that is not a positive whole number of ms is refused and changes nothing", async () => {
    for (const thresholdMs of [0, -5, 1.5, "soon", null, 86_400_001]) {
      const res = await t.api.put<{ error: { code: string } }>("/settings/clock-drift", { thresholdMs });
      expect(res.status, String(thresholdMs)).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
    }
    expect((await t.api.get<{ thresholdMs: number }>("/settings/clock-drift")).body.thresholdMs).toBe(1000);
  });
});
