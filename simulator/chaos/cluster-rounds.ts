/**
 * `npm run chaos -- --cluster <n>`: crash safety of a service of n nodes. PostgreSQL and Redis
 * of its own, n server processes, and a simulated fleet spread over them (device i enrolls
 * through node i % n, so it prefers that node's broker). Each round a fleet command to every
 * device is issued through a surviving node, and one node (the next in turn each round) is
 * killed with SIGKILL while the command is being delivered and run; its devices fail over to
 * the other brokers in their URL list by themselves. The round waits until the fleet command has
 * no open command and checks, from every device's own execution record, that each device ran
 * its command exactly once; then the killed node is started again on its data dir and rejoins
 * while the others keep running. Prints a summary per round and in all, writes
 * bench/results/chaos-cluster-<timestamp>.json; the exit code is 1 if a command was lost or
 * run twice.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { OPEN_FILES_RESERVE, openFileLimit } from "../bench/cluster-plan.js";
import { markdownTable, type ResultRow, summarize } from "../bench/stats.js";
import { Fleet, type FleetDevice } from "../fleet.js";
import type { FleetProfile } from "../profile.js";
import { progressBar } from "../progress.js";
import { seededRandom } from "../random.js";
import { type ChaosNode, ChaosService, health, holders, until } from "./cluster-service.js";
import type { ChaosCommandType } from "./crash-rounds.js";

export interface ClusterChaosOptions {
  /** Server nodes (at least 2). */
  nodes: number;
  devices: number;
  rounds: number;
  seed: number;
  /** No new round starts after this many minutes from the start. */
  maxMinutes: number;
  /** Where the results JSON goes. */
  out: string;
  /** `PMDM_NODE_LEASE_SECONDS` of every node. Default 3. */
  leaseSeconds?: number;
  /** A round whose fleet command still has open commands by then counts them as lost. Default 180 000. */
  roundTimeoutMs?: number;
  say: (line: string) => void;
}

export interface ClusterRoundReport {
  round: number;
  type: ChaosCommandType;
  /** The node killed, and the node the fleet command was issued through. */
  killed: string;
  issuedThrough: string;
  /** Devices each node held when the round began, as the store said. */
  heldBefore: Record<string, number>;
  /** Devices the store showed on the killed node, and connections its broker held (/healthz). */
  killedNodeDevices: number;
  killedNodeConnections: number;
  /**
   * Devices connected to a running broker when the round began that the store did not show
   * online on a running node (after waiting for it to catch up).
   */
  storeStaleBefore: number;
  /** The kill was due at this many actions started on the killed node's devices (fleet's, if none). */
  killAt: number;
  /** Platform actions of this round started before the kill (fleet-wide, and on the killed node's devices). */
  executedBeforeKill: number;
  killedNodeExecutedBeforeKill: number;
  /** Whether the API had answered the fleet command before the kill. */
  answeredBeforeKill: boolean;
  /** From issuing the fleet command to the kill. */
  killAfterMs: number;
  commands: number;
  /** Final states of the round's commands, from the store. */
  states: Record<string, number>;
  /** Open by the round's timeout, never run by its device, or a device left without a command. */
  lost: number;
  /** Commands of this round that their device ran more than once. */
  executedTwice: number;
  /** Ran on the device but not recorded as succeeded (reported, not a loss). */
  executedNotSucceeded: number;
  /** From issuing the fleet command until it had no open command (NaN: timed out). */
  completeMs: number;
  /** From the kill until the store showed every device of the killed node online on another node. */
  failoverStoreMs: number;
  /** From the kill until the surviving brokers held every device (their /healthz). */
  failoverBrokersMs: number;
  /** Devices each surviving node held once the killed node's devices were back. */
  heldAfter: Record<string, number>;
  /**
   * The killed node's devices the store still did not show online on another node when the
   * failover wait ended (0 unless it timed out).
   */
  storeStaleAfterFailover: number;
  /** From starting the killed node again until it listened with its link to the others up. */
  restartMs: number;
  /** Whether every other node kept its process across the round (none restarted or died). */
  othersKeptRunning: boolean;
}

