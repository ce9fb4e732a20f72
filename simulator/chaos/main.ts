/**
 * `npm run chaos [-- --devices 5000 --rounds 20]`: crash safety, measured. A real server process
 * and a simulated fleet; each round a fleet command, the server killed with SIGKILL during its
 * delivery and restarted on the same data dir, with a share of the devices offline until after
 * the restart. Then agents in their own processes are killed mid-command and restarted. Prints
 * a summary and writes bench/results/chaos-<timestamp>.json; exits 1 if a command was lost or
 * run twice. With `--cluster <n>`, n server nodes on PostgreSQL and Redis instead, one node killed
 * per round (cluster-rounds.ts).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { pino } from "pino";
import { DATABASE_FILE } from "../../server/server.js";
import { AdminClient } from "../admin-client.js";
import { freePort, type ServerProcess, spawnServer } from "../bench/server-process.js";
import { markdownTable, type ResultRow, summarize } from "../bench/stats.js";
import { Fleet } from "../fleet.js";
import type { FleetProfile } from "../profile.js";
import { progressBar } from "../progress.js";
import { runAgentKills } from "./agent-kills.js";
import { runClusterChaos } from "./cluster-rounds.js";
import { runCrashRounds } from "./crash-rounds.js";

const program = new Command("portal-chaos")
  .description("Kills the server and agents mid-command and checks that no command is lost or run twice")
  .addOption(new Option("--devices <n>", "simulated fleet size").argParser(Number).default(5000))
  .addOption(new Option("--rounds <n>", "server kills").argParser(Number).default(20))
  .addOption(
    new Option("--offline-share <share>", "share of the fleet offline across each kill")
      .argParser(Number)
      .default(0.1),
  )
  .addOption(new Option("--agents <n>", "agent processes killed mid-command").argParser(Number).default(4))
  .addOption(new Option("--agent-rounds <n>", "kills per agent").argParser(Number).default(5))
  .addOption(new Option("--seed <n>", "random seed").argParser(Number).default(1))
  .addOption(
    new Option("--max-minutes <n>", "no new server round starts after this").argParser(Number).default(30),
  )
  .option("--out <dir>", "where results go", "bench/results")
  .addOption(
    new Option(
      "--cluster <n>",
      "n server nodes on PostgreSQL and Redis; each round kills one node (no agent kills)",
    ).argParser(Number),
  )
  .parse();
const opts = program.opts<{
  devices: number;
  rounds: number;
  offlineShare: number;
  agents: number;
  agentRounds: number;
  seed: number;
  maxMinutes: number;
  out: string;
  cluster?: number;
}>();

const say = (line: string) => process.stderr.write(`${line}\n`);
const startedAt = Date.now();
const seconds = (msValue: number) => `${(msValue / 1000).toFixed(1)} s`;

if (opts.cluster !== undefined) {
  const { cluster, devices, rounds, seed, maxMinutes, out } = opts;
  process.exit(await runClusterChaos({ nodes: cluster, devices, rounds, seed, maxMinutes, out, say }));
}

/** Healthy, quick devices: the faults here are the kills. */
const chaosProfile: FleetProfile = {
  name: "chaos",
  models: [{ model: "Portal", share: 1 }],
  groups: [
    { name: "healthy", share: 1, latencyMs: { min: 0, max: 50 }, rebootDurationMs: { min: 200, max: 400 } },
  ],
};

const dataDir = await mkdtemp(join(tmpdir(), "pmdm-chaos-"));
const ports = { httpPort: await freePort(), mqttPort: await freePort() };
let server: ServerProcess = await spawnServer({ dataDir, ...ports });
const admin = await AdminClient.fromDataDir(server.httpUrl, dataDir);

say(`server pid ${server.child.pid}; enrolling and connecting ${opts.devices} devices`);
const bar = progressBar("connect", opts.devices);
const fleet = new Fleet({
  serverUrl: server.httpUrl,
  enrollmentToken: await admin.createEnrollmentToken(opts.devices),
  profile: chaosProfile,
  size: opts.devices,
  serialPrefix: "CHAOS",
  seed: opts.seed,
  logger: pino({ level: "error" }),
  stateReportIntervalMs: 0,
  maxReconnectDelayMs: 2000,
  onProgress: (online) => bar.update(online),
});
await fleet.start();
bar.stop();

