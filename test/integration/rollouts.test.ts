/**
 * Staged rollouts on a real server with real agents and a controllable server clock: phases by
 * count and percentage, each next phase only after the last one's gate; a manual approval; the
 * rate releasing devices as the clock moves, pause and resume restarting it, cancel taking back
 * what was not delivered; a simulated fleet with a failure rate tripping the abort threshold
 * (the rest canceled with `rollout_stopped`, the unreleased never commanded); retrying the failed
 * devices as a new rollout; the event stream's per-phase counts; refusals. The runner is
 * stepped by calling it (`runDue`), as its job does every 2 s.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { BatchCommandView, BatchView } from "../../server/commands/batch-service.js";
import type { CommandView } from "../../server/commands/command.js";
import type { RolloutView } from "../../server/rollouts/rollout-service.js";
import { Fleet } from "../../simulator/fleet.js";
import {
  createEnrollmentToken,
  enrollCredentials,
  startDevice,
  uniqueSerial,
  waitForBatch,
} from "../helpers/devices.js";
import { eventually } from "../helpers/poll.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

interface ErrorBody {
  error: { code: string; message: string };
}

/** The server's clock: real time moved by `offset`, which the tests set. */
let offset = 0;
const clock = () => Date.now() + offset;
/** Moves the server's clock so that it reads `atMs` now. */
const setClock = (atMs: number) => {
  offset = atMs - Date.now();
};

let t: TestServer;
/** Healthy online devices the first tests roll out to. */
let healthy: (SimulatedDevice & { deviceId: string })[] = [];
const seen: RolloutView[] = [];

beforeAll(async () => {
  t = await startTestServer({}, undefined, clock);
  const token = await createEnrollmentToken(t, 8);
  healthy = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      startDevice(t, { enrollmentToken: token, serial: uniqueSerial(`ROLL-${i}`) }),
    ),
  );
  t.server.services.events.on("rollout.updated", ({ rollout }) => seen.push(rollout));
});
afterAll(async () => {
  await Promise.all(healthy.map((d) => d.stop({ abrupt: true })));
  await t.cleanup();
});

const runner = () => t.server.services.rollouts;
const get = async (id: string) => (await t.api.get<RolloutView>(`/rollouts/${id}`)).body;
const create = (body: Record<string, unknown>) => t.api.post<RolloutView & ErrorBody>("/rollouts", body);
const ids = (devices: readonly { deviceId: string | null }[]) => devices.map((d) => d.deviceId!);

/** Steps the rollout as its runner does until `until` holds for its view. */
function stepUntil(id: string, what: string, until: (v: RolloutView) => boolean): Promise<RolloutView> {
  return eventually(
    what,
    async () => {
      await runner().runDue();
      const view = await get(id);
      return until(view) ? view : undefined;
    },
    20_000,
  );
}

async function commandsOfBatch(batchId: string): Promise<BatchCommandView[]> {
  const res = await t.api.get<{ items: BatchCommandView[] }>(`/batches/${batchId}/commands?limit=500`);
  expect(res.status).toBe(200);
  return res.body.items;
}

