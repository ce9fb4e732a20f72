/**
 * Crash rounds: a fleet command to a simulated fleet, the server process killed with SIGKILL at
 * a random point of its delivery and started again on the same data dir; then every command of
 * the round must be terminal in SQLite, and the devices' own execution records must show every
 * succeeded command run exactly once and no command run twice. A share of the fleet is offline
 * when each command is issued and comes back only after the restart, so those devices hold
 * queued commands across it.
 */
import sqlite3 from "sqlite3";
import type { AdminClient } from "../admin-client.js";
import type { Fleet, FleetDevice } from "../fleet.js";
import { seededRandom } from "../random.js";

/** The server under test, as a process the rounds may kill and start again. */
export interface ServerControl {
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same data dir and ports; resolves once it listens. */
  start(): Promise<void>;
}

export interface CrashRoundsOptions {
  fleet: Fleet;
  server: ServerControl;
  admin: AdminClient;
  /** The server's SQLite file, read (read-only) for the commands' final states. */
  databaseFile: string;
  /**
   * Reads a fleet command's commands from the store through a connection of its own, for a
   * server whose store is not the SQLite file (PostgreSQL). Default: from `databaseFile`.
   */
  readCommands?: (batchId: string) => Promise<StoredCommand[]>;
  rounds: number;
  seed?: number;
  /** Share of the fleet offline while a command is issued (0–1). Default 0.1. */
  offlineShare?: number;
  /** A round whose commands are not all terminal by then counts them as lost. Default 180 000. */
  roundTimeoutMs?: number;
  /** No new round starts after this time (ms since the epoch). */
  deadlineMs?: number;
  /** Command types in rotation. Default rename, lock, rename, reboot. */
  commandTypes?: readonly ChaosCommandType[];
  /** After each round. */
  onRound?: (round: RoundReport) => void;
}

/** Commands that run a platform action on the device. */
export type ChaosCommandType = "rename" | "lock" | "reboot";

const COMMAND_ROTATION: readonly ChaosCommandType[] = ["rename", "lock", "rename", "reboot"];

const TERMINAL_STATES = new Set(["succeeded", "failed", "rejected", "expired", "canceled"]);

export interface RoundReport {
  round: number;
  type: ChaosCommandType;
  commands: number;
  /** Devices offline while the command was issued and the server was killed. */
  offline: number;
  /** Platform actions of this round done before the kill. */
  executedBeforeKill: number;
  /** Whether the API had answered the fleet command before the kill. */
  answeredBeforeKill: boolean;
  /** From issuing the fleet command to the kill. */
  killAfterMs: number;
  /** From the kill until the new process listened. */
  restartMs: number;
  /** From issuing the command until every command of the round was terminal. */
  roundMs: number;
  /** Final states of the round's commands. */
  states: Record<string, number>;
  /** Not terminal by the round's timeout, or succeeded without having been executed. */
  lost: number;
  /** Commands of this round that some device executed more than once. */
  executedTwice: number;
  /** Executed on the device but not recorded as succeeded (reported, not a loss). */
  executedNotSucceeded: number;
}

export interface CrashRoundsReport {
  devices: number;
  rounds: RoundReport[];
  commands: number;
  lost: number;
  /** Over the whole run: command ids executed more than once by any device. */
  executedTwice: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** A command as the store holds it, what the rounds check. */
export interface StoredCommand {
  id: string;
  device_id: string;
  state: string;
}

function readCommandsFromFile(file: string, batchId: string): Promise<StoredCommand[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openErr) => {
      if (openErr) return reject(openErr);
      db.all("SELECT id, device_id, state FROM commands WHERE batch_id = ?", [batchId], (err, rows) => {
        db.close();
        if (err) reject(err);
        else resolve(rows as StoredCommand[]);
      });
    });
  });
}

/** Picks `count` distinct members. */
function pick<T>(items: readonly T[], count: number, random: () => number): T[] {
  const pool = [...items];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}

