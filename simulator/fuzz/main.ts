/**
 * `npm run fuzz [-- --packets N --payloads N --seconds N --seed N]`: hostile MQTT sessions and
 * fuzzed device payloads against the real server while a healthy device keeps completing
 * commands. Prints a markdown table and writes bench/results/fuzz-<timestamp>.json; exits 1
 * when anything went wrong (the seed in the output replays the same run).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { markdownTable, ms, type ResultRow } from "../bench/stats.js";
import { type Progress, progressBar } from "../progress.js";
import { runFuzzCampaign } from "./campaign.js";

const program = new Command("portal-fuzz")
  .description("Fuzzes the portal-mdm server's MQTT side while a healthy device keeps working")
  .addOption(
    new Option("--packets <n>", "malformed or mutated MQTT packets").argParser(Number).default(100_000),
  )
  .addOption(new Option("--payloads <n>", "fuzzed res/state payloads").argParser(Number).default(10_000))
  .addOption(new Option("--seconds <n>", "time bound of the whole run").argParser(Number).default(300))
  .addOption(new Option("--concurrency <n>", "hostile sessions at once").argParser(Number).default(32))
  .addOption(
    new Option("--seed <n>", "seed of the generators (default: random)")
      .argParser(Number)
      .default(Math.floor(Math.random() * 2 ** 31)),
  )
  .option("--out <dir>", "where results go", "bench/results")
  .parse();
const opts = program.opts<{
  packets: number;
  payloads: number;
  seconds: number;
  concurrency: number;
  seed: number;
  out: string;
}>();

const say = (line: string) => process.stderr.write(`${line}\n`);
say(`seed ${opts.seed} (replay with --seed ${opts.seed})`);

let bar: Progress | null = null;
let barPhase = "";
const report = await runFuzzCampaign({
  seed: opts.seed,
  packets: opts.packets,
  payloads: opts.payloads,
  seconds: opts.seconds,
  concurrency: opts.concurrency,
  onPhase: (phase) => {
    bar?.stop();
    bar = null;
    say(phase);
  },
  onProgress: (phase, done, total) => {
    if (barPhase !== phase || !bar) {
      bar?.stop();
      bar = progressBar(phase === "mqtt" ? "MQTT packets" : "payloads", total);
      barPhase = phase;
    }
    bar.update(Math.min(done, total));
  },
});
(bar as Progress | null)?.stop();

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MB`;
const { mqtt, payload, server, healthyDevice } = report;
const rows: ResultRow[] = [
  {
    metric: "MQTT packets sent",
    value: `${mqtt.packetsSent} in ${(mqtt.elapsedMs / 1000).toFixed(1)} s (${mqtt.sessions} sessions, ${mqtt.webSocketSessions} over WebSocket, ${mqtt.closedByServer} closed by the server)`,
    target: `≥ ${opts.packets}`,
    verdict: mqtt.packetsSent >= opts.packets ? "met" : "missed",
  },
  {
    metric: "CONNACKs accepted / refused",
    value: `${mqtt.connacksAccepted} / ${mqtt.connacksRefused}`,
  },
  {
    metric: "payloads on res and state",
    value: `${payload.payloadsSent} in ${(payload.elapsedMs / 1000).toFixed(1)} s; stored state problems: ${payload.problems.length}`,
    target: "0 problems",
    verdict: payload.problems.length === 0 ? "met" : "missed",
  },
  {
    metric: "server crashes / error log lines",
    value: `${server.unexpectedExits} / ${server.errorLines}`,
    target: "0 / 0",
    verdict: server.unexpectedExits === 0 && server.errorLines === 0 ? "met" : "missed",
  },
  {
    metric: "server RSS start / peak / end",
    value: `${mb(server.rssStartBytes)} / ${mb(server.rssPeakBytes)} / ${mb(server.rssEndBytes)}`,
  },
  {
    metric: "healthy device: commands completed (not succeeded, timed out, disconnects)",
    value: `${healthyDevice.completed} (${healthyDevice.notSucceeded}, ${healthyDevice.timedOut}, ${healthyDevice.disconnects})`,
    target: "> 0 (0, 0, 0)",
    verdict:
      healthyDevice.completed > 0 &&
      healthyDevice.notSucceeded + healthyDevice.timedOut + healthyDevice.disconnects === 0
        ? "met"
        : "missed",
  },
  {
    metric: "healthy command latency (API → succeeded)",
    value: `p50 ${ms(healthyDevice.latencyMs.p50)}, p99 ${ms(healthyDevice.latencyMs.p99)}, max ${ms(healthyDevice.latencyMs.max)}; longest gap ${ms(healthyDevice.longestGapMs, 0)}`,
  },
];

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}`;
const table = markdownTable(rows);
process.stdout.write(`\n## portal-mdm fuzz run, seed ${opts.seed}\n\nMachine: ${machine}\n\n${table}\n`);
process.stdout.write(`\npackets by kind: ${JSON.stringify(mqtt.packetsByKind)}\n`);
process.stdout.write(`payloads by kind: ${JSON.stringify(payload.payloadsByKind)}\n`);
process.stdout.write(`server warnings: ${JSON.stringify(server.warningsByMessage)}\n`);
if (report.failures.length > 0) process.stdout.write(`\nFAILED:\n- ${report.failures.join("\n- ")}\n`);

await mkdir(opts.out, { recursive: true });
const file = join(opts.out, `fuzz-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
await writeFile(
  file,
  JSON.stringify({ machine, at: new Date().toISOString(), options: opts, report, table }, null, 2),
);
say(`\nresults written to ${file}`);
process.exit(report.failures.length > 0 ? 1 : 0);
