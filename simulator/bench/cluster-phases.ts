/**
 * The cluster benchmark's first phases, on the whole fleet spread over the nodes: the connect
 * ramp, memory per device on each node, a fleet command to every device, and state-report
 * ingestion summed over the nodes. Each phase returns its figures and adds its table rows.
 */
import type { AdminClient } from "../admin-client.js";
import { progressBar } from "../progress.js";
import type { CommandOutcome, StoreReader } from "./bench-stores.js";
import { issueFleetCommand, sleep, succeededOf, until, waitForBatches } from "./cluster-api.js";
import type { ClusterFleet } from "./cluster-fleet.js";
import { type BenchNode, type ClusterService, health, type NodeHealth } from "./cluster-nodes.js";
import type { ClusterPlan } from "./cluster-plan.js";
import { rssBytes } from "./proc-stats.js";
import { ms, type ResultRow, summarize } from "./stats.js";

export type Summary = ReturnType<typeof summarize>;

export interface PhaseContext {
  plan: ClusterPlan;
  service: ClusterService;
  fleet: ClusterFleet;
  /** An admin API client on each node, by node index. */
  admins: AdminClient[];
  reader: StoreReader;
  rows: ResultRow[];
  say: (line: string) => void;
}

/** Long waits: a phase at 50 000 devices on two cores takes minutes, not hours. */
export const PHASE_TIMEOUT_MS = 15 * 60_000;

export const grouped = (n: number) => Math.round(n).toLocaleString("en-US").replace(/,/g, " ");
export const seconds = (msTotal: number) => `${(msTotal / 1000).toFixed(1)} s`;

/** /healthz of every node still running, in node order. */
export async function liveHealth(
  service: ClusterService,
): Promise<{ node: BenchNode; health: NodeHealth }[]> {
  return Promise.all(service.live().map(async (node) => ({ node, health: await health(node) })));
}

const sumOf = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

export async function connectRamp(ctx: PhaseContext): Promise<{
  devices: number;
  ms: number;
  devicesPerSecond: number;
  byNode: Record<string, number>;
}> {
  const { plan, service, fleet, say } = ctx;
  const N = plan.devices;
  say(`connect ramp: ${grouped(N)} devices in ${plan.simulators.length} simulator process(es)`);
  const token = await ctx.admins[0]!.createEnrollmentToken(N);
  const bar = progressBar("connect ramp", N);
  const ticker = setInterval(() => bar.update(fleet.online()), 250);
  let online: number[] = [];
  const start = performance.now();
  try {
    await fleet.connect(
      plan,
      service.nodes.map((n) => n.httpUrl),
      token,
    );
    await until(
      "every device online on the nodes",
      async () => {
        online = (await liveHealth(service)).map((h) => h.health.devicesOnline);
        return sumOf(online) === N;
      },
      { intervalMs: 20, timeoutMs: PHASE_TIMEOUT_MS, state: () => `nodes hold ${online.join(" + ")}` },
    );
  } finally {
    clearInterval(ticker);
    bar.update(fleet.online());
    bar.stop();
  }
  const rampMs = performance.now() - start;
  const byNode = Object.fromEntries(service.nodes.map((n, i) => [n.id, online[i] ?? 0]));
  ctx.rows.push({
    metric: `enroll + connect ${grouped(N)} devices (device i through node i % ${plan.nodes.length})`,
    value: `${seconds(rampMs)} (${grouped(N / (rampMs / 1000))}/s); ${Object.entries(byNode)
      .map(([id, n]) => `${id} ${grouped(n)}`)
      .join(", ")}`,
  });
  return { devices: N, ms: rampMs, devicesPerSecond: N / (rampMs / 1000), byNode };
}

export interface NodeMemory {
  id: string;
  devices: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** RSS over the devices the node holds. */
  rssPerDeviceKb: number;
  /** RSS grown since before the fleet, over the devices the node holds. */
  rssGrowthPerDeviceKb: number;
}

/** RSS of each node's process per device it holds, against its RSS before the fleet came. */
export async function memoryPerDevice(
  ctx: PhaseContext,
  rssBefore: readonly number[],
): Promise<NodeMemory[]> {
  await sleep(1000); // let the enrollment garbage settle before reading memory
  const nodes: NodeMemory[] = [];
  for (const { node, health: h } of await liveHealth(ctx.service)) {
    const rssAfterBytes = await rssBytes(node.process!.child.pid!);
    const devices = h.devicesOnline;
    const entry: NodeMemory = {
      id: node.id,
      devices,
      rssBeforeBytes: rssBefore[node.index]!,
      rssAfterBytes,
      rssPerDeviceKb: rssAfterBytes / devices / 1024,
      rssGrowthPerDeviceKb: (rssAfterBytes - rssBefore[node.index]!) / devices / 1024,
    };
    nodes.push(entry);
    ctx.rows.push({
      metric: `${node.id} memory per device (${grouped(devices)} held)`,
      value:
        `${entry.rssPerDeviceKb.toFixed(1)} KB (RSS ${(rssAfterBytes / 1024 ** 2).toFixed(0)} MB); ` +
        `${entry.rssGrowthPerDeviceKb.toFixed(1)} KB over its ${(entry.rssBeforeBytes / 1024 ** 2).toFixed(0)} MB before the fleet`,
      target: "≤ 20 KB over",
      verdict: entry.rssGrowthPerDeviceKb <= 20 ? "met" : "missed",
    });
  }
  return nodes;
}