export interface ClusterChaosReport {
  nodes: number;
  devices: number;
  rounds: ClusterRoundReport[];
  commands: number;
  lost: number;
  /** Over the whole run: command ids any device ran more than once. */
  executedTwice: number;
  /** Set when the run stopped early on an error. */
  error?: string;
}

/**
 * Healthy devices whose actions take a while (up to 2 s), so that many commands are received but
 * not yet done, or done but not yet reported, when a node dies.
 */
const clusterChaosProfile: FleetProfile = {
  name: "chaos-cluster",
  models: [{ model: "Portal", share: 1 }],
  groups: [
    {
      name: "slow-actions",
      share: 1,
      latencyMs: { min: 200, max: 2000 },
      rebootDurationMs: { min: 200, max: 400 },
    },
  ],
};

const COMMAND_ROTATION: readonly ChaosCommandType[] = ["rename", "lock", "rename", "reboot"];
const TERMINAL_STATES = new Set(["succeeded", "failed", "rejected", "expired", "canceled"]);
const OPEN_STATES = ["queued", "sent", "accepted"] as const;
/** Enrollments in flight at once, over all nodes. */
const ENROLL_CONCURRENCY = 200;
/** Short of the chosen number of executions after this long, the kill goes ahead anyway. */
const KILL_WAIT_MS = 20_000;
/** How long the store may take to show every connected device online on its node. */
const STORE_AGREES_WITHIN_MS = 30_000;
/** How long the killed node's devices may take to be shown online on other nodes. */
const FAILOVER_STORE_TIMEOUT_MS = 60_000;

const sleep = (msToWait: number) => new Promise((r) => setTimeout(r, msToWait));
const seconds = (msValue: number) => (Number.isFinite(msValue) ? `${(msValue / 1000).toFixed(1)} s` : "—");
const countsText = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([key, n]) => `${key} ${n}`)
    .join(", ");

interface BatchView {
  counts: Record<string, number>;
}

/** The state and the checks the rounds share. */
class ClusterRounds {
  private readonly random: () => number;
  private readonly byDeviceId = new Map<string, FleetDevice>();
  /** Platform actions since the last reset, fleet-wide and on the devices in `watched`. */
  private executions = 0;
  private watchedExecutions = 0;
  private watched = new Set<string>();
  /** Called, once, at the `at`-th action among the watched devices. */
  private trigger: { at: number; fire: () => void } | null = null;
  private readonly roundTimeoutMs: number;

  constructor(
    private readonly service: ChaosService,
    private readonly members: readonly FleetDevice[],
    options: ClusterChaosOptions,
  ) {
    this.random = seededRandom(options.seed);
    this.roundTimeoutMs = options.roundTimeoutMs ?? 180_000;
    for (const member of members) {
      const deviceId = member.device.deviceId!;
      this.byDeviceId.set(deviceId, member);
      member.device.on("executed", () => {
        this.executions++;
        if (!this.watched.has(deviceId)) return;
        this.watchedExecutions++;
        const trigger = this.trigger;
        if (trigger && this.watchedExecutions >= trigger.at) {
          this.trigger = null;
          trigger.fire();
        }
      });
    }
  }

  /** Devices connected to the surviving brokers, by their /healthz. */
  private async brokersHold(): Promise<number> {
    const online = await Promise.all(this.service.live().map(async (n) => (await health(n)).devicesOnline));
    return online.reduce((a, b) => a + b, 0);
  }

