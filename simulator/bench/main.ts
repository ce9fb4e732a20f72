/**
 * `npm run bench [-- --devices N]`: measures the server with a simulated fleet and, in the
 * same run, the same fleet echoing through a bare aedes broker and through Mosquitto. Prints a
 * markdown table and writes bench/results/<timestamp>.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { pino } from "pino";
import sqlite3 from "sqlite3";
import { WebSocket } from "ws";
import { encodeDeviceState } from "../../proto/codec.js";
import { deviceTopic } from "../../proto/topics.js";
import { AdminClient } from "../admin-client.js";
import { Fleet } from "../fleet.js";
import type { FleetProfile } from "../profile.js";
import { progressBar } from "../progress.js";
import { mosquittoPath, startBareAedes, startMosquitto } from "./brokers.js";
import { echoBaseline } from "./echo-baseline.js";
import { cpuMeter, rssBytes, tcpSocketStats } from "./proc-stats.js";
import { freePort, spawnServer } from "./server-process.js";
import { markdownTable, ms, type ResultRow, summarize } from "./stats.js";

const program = new Command("portal-bench")
  .description("Benchmarks portal-mdm against bare aedes and Mosquitto on this machine")
  .addOption(
    new Option("--devices <n>", "fleet size (19900 for the full run)").argParser(Number).default(2000),
  )
  .addOption(new Option("--single-samples <n>", "single-command samples").argParser(Number).default(1000))
  .addOption(new Option("--reports-per-device <n>", "state reports per device").argParser(Number).default(5))
  .option("--out <dir>", "where results go", "bench/results")
  .option("--profile-server <dir>", "write a CPU profile of the server process (node --cpu-prof) to this dir")
  .parse();
const opts = program.opts<{
  devices: number;
  singleSamples: number;
  reportsPerDevice: number;
  out: string;
  profileServer?: string;
}>();
const N = opts.devices;

const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (msToWait: number) => new Promise((r) => setTimeout(r, msToWait));

/** Every device quick and healthy: the benchmark measures the server, not simulated faults. */
const benchProfile: FleetProfile = {
  name: "bench",
  models: [{ model: "Portal", share: 1 }],
  groups: [{ name: "healthy", share: 1 }],
};

async function until(probe: () => Promise<boolean>, intervalMs = 5, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(intervalMs);
  }
}

function openReadOnly(file: string): sqlite3.Database {
  return new sqlite3.Database(file, sqlite3.OPEN_READONLY);
}

function all<T>(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) =>
    db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))),
  );
}

async function health(url: string): Promise<Record<string, number>> {
  return (await (await fetch(`${url}/healthz`)).json()) as Record<string, number>;
}

const results: Record<string, unknown> = {};
const rows: ResultRow[] = [];

/** CPU time per unit of work on each side: steadier than wall time on a shared machine. */
function cpuRow(
  what: string,
  cpu: { serverMs: number; fleetMs: number },
  units: number,
  unit: string,
): ResultRow {
  const us = (msTotal: number) => `${Math.round((msTotal * 1000) / units)} µs`;
  return {
    metric: `CPU per ${unit}, ${what} (server / simulated fleet)`,
    value: `${us(cpu.serverMs)} / ${us(cpu.fleetMs)}`,
  };
}

// ---- the server with a fleet ----------------------------------------------------------------

const dataDir = await mkdtemp(join(tmpdir(), "pmdm-bench-"));
const server = await spawnServer({
  dataDir,
  httpPort: await freePort(),
  mqttPort: await freePort(),
  nodeArgs: opts.profileServer ? ["--cpu-prof", `--cpu-prof-dir=${opts.profileServer}`] : [],
});
const serverPid = server.child.pid!;
const admin = await AdminClient.fromDataDir(server.httpUrl, dataDir);
const rssBeforeBytes = await rssBytes(serverPid);
const socketsBefore = await tcpSocketStats();