export interface FleetCommandFigures {
  devices: number;
  succeeded: number;
  outcomes: CommandOutcome[];
  /** API call → every command succeeded, seen by polling the batch's counts. */
  apiToAllSucceededMs: number;
  /** Created → finished of the last command, from the commands' own timestamps. */
  lastFinishedMs: number;
  perDeviceMs: Summary;
}

export async function fleetCommand(ctx: PhaseContext): Promise<FleetCommandFigures> {
  const N = ctx.plan.devices;
  const admin = ctx.admins[0]!;
  ctx.say(`fleet command to all ${grouped(N)} devices, issued through ${ctx.service.nodes[0]!.id}`);
  const bar = progressBar("fleet command", N);
  const start = performance.now();
  const [batchId] = await issueFleetCommand(admin, "all", { type: "lock" });
  const [view] = await waitForBatches(admin, [batchId!], {
    // Polling gently keeps the poll itself from taking the nodes' time.
    intervalMs: 50,
    timeoutMs: PHASE_TIMEOUT_MS,
    onProgress: (n) => bar.update(n),
  }).finally(() => bar.stop());
  const apiMs = performance.now() - start;
  const perDevice = await ctx.reader.batchCommandTimes(batchId!);
  const outcomes = await ctx.reader.batchOutcomes(batchId!);
  const succeeded = succeededOf(view!);
  if (succeeded < N) ctx.say(`fleet command outcomes: ${JSON.stringify(outcomes)}`);
  const perDeviceMs = summarize(perDevice.map((r) => r.ms));
  ctx.rows.push({
    metric: `fleet command to ${grouped(N)}: API → all succeeded in the store`,
    value: `${ms(apiMs, 0)} (last created → finished ${ms(perDeviceMs.max, 0)}); ${grouped(succeeded)}/${grouped(N)} succeeded`,
  });
  ctx.rows.push({
    metric: "fleet command, per device (created → succeeded)",
    value: `p50 ${ms(perDeviceMs.p50, 0)}, p99 ${ms(perDeviceMs.p99, 0)}`,
  });
  return {
    devices: N,
    succeeded,
    outcomes,
    apiToAllSucceededMs: apiMs,
    lastFinishedMs: perDeviceMs.max,
    perDeviceMs,
  };
}

export interface StateReportFigures {
  reports: number;
  ms: number;
  reportsPerSecond: number;
  /** Reports each node stored in the phase. */
  byNode: Record<string, number>;
}

/** Every device reports `rounds` states as fast as it can; stored per second, all nodes together. */
export async function stateReports(ctx: PhaseContext, rounds: number): Promise<StateReportFigures> {
  const N = ctx.plan.devices;
  const expected = N * rounds;
  ctx.say(`state reports: ${grouped(N)} devices report ${rounds} states each`);
  const storedOf = async () =>
    (await liveHealth(ctx.service)).map(({ node, health: h }) => [node.id, h.stateReportsStored] as const);
  const before = new Map(await storedOf());
  let now = new Map(before);
  const stored = () => sumOf([...now].map(([id, n]) => n - before.get(id)!));
  const bar = progressBar("state reports stored", expected);
  const start = performance.now();
  try {
    await ctx.fleet.report(rounds);
    await until(
      "every state report stored",
      async () => {
        now = new Map(await storedOf());
        bar.update(Math.min(expected, stored()));
        return stored() >= expected;
      },
      { intervalMs: 20, timeoutMs: PHASE_TIMEOUT_MS, state: () => `${stored()} of ${expected} stored` },
    );
  } finally {
    bar.stop();
  }
  const phaseMs = performance.now() - start;
  const byNode = Object.fromEntries([...now].map(([id, n]) => [id, n - before.get(id)!]));
  const reportsPerSecond = expected / (phaseMs / 1000);
  ctx.rows.push({
    metric: `state reports stored, all nodes (/healthz stateReportsStored summed)`,
    value: `${grouped(reportsPerSecond)}/s (${grouped(expected)} in ${ms(phaseMs, 0)}; ${Object.entries(
      byNode,
    )
      .map(([id, n]) => `${id} ${grouped(n)}`)
      .join(", ")})`,
  });
  return { reports: expected, ms: phaseMs, reportsPerSecond, byNode };
}