  /**
   * Until every device is online by its own status and the running brokers hold all of them;
   * then until the store shows each online on a running node, for a while: devices it still
   * does not show so are counted, and the round goes on with the store as it is.
   */
  private async settled(through: ChaosNode): Promise<{ held: Map<string, string | null>; stale: number }> {
    const size = this.members.length;
    await until(
      `all ${size} devices online, held by the running brokers`,
      async () =>
        this.members.every((m) => m.device.status === "online") && (await this.brokersHold()) === size
          ? true
          : undefined,
      { intervalMs: 100, timeoutMs: this.roundTimeoutMs },
    );
    const liveIds = new Set(this.service.live().map((n) => n.id));
    const admin = this.service.admins[through.index]!;
    const shownOnline = (held: Map<string, string | null>) =>
      [...held.values()].filter((node) => node !== null && liveIds.has(node)).length;
    let held = new Map<string, string | null>();
    await until(
      `the store to show all ${size} devices online on running nodes`,
      async () => {
        held = await holders(admin);
        return shownOnline(held) === size ? true : undefined;
      },
      { intervalMs: 250, timeoutMs: STORE_AGREES_WITHIN_MS },
    ).catch(() => undefined);
    return { held, stale: size - shownOnline(held) };
  }

  private perNode(held: Map<string, string | null>, nodes: readonly ChaosNode[]): Record<string, number> {
    const counts: Record<string, number> = Object.fromEntries(nodes.map((n) => [n.id, 0]));
    for (const node of held.values()) if (node !== null && node in counts) counts[node]!++;
    return counts;
  }