say(`server pid ${serverPid}; enrolling and connecting ${N} devices`);
const bar = progressBar("connect ramp", N);
const fleet = new Fleet({
  serverUrl: server.httpUrl,
  enrollmentToken: await admin.createEnrollmentToken(N),
  profile: benchProfile,
  size: N,
  serialPrefix: "BENCH",
  logger: pino({ level: "error" }),
  concurrency: 200,
  onProgress: (online) => bar.update(online),
});
const rampStart = performance.now();
await fleet.start();
await until(async () => (await health(server.httpUrl)).devicesOnline === N, 20);
const rampMs = performance.now() - rampStart;
bar.stop();
results.connectRamp = { devices: N, ms: rampMs, devicesPerSecond: N / (rampMs / 1000) };
rows.push({
  metric: `enroll + connect ${N} devices`,
  value: `${(rampMs / 1000).toFixed(1)} s (${Math.round(N / (rampMs / 1000))}/s)`,
});

await sleep(1000); // let the enrollment garbage settle before reading memory
const rssAfterBytes = await rssBytes(serverPid);
const socketsAfter = await tcpSocketStats();
const rssPerDeviceKb = (rssAfterBytes - rssBeforeBytes) / N / 1024;
results.memory = {
  serverRssBeforeBytes: rssBeforeBytes,
  serverRssAfterBytes: rssAfterBytes,
  rssPerDeviceKb,
  tcpSocketsInUse: socketsAfter.inUse - socketsBefore.inUse,
  tcpSocketMemBytes: socketsAfter.memBytes,
};
rows.push({
  metric: "server RSS per connected device",
  value: `${rssPerDeviceKb.toFixed(1)} KB (${(rssAfterBytes / 1024 ** 2).toFixed(0)} MB total)`,
  target: "≤ 20 KB",
  verdict: rssPerDeviceKb <= 20 ? "met" : "missed",
});
rows.push({
  metric: "kernel TCP socket memory (both ends)",
  value: `${(socketsAfter.memBytes / 1024 ** 2).toFixed(1)} MB`,
});

// Fleet command: API call to every command succeeded in SQLite.
say("fleet command");
const db = openReadOnly(join(dataDir, "portal-mdm.sqlite"));
const fleetCpu = cpuMeter(serverPid);
await fleetCpu.start();
const fleetStart = performance.now();
const batch = await admin.request<{ id: string }>("POST", "/batches", {
  target: { all: true },
  command: { type: "lock" },
});
// The figure comes from the commands' own timestamps; polling gently keeps the poll itself
// from taking the server's time.
await until(async () => {
  const view = await admin.request<{ done: boolean; counts: { succeeded: number } }>(
    "GET",
    `/batches/${batch.id}`,
  );
  return view.done;
}, 50);
const fleetMs = performance.now() - fleetStart;
const fleetCpuUsed = await fleetCpu.stop();
const perDevice = await all<{ ms: number; toSentMs: number; state: string }>(
  db,
  "SELECT finished_at - created_at AS ms, sent_at - created_at AS toSentMs, state FROM commands WHERE batch_id = ?",
  [batch.id],
);
const succeeded = perDevice.filter((r) => r.state === "succeeded").length;
const outcomes = await all<{ state: string; error_code: string | null; n: number }>(
  db,
  "SELECT state, error_code, count(*) AS n FROM commands WHERE batch_id = ? GROUP BY state, error_code",
  [batch.id],
);
if (succeeded < N) say(`fleet command outcomes: ${JSON.stringify(outcomes)}`);
const perDeviceStats = summarize(perDevice.map((r) => r.ms));
/** Created → handed to the broker; commands finished before their sent mark have none. */
const toSentStats = summarize(perDevice.filter((r) => r.toSentMs !== null).map((r) => r.toSentMs));
const lastFinishedMs = perDeviceStats.max;
results.fleetCommand = {
  devices: N,
  succeeded,
  outcomes,
  apiToAllSucceededMs: fleetMs,
  perDeviceMs: perDeviceStats,
  createdToSentMs: toSentStats,
  cpu: fleetCpuUsed,
};
rows.push({
  metric: `fleet command to ${N}: all succeeded in SQLite`,
  value: `${ms(lastFinishedMs, 0)} (seen by API poll: ${ms(fleetMs, 0)}); ${succeeded}/${N} succeeded`,
  target: "≤ 1 s at 10k",
  verdict: N >= 10_000 ? (lastFinishedMs <= 1000 ? "met" : "missed") : "",
});
rows.push({
  metric: "fleet command, per device (created → succeeded)",
  value: `p50 ${ms(perDeviceStats.p50, 0)}, p99 ${ms(perDeviceStats.p99, 0)} (sent after p50 ${ms(toSentStats.p50, 0)}, p99 ${ms(toSentStats.p99, 0)})`,
});
rows.push(cpuRow("fleet command", fleetCpuUsed, N, "device"));

