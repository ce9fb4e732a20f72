/**
 * Maintenance windows with a controllable server clock (no real waiting) and real agents over
 * MQTT: a command sent "in window" waits, queued, until its device's window opens and is then
 * delivered with a new seq; one issued inside an open window goes at once; a closing window
 * holds again what an offline device has not received, and the fleet command's progress says
 * so; a command sent without a window overtakes held ones and the agent runs both, in order;
 * moving a device out of its site or removing the window releases; cancel and TTL of held
 * commands; schedules carry inWindow; refusals; and a held command across a server restart,
 * released once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { BatchView } from "../../server/commands/batch-service.js";
import type { CommandView } from "../../server/commands/command.js";
import type { ScheduleRunView, ScheduleView } from "../../server/schedules/schedule-service.js";
import type { SiteView } from "../../server/sites/site-service.js";
import {
  createEnrollmentToken,
  startDevice,
  uniqueSerial,
  waitForCommand,
  waitUntil,
} from "../helpers/devices.js";
import { freePort } from "../helpers/server-process.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

interface ErrorBody {
  error: { code: string; message: string; details?: { field?: string } };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The server's clock: real time moved by `offset`, which the tests set (only ever forward). */
let offset = 0;
const clock = () => Date.now() + offset;
const setClock = (atMs: number) => {
  offset = atMs - Date.now();
};

// A daily window in UTC that opens two hours from now and lasts an hour.
const base = Math.floor(Date.now() / MINUTE) * MINUTE;
const OPENS = base + 2 * HOUR;
const CLOSES = base + 3 * HOUR;
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const WINDOW = { start: hhmm(OPENS), end: hhmm(CLOSES), timezone: "UTC" };
/** A minute into the window of day `n` (0: the coming one), and a minute after it closed. */
const openOn = (n: number) => OPENS + n * DAY + MINUTE;
const closedAfter = (n: number) => CLOSES + n * DAY + MINUTE;

let t: TestServer;
let ports: { httpPort: number; mqttPort: number };
let fleet: (SimulatedDevice & { deviceId: string })[] = [];
let siteId = "";

beforeAll(async () => {
  // Fixed ports: the agents find the server again after its restart at the end.
  ports = { httpPort: await freePort(), mqttPort: await freePort() };
  t = await startTestServer(ports, undefined, clock);
  const token = await createEnrollmentToken(t, 6);
  fleet = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      startDevice(t, { enrollmentToken: token, serial: uniqueSerial(`MW-${i}`) }),
    ),
  );
});
afterAll(async () => {
  await Promise.all(fleet.map((d) => d.stop({ abrupt: true })));
  await t.cleanup();
});

const device = (i: number) => fleet[i]!;
const send = async (deviceId: string, body: Record<string, unknown>) => {
  const res = await t.api.post<CommandView>(`/devices/${deviceId}/commands`, body);
  expect(res.status).toBe(202);
  return res.body;
};
const command = async (id: string) => (await t.api.get<CommandView>(`/commands/${id}`)).body;
const batch = async (id: string) => (await t.api.get<BatchView>(`/batches/${id}`)).body;
const site = async (id: string) => (await t.api.get<SiteView>(`/sites/${id}`)).body;
const tick = () => t.server.services.windows.tick();
const moveInto = async (target: string, deviceIds: string[]) => {
  const res = await t.api.post(`/sites/${target}/devices`, { target: { deviceIds } });
  expect(res.status).toBe(200);
};
const offline = async (d: SimulatedDevice & { deviceId: string }) => {
  await d.stop();
  await waitUntil(t, () => !t.server.gateway.isOnline(d.deviceId), "device offline");
};
const online = async (d: SimulatedDevice & { deviceId: string }) => {
  await d.start();
  await waitUntil(t, () => t.server.gateway.isOnline(d.deviceId), "device online");
};
/** The device has handled everything it was sent, and a little time for anything on its way. */
const settled = async (d: SimulatedDevice) => {
  await new Promise((r) => setTimeout(r, 300));
  await d.idle();
};