  async round(round: number): Promise<ClusterRoundReport> {
    const { service } = this;
    const nodes = service.nodes;
    const victim = nodes[(round - 1) % nodes.length]!;
    const issuer = nodes[(victim.index + 1) % nodes.length]!;
    const admin = service.admins[issuer.index]!;
    const others = nodes.filter((n) => n !== victim);
    const type = COMMAND_ROTATION[(round - 1) % COMMAND_ROTATION.length]!;

    const { held, stale: storeStaleBefore } = await this.settled(issuer);
    const heldBefore = this.perNode(held, nodes);
    const victimDevices = new Set([...held].filter(([, node]) => node === victim.id).map(([id]) => id));
    const otherPids = others.map((n) => n.process?.child.pid);
    const killedNodeConnections = (await health(victim)).devicesOnline;

    // Kill once a random number of the victim's devices (at least one) has started its action:
    // the victim is then still delivering the command, or its devices are running it, or their
    // results are on the way. With no device on the victim, a share of the fleet's instead.
    const watchedCount = victimDevices.size > 0 ? victimDevices.size : this.members.length;
    const killAfter = 1 + Math.floor(this.random() * watchedCount);
    this.watched = victimDevices.size > 0 ? victimDevices : new Set(this.byDeviceId.keys());
    this.executions = 0;
    this.watchedExecutions = 0;

    const issuedAt = performance.now();
    let answer: { id: string } | undefined;
    let postError: unknown;
    const posting = admin
      .request<{ id: string }>("POST", "/batches", {
        target: { all: true },
        command: type === "rename" ? { type, name: `Cluster chaos round ${round}` } : { type },
      })
      .then(
        (batch) => {
          answer = batch;
        },
        (err: unknown) => {
          postError = err;
        },
      );
    // SIGKILL at once, from within the device's action, so the kill lands at exactly that point.
    let killedAt = 0;
    let executedBeforeKill = 0;
    let killedNodeExecutedBeforeKill = 0;
    let answeredBeforeKill = false;
    const killNow = () => {
      if (killedAt !== 0) return;
      killedAt = performance.now();
      executedBeforeKill = this.executions;
      killedNodeExecutedBeforeKill = this.watchedExecutions;
      answeredBeforeKill = answer !== undefined;
      victim.process?.child.kill("SIGKILL");
    };
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      // Short of the number after a while, the kill goes ahead anyway.
      timer = setTimeout(resolve, KILL_WAIT_MS);
      this.trigger = {
        at: killAfter,
        fire: () => {
          killNow();
          resolve();
        },
      };
    });
    clearTimeout(timer);
    this.trigger = null;
    killNow();
    await service.kill(victim);
    await posting;
    if (!answer) throw new Error(`the fleet command through ${issuer.id} failed: ${String(postError)}`);
    const batchId = answer.id;
    const sinceKill = () => performance.now() - killedAt;
    const timeout = { timeoutMs: this.roundTimeoutMs };

    // Three clocks at once: the brokers, the store, the fleet command. A timeout leaves NaN.
    let heldAfter: Record<string, number> = {};
    let failoverStale = victimDevices.size;
    const [failoverBrokersMs, failoverStoreMs, completeMs] = await Promise.all([
      until(
        "the surviving brokers to hold every device",
        async () => ((await this.brokersHold()) === this.members.length ? sinceKill() : undefined),
        { ...timeout, intervalMs: 50 },
      ).catch(() => Number.NaN),
      until(
        `the store to show ${victim.id}'s devices online on other nodes`,
        async () => {
          const now = await holders(admin);
          heldAfter = this.perNode(now, others);
          failoverStale = 0;
          for (const id of victimDevices) {
            const node = now.get(id);
            if (node === undefined || node === null || node === victim.id) failoverStale++;
          }
          return failoverStale === 0 ? sinceKill() : undefined;
        },
        { intervalMs: 100, timeoutMs: FAILOVER_STORE_TIMEOUT_MS },
      ).catch(() => Number.NaN),
      until(
        `fleet command ${batchId} without open commands`,
        async () => {
          const view = await admin.request<BatchView>("GET", `/batches/${batchId}`);
          const open = OPEN_STATES.reduce((n, state) => n + (view.counts[state] ?? 0), 0);
          return open === 0 ? performance.now() - issuedAt : undefined;
        },
        { ...timeout, intervalMs: 100 },
      ).catch(() => Number.NaN),
    ]);

    // The verdict comes from the store itself, through a connection of its own.
    let rows = await service.readCommands(batchId);
    const committedBy = Date.now() + 30_000;
    while (rows.some((r) => !TERMINAL_STATES.has(r.state)) && Date.now() < committedBy) {
      await sleep(100);
      rows = await service.readCommands(batchId);
    }
    // Results may be recorded in the same moment the last action ends; let the devices settle.
    await Promise.all(this.members.map((m) => m.device.idle()));
    const states: Record<string, number> = {};
    let lost = 0;
    let executedTwice = 0;
    let executedNotSucceeded = 0;
    for (const row of rows) {
      states[row.state] = (states[row.state] ?? 0) + 1;
      const member = this.byDeviceId.get(row.device_id);
      const runs = member ? member.device.executionCount(row.id) : 0;
      // Every device is healthy and online: each command must have run on its device.
      if (!TERMINAL_STATES.has(row.state) || runs === 0) lost++;
      if (runs > 1) executedTwice++;
      if (runs > 0 && row.state !== "succeeded") executedNotSucceeded++;
    }
    // Every device was targeted: one without a command lost it.
    const covered = new Set(rows.map((r) => r.device_id));
    lost += this.members.filter((m) => !covered.has(m.device.deviceId!)).length;

    const restartStartedAt = performance.now();
    await service.startNode(victim);
    const restartMs = performance.now() - restartStartedAt;
    const othersKeptRunning = others.every(
      (n, i) =>
        n.process !== null &&
        n.process.child.pid === otherPids[i] &&
        n.process.child.exitCode === null &&
        n.process.child.signalCode === null,
    );

    return {
      round,
      type,
      killed: victim.id,
      issuedThrough: issuer.id,
      heldBefore,
      killedNodeDevices: victimDevices.size,
      killedNodeConnections,
      storeStaleBefore,
      killAt: killAfter,
      executedBeforeKill,
      killedNodeExecutedBeforeKill,
      answeredBeforeKill,
      killAfterMs: killedAt - issuedAt,
      commands: rows.length,
      states,
      lost,
      executedTwice,
      executedNotSucceeded,
      completeMs,
      failoverStoreMs,
      failoverBrokersMs,
      heldAfter,
      storeStaleAfterFailover: failoverStale,
      restartMs,
      othersKeptRunning,
    };
  }

  /** Command ids any device ran more than once, over its whole record. */
  executedTwiceOverall(): number {
    let twice = 0;
    for (const member of this.members) {
      const runs = new Map<string, number>();
      for (const e of member.device.executions) runs.set(e.commandId, (runs.get(e.commandId) ?? 0) + 1);
      for (const n of runs.values()) if (n > 1) twice++;
    }
    return twice;
  }
}

