/**
 * `npm run bench -- --cluster <n> --devices N`: the server as n nodes of one service (one
 * PostgreSQL database and one Redis of the benchmark's own, n server processes on 127.0.0.1)
 * with a simulated fleet spread over them, device i enrolling through node i % n, in as many
 * simulator processes as the open-file limit asks for. Phases: the connect ramp, memory per
 * device on each node, a fleet command, single commands across nodes, state reports, and the
 * storm after one node is killed. Prints a markdown table and writes bench/results/<time>.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { Option } from "commander";
import { AdminClient } from "../admin-client.js";
import type { StoreReader } from "./bench-stores.js";
import { ClusterFleet, LOAD_GENERATOR_NICENESS, lowerPriority } from "./cluster-fleet.js";
import { ClusterService } from "./cluster-nodes.js";
import {
  connectRamp,
  type FleetCommandFigures,
  fleetCommand,
  memoryPerDevice,
  type NodeMemory,
  type PhaseContext,
  type StateReportFigures,
  stateReports,
} from "./cluster-phases.js";
import {
  type ClusterPlan,
  describePlan,
  OPEN_FILES_RESERVE,
  openFileLimit,
  PlanError,
  planCluster,
} from "./cluster-plan.js";
import { type StormFigures, stormAfterKill } from "./cluster-storm.js";
import { type CrossNodeFigures, crossNodeCommands } from "./cross-node-command.js";
import { rssBytes } from "./proc-stats.js";
import { markdownTable, type ResultRow } from "./stats.js";

export const clusterOption = new Option(
  "--cluster <n>",
  "run the server as n nodes on one PostgreSQL database linked through Redis (PostgreSQL only; --stores is ignored)",
).argParser(Number);
export const stormDevicesOption = new Option(
  "--storm-devices <n>",
  "with --cluster: devices left connected when a node is killed (the rest disconnect first); default all",
).argParser(Number);

export interface ClusterBenchOptions {
  nodes: number;
  devices: number;
  stormDevices?: number;
  singleSamples: number;
  reportsPerDevice: number;
  postgresPool: number;
  postgresSetting: Record<string, string>;
  out: string;
  say: (line: string) => void;
}

export interface ClusterFigures {
  connectRamp?: { devices: number; ms: number; devicesPerSecond: number; byNode: Record<string, number> };
  memory?: NodeMemory[];
  fleetCommand?: FleetCommandFigures;
  crossNodeCommand?: CrossNodeFigures;
  stateReports?: StateReportFigures;
  storm?: StormFigures;
  loadAverage?: { before: number; after: number };
}

const machine = () =>
  `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}`;

/** Runs the phases in turn; the figures of those that ran, and the first failure. */
async function runPhases(
  ctx: PhaseContext,
  options: ClusterBenchOptions,
  rssBefore: number[],
): Promise<{ figures: ClusterFigures; failure: string | null }> {
  const figures: ClusterFigures = {};
  const loadBefore = loadavg()[0]!;
  try {
    figures.connectRamp = await connectRamp(ctx);
    figures.memory = await memoryPerDevice(ctx, rssBefore);
    figures.fleetCommand = await fleetCommand(ctx);
    figures.crossNodeCommand = await crossNodeCommands(ctx, options.singleSamples);
    figures.stateReports = await stateReports(ctx, options.reportsPerDevice);
    figures.storm = await stormAfterKill(ctx);
    return { figures, failure: null };
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split("\n").slice(0, 4).join(" / ");
    options.say(`the run failed: ${message}`);
    return { figures, failure: message };
  } finally {
    figures.loadAverage = { before: loadBefore, after: loadavg()[0]! };
    ctx.rows.push({
      metric: "machine load average (1 min), before / after",
      value: `${figures.loadAverage.before.toFixed(1)} / ${figures.loadAverage.after.toFixed(1)}`,
    });
  }
}

function planFor(options: ClusterBenchOptions): ClusterPlan | null {
  try {
    return planCluster({
      devices: options.devices,
      nodes: options.nodes,
      openFiles: openFileLimit(),
      stormDevices: options.stormDevices,
    });
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    options.say(`cannot run --cluster ${options.nodes} --devices ${options.devices}: ${err.message}`);
    return null;
  }
}

