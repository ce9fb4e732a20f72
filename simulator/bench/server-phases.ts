/**
 * The benchmark's phases against one server process on one store, with a fleet of its own:
 * the connect ramp, memory, a fleet command, single-command latency, state-report ingestion
 * and a reconnect storm. Returns the figures and the rows of that store's table.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { WebSocket } from "ws";
import { encodeDeviceState } from "../../proto/codec.js";
import { deviceTopic } from "../../proto/topics.js";
import { AdminClient } from "../admin-client.js";
import { Fleet } from "../fleet.js";
import type { FleetProfile } from "../profile.js";
import { progressBar } from "../progress.js";
import type { BenchStore, CommandOutcome, StoreReader } from "./bench-stores.js";
import type { PhaseProfile } from "./postgres-profile.js";
import { type CpuUsed, cpuMeter, rssBytes, tcpSocketStats } from "./proc-stats.js";
import { freePort, type ServerProcess, spawnServer } from "./server-process.js";
import { ms, type ResultRow, summarize } from "./stats.js";

type Summary = ReturnType<typeof summarize>;

export interface StoreFigures {
  connectRamp: { devices: number; ms: number; devicesPerSecond: number };
  memory: {
    serverRssBeforeBytes: number;
    serverRssAfterBytes: number;
    rssPerDeviceKb: number;
    tcpSocketsInUse: number;
    tcpSocketMemBytes: number;
  };
  fleetCommand: {
    devices: number;
    succeeded: number;
    outcomes: CommandOutcome[];
    /** Created → finished of the last command: the fleet command's duration in the store. */
    lastFinishedMs: number;
    apiToAllSucceededMs: number;
    perDeviceMs: Summary;
    createdToSentMs: Summary;
    cpu: CpuUsed;
  };
  singleCommand: Summary;
  stateIngestion: { reports: number; ms: number; reportsPerSecond: number; cpu: CpuUsed };
  reconnectStorm: { devices: number; allOnlineMs: number; pendingDeliveredMs: number; cpu: CpuUsed };
  /**
   * The machine's 1-minute load average when the store's run began and ended: above the core
   * count, something else took CPU from the run too.
   */
  loadAverage: { before: number; after: number };
  /** With a profiler (PostgreSQL and `--postgres-profile`): where each phase's database time went. */
  profiles?: PhaseProfile[];
}

export interface PhaseOptions {
  store: BenchStore;
  devices: number;
  singleSamples: number;
  reportsPerDevice: number;
  /** Node flags for the server process (`--cpu-prof ...`). */
  serverNodeArgs: string[];
  /** Where the server's output goes. */
  serverLogFile: string;
  /** Starts a database profile of a phase; its stop gives the profile. */
  profilePhase?: (phase: string) => Promise<() => Promise<PhaseProfile>>;
  say: (line: string) => void;
}

/** Every device quick and healthy: the benchmark measures the server, not simulated faults. */
const benchProfile: FleetProfile = {
  name: "bench",
  models: [{ model: "Portal", share: 1 }],
  groups: [{ name: "healthy", share: 1 }],
};

const sleep = (msToWait: number) => new Promise((r) => setTimeout(r, msToWait));

async function until(probe: () => Promise<boolean>, intervalMs = 5, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(intervalMs);
  }
}

async function health(url: string): Promise<Record<string, number>> {
  return (await (await fetch(`${url}/healthz`)).json()) as Record<string, number>;
}

/** How long the server may take to exit after SIGTERM before it is killed (and that reported). */
const STOP_GRACE_MS = 30_000;

async function stopWithin(
  server: ServerProcess,
  graceMs: number,
  say: (line: string) => void,
  label: string,
  logFile: string,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), graceMs);
  });
  const outcome = await Promise.race([server.stop(), late]);
  clearTimeout(timer);
  if (outcome === "late") {
    say(
      `${label}: the server did not exit within ${graceMs / 1000} s of SIGTERM (its output: ${logFile}); killed`,
    );
    await server.kill();
  }
}

/** CPU time per unit of work on each side: steadier than wall time on a shared machine. */
export function cpuRow(
  what: string,
  cpu: CpuUsed,
  units: number,
  unit: string,
  withDatabase: boolean,
): ResultRow {
  const us = (msTotal: number) => `${Math.round((msTotal * 1000) / units)} µs`;
  return withDatabase
    ? {
        metric: `CPU per ${unit}, ${what} (server / database / simulated fleet)`,
        value: `${us(cpu.serverMs)} / ${us(cpu.databaseMs)} / ${us(cpu.fleetMs)}`,
      }
    : {
        metric: `CPU per ${unit}, ${what} (server / simulated fleet)`,
        value: `${us(cpu.serverMs)} / ${us(cpu.fleetMs)}`,
      };
}

