/**
 * `npm run sim -- --devices N [--server URL] [--enroll-token T] [--profile FILE]`
 * Enrolls and connects N simulated displays (the agent core with SimulatedPlatform over the
 * lean transport) and keeps them running until stopped. Past one process's socket budget the
 * fleet is split across worker processes.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import { pino } from "pino";
import { AdminClient } from "./admin-client.js";
import { Fleet } from "./fleet.js";
import { loadProfile } from "./profile.js";
import { progressBar } from "./progress.js";
import { parseDuration, runSoak } from "./soak.js";

/** Sockets one process may hold under a 20 000 open-file cap, with room for everything else. */
export const DEVICES_PER_PROCESS = 19_000;
const DEFAULT_PROFILE = fileURLToPath(new URL("./profiles/mixed.json", import.meta.url));

const program = new Command("portal-sim")
  .description("Runs a fleet of simulated Portal displays against a portal-mdm server")
  .addOption(new Option("--devices <n>", "fleet size").argParser(Number).default(100))
  .option("--server <url>", "portal-mdm server", "http://127.0.0.1:8080")
  .option("--enroll-token <token>", "enrollment token (default: one is created with the admin token)")
  .option("--admin-token <token>", "admin API token (default: read from <data-dir>/admin-token)")
  .option("--data-dir <dir>", "the server's data dir, to find its admin token", "./data")
  .option("--profile <file>", "fleet profile (JSON)", DEFAULT_PROFILE)
  .addOption(new Option("--seed <n>", "random seed").argParser(Number).default(1))
  .addOption(new Option("--state-interval <seconds>", "periodic state report").argParser(Number).default(60))
  .option(
    "--soak <duration>",
    "run this long (e.g. 30m) with periodic fleet commands, then report stuck commands",
  )
  .addOption(new Option("--serial-prefix <prefix>").default("SIM").hideHelp())
  .addOption(new Option("--worker").hideHelp())
  .parse();

const opts = program.opts<{
  devices: number;
  server: string;
  enrollToken?: string;
  adminToken?: string;
  dataDir: string;
  profile: string;
  seed: number;
  stateInterval: number;
  serialPrefix: string;
  soak?: string;
  worker?: boolean;
}>();

if (!Number.isInteger(opts.devices) || opts.devices < 1) {
  process.stderr.write("--devices must be a positive whole number\n");
  process.exit(2);
}

// Simulated faults are expected; only real trouble is worth a line among the progress output.
const logger = pino({ name: "portal-sim", level: "error" });
const soakMs = opts.soak ? parseDuration(opts.soak) : null;
const profile = await loadProfile(opts.profile);
const enrollmentToken =
  opts.enrollToken ??
  (await (
    await AdminClient.fromDataDir(opts.server, opts.dataDir, opts.adminToken)
  ).createEnrollmentToken(opts.devices));

type WorkerMessage = { online: number } | { ready: true };

async function runHere(): Promise<() => Promise<void>> {
  const bar = opts.worker ? null : progressBar("connecting", opts.devices);
  const fleet = new Fleet({
    serverUrl: opts.server,
    enrollmentToken,
    profile,
    size: opts.devices,
    serialPrefix: opts.serialPrefix,
    seed: opts.seed,
    logger,
    stateReportIntervalMs: opts.stateInterval * 1000,
    onProgress: (online) => {
      bar?.update(online);
      if (opts.worker && online % 100 === 0) process.send?.({ online } satisfies WorkerMessage);
    },
  });
  await fleet.start();
  bar?.stop();
  process.send?.({ online: fleet.onlineCount() } satisfies WorkerMessage);
  process.send?.({ ready: true } satisfies WorkerMessage);
  if (!opts.worker) {
    process.stderr.write(`${fleet.onlineCount()} devices online (profile ${profile.name}); Ctrl-C to stop\n`);
    const status = setInterval(() => {
      const executions = fleet.devices.reduce((n, d) => n + d.executions.length, 0);
      process.stderr.write(
        `online ${fleet.onlineCount()}/${opts.devices}, commands executed ${executions}\n`,
      );
    }, 10_000);
    status.unref();
  }
  return () => fleet.stop();
}

/** Splits the fleet across child processes, each under the per-process socket budget. */
async function runWorkers(): Promise<() => Promise<void>> {
  const workerCount = Math.ceil(opts.devices / DEVICES_PER_PROCESS);
  const bar = progressBar(`connecting (${workerCount} processes)`, opts.devices);
  const onlineByWorker = new Array<number>(workerCount).fill(0);
  const children: ChildProcess[] = [];
  const ready: Promise<void>[] = [];
  for (let w = 0; w < workerCount; w++) {
    const size = Math.min(DEVICES_PER_PROCESS, opts.devices - w * DEVICES_PER_PROCESS);
    const child = fork(
      fileURLToPath(import.meta.url),
      [
        "--worker",
        "--devices",
        String(size),
        "--server",
        opts.server,
        "--enroll-token",
        enrollmentToken,
        "--profile",
        opts.profile,
        "--seed",
        String(opts.seed + w),
        "--state-interval",
        String(opts.stateInterval),
        "--serial-prefix",
        `${opts.serialPrefix}${w}`,
      ],
      { execArgv: ["--import", "tsx"] },
    );
    children.push(child);
    ready.push(
      new Promise((resolve, reject) => {
        child.on("message", (message: WorkerMessage) => {
          if ("online" in message) {
            onlineByWorker[w] = message.online;
            bar.update(onlineByWorker.reduce((a, b) => a + b, 0));
          } else resolve();
        });
        child.once("exit", (code) => reject(new Error(`worker ${w} exited with ${code}`)));
      }),
    );
  }
  await Promise.all(ready);
  bar.stop();
  process.stderr.write(`${opts.devices} devices online in ${workerCount} processes; Ctrl-C to stop\n`);
  return async () => {
    for (const child of children) child.kill("SIGTERM");
  };
}

const stop = opts.devices > DEVICES_PER_PROCESS && !opts.worker ? await runWorkers() : await runHere();
if (soakMs !== null && !opts.worker) {
  const report = await runSoak({
    admin: await AdminClient.fromDataDir(opts.server, opts.dataDir, opts.adminToken),
    durationMs: soakMs,
    print: (line) => process.stderr.write(`${line}\n`),
  });
  await stop();
  process.exit(report.stuck === 0 ? 0 : 1);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void stop().then(() => process.exit(0));
  });
}