describe("sized phases", () => {
  it("cut the target by count and percentage, and start each phase after the last one's gate", async () => {
    const created = await create({
      name: "Refresh in three waves",
      command: { type: "refresh_state" },
      target: { deviceIds: ids(healthy) },
      phases: [{ name: "First two", size: { count: 2 } }, { size: { percent: 25 } }, {}],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // The first phase starts at once; the others wait for it.
    expect(created.body).toMatchObject({
      state: "running",
      currentPhase: 0,
      devices: 8,
      skipped: 0,
      target: { deviceIds: ids(healthy) },
      command: { type: "refresh_state" },
      rate: null,
      abort: null,
      reason: null,
      retryOf: null,
      counts: { pending: 6 },
    });
    expect(created.body.phases.map((p) => [p.state, p.devices, p.released])).toEqual([
      ["running", 2, 2],
      ["pending", 2, 0],
      ["pending", 4, 0],
    ]);
    expect(created.body.phases[0]).toMatchObject({ name: "First two", size: { count: 2 }, gate: null });

    const done = await stepUntil(id, "the rollout completed", (v) => v.state === "completed");
    expect(done.phases.map((p) => [p.state, p.devices, p.released, p.counts.succeeded])).toEqual([
      ["done", 2, 2, 2],
      ["done", 2, 2, 2],
      ["done", 4, 4, 4],
    ]);
    expect(done.counts).toMatchObject({ succeeded: 8, pending: 0, queued: 0 });
    expect(done.finishedAt).not.toBeNull();

    // Every device got the command once, in one phase; each phase's commands all ended before
    // the next phase started (the default gate).
    const commanded: string[] = [];
    for (const [index, phase] of done.phases.entries()) {
      const commands = await commandsOfBatch(phase.batchId!);
      expect(commands).toHaveLength(phase.devices);
      commanded.push(...commands.map((c) => c.deviceId));
      const next = done.phases[index + 1];
      if (next) {
        for (const c of commands)
          expect(Date.parse(c.finishedAt!)).toBeLessThanOrEqual(Date.parse(next.startedAt!));
      }
      const batch = (await t.api.get<BatchView>(`/batches/${phase.batchId}`)).body;
      expect(batch).toMatchObject({ total: phase.devices, target: { rollout: { id, phase: index } } });
    }
    expect(commanded.sort()).toEqual(ids(healthy).sort());

    // The event stream carried each phase's counts as they moved.
    const mine = seen.filter((v) => v.id === id);
    const commandsOf = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    expect(mine[0]!.phases.map((p) => [p.state, commandsOf(p.counts)])).toEqual([
      ["running", 2],
      ["pending", 0],
      ["pending", 0],
    ]);
    expect(mine.some((v) => v.phases[0]!.counts.succeeded === 2)).toBe(true);
    expect(mine.at(-1)).toMatchObject({ state: "completed", counts: { succeeded: 8 } });

    // Finished: no action moves it; nothing failed, so there is nothing to retry.
    for (const verb of ["pause", "resume", "approve", "cancel"]) {
      const refused = await t.api.post<ErrorBody>(`/rollouts/${id}/${verb}`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe("rollout_finished");
    }
    const retry = await t.api.post<ErrorBody>(`/rollouts/${id}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe("rollout_nothing_to_retry");

    const listed = await t.api.get<{ items: RolloutView[] }>("/rollouts?limit=100");
    expect(listed.body.items.find((r) => r.id === id)).toEqual(done);
  });

  it("wait for an approval where a phase's gate asks for one", async () => {
    const four = ids(healthy.slice(0, 4));
    const created = await create({
      name: "Canary, then approve",
      command: { type: "refresh_state" },
      target: { deviceIds: four },
      phases: [{ name: "Canary", size: { percent: 50 }, gate: { approval: true } }, {}],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // Released everything at once: waiting for the approval, whatever its commands do.
    expect(created.body.state).toBe("waiting_approval");
    expect(created.body.phases.map((p) => p.state)).toEqual(["waiting_approval", "pending"]);
    await waitForBatch(t, created.body.phases[0]!.batchId!);
    await runner().runDue();
    expect((await get(id)).phases.map((p) => p.state)).toEqual(["waiting_approval", "pending"]);

    // Paused while waiting, it waits again when resumed.
    expect((await t.api.post<RolloutView>(`/rollouts/${id}/pause`)).body.state).toBe("paused");
    const early = await t.api.post<ErrorBody>(`/rollouts/${id}/approve`);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("rollout_not_waiting_approval");
    expect((await t.api.post<RolloutView>(`/rollouts/${id}/resume`)).body.state).toBe("waiting_approval");

    const approved = await t.api.post<RolloutView>(`/rollouts/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: "running", currentPhase: 1 });
    expect(approved.body.phases.map((p) => [p.state, p.released])).toEqual([
      ["done", 2],
      ["running", 2],
    ]);
    const done = await stepUntil(id, "the rollout completed", (v) => v.state === "completed");
    expect(done.counts.succeeded).toBe(4);

    const audit = await t.api.get<{
      items: { action: string; outcome: string; errorCode: string | null; targetName: string }[];
    }>(`/audit?target=${id}`);
    // The early approval is recorded too, as refused.
    expect(audit.body.items.map((i) => `${i.action} ${i.errorCode ?? i.outcome}`).sort()).toEqual(
      [
        "rollout.approve rollout_not_waiting_approval",
        "rollout.approve success",
        "rollout.create success",
        "rollout.pause success",
        "rollout.resume success",
      ].sort(),
    );
    expect(audit.body.items.every((i) => i.targetName === "Canary, then approve")).toBe(true);
  });
});

describe("the rate", () => {
  it("releases devices as the clock moves; pause holds it, resume restarts it, cancel ends it", async () => {
    setClock(Date.now());
    const six = ids(healthy.slice(0, 6));
    const created = await create({
      name: "Two a minute",
      command: { type: "refresh_state" },
      target: { deviceIds: six },
      phases: [{}],
      rate: { perMinute: 2 },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const start = Date.parse(created.body.phases[0]!.startedAt!);
    const released = async () => (await get(id)).phases[0]!.released;
    // One at once, then one every 30 s.
    expect(created.body.phases[0]!.released).toBe(1);
    expect(created.body.rate).toEqual({ perMinute: 2, growthFactor: 1, growEveryMinutes: 1 });
    await runner().runDue();
    expect(await released()).toBe(1);
    setClock(start + 31_000);
    await runner().runDue();
    expect(await released()).toBe(2);
    setClock(start + 61_000);
    await runner().runDue();
    expect(await released()).toBe(3);

    const paused = await t.api.post<RolloutView>(`/rollouts/${id}/pause`);
    expect(paused.body.state).toBe("paused");
    const twice = await t.api.post<ErrorBody>(`/rollouts/${id}/pause`);
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe("rollout_not_running");
    setClock(start + 300_000);
    await runner().runDue();
    expect(await released()).toBe(3);

    // The rate counts again from the resume: one at once, the next 30 s later.
    const resumed = await t.api.post<RolloutView>(`/rollouts/${id}/resume`);
    expect(resumed.body).toMatchObject({ state: "running" });
    expect(resumed.body.phases[0]!.released).toBe(4);
    const again = await t.api.post<ErrorBody>(`/rollouts/${id}/resume`);
    expect(again.body.error.code).toBe("rollout_not_paused");
    setClock(start + 300_000 + 31_000);
    await runner().runDue();
    expect(await released()).toBe(5);

    const canceled = await t.api.post<RolloutView>(`/rollouts/${id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({
      state: "canceled",
      reason: { code: "canceled" },
      counts: { pending: 1 },
    });
    expect(canceled.body.reason!.message).toMatch(/^canceled by /);
    expect(canceled.body.phases[0]!.state).toBe("stopped");
    setClock(start + 3_600_000);
    await runner().runDue();
    const after = await get(id);
    expect(after.phases[0]!.released).toBe(5);
    expect(after.finishedAt).not.toBeNull();
    // The device never released got no command of the rollout.
    const commanded = (await commandsOfBatch(after.phases[0]!.batchId!)).map((c) => c.deviceId);
    expect(commanded).toHaveLength(5);
    expect(six.filter((d) => !commanded.includes(d))).toHaveLength(1);
  });
});

describe("the abort threshold", () => {
  let fleet: Fleet | undefined;
  afterAll(async () => fleet?.stop());

  it("stops a rollout whose simulated fleet fails too often: the rest canceled, the unreleased never commanded", async () => {
    setClock(Date.now());
    // Eight displays, a seeded share of them broken: every action they try fails.
    fleet = new Fleet({
      serverUrl: t.server.httpUrl,
      enrollmentToken: await createEnrollmentToken(t, 8),
      profile: {
        name: "flaky",
        models: [{ model: "Portal", share: 1 }],
        groups: [
          { name: "healthy", share: 0.6, latencyMs: { min: 0, max: 50 } },
          { name: "broken", share: 0.4, failureRate: 1, latencyMs: { min: 0, max: 50 } },
        ],
      },
      size: 8,
      seed: 11,
      serialPrefix: uniqueSerial("FLAKY"),
      logger: pino({ level: "silent" }),
    });
    await fleet.start();
    const broken = fleet.members.filter((m) => m.group.name === "broken").map((m) => m.device.deviceId!);
    // Over the 20 % threshold however the commands come back: at least 2 of 8.
    expect(broken.length).toBeGreaterThanOrEqual(2);
    expect(broken.length).toBeLessThan(8);
    // Two more of the first wave never connect: their commands stay queued until canceled.
    const offline = [
      (await enrollCredentials(t, uniqueSerial("OFF-A"))).deviceId,
      (await enrollCredentials(t, uniqueSerial("OFF-B"))).deviceId,
    ];
    const secondWave = await Promise.all([0, 1, 2].map((i) => enrollCredentials(t, uniqueSerial(`W2-${i}`))));
    const label = async (deviceIds: string[], name: string) =>
      expect((await t.api.post("/devices/labels", { target: { deviceIds }, add: [name] })).status).toBe(200);
    await label([...ids(fleet.devices), ...offline], "wave-1");
    await label(ids(secondWave), "wave-2");

    const created = await create({
      name: "Lock the flaky fleet",
      command: { type: "lock" },
      phases: [
        { name: "Wave 1", target: { filter: { label: "wave-1" } } },
        { name: "Wave 2", target: { filter: { label: "wave-2" } } },
      ],
      abort: { failurePercent: 20, minExecuted: 4 },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body.target).toBeNull();
    expect(created.body.phases.map((p) => [p.devices, p.target])).toEqual([
      [10, { filter: { label: "wave-1" } }],
      [3, { filter: { label: "wave-2" } }],
    ]);

    const aborted = await stepUntil(id, "the rollout aborted", (v) => v.state === "aborted");
    expect(aborted.reason!.code).toBe("abort_threshold");
    expect(aborted.reason!.message).toMatch(
      /^\d+ of \d+ executed commands \([\d.]+ %\) failed, were rejected or expired: over the 20 % threshold$/,
    );
    expect(aborted.phases.map((p) => p.state)).toEqual(["stopped", "stopped"]);
    // The second wave was never released, let alone commanded.
    expect(aborted.phases[1]).toMatchObject({ batchId: null, released: 0, pending: 3 });
    for (const device of secondWave) {
      const commands = await t.api.get<{ items: CommandView[] }>(`/devices/${device.deviceId}/commands`);
      expect(commands.body.items).toEqual([]);
    }

    // What was not delivered is canceled with the code, naming the rollout and why; the rest
    // ran (commands on their way to online devices run on).
    const wave1 = aborted.phases[0]!.batchId!;
    await waitForBatch(t, wave1);
    const commands = await commandsOfBatch(wave1);
    expect(commands).toHaveLength(10);
    for (const c of commands) {
      if (c.state === "canceled") {
        expect(c.errorCode).toBe("rollout_stopped");
        expect(c.errorMessage).toContain("rollout 'Lock the flaky fleet'");
        expect(c.errorMessage).toContain("was aborted");
      } else {
        expect(["succeeded", "failed"]).toContain(c.state);
      }
    }
    for (const deviceId of offline) {
      expect(commands.find((c) => c.deviceId === deviceId)).toMatchObject({
        state: "canceled",
        errorCode: "rollout_stopped",
      });
    }
    expect(
      commands
        .filter((c) => c.state === "failed")
        .map((c) => c.deviceId)
        .every((d) => broken.includes(d)),
    ).toBe(true);

    // The admin sees why in the audit log too: the runner's entry, as the system's.
    const audit = await t.api.get<{
      items: { action: string; actor: unknown; params: Record<string, unknown> }[];
    }>(`/audit?target=${id}&action=rollout.abort`);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({
      actor: null,
      params: { reasonCode: "abort_threshold", reason: aborted.reason!.message },
    });
    expect(seen.filter((v) => v.id === id).at(-1)).toMatchObject({
      state: "aborted",
      reason: aborted.reason,
    });

    // Retrying the failed ones: a new rollout of the devices whose command failed, in the phase
    // they failed in (the second wave had none, so it is left out).
    const failed = (await get(id)).phases[0]!.counts.failed;
    const retried = await t.api.post<RolloutView>(`/rollouts/${id}/retry`);
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({
      retryOf: id,
      name: "Lock the flaky fleet (retry)",
      command: { type: "lock" },
      abort: { failurePercent: 20, minExecuted: 4 },
      devices: failed,
    });
    expect(retried.body.phases).toHaveLength(1);
    expect(retried.body.phases[0]).toMatchObject({ name: "Wave 1", gate: null, devices: failed });
    const retriedIds = (retried.body.phases[0]!.target as { deviceIds: string[] }).deviceIds;
    expect(retriedIds.every((d) => broken.includes(d))).toBe(true);
    await stepUntil(retried.body.id, "the retry ended", (v) => v.state !== "running");
  });
});

describe("refusals", () => {
  const base = { name: "bad", command: { type: "reboot" } };
  it.each([
    ["a size on the last phase", { target: { all: true }, phases: [{ size: { percent: 50 } }] }],
    ["a gate on the last phase", { target: { all: true }, phases: [{ gate: { approval: true } }] }],
    ["sized phases without a target", { phases: [{ size: { count: 1 } }, {}] }],
    ["a target beside targeted phases", { target: { all: true }, phases: [{ target: { all: true } }] }],
    ["phases both sized and targeted", { phases: [{ size: { count: 1 } }, { target: { all: true } }] }],
    ["no phase", { target: { all: true }, phases: [] }],
    ["21 phases", { target: { all: true }, phases: [...Array(20).fill({ size: { count: 1 } }), {}] }],
    ["a rate of 0 a minute", { target: { all: true }, phases: [{}], rate: { perMinute: 0 } }],
    [
      "an abort threshold over 100 %",
      { target: { all: true }, phases: [{}], abort: { failurePercent: 101, minExecuted: 1 } },
    ],
    ["a name of 81 characters", { name: "x".repeat(81), target: { all: true }, phases: [{}] }],
    [
      "a command that does not validate",
      { command: { type: "set_time" }, target: { all: true }, phases: [{}] },
    ],
  ])("refuses %s", async (_what, body) => {
    const res = await create({ ...base, ...body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
  });

  it("refuses a target naming an unknown device, and knows no unknown rollout", async () => {
    const unknown = await create({ ...base, target: { deviceIds: ["dev_nope"] }, phases: [{}] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("device_not_found");
    const missing = await t.api.get<ErrorBody>("/rollouts/rlt_nope");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("rollout_not_found");
    expect((await t.api.post<ErrorBody>("/rollouts/rlt_nope/pause")).body.error.code).toBe(
      "rollout_not_found",
    );
  });
});
