/**
 * Single commands across nodes, with the fleet idle: each sample is issued through node A's API
 * for a device connected to node B (B ≠ A, every ordered pair in turn) and timed until A's own
 * event stream shows it finished: API → news through Redis to B → executed on the device →
 * recorded by B → the event relayed back to A.
 */
import { WebSocket } from "ws";
import type { CommandView } from "../../server/commands/command.js";
import { holders } from "./cluster-api.js";
import type { BenchNode } from "./cluster-nodes.js";
import { grouped, type PhaseContext, type Summary } from "./cluster-phases.js";
import { ms, summarize } from "./stats.js";

const FINISHED = new Set(["succeeded", "failed", "rejected", "expired", "canceled"]);
const SAMPLE_TIMEOUT_MS = 30_000;

/** A node's event stream, with the commands seen finished on it. */
class CommandStream {
  private readonly finished = new Map<string, string>();
  private readonly waiting = new Map<string, (state: string) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const text = String(data);
      // Most of what streams is other events: not parsed, so that the measuring process takes
      // less of the machine's CPU from the nodes it measures.
      if (!text.includes('"command.updated"')) return;
      const event = JSON.parse(text) as {
        type: string;
        data: { command?: { id: string; state: string } };
      };
      const command = event.data?.command;
      if (event.type !== "command.updated" || !command || !FINISHED.has(command.state)) return;
      const waiter = this.waiting.get(command.id);
      if (waiter) waiter(command.state);
      else this.finished.set(command.id, command.state);
    });
  }

  /** Opened once the server's hello has come. */
  static async open(node: BenchNode, token: string): Promise<CommandStream> {
    const socket = new WebSocket(`${node.httpUrl.replace("http", "ws")}/api/v1/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("message", () => resolve());
      socket.once("error", reject);
    });
    return new CommandStream(socket);
  }

  /** The command's final state, once seen on this stream. */
  finishedState(commandId: string): Promise<string> {
    const seen = this.finished.get(commandId);
    if (seen !== undefined) {
      this.finished.delete(commandId);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(commandId);
        reject(new Error(`command ${commandId} not seen finished within ${SAMPLE_TIMEOUT_MS / 1000} s`));
      }, SAMPLE_TIMEOUT_MS);
      this.waiting.set(commandId, (state) => {
        clearTimeout(timer);
        this.waiting.delete(commandId);
        resolve(state);
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

export interface CrossNodeFigures extends Summary {
  /** Samples whose command finished otherwise than succeeded. */
  notSucceeded: number;
  /** Where the time went, from the command's own times in the store (p50 / p99 of each leg). */
  legs: CrossNodeLegs;
}

/** The legs of a sample: issued on A → handed to the device's broker on B → result stored on B → seen on A. */
export interface CrossNodeLegs {
  issuedToSent: Summary;
  sentToFinished: Summary;
  finishedToSeen: Summary;
}

/** The three legs of each sample, read back once the samples are done (so the reads do not slow them). */
async function legsOf(
  admin: PhaseContext["admins"][number],
  samples: readonly { commandId: string; seenAtMs: number }[],
): Promise<CrossNodeLegs> {
  const issuedToSent: number[] = [];
  const sentToFinished: number[] = [];
  const finishedToSeen: number[] = [];
  for (const { commandId, seenAtMs } of samples) {
    const times = await admin.request<Pick<CommandView, "createdAt" | "sentAt" | "finishedAt">>(
      "GET",
      `/commands/${commandId}`,
    );
    if (times.sentAt === null || times.finishedAt === null) continue;
    const created = Date.parse(times.createdAt);
    const sent = Date.parse(times.sentAt);
    const finished = Date.parse(times.finishedAt);
    issuedToSent.push(sent - created);
    sentToFinished.push(finished - sent);
    finishedToSeen.push(seenAtMs - finished);
  }
  return {
    issuedToSent: summarize(issuedToSent),
    sentToFinished: summarize(sentToFinished),
    finishedToSeen: summarize(finishedToSeen),
  };
}

/** The goal for a single command across nodes at 10 000 idle devices. */
const CROSS_NODE_P99_GOAL_MS = 20;

export async function crossNodeCommands(ctx: PhaseContext, samples: number): Promise<CrossNodeFigures> {
  const { service, admins, say } = ctx;
  const nodes = service.nodes;
  const n = nodes.length;
  say(`cross-node single commands: ${grouped(samples)} samples, issued on one node for a device on another`);
  // Devices by the node holding them, as the store says.
  const held = await holders(admins[0]!);
  const byNode = nodes.map((node) => [...held].filter(([, holder]) => holder === node.id).map(([id]) => id));
  const empty = nodes.filter((_, i) => byNode[i]!.length === 0);
  if (empty.length > 0) throw new Error(`no device is held by ${empty.map((e) => e.id).join(", ")}`);
  // Every node streams, so each relays its events to the others while the phase runs.
  const streams = await Promise.all(nodes.map((node) => CommandStream.open(node, admins[0]!.token)));
  const next = nodes.map(() => 0);
  const latencies: number[] = [];
  const seen: { commandId: string; seenAtMs: number }[] = [];
  let notSucceeded = 0;
  let done = 0;
  const progress = setInterval(() => say(`cross-node single commands: ${done}/${samples}`), 10_000);
  try {
    for (let s = 0; s < samples; s++) {
      const a = s % n;
      const b = (a + 1 + (Math.floor(s / n) % (n - 1))) % n;
      const devices = byNode[b]!;
      const deviceId = devices[next[b]! % devices.length]!;
      next[b] = next[b]! + 1;
      const start = performance.now();
      const command = await admins[a]!.request<{ id: string }>("POST", `/devices/${deviceId}/commands`, {
        type: "refresh_state",
      });
      const state = await streams[a]!.finishedState(command.id);
      latencies.push(performance.now() - start);
      seen.push({ commandId: command.id, seenAtMs: Date.now() });
      if (state !== "succeeded") notSucceeded++;
      done++;
    }
  } finally {
    clearInterval(progress);
    for (const stream of streams) stream.close();
  }
  const summary = summarize(latencies);
  ctx.rows.push({
    metric: `single command across nodes (API on A → executed on a device of B → seen on A), ${grouped(ctx.plan.devices)} idle`,
    value:
      `p50 ${ms(summary.p50)}, p99 ${ms(summary.p99)}, p99.9 ${ms(summary.p999)} (${grouped(samples)} samples` +
      `${notSucceeded > 0 ? `, ${notSucceeded} not succeeded` : ""})`,
    target: `p99 ≤ ${CROSS_NODE_P99_GOAL_MS} ms`,
    verdict: summary.p99 <= CROSS_NODE_P99_GOAL_MS ? "met" : "missed",
  });
  const legs = await legsOf(admins[0]!, seen);
  const leg = (s: Summary) => `p50 ${ms(s.p50, 0)}, p99 ${ms(s.p99, 0)}`;
  ctx.rows.push({
    metric:
      "… its legs from the store's times (ms resolution): created on A → sent by B / → result stored on B / → seen on A",
    value: `${leg(legs.issuedToSent)} / ${leg(legs.sentToFinished)} / ${leg(legs.finishedToSeen)}`,
  });
  return { ...summary, notSucceeded, legs };
}
