/**
 * `npm run agent -- --server http://HOST:PORT [--enroll-token T] [--data-dir DIR]`
 * The device agent's composition root. Its state (identity, command journal, tombstone) lives
 * in the data dir, so a restarted agent resumes where it stopped.
 */
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import { type Logger, pino } from "pino";
import type { AgentEvents } from "./core/agent-events.js";
import { EnrollmentRefusedError } from "./enrollment/enrollment-client.js";
import { SimulatedDevice } from "./simulated-device.js";
import { readJsonFile, writeFileAtomic } from "./storage/atomic-file.js";
import { FileAgentStorage } from "./storage/file-storage.js";
import { AGENT_VERSION } from "./version.js";

const PLATFORMS = ["simulated"] as const;
type PlatformName = (typeof PLATFORMS)[number];

interface CliOptions {
  server: string;
  enrollToken?: string;
  dataDir: string;
  platform: PlatformName;
  serial?: string;
  model: string;
  name?: string;
  logLevel: string;
}

/** What the CLI runs, whichever the platform. */
interface RunningAgent {
  start(): Promise<void>;
  stop(): Promise<void>;
  on<K extends keyof AgentEvents & string>(event: K, listener: (payload: AgentEvents[K]) => void): unknown;
  readonly deviceId: string | null;
}

const SERIAL_FILE = "device.json";

/**
 * A simulated device keeps one serial for the life of its data dir: the one asked for on its
 * first run, or one derived from the data dir's path. Stored, so moving the dir keeps it.
 */
async function simulatedSerial(dataDir: string, requested: string | undefined, log: Logger): Promise<string> {
  const file = join(dataDir, SERIAL_FILE);
  const stored = await readJsonFile<{ serial: string }>(file);
  if (stored?.serial) {
    if (requested && requested !== stored.serial) {
      log.warn({ stored: stored.serial, requested }, "this data dir belongs to another serial; keeping it");
    }
    return stored.serial;
  }
  const derived = createHash("sha256").update(resolve(dataDir)).digest("hex").slice(0, 10).toUpperCase();
  const serial = requested ?? `SIM-${derived}`;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, JSON.stringify({ serial }));
  return serial;
}

/** One entry per platform; a Linux platform is one more line here. */
const PLATFORM_RUNNERS: Record<PlatformName, (opts: CliOptions, log: Logger) => Promise<RunningAgent>> = {
  // Reboots happen in-process: the agent stops and starts again over the same data dir.
  simulated: async (opts, log) =>
    new SimulatedDevice({
      serial: await simulatedSerial(opts.dataDir, opts.serial, log),
      model: opts.model,
      name: opts.name,
      serverUrl: opts.server,
      enrollmentToken: opts.enrollToken,
      storage: new FileAgentStorage(opts.dataDir),
      logger: log,
    }),
};

async function main(): Promise<void> {
  const opts = new Command("portal-agent")
    .description("Device agent for portal-mdm")
    .version(AGENT_VERSION)
    .requiredOption("--server <url>", "portal-mdm server, e.g. http://127.0.0.1:8080")
    .option("--enroll-token <token>", "enroll with this token instead of showing a code")
    .option("--data-dir <dir>", "where the agent keeps its identity and journal", "./agent-data")
    .addOption(
      new Option("--platform <name>", "what the agent drives").choices(PLATFORMS).default("simulated"),
    )
    .option("--serial <serial>", "device serial (simulated; default: derived from the data dir, then kept)")
    .option("--model <model>", "device model (simulated)", "Portal")
    .option("--name <name>", "initial device name (simulated)")
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
        .default("info"),
    )
    .parse()
    .opts<CliOptions>();

  const log = pino({ name: "portal-agent", level: opts.logLevel });
  const agent = await PLATFORM_RUNNERS[opts.platform](opts, log);

  agent.on("userCode", ({ userCode, expiresInSeconds }) => {
    const minutes = Math.max(1, Math.round(expiresInSeconds / 60));
    process.stdout.write(
      `\n  Enter code ${userCode} in the portal-mdm console (expires in ${minutes} min)\n\n`,
    );
  });
  agent.on("status", (status) => log.info({ status, deviceId: agent.deviceId }, `agent ${status}`));

  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      // A second signal means "now".
      if (stopping) process.exit(1);
      stopping = true;
      log.info({ signal }, "stopping");
      agent.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, "could not stop cleanly");
          process.exit(1);
        },
      );
    });
  }

  try {
    await agent.start();
  } catch (err) {
    if (err instanceof EnrollmentRefusedError) {
      log.fatal({ code: err.code }, `the server refused to enroll this device: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

main().catch((err: unknown) => {
  pino({ name: "portal-agent" }).fatal({ err }, "agent failed");
  process.exit(1);
});
