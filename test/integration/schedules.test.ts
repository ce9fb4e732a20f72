/**
 * Scheduled commands with a controllable server clock (no real waiting) and real agents: a
 * recurring schedule in an IANA zone fires at its local time, once, even with two runners at
 * once; a missed run follows its rule; one-off schedules; pause, resume, edit, delete; refusals;
 * a schedule surviving a restart of the server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { BatchView } from "../../server/commands/batch-service.js";
import type { DeviceView } from "../../server/devices/device.js";
import { nextOccurrence } from "../../server/schedules/recurrence.js";
import type { ScheduleRunView, ScheduleView } from "../../server/schedules/schedule-service.js";
import { createEnrollmentToken, startDevice, uniqueSerial, waitForBatch } from "../helpers/devices.js";
import { eventually } from "../helpers/poll.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

interface ErrorBody {
  error: { code: string; message: string };
}

const HOUR = 3_600_000;
const SUNDAY_03_BERLIN = "0 3 * * 0";

/** The server's clock: real time moved by `offset`, which the tests set. */
let offset = 0;
const clock = () => Date.now() + offset;
/** Moves the server's clock so that it reads `atMs` now. */
const setClock = (atMs: number) => {
  offset = atMs - Date.now();
};

let t: TestServer;
let fleet: (SimulatedDevice & { deviceId: string })[] = [];

beforeAll(async () => {
  t = await startTestServer({}, undefined, clock);
  const token = await createEnrollmentToken(t, 3);
  fleet = await Promise.all(
    Array.from({ length: 3 }, (_, i) =>
      startDevice(t, { enrollmentToken: token, serial: uniqueSerial(`SCH-${i}`) }),
    ),
  );
  const labeled = await t.api.post("/devices/labels", {
    target: { deviceIds: [fleet[0]!.deviceId, fleet[1]!.deviceId] },
    add: ["lobby"],
  });
  expect(labeled.status).toBe(200);
});
afterAll(async () => {
  await Promise.all(fleet.map((d) => d.stop({ abrupt: true })));
  await t.cleanup();
});

const { schedules } = { schedules: () => t.server.services.schedules };
const get = async (id: string) => (await t.api.get<ScheduleView>(`/schedules/${id}`)).body;
const runsOf = async (id: string) =>
  (await t.api.get<{ items: ScheduleRunView[] }>(`/schedules/${id}/runs`)).body.items;

/** Weekday and time of day of `ms` in Berlin, e.g. "Sun 03:00". */
const berlinTime = (ms: number) =>
  new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Berlin",
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(ms);