// Single command latency with the fleet idle, seen on the event stream.
say("single-command latency");
const events = new WebSocket(`${server.httpUrl.replace("http", "ws")}/api/v1/events`, {
  headers: { authorization: `Bearer ${admin.token}` },
});
await new Promise((resolve) => events.once("message", resolve));
/** Commands seen finished on the stream, and the ones a sample is waiting for. */
const finished = new Set<string>();
const waiting = new Map<string, () => void>();
events.on("message", (data) => {
  const event = JSON.parse(String(data)) as {
    type: string;
    data: { command?: { id: string; state: string } };
  };
  const command = event.data.command;
  if (event.type !== "command.updated" || !command) return;
  if (["succeeded", "failed", "rejected", "expired", "canceled"].includes(command.state)) {
    finished.add(command.id);
    waiting.get(command.id)?.();
  }
});
const ids = fleet.devices.map((d) => d.deviceId!);
const latencies: number[] = [];
for (let i = 0; i < opts.singleSamples; i++) {
  const deviceId = ids[i % ids.length]!;
  const start = performance.now();
  const command = await admin.request<{ id: string }>("POST", `/devices/${deviceId}/commands`, {
    type: "refresh_state",
  });
  // The command may have finished while the POST's answer was on its way.
  if (!finished.has(command.id)) await new Promise<void>((resolve) => waiting.set(command.id, resolve));
  latencies.push(performance.now() - start);
  waiting.delete(command.id);
  finished.delete(command.id);
}
events.close();
const single = summarize(latencies);
results.singleCommand = single;
rows.push({
  metric: `single command (API → executed → recorded), ${N} idle`,
  value: `p50 ${ms(single.p50)}, p99 ${ms(single.p99)}, p99.9 ${ms(single.p999)}`,
  target: "p99 ≤ 5 ms",
  verdict: single.p99 <= 5 ? "met" : "missed",
});

// State-report ingestion: every device reports as fast as it can.
say("state-report ingestion");
const before = (await health(server.httpUrl)).stateReportsStored ?? 0;
const expected = N * opts.reportsPerDevice;
const ingestCpu = cpuMeter(serverPid);
await ingestCpu.start();
const ingestStart = performance.now();
for (let round = 0; round < opts.reportsPerDevice; round++) {
  for (const member of fleet.members) {
    const deviceId = member.device.deviceId!;
    const state = await member.device.platform.readState();
    const bytes = encodeDeviceState({
      ...state,
      atMs: Date.now(),
      agentVersion: "bench",
      appliedConfigVersion: 0,
      signingKeysVersion: 1,
      model: member.device.platform.model,
      serial: member.device.serial,
    });
    member.transport?.publish(deviceTopic(deviceId, "state"), bytes, { qos: 0 }).catch(() => {});
  }
}
await until(async () => ((await health(server.httpUrl)).stateReportsStored ?? 0) - before >= expected, 20);
const ingestMs = performance.now() - ingestStart;
const ingestCpuUsed = await ingestCpu.stop();
const reportsPerSecond = expected / (ingestMs / 1000);
results.stateIngestion = { reports: expected, ms: ingestMs, reportsPerSecond, cpu: ingestCpuUsed };
rows.push({
  metric: "state reports stored in SQLite",
  value: `${Math.round(reportsPerSecond)}/s (${expected} in ${ms(ingestMs, 0)})`,
  target: "≥ 20 000/s",
  verdict: reportsPerSecond >= 20_000 ? "met" : "missed",
});
rows.push(cpuRow("state ingestion", ingestCpuUsed, expected, "report"));

