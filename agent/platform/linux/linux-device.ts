/**
 * The agent on a real Linux device, built from its config file: the system command runner,
 * the Linux platform with telemetry and a clock monitor, durable file storage in the state
 * dir, MQTT.js, and the agent core. After a factory reset the core has forgotten its identity; the device then
 * reboots, and the agent that starts next enrolls again.
 */
import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import { Agent as HttpAgent } from "undici";
import { ClockMonitor } from "../../clock/clock-monitor.js";
import { ntpClockProbe } from "../../clock/ntp-probe.js";
import { type AgentConfig, AgentConfigError } from "../../config.js";
import { AgentCore } from "../../core/agent.js";
import type { AgentEvents, AgentStatus } from "../../core/agent-events.js";
import { EnrollmentClient } from "../../enrollment/enrollment-client.js";
import { FileAgentStorage } from "../../storage/file-storage.js";
import {
  readHardwareIdentity,
  type SystemInformation,
  SystemTelemetry,
} from "../../telemetry/system-telemetry.js";
import { mqttJsTransport } from "../../transport/mqtt-transport.js";
import type { TransportFactory } from "../../transport/transport.js";
import { AGENT_VERSION } from "../../version.js";
import { type CommandRunner, SystemCommandRunner } from "./command-runner.js";
import { LinuxPlatform } from "./linux-platform.js";
import { ChronyMechanism, type NtpMechanism, TimesyncdMechanism } from "./ntp-mechanisms.js";
import type { SystemFiles } from "./system-readings.js";

export interface LinuxDeviceOptions {
  config: AgentConfig;
  logger: Logger;
  /** Replaces the system command runner built from the config. */
  runner?: CommandRunner;
  transport?: TransportFactory;
  /** Replaces systeminformation. */
  systemInformation?: SystemInformation;
  files?: SystemFiles;
}

function ntpMechanism(config: AgentConfig): NtpMechanism {
  switch (config.ntp.mechanism) {
    case "timesyncd":
      return new TimesyncdMechanism(config.ntp.timesyncdDropIn);
    case "chrony":
      return new ChronyMechanism(config.ntp.chronySourcesFile);
  }
}

async function readCa(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new AgentConfigError(`caFile: cannot read ${file}: ${(err as Error).message}`);
  }
}

export class LinuxDevice {
  private constructor(
    readonly core: AgentCore,
    readonly platform: LinuxPlatform,
    private readonly logger: Logger,
  ) {}

  static async create(options: LinuxDeviceOptions): Promise<LinuxDevice> {
    const { config, logger } = options;
    if (!config.server)
      throw new AgentConfigError("no server: set `server` in the agent's config or pass --server");
    const runner =
      options.runner ??
      new SystemCommandRunner({
        logger: logger.child({ component: "runner" }),
        timeoutMs: config.commandTimeoutSeconds * 1000,
        dryRun: config.dryRun,
      });
    const identity = await readHardwareIdentity(config.device, options.systemInformation);
    const clock = new ClockMonitor({
      probe: ntpClockProbe({ replyTimeoutMs: config.clock.replyTimeoutMs, samples: config.clock.samples }),
      schedule: config.clock.schedule,
      automaticServer: config.clock.automaticNtpServer,
      logger: logger.child({ component: "clock" }),
    });
    const platform = await LinuxPlatform.create({
      runner,
      logger: logger.child({ component: "platform" }),
      model: identity.model,
      serial: identity.serial,
      stateDir: config.stateDir,
      ntp: ntpMechanism(config),
      automaticTimezoneUnit:
        config.timezone.automaticMechanism === "systemd-unit" ? config.timezone.automaticUnit : null,
      wipeScript: config.factoryReset.wipeScript,
      wipeTimeoutMs: config.factoryReset.timeoutSeconds * 1000,
      clock,
      telemetry: new SystemTelemetry({
        diskMount: config.telemetry.diskMount,
        source: options.systemInformation,
      }),
      files: options.files,
    });
    const ca = config.caFile ? await readCa(config.caFile) : undefined;
    const core = new AgentCore({
      platform,
      storage: new FileAgentStorage(config.stateDir),
      transportFactory: options.transport ?? mqttJsTransport({ ca }),
      enrollmentClient: new EnrollmentClient(config.server, {
        dispatcher: ca ? new HttpAgent({ connect: { ca } }) : undefined,
      }),
      serverUrl: config.server,
      agentVersion: AGENT_VERSION,
      logger,
      enrollment: { token: config.enrollToken || undefined },
      stateReportIntervalMs: config.stateReportIntervalSeconds * 1000,
    });
    const device = new LinuxDevice(core, platform, logger);
    core.on("wiped", () => device.rebootAfterReset());
    logger.info(
      { model: identity.model, serial: identity.serial, dryRun: config.dryRun, ntp: config.ntp.mechanism },
      "Linux device ready",
    );
    return device;
  }

  get status(): AgentStatus {
    return this.core.status;
  }

  get deviceId(): string | null {
    return this.core.deviceId;
  }

  start(): Promise<void> {
    return this.core.start();
  }

  stop(options: { abrupt?: boolean } = {}): Promise<void> {
    return this.core.stop(options);
  }

  idle(): Promise<void> {
    return this.core.idle();
  }

  on<K extends keyof AgentEvents & string>(event: K, listener: (payload: AgentEvents[K]) => void): this {
    this.core.on(event, listener);
    return this;
  }

  off<K extends keyof AgentEvents & string>(event: K, listener: (payload: AgentEvents[K]) => void): this {
    this.core.off(event, listener);
    return this;
  }

  /** The last step of a factory reset: the device starts over, unenrolled. */
  private rebootAfterReset(): void {
    this.logger.info("factory reset done; rebooting");
    this.platform.reboot().catch((err: unknown) => {
      this.logger.error({ err }, "could not reboot after the factory reset; reboot the device by hand");
    });
  }
}
