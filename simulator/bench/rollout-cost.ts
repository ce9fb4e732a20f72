/**
 * What a staged rollout costs the server over a big fleet, beside the fleet command it stages:
 * creating one over every device (the target resolved, every device placed in a phase, the
 * first phase's commands issued) and switching phases (the next phase's commands issued by the
 * runner), each compared with one fleet command over as many devices, in the same run on the
 * same store. The server runs in this process on a store filled with active devices in bulk;
 * no device is connected, so what is measured is the store work, not delivery. Each figure is
 * the median of a few rounds.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Insertable } from "kysely";
import { sql } from "kysely";
import { loadServerConfig } from "../../server/config.js";
import { createLogger } from "../../server/logger.js";
import { type RunningServer, startServer } from "../../server/server.js";
import type { DevicesTable } from "../../server/store/schema.js";
import type { BenchStore } from "./bench-stores.js";
import { ms, type ResultRow } from "./stats.js";
import { median } from "./store-comparison.js";

export interface RolloutFigures {
  devices: number;
  rounds: number;
  /** Medians, ms. */
  fleetCommandCreateMs: number;
  rolloutCreateMs: number;
  phaseSwitchMs: number;
  /** The fleet command over as many devices as the switch commands. */
  fleetCommandOfSwitchMs: number;
  /** A runner step over the rollout with nothing to release (counts and the abort check). */
  idleStepMs: number;
  /** Canceling the rollout: the second phase's undelivered commands. */
  cancelMs: number;
  firstPhaseDevices: number;
  switchDevices: number;
}

const deviceId = (i: number) => `dev_${i.toString(16).padStart(16, "0")}`;

async function fillDevices(server: RunningServer, count: number): Promise<void> {
  const now = Date.now();
  for (let start = 0; start < count; start += 1000) {
    const rows: Insertable<DevicesTable>[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      rows.push({
        id: deviceId(i),
        serial: `BENCH-${i}`,
        model: "Portal",
        name: `Room ${i}`,
        status: "active",
        enrolled_at: now,
        created_at: now,
        desired_name: `Room ${i}`,
        desired_timezone: "auto",
        desired_ntp_server: null,
      });
    }
    await server.store.unit((tx) => tx.insertInto("devices").values(rows).execute());
  }
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await run();
  return { ms: performance.now() - start, value };
}

/** Runs the rollout rounds on one store; `say` tells progress. */
export async function runRolloutBench(options: {
  store: BenchStore;
  devices: number;
  rounds: number;
  say: (line: string) => void;
}): Promise<RolloutFigures> {
  const { devices: count, rounds, say } = options;
  const dataDir = await mkdtemp(join(tmpdir(), "pmdm-bench-rollout-"));
  const env = await options.store.serverEnv();
  const config = loadServerConfig({ dataDir, host: "127.0.0.1", httpPort: 0, mqttPort: 0 }, env);
  const server = await startServer(config, createLogger("silent"));
  const { batches, rollouts } = server.services;
  const samples = {
    fleet: [] as number[],
    create: [] as number[],
    switch: [] as number[],
    fleetOfSwitch: [] as number[],
    idle: [] as number[],
    cancel: [] as number[],
  };
  let firstPhaseDevices = 0;
  let switchDevices = 0;
  try {
    say(`rollouts (${options.store.label}): filling ${count} devices`);
    await fillDevices(server, count);
    for (let round = 1; round <= rounds; round++) {
      say(`rollouts (${options.store.label}): round ${round} of ${rounds}`);
      samples.fleet.push((await timed(() => batches.create({ all: true }, { type: "lock" }))).ms);

      const created = await timed(() =>
        rollouts.create(
          {
            name: `bench ${round}`,
            command: { type: "lock" },
            target: { all: true },
            phases: [{ size: { percent: 10 } }, {}],
          },
          null,
        ),
      );
      samples.create.push(created.ms);
      const rollout = created.value;
      const first = rollout.phases[0]!;
      firstPhaseDevices = first.devices;
      // The first phase's devices all did it: the default gate lets the next phase start.
      await sql`UPDATE commands SET state = 'succeeded', finished_at = ${Date.now()}
        WHERE batch_id = ${first.batchId}`.execute(server.store.db);

      const switched = await timed(async () => {
        // A step ends the first phase and starts the second; a second one is allowed in case
        // the runner takes them apart.
        for (let step = 0; step < 2; step++) {
          await rollouts.runDue();
          const now = await rollouts.get(rollout.id);
          if (now.phases[1]!.state !== "pending") return now;
        }
        throw new Error("the second phase did not start");
      });
      samples.switch.push(switched.ms);
      switchDevices = switched.value.phases[1]!.released;

      const ids = Array.from({ length: switchDevices }, (_, i) => deviceId(count - 1 - i));
      samples.fleetOfSwitch.push(
        (await timed(() => batches.create({ deviceIds: ids }, { type: "lock" }))).ms,
      );
      samples.idle.push((await timed(() => rollouts.runDue())).ms);
      samples.cancel.push((await timed(() => rollouts.cancel(rollout.id, null))).ms);
    }
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
    await options.store.release();
  }
  return {
    devices: count,
    rounds,
    fleetCommandCreateMs: median(samples.fleet),
    rolloutCreateMs: median(samples.create),
    phaseSwitchMs: median(samples.switch),
    fleetCommandOfSwitchMs: median(samples.fleetOfSwitch),
    idleStepMs: median(samples.idle),
    cancelMs: median(samples.cancel),
    firstPhaseDevices,
    switchDevices,
  };
}

export function rolloutRows(f: RolloutFigures): ResultRow[] {
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  return [
    { metric: `fleet command over ${f.devices} devices, created`, value: ms(f.fleetCommandCreateMs, 0) },
    {
      metric: `rollout over ${f.devices} devices created (first phase: ${f.firstPhaseDevices} commands)`,
      value: ms(f.rolloutCreateMs, 0),
    },
    {
      metric: "rollout created / fleet command created",
      value: ratio(f.rolloutCreateMs, f.fleetCommandCreateMs),
    },
    { metric: `phase switch (${f.switchDevices} commands issued)`, value: ms(f.phaseSwitchMs, 0) },
    {
      metric: `fleet command over ${f.switchDevices} devices, created`,
      value: ms(f.fleetCommandOfSwitchMs, 0),
    },
    {
      metric: "phase switch / fleet command of as many",
      value: ratio(f.phaseSwitchMs, f.fleetCommandOfSwitchMs),
    },
    { metric: "runner step with nothing to release", value: ms(f.idleStepMs, 1) },
    { metric: `rollout canceled (${f.switchDevices} undelivered)`, value: ms(f.cancelMs, 0) },
  ];
}
