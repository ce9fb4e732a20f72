/**
 * `npm run agent -- --server http://HOST:PORT [--enroll-token T] [--data-dir DIR]` (simulated)
 * `portal-agent --platform linux [--config /etc/portal-agent/agent.json]` (a real device)
 * The device agent's composition root. Its state (identity, command journal, tombstone) lives
 * in the data dir (on Linux, the config's state dir), so a restarted agent resumes where it
 * stopped.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import { type Logger, pino } from "pino";
import { Agent as HttpAgent } from "undici";
import { AgentConfigError, DEFAULT_CONFIG_FILE, loadAgentConfigFile } from "./config.js";
import type { AgentEvents } from "./core/agent-events.js";
import { EnrollmentRefusedError } from "./enrollment/enrollment-client.js";
import { appendExecution } from "./execution-log.js";
import { LinuxDevice } from "./platform/linux/linux-device.js";
import { SimulatedDevice } from "./simulated-device.js";
import { readJsonFile, writeFileAtomic } from "./storage/atomic-file.js";
import { FileAgentStorage } from "./storage/file-storage.js";
import { mqttJsTransport } from "./transport/mqtt-transport.js";
import { AGENT_VERSION } from "./version.js";

const PLATFORMS = ["simulated", "linux"] as const;
type PlatformName = (typeof PLATFORMS)[number];

interface CliOptions {
  server?: string;
  enrollToken?: string;
  dataDir: string;
  platform: PlatformName;
  config: string;
  dryRun?: boolean;
  serial?: string;
  model: string;
  name?: string;
  logLevel: string;
  caFile?: string;
  latencyMs: number;
  executionLog?: string;
}

/** The flags given on the command line (not defaulted), for those that override a config file. */
type GivenFlags = ReadonlySet<keyof CliOptions>;

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

/** One entry per platform: the running agent and the logger it logs to. */
const PLATFORM_RUNNERS: Record<
  PlatformName,
  (opts: CliOptions, given: GivenFlags) => Promise<{ agent: RunningAgent; log: Logger }>
> = {
  // Reboots happen in-process: the agent stops and starts again over the same data dir.
  simulated: async (opts) => {
    const log = pino({ name: "portal-agent", level: opts.logLevel });
    if (!opts.server) throw new AgentConfigError("--server is required with --platform simulated");
    const ca = opts.caFile ? await readCaFile(opts.caFile) : undefined;
    const agent = new SimulatedDevice({
      serial: await simulatedSerial(opts.dataDir, opts.serial, log),
      model: opts.model,
      name: opts.name,
      serverUrl: opts.server,
      enrollmentToken: opts.enrollToken,
      storage: new FileAgentStorage(opts.dataDir),
      logger: log,
      latencyMs: opts.latencyMs,
      transport: mqttJsTransport({ ca }),
      enrollmentDispatcher: ca ? new HttpAgent({ connect: { ca } }) : undefined,
    });
    const executionLog = opts.executionLog;
    if (executionLog) {
      agent.on("executed", ({ commandId, type, atMs }) =>
        appendExecution(executionLog, { commandId, type, atMs, pid: process.pid }),
      );
    }
    return { agent, log };
  },
  // A real device: everything comes from the config file; flags given override it. Logs are
  // JSON lines on stdout, which systemd puts in the journal.
  linux: async (opts, given) => {
    const file = await loadAgentConfigFile(opts.config);
    const config = {
      ...file,
      ...(given.has("server") ? { server: opts.server } : {}),
      ...(given.has("enrollToken") ? { enrollToken: opts.enrollToken } : {}),
      ...(given.has("dataDir") ? { stateDir: opts.dataDir } : {}),
      ...(given.has("dryRun") ? { dryRun: true } : {}),
      ...(given.has("logLevel") ? { logLevel: opts.logLevel as typeof file.logLevel } : {}),
      ...(given.has("caFile") ? { caFile: opts.caFile ?? null } : {}),
    };
    const log = pino({ name: "portal-agent", level: config.logLevel });
    return { agent: await LinuxDevice.create({ config, logger: log }), log };
  },
};

async function main(): Promise<void> {
  const program = new Command("portal-agent")
    .description("Device agent for portal-mdm")
    .version(AGENT_VERSION)
    .option("--server <url>", "portal-mdm server, e.g. http://127.0.0.1:8080 (linux: overrides the config)")
    .option("--enroll-token <token>", "enroll with this token instead of showing a code")
    .option(
      "--data-dir <dir>",
      "where the agent keeps its identity and journal (linux: the config's stateDir)",
      "./agent-data",
    )
    .addOption(
      new Option("--platform <name>", "what the agent drives").choices(PLATFORMS).default("simulated"),
    )
    .option("--config <file>", "the agent's config file (linux)", DEFAULT_CONFIG_FILE)
    .option("--dry-run", "log the device commands instead of running them (linux)")
    .option("--serial <serial>", "device serial (simulated; default: derived from the data dir, then kept)")
    .option("--model <model>", "device model (simulated)", "Portal")
    .option("--name <name>", "initial device name (simulated)")
    .option(
      "--ca-file <file>",
      "trust this CA (PEM) for the server's HTTPS and MQTT over TLS (linux: overrides the config)",
    )
    .addOption(
      new Option("--latency-ms <ms>", "time each device action takes (simulated)")
        .argParser(Number)
        .default(0),
    )
    .option(
      "--execution-log <file>",
      "append a JSON line per device action, before it runs (simulated; for crash tests)",
    )
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
        .default("info"),
    )
    .parse();
  const opts = program.opts<CliOptions>();
  const given = new Set(
    (Object.keys(opts) as (keyof CliOptions)[]).filter((key) => program.getOptionValueSource(key) === "cli"),
  );

  const { agent, log } = await PLATFORM_RUNNERS[opts.platform](opts, given);

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

async function readCaFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new AgentConfigError(`cannot read the CA file ${file}: ${(err as Error).message}`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof AgentConfigError) {
    process.stderr.write(`portal-agent: ${err.message}\n`);
    process.exit(2);
  }
  pino({ name: "portal-agent" }).fatal({ err }, "agent failed");
  process.exit(1);
});