/** The per-round table. */
function roundsTable(rounds: readonly ClusterRoundReport[]): string {
  const lines = [
    "| round | command | node killed | its devices | killed after | devices | lost | twice | complete | its devices online elsewhere (store / brokers) | restart | store stale (before / after) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rounds) {
    lines.push(
      `| ${r.round} | ${r.type} | ${r.killed} | ${r.killedNodeDevices} | ` +
        `${r.killedNodeExecutedBeforeKill} started, ${seconds(r.killAfterMs)} | ${r.commands} | ${r.lost} | ` +
        `${r.executedTwice} | ${seconds(r.completeMs)} | ${seconds(r.failoverStoreMs)} / ` +
        `${seconds(r.failoverBrokersMs)} | ${seconds(r.restartMs)} | ` +
        `${r.storeStaleBefore} / ${r.storeStaleAfterFailover} |`,
    );
  }
  return lines.join("\n");
}

function totalsRows(options: ClusterChaosOptions, report: ClusterChaosReport): ResultRow[] {
  const { rounds } = report;
  const finite = (values: number[]) => values.filter(Number.isFinite);
  const complete = summarize(finite(rounds.map((r) => r.completeMs)));
  const store = summarize(finite(rounds.map((r) => r.failoverStoreMs)));
  const brokers = summarize(finite(rounds.map((r) => r.failoverBrokersMs)));
  const restart = summarize(rounds.map((r) => r.restartMs));
  const states: Record<string, number> = {};
  for (const r of rounds) for (const [s, n] of Object.entries(r.states)) states[s] = (states[s] ?? 0) + n;
  const moved = rounds.reduce((n, r) => n + r.killedNodeDevices, 0);
  const timedOut = rounds.filter((r) => !Number.isFinite(r.completeMs)).length;
  const notSucceeded = rounds.reduce((n, r) => n + r.executedNotSucceeded, 0);
  const verdict = (ok: boolean) => (ok ? "met" : "missed");
  const rows: ResultRow[] = [
    {
      metric: `node SIGKILLed during a fleet command to ${options.devices} devices on ${options.nodes} nodes`,
      value: `${rounds.length} rounds, ${report.commands} commands (${countsText(states)})`,
    },
    {
      metric: "devices on the killed node, failed over to the others",
      value: `${moved} in all (${rounds.map((r) => r.killedNodeDevices).join(", ")})`,
    },
    {
      metric: "commands lost (still open, or never run by the device)",
      value: String(report.lost),
      target: "0",
      verdict: verdict(report.lost === 0),
    },
    {
      metric: "commands run twice (every device's execution record)",
      value: String(report.executedTwice),
      target: "0",
      verdict: verdict(report.executedTwice === 0),
    },
    {
      metric: "fleet command → no open command (kill included)",
      value: `median ${seconds(complete.p50)}, max ${seconds(complete.max)}`,
    },
    {
      metric: "kill → the killed node's devices online on other nodes (store: connectedNode)",
      value: `median ${seconds(store.p50)}, max ${seconds(store.max)}`,
    },
    {
      metric: "kill → the surviving brokers hold every device (/healthz)",
      value: `median ${seconds(brokers.p50)}, max ${seconds(brokers.max)}`,
    },
    {
      metric: "killed node started again → listening, linked (others kept running)",
      value: `median ${seconds(restart.p50)}; others kept running in ${
        rounds.filter((r) => r.othersKeptRunning).length
      }/${rounds.length} rounds`,
      target: `${rounds.length}/${rounds.length}`,
      verdict: verdict(rounds.every((r) => r.othersKeptRunning)),
    },
  ];
  const staleBefore = rounds.reduce((n, r) => n + r.storeStaleBefore, 0);
  const staleAfter = rounds.reduce((n, r) => n + r.storeStaleAfterFailover, 0);
  rows.push({
    metric:
      "devices connected but not shown online on a running node by the store " +
      `(at round start, after ${STORE_AGREES_WITHIN_MS / 1000} s / after failover, ${FAILOVER_STORE_TIMEOUT_MS / 1000} s)`,
    value: `${staleBefore} / ${staleAfter}`,
    target: "0 / 0",
    verdict: verdict(staleBefore === 0 && staleAfter === 0),
  });
  if (timedOut > 0) {
    rows.push({
      metric: "rounds whose fleet command kept open commands past the timeout",
      value: String(timedOut),
    });
  }
  if (notSucceeded > 0)
    rows.push({ metric: "ran but recorded as not succeeded", value: String(notSucceeded) });
  if (report.error) rows.push({ metric: "stopped early", value: report.error, verdict: "missed" });
  return rows;
}