// Reconnect storm: every device drops at once; a fleet command waits for them.
say("reconnect storm");
const stormCpu = cpuMeter(serverPid);
await stormCpu.start();
const stormStart = performance.now();
for (const member of fleet.members) member.transport?.dropConnection(1 + Math.floor(Math.random() * 500));
await until(async () => ((await health(server.httpUrl)).devicesOnline ?? 0) < N, 2);
const stormBatch = await admin.request<{ id: string }>("POST", "/batches", {
  target: { all: true },
  command: { type: "refresh_state" },
});
await until(async () => (await health(server.httpUrl)).devicesOnline === N, 20);
const stormOnlineMs = performance.now() - stormStart;
await until(
  async () => (await admin.request<{ done: boolean }>("GET", `/batches/${stormBatch.id}`)).done,
  20,
);
const stormDoneMs = performance.now() - stormStart;
const stormCpuUsed = await stormCpu.stop();
results.reconnectStorm = {
  devices: N,
  allOnlineMs: stormOnlineMs,
  pendingDeliveredMs: stormDoneMs,
  cpu: stormCpuUsed,
};
rows.push({
  metric: `reconnect storm: ${N} drop and return`,
  value: `all online ${ms(stormOnlineMs, 0)}, pending commands done ${ms(stormDoneMs, 0)}`,
  target: "≤ 5 s at 10k",
  verdict: N >= 10_000 ? (stormDoneMs <= 5000 ? "met" : "missed") : "",
});
rows.push(cpuRow("reconnect storm", stormCpuUsed, N, "device"));

db.close();
await fleet.stop();
await server.stop();
await rm(dataDir, { recursive: true, force: true });

// ---- baselines: the same fleet echoing through plain brokers --------------------------------

say("baseline: bare aedes echo");
const bare = await startBareAedes();
const bareEcho = await echoBaseline(bare.url, N);
await bare.stop();
results.bareAedesEcho = bareEcho;
rows.push({ metric: `bare aedes QoS 1 echo of ${N}`, value: ms(bareEcho.echoMs, 0) });

let mosquittoEcho: { echoMs: number } | null = null;
if (mosquittoPath()) {
  say("baseline: Mosquitto echo");
  const mosquitto = await startMosquitto(await freePort());
  if (mosquitto) {
    mosquittoEcho = await echoBaseline(mosquitto.url, N);
    await mosquitto.stop();
    rows.push({ metric: `Mosquitto QoS 1 echo of ${N}`, value: ms(mosquittoEcho.echoMs, 0) });
  }
} else {
  say("Mosquitto is not installed (apt-get install mosquitto): its baseline is skipped");
}
results.mosquittoEcho = mosquittoEcho;

const vsBare = lastFinishedMs / bareEcho.echoMs;
rows.push({
  metric: "fleet command / bare aedes echo",
  value: `${vsBare.toFixed(2)}×`,
  target: "≤ 1×",
  verdict: vsBare <= 1 ? "met" : "missed",
});
if (mosquittoEcho) {
  const vsMosquitto = lastFinishedMs / mosquittoEcho.echoMs;
  rows.push({
    metric: "fleet command / Mosquitto echo",
    value: `${vsMosquitto.toFixed(2)}×`,
    target: "≤ 1.5×",
    verdict: vsMosquitto <= 1.5 ? "met" : "missed",
  });
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}`;
const table = markdownTable(rows);
process.stdout.write(`\n## portal-mdm benchmark, ${N} devices\n\nMachine: ${machine}\n\n${table}\n`);
await mkdir(opts.out, { recursive: true });
const file = join(opts.out, `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
await writeFile(
  file,
  JSON.stringify({ devices: N, machine, at: new Date().toISOString(), results, table }, null, 2),
);
say(`\nresults written to ${file}`);
process.exit(0);