describe("a recurring schedule", () => {
  let id = "";
  let firstRun = 0;

  it("is stored with its next runs at the stated local time", async () => {
    firstRun = nextOccurrence(SUNDAY_03_BERLIN, "Europe/Berlin", Date.now())!;
    setClock(firstRun - 60_000);
    const created = await t.api.post<ScheduleView>("/schedules", {
      name: "Lock the lobby on Sundays",
      command: { type: "lock" },
      target: { filter: { label: "lobby" } },
      cron: "0  3 * * 0",
      timezone: "Europe/Berlin",
    });
    expect(created.status).toBe(201);
    id = created.body.id;
    expect(created.body).toMatchObject({
      kind: "cron",
      cron: SUNDAY_03_BERLIN,
      timezone: "Europe/Berlin",
      missedRuns: "skip",
      state: "active",
      runs: 0,
      nextRunAt: new Date(firstRun).toISOString(),
    });
    expect(created.body.upcoming).toHaveLength(3);
    for (const at of created.body.upcoming) expect(berlinTime(Date.parse(at))).toBe("Sun 03:00");
  });

  it("does not run before its time, then runs once at it: a fleet command to its target, executed", async () => {
    expect(await schedules().runDue()).toBe(0);
    expect(await runsOf(id)).toEqual([]);
    setClock(firstRun + 1_000);
    // Two runners at once (two nodes, or a node and its restart): one takes the run.
    const taken = await Promise.all([schedules().runDue(), schedules().runDue()]);
    // (The server's own runner may have taken it first: then neither did.)
    expect(taken[0]! + taken[1]!).toBeLessThanOrEqual(1);
    expect(await schedules().runDue()).toBe(0);
    const runs = await runsOf(id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      dueAt: new Date(firstRun).toISOString(),
      outcome: "started",
      message: null,
    });
    const batch = await waitForBatch(t, runs[0]!.batchId!);
    expect(batch.total).toBe(2);
    expect(batch.counts.succeeded).toBe(2);
    expect((batch as BatchView).target).toEqual({ filter: { label: "lobby" } });
    for (const d of [fleet[0]!, fleet[1]!]) {
      await eventually("the lock reported", async () => {
        const view = (await t.api.get<DeviceView>(`/devices/${d.deviceId}`)).body;
        return view.reported?.locked ? true : undefined;
      });
    }
    const after = await get(id);
    expect(after).toMatchObject({ runs: 1, lastRunAt: new Date(firstRun + 1_000).toISOString() });
    expect(berlinTime(Date.parse(after.nextRunAt!))).toBe("Sun 03:00");
    expect(Date.parse(after.nextRunAt!)).toBeGreaterThan(firstRun + 6 * 24 * HOUR);
  });

  it("skips a run missed by more than ten minutes, and says so", async () => {
    const due = Date.parse((await get(id)).nextRunAt!);
    setClock(due + 2 * HOUR);
    await schedules().runDue();
    const [latest] = await runsOf(id);
    expect(latest).toMatchObject({ dueAt: new Date(due).toISOString(), outcome: "skipped", batchId: null });
    expect(latest!.message).toMatch(/missed/);
    const after = await get(id);
    expect(after.runs).toBe(1);
    expect(Date.parse(after.nextRunAt!)).toBeGreaterThan(due + 6 * 24 * HOUR);
  });

  it("runs nothing while paused, and goes on from its next time after now when resumed", async () => {
    const paused = await t.api.post<ScheduleView>(`/schedules/${id}/pause`, {});
    expect(paused.body.state).toBe("paused");
    const due = Date.parse(paused.body.nextRunAt!);
    setClock(due + 1_000);
    expect(await schedules().runDue()).toBe(0);
    const resumed = await t.api.post<ScheduleView>(`/schedules/${id}/resume`, {});
    expect(resumed.body.state).toBe("active");
    expect(Date.parse(resumed.body.nextRunAt!)).toBeGreaterThan(due + 6 * 24 * HOUR);
    expect(await schedules().runDue()).toBe(0);
    expect((await runsOf(id)).length).toBe(2);
  });

  it("takes edits (timing, target), keeps its command type, and ends at its end", async () => {
    const now = clock();
    const edited = await t.api.patch<ScheduleView>(`/schedules/${id}`, {
      cron: "30 4 * * *",
      target: { deviceIds: [fleet[2]!.deviceId] },
      endsAt: new Date(now + 30 * HOUR).toISOString(),
    });
    expect(edited.status).toBe(200);
    expect(berlinTime(Date.parse(edited.body.nextRunAt!))).toMatch(/04:30$/);
    expect(edited.body.upcoming.length).toBeLessThanOrEqual(2);
    const otherType = await t.api.patch<ErrorBody>(`/schedules/${id}`, { command: { type: "reboot" } });
    expect(otherType.status).toBe(400);
    setClock(Date.parse(edited.body.nextRunAt!) + 1_000);
    await schedules().runDue();
    const [latest] = await runsOf(id);
    const batch = await waitForBatch(t, latest!.batchId!);
    expect(batch.total).toBe(1);
    setClock(now + 31 * HOUR);
    await schedules().runDue();
    const ended = await get(id);
    expect(ended.state).toBe("finished");
    expect(ended.nextRunAt).toBeNull();
  });

  it("announces changes on the event stream, audits them, and is deleted", async () => {
    const seen: string[] = [];
    const off = t.server.services.events.on("schedule.deleted", ({ scheduleId }) => seen.push(scheduleId));
    try {
      expect((await t.api.delete(`/schedules/${id}`)).status).toBe(204);
    } finally {
      off();
    }
    expect(seen).toEqual([id]);
    expect((await t.api.get<ErrorBody>(`/schedules/${id}`)).status).toBe(404);
    const audit = await t.api.get<{ items: { action: string; target: string }[] }>(`/audit?target=${id}`);
    expect(audit.body.items.map((i) => i.action).sort()).toEqual(
      [
        "schedule.create",
        "schedule.delete",
        "schedule.pause",
        "schedule.resume",
        "schedule.update",
        "schedule.update",
      ].sort(),
    );
  });
});

