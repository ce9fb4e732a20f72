/**
 * The server process is killed with SIGKILL while commands are in flight and started again on
 * the same data dir: every command still reaches a terminal state, and no device runs any
 * command twice (checked against each agent's own execution record). The small version of
 * `npm run chaos` runs here too: crash rounds with devices offline across each kill, and agent
 * processes killed mid-command.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { SimulatedDevice } from "../../agent/simulated-device.js";
import type { CommandView } from "../../server/commands/command.js";
import { DATABASE_FILE } from "../../server/server.js";
import { AdminClient } from "../../simulator/admin-client.js";
import { runAgentKills } from "../../simulator/chaos/agent-kills.js";
import { runCrashRounds, type StoredCommand } from "../../simulator/chaos/crash-rounds.js";
import { Fleet } from "../../simulator/fleet.js";
import { eventually } from "../helpers/poll.js";
import { freePort, type ServerProcess, spawnServer } from "../helpers/server-process.js";
import { ApiClient, makeDataDir, removeDataDir } from "../helpers/test-server.js";
import { databaseUrlFor, onPostgres } from "../helpers/test-store.js";

const FLEET_SIZE = 20;
const TERMINAL = new Set(["succeeded", "failed", "rejected", "expired", "canceled"]);

let server: ServerProcess | undefined;
let dataDir = "";
const devices: SimulatedDevice[] = [];

afterAll(async () => {
  await Promise.all(devices.map((d) => d.stop({ abrupt: true })));
  await server?.stop();
  if (dataDir) await removeDataDir(dataDir);
});

/** A fleet command's commands in PostgreSQL, through a connection of their own (what a restarted server finds). */
async function commandsOfBatch(databaseUrl: string, batchId: string): Promise<StoredCommand[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<StoredCommand>(
      "SELECT id, device_id, state FROM commands WHERE batch_id = $1",
      [batchId],
    );
    return result.rows;
  } finally {
    await client.end();
  }
}

describe("server restart", () => {
  it("loses no command and runs none twice when killed with SIGKILL mid-flight", async () => {
    dataDir = await makeDataDir();
    const ports = { httpPort: await freePort(), mqttPort: await freePort() };
    server = await spawnServer({ dataDir, ...ports });
    const api = new ApiClient(server.httpUrl, (await readFile(`${dataDir}/admin-token`, "utf8")).trim());

    const token = await api.post<{ token: string }>("/enrollment-tokens", {
      maxUses: FLEET_SIZE,
      expiresInSeconds: 600,
    });
    const logger = pino({ level: "silent" });
    for (let i = 0; i < FLEET_SIZE; i++) {
      const device = new SimulatedDevice({
        serial: `RESTART-${i}`,
        serverUrl: server.httpUrl,
        enrollmentToken: token.body.token,
        logger,
        // Slow enough that the kill lands while devices are executing.
        latencyMs: { min: 100, max: 700 },
        stateReportIntervalMs: 0,
      });
      devices.push(device);
    }
    await Promise.all(devices.map((d) => d.start()));
    await Promise.all(devices.map((d) => d.waitForStatus("online")));
    const ids = devices.map((d) => d.deviceId!);
    await eventually(
      "all online",
      async () => {
        const res = await api.get<{ total: number }>("/devices?online=true");
        return res.body.total === FLEET_SIZE ? true : undefined;
      },
      60_000,
    );

    // Listening before anything is sent: on a busy machine the first commands may run before
    // the last request is answered.
    const firstExecution = new Promise<void>((resolve) => {
      const onExecuted = () => {
        for (const d of devices) d.off("executed", onExecuted);
        resolve();
      };
      for (const d of devices) d.on("executed", onExecuted);
    });
    const lock = await api.post<{ id: string }>("/batches", {
      target: { all: true },
      command: { type: "lock" },
    });
    const renames = await Promise.all(
      ids.map((id, i) =>
        api.post<CommandView>(`/devices/${id}/commands`, { type: "rename", name: `Room ${i}` }),
      ),
    );
    // Kill as soon as some devices have started executing.
    await firstExecution;
    await server.kill();
    const executedBeforeKill = devices.reduce((n, d) => n + d.executions.length, 0);
    // The kill really landed mid-flight: work was left for after the restart.
    expect(executedBeforeKill).toBeLessThan(2 * FLEET_SIZE);

    server = await spawnServer({ dataDir, ...ports });

    const commandIds = renames.map((r) => r.body.id);
    const batchDone = await eventually(
      "lock batch done",
      async () => {
        const batch = await api.get<{ done: boolean; counts: Record<string, number> }>(
          `/batches/${lock.body.id}`,
        );
        return batch.body.done ? batch.body : undefined;
      },
      90_000,
    );
    expect(batchDone.counts.succeeded).toBe(FLEET_SIZE);

    const finalRenames = await eventually(
      "renames terminal",
      async () => {
        const states = await Promise.all(commandIds.map((id) => api.get<CommandView>(`/commands/${id}`)));
        return states.every((s) => TERMINAL.has(s.body.state)) ? states.map((s) => s.body) : undefined;
      },
      90_000,
    );
    expect(finalRenames.map((c) => c.state)).toEqual(finalRenames.map(() => "succeeded"));

    // Device side: every command ran exactly once.
    for (const device of devices) {
      const counts = new Map<string, number>();
      for (const e of device.executions) counts.set(e.commandId, (counts.get(e.commandId) ?? 0) + 1);
      expect(
        [...counts.values()].every((n) => n === 1),
        `${device.serial} ran a command twice`,
      ).toBe(true);
      expect(counts.size).toBe(2);
      expect(device.platform.locked).toBe(true);
    }
  }, 180_000);
});