/** Enrolls the fleet over the nodes and runs the rounds; stops the fleet before resolving. */
async function measure(
  service: ChaosService,
  options: ClusterChaosOptions,
  startedAt: number,
): Promise<{ reports: ClusterRoundReport[]; executedTwice: number; error?: string }> {
  const { say } = options;
  const n = options.nodes;
  const logger = pino({ level: "error" });
  const token = await service.admins[0]!.createEnrollmentToken(options.devices);
  const fleets = service.nodes.map(
    (node) =>
      new Fleet({
        serverUrl: node.httpUrl,
        enrollmentToken: token,
        profile: clusterChaosProfile,
        size: Math.floor((options.devices - 1 - node.index) / n) + 1,
        serialPrefix: `CHAOS-${node.id.toUpperCase()}`,
        seed: options.seed * 1000 + node.index,
        logger,
        concurrency: Math.max(10, Math.ceil(ENROLL_CONCURRENCY / n)),
        stateReportIntervalMs: 0,
        maxReconnectDelayMs: 2000,
      }),
  );
  const reports: ClusterRoundReport[] = [];
  let error: string | undefined;
  let executedTwice = 0;
  try {
    say(`enrolling and connecting ${options.devices} devices, device i through node i % ${n}`);
    const bar = progressBar("connect", options.devices);
    const online = () => fleets.reduce((s, f) => s + f.onlineCount(), 0);
    const ticker = setInterval(() => bar.update(online()), 250);
    try {
      await Promise.all(fleets.map((f) => f.start()));
    } finally {
      clearInterval(ticker);
      bar.update(online());
      bar.stop();
    }
    const rounds = new ClusterRounds(
      service,
      fleets.flatMap((f) => f.members),
      options,
    );
    const deadline = startedAt + options.maxMinutes * 60_000;
    say(`${options.rounds} rounds: fleet command, one node SIGKILLed during delivery, restarted`);
    try {
      for (let round = 1; round <= options.rounds; round++) {
        if (Date.now() > deadline) {
          say(`--max-minutes ${options.maxMinutes} reached; no more rounds`);
          break;
        }
        const r = await rounds.round(round);
        reports.push(r);
        say(
          `round ${r.round}/${options.rounds} ${r.type}: ${r.killed} killed holding ${r.killedNodeDevices} ` +
            `devices (its broker ${r.killedNodeConnections}), after ${r.killedNodeExecutedBeforeKill} of them started (${Math.round(r.killAfterMs)} ms, ` +
            `${r.answeredBeforeKill ? "after" : "before"} the API answered); online elsewhere in ` +
            `${seconds(r.failoverStoreMs)} (brokers ${seconds(r.failoverBrokersMs)}), ` +
            `${JSON.stringify(r.heldAfter)}; no open command in ${seconds(r.completeMs)}; ` +
            `${countsText(r.states)}; lost ${r.lost}, twice ${r.executedTwice}; ` +
            `restart ${seconds(r.restartMs)}; store stale ${r.storeStaleBefore} before, ` +
            `${r.storeStaleAfterFailover} after failover`,
        );
      }
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      say(`stopped: ${error}`);
    }
    executedTwice = rounds.executedTwiceOverall();
  } finally {
    await Promise.all(fleets.map((f) => f.stop()));
  }
  return { reports, executedTwice, ...(error ? { error } : {}) };
}