describe("a one-off schedule", () => {
  it("runs once at its time, even late (run_late, its default), then is finished", async () => {
    const now = clock();
    const created = await t.api.post<ScheduleView>("/schedules", {
      name: "Refresh one display",
      command: { type: "refresh_state" },
      target: { serials: [fleet[2]!.serial] },
      at: new Date(now + HOUR).toISOString(),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: "once", missedRuns: "run_late", upcoming: [] });
    setClock(now + 3 * HOUR);
    await schedules().runDue();
    expect(await schedules().runDue()).toBe(0);
    const [run] = await runsOf(created.body.id);
    expect(run).toMatchObject({ outcome: "started" });
    expect(run!.message).toMatch(/late/);
    expect((await waitForBatch(t, run!.batchId!)).counts.succeeded).toBe(1);
    expect(await get(created.body.id)).toMatchObject({ state: "finished", nextRunAt: null, runs: 1 });
  });

  it("records a run whose target no longer resolves as failed", async () => {
    const now = clock();
    const group = await t.api.post<{ id: string }>("/groups", {
      name: "Lobby screens",
      filter: { label: "lobby" },
    });
    expect(group.status).toBe(201);
    const created = await t.api.post<ScheduleView>("/schedules", {
      name: "To a group deleted later",
      command: { type: "refresh_state" },
      target: { group: group.body.id },
      at: new Date(now + HOUR).toISOString(),
    });
    expect(created.status).toBe(201);
    expect((await t.api.delete(`/groups/${group.body.id}`)).status).toBe(204);
    setClock(now + 2 * HOUR);
    await schedules().runDue();
    const [run] = await runsOf(created.body.id);
    expect(run).toMatchObject({ outcome: "failed", batchId: null });
    expect(run!.message).toContain(group.body.id);
    expect((await get(created.body.id)).state).toBe("finished");
  });
});

describe("refusals", () => {
  const base = { name: "bad", command: { type: "reboot" }, target: { all: true } };
  it.each([
    ["a cron of six fields", { cron: "0 0 3 * * 0", timezone: "Europe/Berlin" }, "invalid_cron"],
    ["a cron out of range", { cron: "61 3 * * 0", timezone: "Europe/Berlin" }, "invalid_cron"],
    ["a cron without its zone", { cron: "0 3 * * 0" }, "validation_failed"],
    ["an unknown zone", { cron: "0 3 * * 0", timezone: "Mars/Olympus" }, "invalid_timezone"],
    [
      "both at and cron",
      { cron: "0 3 * * 0", timezone: "UTC", at: "2030-01-01T00:00:00Z" },
      "validation_failed",
    ],
    ["neither at nor cron", {}, "validation_failed"],
    ["a time in the past", { at: "2020-01-01T00:00:00Z" }, "validation_failed"],
    ["a time without its offset", { at: "2030-01-01T00:00:00" }, "validation_failed"],
    [
      "an end before the first run",
      { cron: "0 3 * * 0", timezone: "UTC", endsAt: "2020-01-01T00:00:00Z" },
      "validation_failed",
    ],
  ])("refuses %s", async (_what, timing, code) => {
    const res = await t.api.post<ErrorBody>("/schedules", { ...base, ...timing });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it("refuses a target naming an unknown device, and a command that does not validate", async () => {
    const unknown = await t.api.post<ErrorBody>("/schedules", {
      ...base,
      target: { deviceIds: ["dev_nope"] },
      at: new Date(clock() + HOUR).toISOString(),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("device_not_found");
    const noZone = await t.api.post<ErrorBody>("/schedules", {
      ...base,
      command: { type: "set_time" },
      at: new Date(clock() + HOUR).toISOString(),
    });
    expect(noZone.status).toBe(400);
  });
});

describe("a schedule across a restart", () => {
  it("is kept in the store and runs once after the server comes back", async () => {
    let restartClockOffset = 0;
    const restartClock = () => Date.now() + restartClockOffset;
    const first = await startTestServer({}, undefined, restartClock);
    let second: TestServer | null = null;
    try {
      const at = restartClock() + HOUR;
      const created = await first.api.post<ScheduleView>("/schedules", {
        name: "After the restart",
        command: { type: "refresh_state" },
        target: { all: true },
        at: new Date(at).toISOString(),
      });
      expect(created.status).toBe(201);
      await first.stop();
      restartClockOffset = HOUR + 1_000;
      second = await startTestServer({}, first.dataDir, restartClock);
      const services = second.server.services;
      await Promise.all([services.schedules.runDue(), services.schedules.runDue()]);
      const runs = (await second.api.get<{ items: ScheduleRunView[] }>(`/schedules/${created.body.id}/runs`))
        .body.items;
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ outcome: "started", dueAt: new Date(at).toISOString() });
    } finally {
      await (second ?? first).cleanup();
    }
  });
});