export async function runServerPhases(
  options: PhaseOptions,
): Promise<{ figures: StoreFigures; rows: ResultRow[] }> {
  const { store, devices: N, say } = options;
  const label = store.label;
  const withDatabase = store.name !== "sqlite";
  const rows: ResultRow[] = [];
  const profiles: PhaseProfile[] = [];
  const profiled = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const stop = options.profilePhase ? await options.profilePhase(phase) : null;
    const result = await work();
    if (stop) profiles.push(await stop());
    return result;
  };

  const loadBefore = loadavg()[0]!;
  const dataDir = await mkdtemp(join(tmpdir(), "pmdm-bench-"));
  // The data dir and the store's database go whatever happens; `measure` stops the server.
  try {
    return await measure(await startServer(dataDir));
  } finally {
    await store.release();
    await rm(dataDir, { recursive: true, force: true });
  }

  async function startServer(dataDir: string): Promise<{ server: ServerProcess; dataDir: string }> {
    try {
      const server = await spawnServer({
        dataDir,
        httpPort: await freePort(),
        mqttPort: await freePort(),
        env: await store.serverEnv(),
        nodeArgs: options.serverNodeArgs,
        logFile: options.serverLogFile,
      });
      return { server, dataDir };
    } catch (err) {
      say(`${label}: the server did not start; its output is in ${options.serverLogFile}`);
      throw err;
    }
  }

  async function measure({ server, dataDir }: { server: ServerProcess; dataDir: string }) {
    let reader: StoreReader;
    try {
      reader = await store.openReader(dataDir);
    } catch (err) {
      await server.kill();
      throw err;
    }
    const serverPid = server.child.pid!;
    const meter = () => cpuMeter(serverPid, () => reader.databaseCpuMs());
    let fleetToStop: Fleet | null = null;
    try {
      const admin = await AdminClient.fromDataDir(server.httpUrl, dataDir);
      const rssBeforeBytes = await rssBytes(serverPid);
      const socketsBefore = await tcpSocketStats();

      say(`${label}: server pid ${serverPid}; enrolling and connecting ${N} devices`);
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
      fleetToStop = fleet;
      const rampMs = await profiled("connect ramp", async () => {
        const rampStart = performance.now();
        await fleet.start();
        await until(async () => (await health(server.httpUrl)).devicesOnline === N, 20);
        return performance.now() - rampStart;
      });
      bar.stop();
      const connectRamp = { devices: N, ms: rampMs, devicesPerSecond: N / (rampMs / 1000) };
      rows.push({
        metric: `enroll + connect ${N} devices`,
        value: `${(rampMs / 1000).toFixed(1)} s (${Math.round(N / (rampMs / 1000))}/s)`,
      });

      await sleep(1000); // let the enrollment garbage settle before reading memory
      const rssAfterBytes = await rssBytes(serverPid);
      const socketsAfter = await tcpSocketStats();
      const rssPerDeviceKb = (rssAfterBytes - rssBeforeBytes) / N / 1024;
      const memory = {
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

      // Fleet command: API call to every command succeeded in the store.
      say(`${label}: fleet command`);
      const fleetCpu = meter();
      await fleetCpu.start();
      const { batchId, fleetMs } = await profiled("fleet command", async () => {
        const fleetStart = performance.now();
        const batch = await admin.request<{ id: string }>("POST", "/batches", {
          target: { all: true },
          command: { type: "lock" },
        });
        // The figure comes from the commands' own timestamps; polling gently keeps the poll itself
        // from taking the server's time.
        await until(
          async () => (await admin.request<{ done: boolean }>("GET", `/batches/${batch.id}`)).done,
          50,
        );
        return { batchId: batch.id, fleetMs: performance.now() - fleetStart };
      });
      const fleetCpuUsed = await fleetCpu.stop();
      const perDevice = await reader.batchCommandTimes(batchId);
      const succeeded = perDevice.filter((r) => r.state === "succeeded").length;
      const outcomes = await reader.batchOutcomes(batchId);
      if (succeeded < N) say(`${label}: fleet command outcomes: ${JSON.stringify(outcomes)}`);
      const perDeviceStats = summarize(perDevice.map((r) => r.ms));
      /** Created → handed to the broker; commands finished before their sent mark have none. */
      const toSentStats = summarize(perDevice.flatMap((r) => (r.toSentMs === null ? [] : [r.toSentMs])));
      const lastFinishedMs = perDeviceStats.max;
      const fleetCommand = {
        devices: N,
        succeeded,
        outcomes,
        lastFinishedMs,
        apiToAllSucceededMs: fleetMs,
        perDeviceMs: perDeviceStats,
        createdToSentMs: toSentStats,
        cpu: fleetCpuUsed,
      };
      rows.push({
        metric: `fleet command to ${N}: all succeeded in ${label}`,
        value: `${ms(lastFinishedMs, 0)} (seen by API poll: ${ms(fleetMs, 0)}); ${succeeded}/${N} succeeded`,
        target: "≤ 1 s at 10k",
        verdict: N >= 10_000 ? (lastFinishedMs <= 1000 ? "met" : "missed") : "",
      });
      rows.push({
        metric: "fleet command, per device (created → succeeded)",
        value: `p50 ${ms(perDeviceStats.p50, 0)}, p99 ${ms(perDeviceStats.p99, 0)} (sent after p50 ${ms(toSentStats.p50, 0)}, p99 ${ms(toSentStats.p99, 0)})`,
      });
      rows.push(cpuRow("fleet command", fleetCpuUsed, N, "device", withDatabase));

      // Single command latency with the fleet idle, seen on the event stream.
      say(`${label}: single-command latency`);
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
      await profiled("single command", async () => {
        for (let i = 0; i < options.singleSamples; i++) {
          const deviceId = ids[i % ids.length]!;
          const start = performance.now();
          const command = await admin.request<{ id: string }>("POST", `/devices/${deviceId}/commands`, {
            type: "refresh_state",
          });
          // The command may have finished while the POST's answer was on its way.
          if (!finished.has(command.id))
            await new Promise<void>((resolve) => waiting.set(command.id, resolve));
          latencies.push(performance.now() - start);
          waiting.delete(command.id);
          finished.delete(command.id);
        }
      });
      events.close();
      const singleCommand = summarize(latencies);
      rows.push({
        metric: `single command (API → executed → recorded), ${N} idle`,
        value: `p50 ${ms(singleCommand.p50)}, p99 ${ms(singleCommand.p99)}, p99.9 ${ms(singleCommand.p999)}`,
        target: "p99 ≤ 5 ms",
        verdict: singleCommand.p99 <= 5 ? "met" : "missed",
      });

      // State-report ingestion: every device reports as fast as it can.
      say(`${label}: state-report ingestion`);
      const before = (await health(server.httpUrl)).stateReportsStored ?? 0;
      const expected = N * options.reportsPerDevice;
      const ingestCpu = meter();
      await ingestCpu.start();
      const ingestMs = await profiled("state ingestion", async () => {
        const ingestStart = performance.now();
        for (let round = 0; round < options.reportsPerDevice; round++) {
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
        await until(
          async () => ((await health(server.httpUrl)).stateReportsStored ?? 0) - before >= expected,
          20,
        );
        return performance.now() - ingestStart;
      });
      const ingestCpuUsed = await ingestCpu.stop();
      const reportsPerSecond = expected / (ingestMs / 1000);
      const stateIngestion = { reports: expected, ms: ingestMs, reportsPerSecond, cpu: ingestCpuUsed };
      rows.push({
        metric: `state reports stored in ${label}`,
        value: `${Math.round(reportsPerSecond)}/s (${expected} in ${ms(ingestMs, 0)})`,
        target: "≥ 20 000/s",
        verdict: reportsPerSecond >= 20_000 ? "met" : "missed",
      });
      rows.push(cpuRow("state ingestion", ingestCpuUsed, expected, "report", withDatabase));

      // Reconnect storm: every device drops at once; a fleet command waits for them.
      say(`${label}: reconnect storm`);
      const stormCpu = meter();
      await stormCpu.start();
      const { stormOnlineMs, stormDoneMs } = await profiled("reconnect storm", async () => {
        const stormStart = performance.now();
        for (const member of fleet.members)
          member.transport?.dropConnection(1 + Math.floor(Math.random() * 500));
        await until(async () => ((await health(server.httpUrl)).devicesOnline ?? 0) < N, 2);
        const stormBatch = await admin.request<{ id: string }>("POST", "/batches", {
          target: { all: true },
          command: { type: "refresh_state" },
        });
        await until(async () => (await health(server.httpUrl)).devicesOnline === N, 20);
        const onlineMs = performance.now() - stormStart;
        await until(
          async () => (await admin.request<{ done: boolean }>("GET", `/batches/${stormBatch.id}`)).done,
          20,
        );
        return { stormOnlineMs: onlineMs, stormDoneMs: performance.now() - stormStart };
      });
      const stormCpuUsed = await stormCpu.stop();
      const reconnectStorm = {
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
      rows.push(cpuRow("reconnect storm", stormCpuUsed, N, "device", withDatabase));

      const loadAverage = { before: loadBefore, after: loadavg()[0]! };
      rows.push({
        metric: "machine load average (1 min), before / after",
        value: `${loadAverage.before.toFixed(1)} / ${loadAverage.after.toFixed(1)}`,
      });
      const figures: StoreFigures = {
        connectRamp,
        memory,
        fleetCommand,
        singleCommand,
        stateIngestion,
        reconnectStorm,
        loadAverage,
        ...(options.profilePhase ? { profiles } : {}),
      };
      return { figures, rows };
    } catch (err) {
      say(`${label}: the run failed; the server's output is in ${options.serverLogFile}`);
      throw err;
    } finally {
      // Before the server: a fleet still connected would keep reconnecting to it as it closes.
      await fleetToStop?.stop();
      await reader.close();
      await stopWithin(server, STOP_GRACE_MS, say, label, options.serverLogFile);
    }
  }
}