describe("a site's maintenance window", () => {
  it("is set with the site and shown with its state and next change", async () => {
    const created = await t.api.post<SiteView>("/sites", { name: "Night shift", window: WINDOW });
    expect(created.status).toBe(201);
    siteId = created.body.id;
    expect(created.body.window).toEqual({ ...WINDOW, days: [] });
    expect(created.body.windowState).toEqual({
      open: false,
      opensAt: new Date(OPENS).toISOString(),
      closesAt: null,
    });
    await moveInto(
      siteId,
      fleet.slice(0, 5).map((d) => d.deviceId),
    );
  });

  it("is read in the site's own time zone unless it names one, and refused naming the field", async () => {
    const own = await t.api.post<SiteView>("/sites", {
      name: "Tokyo store",
      time: { timezone: "Asia/Tokyo", ntpServer: null },
      window: { start: "23:00", end: "04:00", days: ["sat", "sun"] },
    });
    expect(own.status).toBe(201);
    expect(own.body.window).toEqual({
      start: "23:00",
      end: "04:00",
      days: ["sat", "sun"],
      timezone: "Asia/Tokyo",
    });
    const cases: [Record<string, unknown>, string, string][] = [
      [{ start: "01:00", end: "05:00" }, "invalid_window", "window.timezone"],
      [{ start: "1 am", end: "05:00", timezone: "UTC" }, "invalid_window", "window.start"],
      [{ start: "05:00", end: "05:00", timezone: "UTC" }, "invalid_window", "window.end"],
      [{ start: "01:00", end: "05:00", timezone: "Mars/Base" }, "invalid_timezone", "window.timezone"],
    ];
    for (const [window, code, field] of cases) {
      const refused = await t.api.patch<ErrorBody>(`/sites/${siteId}`, { window });
      expect(refused.status, JSON.stringify(window)).toBe(400);
      expect(refused.body.error).toMatchObject({ code, details: { field } });
    }
    const badDay = await t.api.patch<ErrorBody>(`/sites/${siteId}`, {
      window: { ...WINDOW, days: ["someday"] },
    });
    expect(badDay.status).toBe(400);
    expect(badDay.body.error.code).toBe("validation_failed");
    expect((await site(siteId)).window).toEqual({ ...WINDOW, days: [] });
    expect((await t.api.delete(`/sites/${own.body.id}`)).status).toBe(200);
  });
});

describe("commands in window", () => {
  it("wait, queued, until the window opens, then reach the device with a new seq", async () => {
    const a = device(0);
    const held = await send(a.deviceId, { type: "lock", inWindow: true });
    expect(held).toMatchObject({ state: "queued", inWindow: true, waitingForWindow: true });
    expect(await tick()).toEqual({ released: 0, heldAgain: 0 });
    await settled(a);
    expect(a.executionCount(held.id)).toBe(0);
    expect(await command(held.id)).toMatchObject({ state: "queued", waitingForWindow: true });

    setClock(openOn(0));
    expect((await site(siteId)).windowState).toEqual({
      open: true,
      opensAt: null,
      closesAt: new Date(CLOSES).toISOString(),
    });
    // (The server's own look, every 15 s, may release it first: either does.)
    await tick();
    const done = await waitForCommand(t, held.id);
    expect(done).toMatchObject({ state: "succeeded", inWindow: true, waitingForWindow: false });
    expect(done.seq).toBeGreaterThan(held.seq);
    expect(a.platform.locked).toBe(true);
    // Looking again changes nothing.
    expect(await tick()).toEqual({ released: 0, heldAgain: 0 });
  });

  it("go at once while the window is open", async () => {
    const cmd = await send(device(0).deviceId, { type: "refresh_state", inWindow: true });
    expect(cmd).toMatchObject({ inWindow: true, waitingForWindow: false });
    expect((await waitForCommand(t, cmd.id)).state).toBe("succeeded");
  });
});

let reheldBatch = "";

describe("a closing window", () => {
  it("holds again what an offline device has not received, and the progress says so", async () => {
    const b = device(1);
    await offline(b);
    const created = await t.api.post<BatchView>("/batches", {
      target: { deviceIds: [b.deviceId] },
      command: { type: "lock", inWindow: true },
    });
    expect(created.status).toBe(202);
    reheldBatch = created.body.id;
    expect(created.body).toMatchObject({ inWindow: true, waitingForWindow: 0, counts: { queued: 1 } });

    setClock(closedAfter(0));
    await tick();
    const progress = await batch(reheldBatch);
    expect(progress).toMatchObject({ waitingForWindow: 1, done: false, counts: { queued: 1 } });
    const [cmd] = (await t.api.get<{ items: CommandView[] }>(`/batches/${reheldBatch}/commands`)).body.items;
    expect(cmd).toMatchObject({ state: "queued", waitingForWindow: true });

    // Connecting while the window is closed delivers nothing of it.
    await online(b);
    await settled(b);
    expect(b.executionCount(cmd!.id)).toBe(0);
    expect((await batch(reheldBatch)).waitingForWindow).toBe(1);
  });
});

describe("a command without a window", () => {
  it("is not held, overtakes held ones, and the device runs both (the released one after)", async () => {
    const c = device(2);
    const renamed = await send(c.deviceId, { type: "rename", name: "Renamed at night", inWindow: true });
    expect(renamed.waitingForWindow).toBe(true);
    const lock = await send(c.deviceId, { type: "lock" });
    expect(lock).toMatchObject({ inWindow: false, waitingForWindow: false });
    expect(lock.seq).toBeGreaterThan(renamed.seq);
    expect((await waitForCommand(t, lock.id)).state).toBe("succeeded");

    setClock(openOn(1));
    await tick(); // this one and the other device's from before
    const done = await waitForCommand(t, renamed.id);
    expect(done.state).toBe("succeeded");
    expect(done.seq).toBeGreaterThan(lock.seq);
    expect(c.executions.map((e) => e.commandId)).toEqual([lock.id, renamed.id]);

    // The other device's command, held again when the window closed, went now too.
    const progress = await waitUntil(
      t,
      async () => (await batch(reheldBatch)).done,
      "the held-again fleet command done",
    ).then(() => batch(reheldBatch));
    expect(progress).toMatchObject({ waitingForWindow: 0, counts: { succeeded: 1 } });
  });
});

