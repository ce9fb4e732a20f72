/**
 * `npm run agent -- --server http://HOST:PORT [--enroll-token T] [--data-dir DIR]`
 * Runs the device agent. Its state (identity, command journal) lives in the data dir.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Command, Option } from "commander";
import { pino } from "pino";
import type { AgentEvents } from "./core/agent-events.js";
import { SimulatedDevice } from "./simulated-device.js";
import { FileAgentStorage, writeFileAtomic } from "./storage/file-storage.js";
import { AGENT_VERSION } from "./version.js";

const program = new Command("portal-agent")
  .description("Device agent for portal-mdm")
  .version(AGENT_VERSION)
  .requiredOption("--server <url>", "portal-mdm server, e.g. http://127.0.0.1:8080")
  .option("--enroll-token <token>", "enroll with this token instead of showing a code")
  .option("--data-dir <dir>", "where the agent keeps its identity and journal", "./agent-data")
  .addOption(
    new Option("--platform <name>", "what the agent drives").choices(["simulated"]).default("simulated"),
  )
  .option("--serial <serial>", "device serial (simulated platform; default: generated once per data dir)")
  .option("--model <model>", "device model (simulated platform)", "Portal")
  .option("--name <name>", "initial device name (simulated platform)")
  .addOption(
    new Option("--log-level <level>", "log level")
      .choices(["fatal", "error", "warn", "info", "debug"])
      .default("info"),
  )
  .parse();

const opts = program.opts<{
  server: string;
  enrollToken?: string;
  dataDir: string;
  platform: "simulated";
  serial?: string;
  model: string;
  name?: string;
  logLevel: string;
}>();

const logger = pino({ name: "portal-agent", level: opts.logLevel });

/** A simulated device keeps one serial for the life of its data dir. */
async function simulatedSerial(dataDir: string, requested?: string): Promise<string> {
  const file = join(dataDir, "serial");
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    const serial = requested ?? `SIM-${randomBytes(4).toString("hex").toUpperCase()}`;
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, serial);
    return serial;
  }
}

/** What the agent runs as; the Linux platform is added here beside the simulated one. */
interface RunningAgent {
  start(): Promise<void>;
  stop(): Promise<void>;
  on<K extends keyof AgentEvents>(event: K, listener: (payload: AgentEvents[K]) => void): unknown;
  readonly deviceId: string | null;
}

const runners: Record<typeof opts.platform, () => Promise<RunningAgent>> = {
  // A simulated device reboots in-process: the agent stops, and starts again over the same
  // data dir with a new boot time.
  simulated: async () =>
    new SimulatedDevice({
      serial: await simulatedSerial(opts.dataDir, opts.serial),
      model: opts.model,
      name: opts.name,
      serverUrl: opts.server,
      enrollmentToken: opts.enrollToken,
      storage: new FileAgentStorage(opts.dataDir),
      logger,
    }),
};

const agent = await runners[opts.platform]();

agent.on("userCode", ({ userCode, expiresInSeconds }) => {
  process.stdout.write(
    `\n  Enter code ${userCode} in the portal-mdm console (expires in ${Math.round(expiresInSeconds / 60)} min)\n\n`,
  );
});
agent.on("status", (status) => logger.info({ status, deviceId: agent.deviceId }, `agent ${status}`));
agent.on("problem", (problem) => logger.warn(problem, problem.message));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void agent.stop().then(() => process.exit(0));
  });
}

try {
  await agent.start();
} catch (err) {
  logger.fatal({ err }, "agent failed to start");
  process.exit(1);
}