export async function runCrashRounds(options: CrashRoundsOptions): Promise<CrashRoundsReport> {
  const { fleet, server, admin } = options;
  const random = seededRandom(options.seed ?? 1);
  const roundTimeoutMs = options.roundTimeoutMs ?? 180_000;
  const readCommands =
    options.readCommands ?? ((batchId: string) => readCommandsFromFile(options.databaseFile, batchId));
  const size = fleet.members.length;
  const byDeviceId = new Map<string, FleetDevice>();
  for (const member of fleet.members) byDeviceId.set(member.device.deviceId!, member);
  /** Platform actions since the start, fleet-wide: the kill waits for a share of them. */
  let executions = 0;
  const countExecution = () => {
    executions++;
  };
  for (const member of fleet.members) member.device.on("executed", countExecution);

  const onlineAtServer = async () =>
    ((await (await fetch(new URL("/healthz", admin.serverUrl))).json()) as { devicesOnline: number })
      .devicesOnline;
  /** Until exactly `expected` devices are online at the server. */
  const allOnline = (expected: number) =>
    until(
      `${expected} devices online`,
      async () => ((await onlineAtServer()) === expected ? true : undefined),
      roundTimeoutMs,
    );

  const reports: RoundReport[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      if (options.deadlineMs !== undefined && Date.now() > options.deadlineMs) break;
      const rotation = options.commandTypes ?? COMMAND_ROTATION;
      const type = rotation[(round - 1) % rotation.length]!;
      await allOnline(size);

      const offline = pick(fleet.members, Math.round((options.offlineShare ?? 0.1) * size), random);
      await Promise.all(offline.map((m) => m.device.stop({ abrupt: true })));
      await allOnline(size - offline.length);

      // Kill once a random number of the online devices (at least one, so the fleet command is
      // committed) has executed the command: while the server is still publishing it, or
      // while the results come in. The answer to the fleet command may never arrive.
      const online = size - offline.length;
      const killAfterExecutions = 1 + Math.floor(random() * online);
      const executionsBefore = executions;
      const issuedAt = performance.now();
      let answer: { id: string } | undefined;
      const posting = admin
        .request<{ id: string }>("POST", "/batches", {
          target: { all: true },
          command: type === "rename" ? { type, name: `Chaos round ${round}` } : { type },
        })
        .then(
          (batch) => {
            answer = batch;
          },
          () => undefined,
        );
      // Short of the number after a while, the kill goes ahead anyway.
      const waitDeadline = Date.now() + 20_000;
      while (executions - executionsBefore < killAfterExecutions && Date.now() < waitDeadline) {
        await sleep(1);
      }
      const killedAt = performance.now();
      const executedBeforeKill = executions - executionsBefore;
      await server.kill();
      await posting;
      await server.start();
      const restartMs = performance.now() - killedAt;
      const batchId =
        answer?.id ??
        (await admin.request<{ items: { id: string }[] }>("GET", "/batches?limit=1")).items[0]!.id;

      // The devices that were online reconnect by themselves; the others come back after.
      await allOnline(online).catch(() => undefined);
      await Promise.all(offline.map((m) => m.device.start()));

      await until(
        `fleet command ${batchId} done`,
        async () =>
          (await admin.request<{ done: boolean }>("GET", `/batches/${batchId}`)).done ? true : undefined,
        roundTimeoutMs,
      ).catch(() => undefined); // what is still open then counts as lost below
      // The count comes from the store itself, through its own connection: what a restarted
      // server would find.
      let rows = await readCommands(batchId);
      const committedDeadline = Date.now() + 60_000;
      while (rows.some((r) => !TERMINAL_STATES.has(r.state)) && Date.now() < committedDeadline) {
        await sleep(100);
        rows = await readCommands(batchId);
      }
      const roundMs = performance.now() - issuedAt;
      // Commands may finish in the same moment the batch is seen done; let the devices settle.
      await Promise.all(fleet.members.map((m) => m.device.idle()));
      const states: Record<string, number> = {};
      let lost = 0;
      let executedTwice = 0;
      let executedNotSucceeded = 0;
      for (const row of rows) {
        states[row.state] = (states[row.state] ?? 0) + 1;
        const member = byDeviceId.get(row.device_id);
        const runs = member ? member.device.executionCount(row.id) : 0;
        if (!TERMINAL_STATES.has(row.state)) lost++;
        else if (row.state === "succeeded" && runs === 0) lost++;
        if (runs > 1) executedTwice++;
        if (runs > 0 && row.state !== "succeeded") executedNotSucceeded++;
      }
      const report: RoundReport = {
        round,
        type,
        commands: rows.length,
        offline: offline.length,
        executedBeforeKill,
        answeredBeforeKill: answer !== undefined,
        killAfterMs: killedAt - issuedAt,
        restartMs,
        roundMs,
        states,
        // Every device was active and targeted: each must have its command.
        lost: lost + Math.max(0, size - rows.length),
        executedTwice,
        executedNotSucceeded,
      };
      reports.push(report);
      options.onRound?.(report);
    }
  } finally {
    for (const member of fleet.members) member.device.off("executed", countExecution);
  }

  // Every device's whole record, across rounds: no command id may appear twice.
  let executedTwice = 0;
  for (const member of fleet.members) {
    const runsById = new Map<string, number>();
    for (const e of member.device.executions) runsById.set(e.commandId, (runsById.get(e.commandId) ?? 0) + 1);
    for (const runs of runsById.values()) if (runs > 1) executedTwice++;
  }
  return {
    devices: size,
    rounds: reports,
    commands: reports.reduce((n, r) => n + r.commands, 0),
    lost: reports.reduce((n, r) => n + r.lost, 0),
    executedTwice,
  };
}