describe("held commands are released", () => {
  it("when the device moves to no site", async () => {
    setClock(closedAfter(1));
    const d = device(3);
    const held = await send(d.deviceId, { type: "refresh_state", inWindow: true });
    expect(held.waitingForWindow).toBe(true);
    await moveInto("none", [d.deviceId]);
    expect((await waitForCommand(t, held.id)).state).toBe("succeeded");
  });

  it("when the site's window is removed", async () => {
    const annex = await t.api.post<SiteView>("/sites", { name: "Annex", window: WINDOW });
    const e = device(4);
    await moveInto(annex.body.id, [e.deviceId]);
    const held = await send(e.deviceId, { type: "refresh_state", inWindow: true });
    expect(held.waitingForWindow).toBe(true);
    const patched = await t.api.patch<SiteView>(`/sites/${annex.body.id}`, { window: null });
    expect(patched.body).toMatchObject({ window: null, windowState: { open: true } });
    expect((await waitForCommand(t, held.id)).state).toBe("succeeded");
    // Back in the night shift for the tests below.
    await moveInto(siteId, [e.deviceId]);
  });
});

describe("a held command", () => {
  it("can be canceled, alone or with its fleet command, and is never delivered", async () => {
    const a = device(0);
    const held = await send(a.deviceId, { type: "reboot", inWindow: true });
    const canceled = await t.api.post<CommandView>(`/commands/${held.id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.state).toBe("canceled");
    const fleetCommand = await t.api.post<BatchView>("/batches", {
      target: { deviceIds: [a.deviceId, device(4).deviceId] },
      command: { type: "reboot", inWindow: true },
    });
    expect(fleetCommand.body.waitingForWindow).toBe(2);
    const canceledBatch = await t.api.post<{ canceled: number; batch: BatchView }>(
      `/batches/${fleetCommand.body.id}/cancel`,
    );
    expect(canceledBatch.body).toMatchObject({ canceled: 2, batch: { waitingForWindow: 0, done: true } });
    setClock(openOn(2));
    expect((await tick()).released).toBe(0);
    await settled(a);
    expect(a.executionCount(held.id)).toBe(0);
    expect(a.executions.some((e) => e.type === "reboot")).toBe(false);
  });

  it("expires at its TTL, counted from when it was issued, and says it waited for the window", async () => {
    setClock(closedAfter(2));
    const held = await send(device(0).deviceId, { type: "lock", inWindow: true, ttlSeconds: 600 });
    setClock(closedAfter(2) + 601_000);
    await t.server.services.commands.sweepDeadlines();
    expect(await command(held.id)).toMatchObject({ state: "expired", waitingForWindow: false });
    expect((await command(held.id)).errorMessage).toContain("maintenance window");
  });

  it("is refused for a type that takes effect when issued", async () => {
    const refused = await t.api.post<ErrorBody>(`/devices/${device(0).deviceId}/commands`, {
      type: "deactivate",
      inWindow: true,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "validation_failed", details: { field: "inWindow" } });
  });
});

describe("a schedule", () => {
  it("keeps inWindow in its command and its runs wait for the window", async () => {
    const created = await t.api.post<ScheduleView>("/schedules", {
      name: "Nightly refresh",
      command: { type: "refresh_state", inWindow: true },
      target: { filter: { site: siteId } },
      at: new Date(clock() + MINUTE).toISOString(),
    });
    expect(created.status).toBe(201);
    expect(created.body.command).toEqual({ type: "refresh_state", inWindow: true });
    setClock(clock() + 2 * MINUTE);
    // (The server's own runner may take it first.)
    await t.server.services.schedules.runDue();
    const runs = (await t.api.get<{ items: ScheduleRunView[] }>(`/schedules/${created.body.id}/runs`)).body
      .items;
    expect(runs).toHaveLength(1);
    const run = await batch(runs[0]!.batchId!);
    expect(run).toMatchObject({ inWindow: true, waitingForWindow: run.total });
    expect(run.total).toBeGreaterThan(0);
    expect((await t.api.post<{ canceled: number }>(`/batches/${run.id}/cancel`)).body.canceled).toBe(
      run.total,
    );
  });
});

describe("across a restart", () => {
  it("a held command stays held in the store and is released once", async () => {
    const f = device(5);
    await moveInto(siteId, [f.deviceId]);
    await offline(f);
    const held = await send(f.deviceId, { type: "lock", inWindow: true });
    await t.stop();
    setClock(openOn(3));
    t = await startTestServer(ports, t.dataDir, clock);
    expect(await command(held.id)).toMatchObject({ state: "queued", waitingForWindow: true });
    // Two looks at once (the job and a site change, or two nodes): one releases it.
    const looks = await Promise.all([tick(), tick()]);
    expect(looks[0].released + looks[1].released).toBeLessThanOrEqual(1);
    expect(await command(held.id)).toMatchObject({ state: "queued", waitingForWindow: false });
    await online(f);
    expect((await waitForCommand(t, held.id)).state).toBe("succeeded");
    await settled(f);
    expect(f.executionCount(held.id)).toBe(1);
  });
});