describe("crash rounds (npm run chaos, small)", () => {
  const CHAOS_DEVICES = 200;
  let chaosServer: ServerProcess | undefined;
  let chaosDir = "";
  let fleet: Fleet | undefined;

  afterAll(async () => {
    await fleet?.stop();
    await chaosServer?.stop();
    if (chaosDir) await removeDataDir(chaosDir);
  });

  it(`${CHAOS_DEVICES} devices × 3 kills during fleet commands, 10 % offline across each: none lost, none twice`, async () => {
    chaosDir = await makeDataDir();
    const ports = { httpPort: await freePort(), mqttPort: await freePort() };
    chaosServer = await spawnServer({ dataDir: chaosDir, ...ports });
    const admin = await AdminClient.fromDataDir(chaosServer.httpUrl, chaosDir);
    fleet = new Fleet({
      serverUrl: chaosServer.httpUrl,
      enrollmentToken: await admin.createEnrollmentToken(CHAOS_DEVICES),
      profile: {
        name: "chaos",
        models: [{ model: "Portal", share: 1 }],
        groups: [{ name: "healthy", share: 1, latencyMs: { min: 0, max: 50 } }],
      },
      size: CHAOS_DEVICES,
      serialPrefix: "CHAOS-TEST",
      logger: pino({ level: "silent" }),
      stateReportIntervalMs: 0,
      maxReconnectDelayMs: 2000,
    });
    await fleet.start();

    const report = await runCrashRounds({
      fleet,
      admin,
      databaseFile: join(chaosDir, DATABASE_FILE),
      readCommands: onPostgres
        ? async (batchId) => commandsOfBatch(await databaseUrlFor(chaosDir), batchId)
        : undefined,
      rounds: 3,
      seed: 7,
      offlineShare: 0.1,
      commandTypes: ["rename", "reboot", "lock"],
      roundTimeoutMs: 120_000,
      server: {
        kill: () => chaosServer!.kill(),
        start: async () => {
          chaosServer = await spawnServer({ dataDir: chaosDir, ...ports });
        },
      },
    });

    expect(report.rounds).toHaveLength(3);
    expect(report.commands).toBe(3 * CHAOS_DEVICES);
    expect(report.lost).toBe(0);
    expect(report.executedTwice).toBe(0);
    for (const round of report.rounds) {
      expect(round.offline).toBe(CHAOS_DEVICES / 10);
      // Every device was healthy and every command reached it: all succeeded, each ran once.
      expect(round.states, `round ${round.round}`).toEqual({ succeeded: CHAOS_DEVICES });
    }
    const executed = fleet.devices.map((d) => d.executions.length);
    expect(executed.every((n) => n === 3)).toBe(true);
    expect(fleet.devices.every((d) => d.platform.locked && d.platform.reboots === 1)).toBe(true);
    expect(fleet.devices.every((d) => d.platform.name === "Chaos round 1")).toBe(true);
  }, 400_000);

  it("agents killed with SIGKILL mid-command never run it again, and the server gets a result", async () => {
    const admin = await AdminClient.fromDataDir(chaosServer!.httpUrl, chaosDir);
    const report = await runAgentKills({
      admin,
      workDir: join(chaosDir, "agents"),
      agents: 2,
      rounds: 2,
      actionMs: 1500,
      seed: 3,
    });
    expect(report.commands).toBe(4);
    expect(report.lost).toBe(0);
    expect(report.executedTwice).toBe(0);
    const commands = report.rounds.flatMap((r) => r.commands);
    expect(commands.every((c) => c.runs === 1)).toBe(true);
    // Killed during the action: reported as interrupted, never run again. Killed after it: the
    // journal's result, or interrupted if the kill beat the journal write.
    const midAction = commands.filter((c) => c.midAction);
    expect(midAction.length).toBeGreaterThan(0);
    for (const c of midAction) expect(c).toMatchObject({ state: "failed", errorCode: "interrupted" });
    for (const c of commands) expect(["failed", "succeeded"]).toContain(c.state);
  }, 200_000);
});