say(`${opts.rounds} rounds: fleet command, SIGKILL during delivery, restart`);
const crash = await runCrashRounds({
  fleet,
  admin,
  databaseFile: join(dataDir, DATABASE_FILE),
  rounds: opts.rounds,
  seed: opts.seed,
  offlineShare: opts.offlineShare,
  deadlineMs: startedAt + opts.maxMinutes * 60_000,
  server: {
    kill: () => server.kill(),
    start: async () => {
      server = await spawnServer({ dataDir, ...ports });
    },
  },
  onRound: (r) =>
    say(
      `round ${r.round}/${opts.rounds} ${r.type}: ${r.commands} commands, ${r.offline} offline, ` +
        `killed after ${r.executedBeforeKill} executions (${Math.round(r.killAfterMs)} ms, ` +
        `${r.answeredBeforeKill ? "after" : "before"} the API answered), ` +
        `restart ${seconds(r.restartMs)}, all terminal in ${seconds(r.roundMs)}; ` +
        `${JSON.stringify(r.states)}; lost ${r.lost}, twice ${r.executedTwice}`,
    ),
});
await fleet.stop();

say(`${opts.agents} agent processes × ${opts.agentRounds} kills mid-command`);
const agentWorkDir = join(dataDir, "agents");
const agents = await runAgentKills({
  admin,
  workDir: agentWorkDir,
  agents: opts.agents,
  rounds: opts.agentRounds,
  seed: opts.seed,
  onRound: (r) =>
    say(
      `agent round ${r.round}/${opts.agentRounds}: ${r.killedMidAction} killed mid-action; ` +
        `${JSON.stringify(r.states)}; lost ${r.lost}, twice ${r.executedTwice}`,
    ),
});
await server.stop();
await rm(dataDir, { recursive: true, force: true });

const roundTimes = summarize(crash.rounds.map((r) => r.roundMs));
const restartTimes = summarize(crash.rounds.map((r) => r.restartMs));
const states: Record<string, number> = {};
for (const r of crash.rounds) for (const [s, n] of Object.entries(r.states)) states[s] = (states[s] ?? 0) + n;
const executedNotSucceeded = crash.rounds.reduce((n, r) => n + r.executedNotSucceeded, 0);
const agentStates: Record<string, number> = {};
for (const r of agents.rounds)
  for (const [s, n] of Object.entries(r.states)) agentStates[s] = (agentStates[s] ?? 0) + n;
const verdict = (ok: boolean) => (ok ? "met" : "missed");
const rows: ResultRow[] = [
  {
    metric: `server SIGKILLed during a fleet command to ${opts.devices} devices`,
    value: `${crash.rounds.length} rounds, ${crash.commands} commands (${Object.entries(states)
      .map(([s, n]) => `${n} ${s}`)
      .join(", ")})`,
  },
  {
    metric: "commands lost (not terminal, or succeeded but never executed)",
    value: String(crash.lost),
    target: "0",
    verdict: verdict(crash.lost === 0),
  },
  {
    metric: "commands executed twice (every device's execution record)",
    value: String(crash.executedTwice),
    target: "0",
    verdict: verdict(crash.executedTwice === 0),
  },
  {
    metric: "devices offline across each kill (queued commands)",
    value: `${Math.round(opts.offlineShare * opts.devices)} per round`,
  },
  {
    metric: "time per round (fleet command → all terminal, kill and restart included)",
    value: `median ${seconds(roundTimes.p50)}, max ${seconds(roundTimes.max)}`,
  },
  { metric: "server restart (kill → listening)", value: `median ${seconds(restartTimes.p50)}` },
  {
    metric: `agent processes SIGKILLed mid-command (${opts.agents} agents × ${agents.rounds.length})`,
    value: `${agents.commands} commands, ${agents.killedMidAction} killed mid-action (${Object.entries(
      agentStates,
    )
      .map(([s, n]) => `${n} ${s}`)
      .join(", ")})`,
  },
  {
    metric: "agent kills: commands lost / executed twice",
    value: `${agents.lost} / ${agents.executedTwice}`,
    target: "0 / 0",
    verdict: verdict(agents.lost === 0 && agents.executedTwice === 0),
  },
];
if (executedNotSucceeded > 0) {
  rows.push({ metric: "executed but recorded as not succeeded", value: String(executedNotSucceeded) });
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}`;
const table = markdownTable(rows);
const totalMs = Date.now() - startedAt;
process.stdout.write(
  `\n## portal-mdm crash safety, ${opts.devices} devices, ${crash.rounds.length} rounds (${seconds(totalMs)})\n\n` +
    `Machine: ${machine}\n\n${table}\n`,
);
await mkdir(opts.out, { recursive: true });
const file = join(opts.out, `chaos-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
await writeFile(
  file,
  JSON.stringify(
    { options: opts, machine, at: new Date().toISOString(), totalMs, crash, agents, table },
    null,
    2,
  ),
);
say(`\nresults written to ${file}`);
const clean =
  crash.lost === 0 && crash.executedTwice === 0 && agents.lost === 0 && agents.executedTwice === 0;
process.exit(clean ? 0 : 1);
