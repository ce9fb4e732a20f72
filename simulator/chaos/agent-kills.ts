/**
 * Agents killed mid-command: each agent is its own process (`agent/main.ts`, file storage in its
 * own data dir, a simulated platform whose actions take a while), killed with SIGKILL at a
 * random moment while it runs a command and started again on the same data dir. Its journal
 * must keep it from running the command a second time, and the server must still get a
 * terminal result. What ran is read from each agent's execution log, which outlives the process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type ExecutionRecord, readExecutions } from "../../agent/execution-log.js";
import type { AdminClient } from "../admin-client.js";
import { seededRandom } from "../random.js";

const AGENT_MAIN = fileURLToPath(new URL("../../agent/main.ts", import.meta.url));
const TERMINAL_STATES = new Set(["succeeded", "failed", "rejected", "expired", "canceled"]);

export interface AgentKillsOptions {
  admin: AdminClient;
  /** Where each agent keeps its data dir and execution log. */
  workDir: string;
  agents: number;
  rounds: number;
  /** How long each device action takes, ms. Default 1500. */
  actionMs?: number;
  seed?: number;
  onRound?: (round: AgentKillRound) => void;
}

/** One command whose agent was killed while running it. */
export interface KilledCommand {
  commandId: string;
  /** Its state at the server after the agent came back. */
  state: string;
  errorCode: string | null;
  /** The kill landed while the platform action was under way. */
  midAction: boolean;
  /** Times the agent ran it, across its processes. */
  runs: number;
}

export interface AgentKillRound {
  round: number;
  commands: KilledCommand[];
  /** Final server state of each agent's command. */
  states: Record<string, number>;
  /** Commands whose platform action was under way when its agent was killed. */
  killedMidAction: number;
  /** Commands not terminal at the server after the agent came back. */
  lost: number;
  /** Commands whose agent ran them more than once, across its processes. */
  executedTwice: number;
}

export interface AgentKillsReport {
  agents: number;
  rounds: AgentKillRound[];
  commands: number;
  killedMidAction: number;
  lost: number;
  executedTwice: number;
}

interface AgentProcess {
  child: ChildProcess;
  exited: Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class KilledAgent {
  deviceId = "";
  private process: AgentProcess | null = null;
  readonly dataDir: string;
  readonly executionLog: string;

  constructor(
    private readonly options: AgentKillsOptions,
    readonly serial: string,
    private readonly enrollmentToken: string,
  ) {
    this.dataDir = join(options.workDir, serial);
    this.executionLog = join(options.workDir, `${serial}.executions.jsonl`);
  }

  /** Starts the agent process; resolves with its device id once it is online. */
  async start(): Promise<void> {
    const { options } = this;
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        AGENT_MAIN,
        "--server",
        options.admin.serverUrl,
        "--enroll-token",
        this.enrollmentToken,
        "--data-dir",
        this.dataDir,
        "--serial",
        this.serial,
        "--latency-ms",
        String(options.actionMs ?? 1500),
        "--execution-log",
        this.executionLog,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    void exited.then(() => process.off("exit", killOnExit));
    this.process = { child, exited };
    const output: string[] = [];
    child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on("line", (line) => {
        if (output.length < 100) output.push(line);
        // The CLI logs every status change as JSON with the device id.
        if (!line.includes('"agent online"')) return;
        this.deviceId = (JSON.parse(line) as { deviceId: string }).deviceId;
        resolve();
      });
      void exited.then(() =>
        reject(new Error(`agent ${this.serial} exited before it was online:\n${output.join("\n")}`)),
      );
    });
  }

  async kill(): Promise<void> {
    const running = this.process;
    if (!running) return;
    this.process = null;
    running.child.kill("SIGKILL");
    await running.exited;
  }

  async runsOf(commandId: string): Promise<ExecutionRecord[]> {
    return (await readExecutions(this.executionLog)).filter((e) => e.commandId === commandId);
  }
}

async function untilTrue(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export async function runAgentKills(options: AgentKillsOptions): Promise<AgentKillsReport> {
  const { admin } = options;
  const random = seededRandom(options.seed ?? 1);
  const actionMs = options.actionMs ?? 1500;
  await mkdir(options.workDir, { recursive: true });
  const token = await admin.createEnrollmentToken(options.agents, 3600);
  const agents = Array.from(
    { length: options.agents },
    (_, i) => new KilledAgent(options, `CHAOS-AGENT-${process.pid}-${i + 1}`, token),
  );
  const rounds: AgentKillRound[] = [];
  try {
    await Promise.all(agents.map((a) => a.start()));
    for (let round = 1; round <= options.rounds; round++) {
      const outcomes = await Promise.all(
        agents.map(async (agent) => {
          const command = await admin.request<{ id: string }>(
            "POST",
            `/devices/${agent.deviceId}/commands`,
            round % 2 === 1 ? { type: "lock" } : { type: "rename", name: `Killed ${round}` },
          );
          // The action has started once its line is in the log; the kill lands somewhere in
          // the action or just after it.
          let started: ExecutionRecord | undefined;
          await untilTrue(`${agent.serial} running ${command.id}`, async () => {
            [started] = await agent.runsOf(command.id);
            return started !== undefined;
          });
          await sleep(random() * actionMs * 1.2);
          const midAction = Date.now() - started!.atMs < actionMs;
          await agent.kill();
          await agent.start();
          let seen = { state: "", errorCode: null as string | null };
          await untilTrue(
            `${command.id} terminal`,
            async () => {
              seen = await admin.request<{ state: string; errorCode: string | null }>(
                "GET",
                `/commands/${command.id}`,
              );
              return TERMINAL_STATES.has(seen.state);
            },
            30_000,
          ).catch(() => undefined);
          const killed: KilledCommand = {
            commandId: command.id,
            state: seen.state,
            errorCode: seen.errorCode,
            midAction,
            runs: (await agent.runsOf(command.id)).length,
          };
          return killed;
        }),
      );
      const states: Record<string, number> = {};
      for (const o of outcomes) states[o.state] = (states[o.state] ?? 0) + 1;
      const report: AgentKillRound = {
        round,
        commands: outcomes,
        states,
        killedMidAction: outcomes.filter((o) => o.midAction).length,
        lost: outcomes.filter((o) => !TERMINAL_STATES.has(o.state)).length,
        executedTwice: outcomes.filter((o) => o.runs > 1).length,
      };
      rounds.push(report);
      options.onRound?.(report);
    }
  } finally {
    await Promise.all(agents.map((a) => a.kill()));
  }
  const sum = (key: "killedMidAction" | "lost" | "executedTwice") => rounds.reduce((n, r) => n + r[key], 0);
  return {
    agents: options.agents,
    rounds,
    commands: rounds.length * options.agents,
    killedMidAction: sum("killedMidAction"),
    lost: sum("lost"),
    executedTwice: sum("executedTwice"),
  };
}
