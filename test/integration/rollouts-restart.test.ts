/**
 * A staged rollout survives the server process being killed with SIGKILL mid-rollout (while its
 * second phase's commands are in flight) and a server started again on the same data dir and
 * store: it goes on where it was and completes, no phase started twice (each has exactly one
 * fleet command), and every device of the rollout has exactly one of its commands, which it ran
 * once (checked against each agent's own execution record).
 */
import { readFile } from "node:fs/promises";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import type { BatchCommandView, BatchView } from "../../server/commands/batch-service.js";
import type { CommandView } from "../../server/commands/command.js";
import type { RolloutView } from "../../server/rollouts/rollout-service.js";
import { Fleet } from "../../simulator/fleet.js";
import { eventually } from "../helpers/poll.js";
import { freePort, type ServerProcess, spawnServer } from "../helpers/server-process.js";
import {
  ApiClient,
  makeDataDir,
  removeDataDir,
  startTestServer,
  type TestServer,
} from "../helpers/test-server.js";

const FLEET_SIZE = 8;

let server: ServerProcess | undefined;
let restarted: TestServer | undefined;
let dataDir = "";
let fleet: Fleet | undefined;

afterAll(async () => {
  await fleet?.stop();
  await server?.stop();
  await restarted?.stop();
  if (dataDir) await removeDataDir(dataDir);
});

describe("a staged rollout across a server kill", () => {
  it("goes on where it was after SIGKILL and a restart: no phase twice, no device twice", async () => {
    dataDir = await makeDataDir();
    const ports = { httpPort: await freePort(), mqttPort: await freePort() };
    server = await spawnServer({ dataDir, ...ports });
    const api = new ApiClient(server.httpUrl, (await readFile(`${dataDir}/admin-token`, "utf8")).trim());
    const token = await api.post<{ token: string }>("/enrollment-tokens", {
      maxUses: FLEET_SIZE,
      expiresInSeconds: 600,
    });
    fleet = new Fleet({
      serverUrl: server.httpUrl,
      enrollmentToken: token.body.token,
      profile: {
        name: "rollout-kill",
        models: [{ model: "Portal", share: 1 }],
        // Slow enough that a kill lands while a phase's devices are still at work.
        groups: [{ name: "slow", share: 1, latencyMs: { min: 100, max: 600 } }],
      },
      size: FLEET_SIZE,
      serialPrefix: `ROLLOUT-KILL-${process.pid}`,
      logger: pino({ level: "silent" }),
      // Back soon after the server is.
      maxReconnectDelayMs: 500,
    });
    await fleet.start();
    const devices = fleet.devices;

    const created = await api.post<RolloutView>("/rollouts", {
      name: "Lock through a crash",
      command: { type: "lock" },
      target: { all: true },
      phases: [{ size: { percent: 25 } }, { size: { percent: 25 } }, {}],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body.phases.map((p) => p.devices)).toEqual([2, 2, 4]);

    // Killed as soon as the second phase has started: its commands are in flight.
    await eventually(
      "the second phase started",
      async () => ((await api.get<RolloutView>(`/rollouts/${id}`)).body.currentPhase >= 1 ? true : undefined),
      30_000,
    );
    await server.kill();
    const before = devices.reduce((n, d) => n + d.executions.length, 0);
    expect(before).toBeLessThan(FLEET_SIZE);

    server = undefined;
    // Started again in this process (a process start costs seconds here): the same data dir
    // and store, the same ports, so the fleet comes back to it by itself.
    restarted = await startTestServer(ports, dataDir);
    const done = await eventually(
      "the rollout completed",
      async () => {
        const view = (await api.get<RolloutView>(`/rollouts/${id}`)).body;
        return view.state === "completed" ? view : undefined;
      },
      60_000,
    );
    expect(done.phases.map((p) => [p.state, p.released])).toEqual([
      ["done", 2],
      ["done", 2],
      ["done", 4],
    ]);
    expect(done.counts).toMatchObject({ succeeded: FLEET_SIZE, pending: 0 });

    // Each phase started once: one fleet command each, the one it names.
    const batches = (await api.get<{ items: BatchView[] }>("/batches?limit=100")).body.items.filter(
      (b) => (b.target as { rollout?: { id: string } }).rollout?.id === id,
    );
    expect(batches.map((b) => b.id).sort()).toEqual(done.phases.map((p) => p.batchId!).sort());

    // Every device has exactly one command of the rollout, and ran it once.
    const commanded: string[] = [];
    for (const phase of done.phases) {
      const items = (
        await api.get<{ items: BatchCommandView[] }>(`/batches/${phase.batchId}/commands?limit=500`)
      ).body.items;
      expect(items).toHaveLength(phase.devices);
      commanded.push(...items.map((c) => c.deviceId));
    }
    expect(new Set(commanded).size).toBe(FLEET_SIZE);
    expect(commanded.sort()).toEqual(devices.map((d) => d.deviceId!).sort());
    const rolloutBatches = new Set(batches.map((b) => b.id));
    for (const device of devices) {
      const own = (await api.get<{ items: CommandView[] }>(`/devices/${device.deviceId}/commands`)).body
        .items;
      expect(own.filter((c) => c.batchId !== null && rolloutBatches.has(c.batchId))).toHaveLength(1);
      expect(device.executions.map((e) => e.type)).toEqual(["lock"]);
      expect(device.platform.locked).toBe(true);
    }
  }, 120_000);
});
