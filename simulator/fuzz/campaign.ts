/**
 * One fuzzing run against the real server in its own process: a healthy device receives and
 * completes commands throughout, while hostile MQTT sessions and then fuzzed payloads hit the
 * server. The run watches the server process (exits, error-level log lines, resident memory)
 * and ends with a clean shutdown. `npm run fuzz` and the test suite both run it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pino } from "pino";
import { SimulatedDevice } from "../../agent/simulated-device.js";
import { AdminClient } from "../admin-client.js";
import { rssBytes } from "../bench/proc-stats.js";
import { freePort, spawnServer } from "../bench/server-process.js";
import { summarize } from "../bench/stats.js";
import { CommandProbe } from "./command-probe.js";
import type { FuzzIdentity } from "./mqtt-cases.js";
import { type MqttFuzzReport, runMqttFuzz } from "./mqtt-fuzzer.js";
import { type PayloadFuzzReport, runPayloadFuzz } from "./payload-fuzzer.js";
import { Sentinel } from "./sentinel.js";

export interface FuzzCampaignOptions {
  seed: number;
  /** Malformed and mutated MQTT packets to send. */
  packets: number;
  /** Fuzzed payloads to publish on `res` and `state`. */
  payloads: number;
  /** Time bound of the whole run; the MQTT phase gets three quarters of it. */
  seconds: number;
  /** Hostile sessions open at once. Default 32. */
  concurrency?: number;
  /** Enrolled devices whose credentials the MQTT fuzzer uses. Default 8. */
  fuzzDevices?: number;
  /** Enrolled devices that publish fuzzed payloads. Default 8. */
  payloadDevices?: number;
  onPhase?: (phase: string) => void;
  onProgress?: (phase: "mqtt" | "payload", done: number, total: number) => void;
}

export interface FuzzCampaignReport {
  seed: number;
  mqtt: MqttFuzzReport;
  payload: PayloadFuzzReport;
  server: {
    /** Exits of the server process before the run stopped it. */
    unexpectedExits: number;
    /** Exit code of the clean shutdown at the end. */
    shutdownExitCode: number | null;
    errorLines: number;
    firstErrors: string[];
    /** Warning log lines by message: the reasons the server gave for refusing things. */
    warningsByMessage: Record<string, number>;
    rssStartBytes: number;
    rssPeakBytes: number;
    rssEndBytes: number;
  };
  healthyDevice: {
    completed: number;
    notSucceeded: number;
    timedOut: number;
    requestErrors: number;
    disconnects: number;
    latencyMs: ReturnType<typeof summarize>;
    /** Longest time between two completions while the fuzzer ran. */
    longestGapMs: number;
    finalCommand: string;
  };
  /** The listening device whose topics and client id the fuzzer aims at. */
  sentinel: { leaked: string[]; disconnects: number };
  elapsedMs: number;
  /** Everything that went wrong; empty when the run passed. */
  failures: string[];
}

const quiet = pino({ level: "silent" });
const RSS_SAMPLE_MS = 200;

async function enroll(admin: AdminClient, token: string, serial: string): Promise<FuzzIdentity> {
  return admin.request<FuzzIdentity>("POST", "/enrollment/enroll", {
    token,
    serial,
    model: "Portal",
    agentVersion: "1.0.0",
  });
}