/** The whole `--cluster` run; resolves to the process's exit code. */
export async function runClusterChaos(options: ClusterChaosOptions): Promise<number> {
  const { say } = options;
  const startedAt = Date.now();
  if (!Number.isInteger(options.nodes) || options.nodes < 2) {
    say(`--cluster needs at least 2 nodes, not ${options.nodes}`);
    return 2;
  }
  // Every device is one socket here and one in the node holding it, and failovers can bring the
  // whole fleet onto one node: both this process and each node must be able to hold all of it.
  const budget = openFileLimit().soft - OPEN_FILES_RESERVE;
  if (options.devices > budget) {
    say(
      `--devices ${options.devices} does not fit: this process and each node may hold ${budget} devices ` +
        `(open-file limit ${openFileLimit().soft} less ${OPEN_FILES_RESERVE} for everything else)`,
    );
    return 2;
  }
  const leaseSeconds = options.leaseSeconds ?? 3;
  const workDir = await mkdtemp(join(tmpdir(), "pmdm-chaos-cluster-"));
  say(
    `${options.nodes} nodes on one PostgreSQL and one Redis of their own, lease ${leaseSeconds} s; ` +
      `node logs in ${workDir}`,
  );
  const service = await ChaosService.start({ nodes: options.nodes, leaseSeconds, workDir, say });
  let measured: { reports: ClusterRoundReport[]; executedTwice: number; error?: string };
  try {
    measured = await measure(service, options, startedAt);
  } finally {
    await service.stop();
  }
  const { reports, executedTwice, error } = measured;
  const n = options.nodes;

  const report: ClusterChaosReport = {
    nodes: n,
    devices: options.devices,
    rounds: reports,
    commands: reports.reduce((s, r) => s + r.commands, 0),
    lost: reports.reduce((s, r) => s + r.lost, 0),
    executedTwice,
    ...(error ? { error } : {}),
  };
  const clean = report.lost === 0 && report.executedTwice === 0 && error === undefined;
  const storeKeptUp = reports.every((r) => r.storeStaleBefore === 0 && r.storeStaleAfterFailover === 0);
  // The node logs are kept when something went wrong, the store's view of presence included.
  if (clean && storeKeptUp) await rm(workDir, { recursive: true, force: true });
  else say(`node logs kept in ${workDir}`);

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}`;
  const perRound = roundsTable(reports);
  const totals = markdownTable(totalsRows(options, report));
  const totalMs = Date.now() - startedAt;
  const setup =
    `${n} nodes (one process each), PostgreSQL and Redis on the same machine, node lease ${leaseSeconds} s; ` +
    `the fleet in this one process; device actions take 0.2–2 s`;
  process.stdout.write(
    `\n## portal-mdm crash safety, ${n} nodes, ${options.devices} devices, ${reports.length} rounds ` +
      `(${seconds(totalMs)})\n\nMachine: ${machine}\n\n${setup}\n\n${perRound}\n\n${totals}\n`,
  );
  await mkdir(options.out, { recursive: true });
  const file = join(options.out, `chaos-cluster-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  const { say: _say, ...recorded } = options;
  await writeFile(
    file,
    JSON.stringify(
      {
        options: { ...recorded, leaseSeconds },
        machine,
        setup,
        at: new Date().toISOString(),
        totalMs,
        cluster: report,
        tables: { rounds: perRound, totals },
      },
      null,
      2,
    ),
  );
  say(`\nresults written to ${file}`);
  // A connected device the store shows offline is a failure too: the console would be wrong.
  return clean && storeKeptUp ? 0 : 1;
}
