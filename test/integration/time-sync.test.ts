/**
 * Time sync against a real NTP server: a chronyd on 127.0.0.1 serving its local clock, the
 * real Linux agent (dry run: its chrony and time zone commands are logged, not run) measuring
 * its clock with ntp-time-sync, and the real server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommandView } from "../../server/commands/command.js";
import type { DeviceView } from "../../server/devices/device.js";
import { type Chronyd, startChronyd } from "../helpers/chronyd.js";
import { waitForCommand, waitUntil } from "../helpers/devices.js";
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
    // chronyd serves this machine's own clock: the offset is the measurement's noise.
    expect(Math.abs(reported.clockOffsetMs)).toBeLessThan(250);
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