export async function runFuzzCampaign(options: FuzzCampaignOptions): Promise<FuzzCampaignReport> {
  const startedMs = performance.now();
  const deadlineMs = Date.now() + options.seconds * 1000;
  const phase = (name: string) => options.onPhase?.(name);
  const dataDir = await mkdtemp(join(tmpdir(), "pmdm-fuzz-"));
  const mqttPort = await freePort();
  const server = await spawnServer({ dataDir, httpPort: await freePort(), mqttPort, logLevel: "info" });
  const pid = server.child.pid!;

  const serverReport: FuzzCampaignReport["server"] = {
    unexpectedExits: 0,
    shutdownExitCode: null,
    errorLines: 0,
    firstErrors: [],
    warningsByMessage: {},
    rssStartBytes: await rssBytes(pid),
    rssPeakBytes: 0,
    rssEndBytes: 0,
  };
  let stopping = false;
  /** A crash ends the run at once; the report says what was sent up to then. */
  const crashed = new AbortController();
  server.child.once("exit", () => {
    if (stopping) return;
    serverReport.unexpectedExits++;
    crashed.abort();
  });
  // stderr carries what the log cannot: an uncaught exception's stack.
  server.child.stderr?.on("data", (chunk: Buffer) => {
    if (serverReport.firstErrors.length < 5) serverReport.firstErrors.push(String(chunk).slice(0, 2000));
  });
  createInterface({ input: server.child.stdout! }).on("line", (line) => {
    let entry: { level?: number; msg?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if ((entry.level ?? 0) >= 50) {
      serverReport.errorLines++;
      if (serverReport.firstErrors.length < 5) serverReport.firstErrors.push(line.slice(0, 2000));
    } else if (entry.level === 40 && entry.msg) {
      serverReport.warningsByMessage[entry.msg] = (serverReport.warningsByMessage[entry.msg] ?? 0) + 1;
    }
  });
  const rssSampler = setInterval(() => {
    rssBytes(pid).then(
      (rss) => {
        serverReport.rssPeakBytes = Math.max(serverReport.rssPeakBytes, rss);
      },
      () => {},
    );
  }, RSS_SAMPLE_MS);

  const fuzzDeviceCount = options.fuzzDevices ?? 8;
  const payloadDeviceCount = options.payloadDevices ?? 8;
  phase("enrolling devices");
  const admin = await AdminClient.fromDataDir(server.httpUrl, dataDir);
  const token = await admin.createEnrollmentToken(2 + fuzzDeviceCount + payloadDeviceCount);
  const healthy = new SimulatedDevice({
    serial: "FUZZ-HEALTHY",
    serverUrl: server.httpUrl,
    enrollmentToken: token,
    logger: quiet,
    stateReportIntervalMs: 0,
  });
  const online = healthy.waitForStatus("online");
  await healthy.start();
  await online;
  let healthyDisconnects = 0;
  healthy.on("status", (status) => {
    if (status !== "online") healthyDisconnects++;
  });
  const victimId = healthy.deviceId!;
  const fuzzDevices: FuzzIdentity[] = [];
  for (let i = 0; i < fuzzDeviceCount; i++) fuzzDevices.push(await enroll(admin, token, `FUZZ-MQTT-${i}`));
  const payloadDevices: FuzzIdentity[] = [];
  for (let i = 0; i < payloadDeviceCount; i++) {
    payloadDevices.push(await enroll(admin, token, `FUZZ-PAYLOAD-${i}`));
  }

  const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const sentinel = await Sentinel.connect(mqttUrl, await enroll(admin, token, "FUZZ-SENTINEL"));
  const probe = new CommandProbe(admin, victimId);
  await probe.start();

  phase("MQTT packets");
  const mqttShareMs = options.payloads > 0 ? options.seconds * 750 : options.seconds * 1000;
  const mqtt = await runMqttFuzz({
    host: "127.0.0.1",
    port: mqttPort,
    webSocketUrl: `${server.httpUrl.replace("http", "ws")}/mqtt`,
    targets: { devices: fuzzDevices, victimIds: [victimId, sentinel.deviceId] },
    seed: options.seed,
    packets: options.packets,
    concurrency: options.concurrency ?? 32,
    deadlineMs: Date.now() + mqttShareMs,
    signal: crashed.signal,
    onProgress: (sent) => options.onProgress?.("mqtt", sent, options.packets),
  });

  phase("payloads");
  const payload = await runPayloadFuzz({
    mqttUrl,
    admin,
    devices: payloadDevices,
    victimId,
    seed: options.seed,
    payloads: options.payloads,
    deadlineMs,
    signal: crashed.signal,
    onProgress: (sent) => options.onProgress?.("payload", sent, options.payloads),
  }).catch(
    (err: Error): PayloadFuzzReport => ({
      seed: options.seed,
      payloadsSent: 0,
      payloadsByKind: {},
      disconnects: 0,
      problems: [`the payload run failed: ${err.message}`],
      elapsedMs: 0,
    }),
  );

  phase("checking");
  const probeReport = await probe.stop();
  // After the storm: one more command must go through as on a quiet day.
  const finalCommand = await probe.once();
  probe.close();
  clearInterval(rssSampler);
  serverReport.rssEndBytes = await rssBytes(pid).catch(() => Number.NaN);
  serverReport.rssPeakBytes = Math.max(serverReport.rssPeakBytes, serverReport.rssEndBytes);
  const disconnects = healthyDisconnects;
  await healthy.stop();
  await sentinel.close();
  stopping = true;
  serverReport.shutdownExitCode = await server.stop();
  await rm(dataDir, { recursive: true, force: true });

  const gaps = probeReport.finishedAtMs.slice(1).map((t, i) => t - probeReport.finishedAtMs[i]!);
  const report: FuzzCampaignReport = {
    seed: options.seed,
    mqtt,
    payload,
    server: serverReport,
    healthyDevice: {
      completed: probeReport.completed,
      notSucceeded: probeReport.notSucceeded,
      timedOut: probeReport.timedOut,
      requestErrors: probeReport.requestErrors,
      disconnects,
      latencyMs: summarize(probeReport.latenciesMs),
      longestGapMs: Math.max(0, ...gaps),
      finalCommand,
    },
    sentinel: { leaked: sentinel.leaked(), disconnects: sentinel.disconnects },
    elapsedMs: performance.now() - startedMs,
    failures: [],
  };
  report.failures = failuresOf(report);
  return report;
}

function failuresOf(r: FuzzCampaignReport): string[] {
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };
  check(r.server.unexpectedExits === 0, `the server process exited ${r.server.unexpectedExits} time(s)`);
  check(r.server.shutdownExitCode === 0, `the server shut down with exit code ${r.server.shutdownExitCode}`);
  check(
    r.server.firstErrors.length === 0,
    `the server reported ${r.server.errorLines} error log line(s) and: ${r.server.firstErrors.join("\n")}`,
  );
  check(r.mqtt.connectFailures === 0, `${r.mqtt.connectFailures} fuzz connections could not connect`);
  check(r.healthyDevice.completed > 0, "the healthy device completed no command");
  check(
    r.healthyDevice.finalCommand === "succeeded",
    `the command after the run ended ${r.healthyDevice.finalCommand}`,
  );
  check(
    r.healthyDevice.notSucceeded === 0,
    `${r.healthyDevice.notSucceeded} healthy commands did not succeed`,
  );
  check(
    r.healthyDevice.timedOut === 0,
    `${r.healthyDevice.timedOut} healthy commands did not finish in time`,
  );
  check(r.healthyDevice.requestErrors === 0, `${r.healthyDevice.requestErrors} API requests failed`);
  check(
    r.healthyDevice.disconnects === 0,
    `the healthy device was disconnected ${r.healthyDevice.disconnects} time(s)`,
  );
  check(r.sentinel.leaked.length === 0, `messages reached the sentinel: ${r.sentinel.leaked.join(", ")}`);
  check(r.sentinel.disconnects === 0, `the sentinel was disconnected ${r.sentinel.disconnects} time(s)`);
  check(r.payload.disconnects === 0, `payload devices were disconnected ${r.payload.disconnects} time(s)`);
  for (const problem of r.payload.problems) failures.push(`stored state: ${problem}`);
  return failures;
}