/** The whole run; resolves to the process's exit code. */
export async function runClusterBench(options: ClusterBenchOptions): Promise<number> {
  const { say } = options;
  const plan = planFor(options);
  if (!plan) return 2;
  say(describePlan(plan));

  const startedAt = new Date().toISOString().replace(/[:.]/g, "-");
  const logPrefix = join(tmpdir(), `pmdm-bench-${startedAt}-cluster`);
  const postgresLog = `${logPrefix}-postgres.log`;
  const service = await ClusterService.start({
    nodes: options.nodes,
    poolSize: options.postgresPool,
    postgresOverrides: options.postgresSetting,
    logPrefix,
    say,
  });
  // Started after the nodes, PostgreSQL and Redis, so none of them inherits it.
  lowerPriority();
  let fleet: ClusterFleet | null = null;
  let reader: StoreReader | null = null;
  // Interrupted, the run must not leave its database, Redis, nodes or devices behind.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping`);
      void (fleet?.stop() ?? Promise.resolve())
        .finally(() => service.stop(postgresLog))
        .finally(() => process.exit(130));
    });
  }

  const rows: ResultRow[] = [];
  let result: { figures: ClusterFigures; failure: string | null };
  try {
    fleet = await ClusterFleet.spawn(plan);
    reader = await service.postgres.openReader(service.nodes[0]!.dataDir);
    const first = await AdminClient.fromDataDir(service.nodes[0]!.httpUrl, service.nodes[0]!.dataDir);
    const admins = service.nodes.map((node) => new AdminClient(node.httpUrl, first.token));
    const rssBefore = await Promise.all(service.nodes.map((node) => rssBytes(node.process!.child.pid!)));
    const ctx: PhaseContext = { plan, service, fleet, admins, reader, rows, say };
    result = await runPhases(ctx, options, rssBefore);
  } finally {
    // The fleet first: devices still connected would reconnect to nodes as they close.
    await fleet?.stop();
    await reader?.close().catch(() => undefined);
    await service.stop(postgresLog);
  }

  const { postgres } = service;
  const postgresLine =
    `PostgreSQL ${postgres.version}, a cluster of its own on this machine's disk, each node's pool ` +
    `${postgres.poolSize} connections; ${Object.entries(postgres.cluster.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}; the nodes linked through a Redis of its own`;
  const sections = [
    `## portal-mdm cluster benchmark, ${options.devices} devices on ${options.nodes} nodes`,
    `Machine: ${machine()}`,
    postgresLine,
    `The simulated devices and this measuring process run at nice ${LOAD_GENERATOR_NICENESS}, below the nodes, ` +
      "PostgreSQL and Redis: on one machine they stand in for devices and API clients that do not share the servers' cores.",
    `Plan (open-file limit ${plan.openFiles.soft} per process, ${OPEN_FILES_RESERVE} kept for other files):\n\n${describePlan(
      plan,
    )
      .split("\n")
      .map((line) => `- ${line}`)
      .join("\n")}`,
    markdownTable(rows),
  ];
  if (result.failure) {
    sections.push(
      `### The run failed\n\n${result.failure} (the nodes' output: ${logPrefix}-node-<i>.log; PostgreSQL's log: ${postgresLog})`,
    );
  }
  const table = sections.slice(1).join("\n\n");
  process.stdout.write(`\n${sections.join("\n\n")}\n`);
  say(`the nodes' output: ${logPrefix}-node-<i>.log; PostgreSQL's log: ${postgresLog}`);

  await mkdir(options.out, { recursive: true });
  const file = join(options.out, `${startedAt}-cluster.json`);
  await writeFile(
    file,
    JSON.stringify(
      {
        devices: options.devices,
        nodes: options.nodes,
        machine: machine(),
        at: new Date().toISOString(),
        plan,
        loadGeneratorNiceness: LOAD_GENERATOR_NICENESS,
        postgres: {
          version: postgres.version,
          poolSize: postgres.poolSize,
          settings: postgres.cluster.settings,
        },
        results: result.figures,
        failure: result.failure,
        table,
      },
      null,
      2,
    ),
  );
  say(`\nresults written to ${file}`);
  return result.failure ? 1 : 0;
}
