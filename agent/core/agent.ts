/**
 * The agent core: enrolls, connects, executes commands exactly once and in order, applies the
 * desired configuration and reports the device's state. Everything device-specific goes
 * through the Platform; everything network-specific through the transport.
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import {
  decodeDesiredConfig,
  decodeSignedCommand,
  encodeCommandResult,
  encodeDeviceState,
  WireDecodeError,
} from "../../proto/codec.js";
import { deviceTopic, parseDeviceTopic } from "../../proto/topics.js";
import {
  AUTO_TIMEZONE,
  type CommandResult,
  type DesiredConfig,
  type DeviceCommand,
  type ResultStatus,
} from "../../proto/wire.js";
import {
  type DeviceInfo,
  EnrollmentClient,
  EnrollmentRefusedError,
  enrollWithDeviceCode,
} from "../enrollment/enrollment-client.js";
import type { Platform } from "../platform/platform.js";
import type { AgentStorage, Identity, JournalEntry } from "../storage/agent-storage.js";
import type { AgentTransport, TransportFactory } from "../transport/transport.js";
import type { AgentEvents, AgentStatus } from "./agent-events.js";
import { PLATFORM_EXECUTORS } from "./executors.js";

export interface AgentCoreOptions {
  platform: Platform;
  storage: AgentStorage;
  transport: TransportFactory;
  serverUrl: string;
  agentVersion: string;
  logger: Logger;
  /** The device's clock, ms. */
  clock?: () => number;
  /** Enroll with this token; without one the agent shows a device code. */
  enrollmentToken?: string;
  /** Periodic state report. Default 60 000 ms; 0 disables it. */
  stateReportIntervalMs?: number;
  /** Replaces the HTTP client (tests). */
  enrollmentClient?: EnrollmentClient;
}

export class AgentCore extends EventEmitter {
  private currentStatus: AgentStatus = "stopped";
  private transport: AgentTransport | null = null;
  private identityInUse: Identity | null = null;
  /** Commands and config are handled strictly one at a time, in arrival order. */
  private work: Promise<void> = Promise.resolve();
  private stateTimer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();
  private journalRecovered = false;
  private stopped = false;
  private readonly clock: () => number;

  constructor(private readonly options: AgentCoreOptions) {
    super();
    this.clock = options.clock ?? Date.now;
  }

  get status(): AgentStatus {
    return this.currentStatus;
  }

  get deviceId(): string | null {
    return this.identityInUse?.deviceId ?? this.options.storage.identity()?.deviceId ?? null;
  }

  override emit<K extends keyof AgentEvents>(event: K, payload: AgentEvents[K]): boolean {
    return super.emit(event, payload);
  }

  override on<K extends keyof AgentEvents>(event: K, listener: (payload: AgentEvents[K]) => void): this {
    return super.on(event, listener);
  }

  override once<K extends keyof AgentEvents>(event: K, listener: (payload: AgentEvents[K]) => void): this {
    return super.once(event, listener);
  }

  private setStatus(status: AgentStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.emit("status", status);
  }

  private get log(): Logger {
    return this.options.logger;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  async start(): Promise<void> {
    const { storage } = this.options;
    this.setStatus("starting");
    await storage.load();
    if (storage.tombstone()) {
      this.log.warn("this device was permanently deactivated; the agent will not operate or enroll");
      this.setStatus("deactivated");
      return;
    }
    let identity = storage.identity();
    if (!identity) {
      this.setStatus("enrolling");
      try {
        identity = await this.enroll();
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof EnrollmentRefusedError && err.code === "device_deactivated") {
          await storage.writeTombstone({ deviceId: null, atMs: this.clock(), reason: err.message });
          this.log.warn({ reason: err.message }, "the server refuses this device for good");
          this.setStatus("deactivated");
          return;
        }
        throw err;
      }
      if (this.stopped) return;
    }
    this.connect(identity);
  }

  /** Stops timers and the connection. `abrupt`: no DISCONNECT, as when power is cut. */
  async stop(options: { abrupt?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.abort.abort(new Error("agent stopped"));
    this.clearStateTimer();
    const transport = this.transport;
    this.transport = null;
    await transport?.end(options.abrupt ?? false);
    if (
      this.currentStatus === "online" ||
      this.currentStatus === "offline" ||
      this.currentStatus === "connecting"
    ) {
      this.setStatus("stopped");
    }
  }

  private async enroll(): Promise<Identity> {
    const { storage, platform, agentVersion, serverUrl } = this.options;
    const client = this.options.enrollmentClient ?? new EnrollmentClient(serverUrl);
    const device: DeviceInfo = { serial: platform.serial, model: platform.model, agentVersion };
    const grant = this.options.enrollmentToken
      ? await client.enrollWithToken(this.options.enrollmentToken, device)
      : await enrollWithDeviceCode(
          client,
          device,
          { showCode: (code) => this.emit("userCode", code) },
          this.abort.signal,
        );
    const identity: Identity = {
      deviceId: grant.deviceId,
      secret: grant.secret,
      mqttUrl: grant.mqttUrl,
      serverUrl,
      enrolledAtMs: this.clock(),
    };
    await storage.saveIdentity(identity);
    // A fresh enrollment starts a fresh command history on the server side too.
    this.log.info({ deviceId: identity.deviceId }, "enrolled");
    this.emit("enrolled", identity);
    return identity;
  }

  private connect(identity: Identity): void {
    this.identityInUse = identity;
    this.setStatus("connecting");
    const transport = this.options.transport(
      {
        url: identity.mqttUrl,
        clientId: identity.deviceId,
        username: identity.deviceId,
        password: identity.secret,
      },
      {
        connected: () => this.enqueue(() => this.onConnected()),
        disconnected: () => {
          if (this.transport === transport && !this.stopped) this.setStatus("offline");
        },
        message: (topic, payload) => this.onMessage(topic, payload),
        authRejected: (reason) => {
          this.log.warn({ reason }, "the server rejected this device's credential");
          this.emit("problem", { code: "credential_rejected", message: reason });
        },
      },
    );
    this.transport = transport;
    transport.connect();
  }

  private async onConnected(): Promise<void> {
    const identity = this.identityInUse;
    const transport = this.transport;
    if (!identity || !transport || this.stopped) return;
    await transport.subscribe([deviceTopic(identity.deviceId, "cmd"), deviceTopic(identity.deviceId, "cfg")]);
    this.setStatus("online");
    if (!this.journalRecovered) {
      this.journalRecovered = true;
      await this.recoverJournal();
    }
    await this.reportState();
    this.scheduleStateReports();
  }

  /** Runs after a (re)start: finishes reboots and reports commands a crash interrupted. */
  private async recoverJournal(): Promise<void> {
    for (const entry of this.options.storage.journalEntries()) {
      if (entry.state === "rebooting") await this.finishReboot(entry, true);
      else if (entry.state === "accepted") await this.interrupted(entry);
    }
  }

  private scheduleStateReports(): void {
    const intervalMs = this.options.stateReportIntervalMs ?? 60_000;
    if (intervalMs <= 0 || this.stateTimer) return;
    this.stateTimer = setInterval(() => this.enqueue(() => this.reportState()), intervalMs);
    this.stateTimer.unref();
  }

  private clearStateTimer(): void {
    if (this.stateTimer) clearInterval(this.stateTimer);
    this.stateTimer = null;
  }

  private enqueue(step: () => Promise<void>): void {
    this.work = this.work.then(step).catch((err: unknown) => {
      if (!this.stopped) this.log.error({ err }, "agent step failed");
    });
  }

  /** Resolves when everything received so far has been handled. */
  idle(): Promise<void> {
    return this.work;
  }

  // ---- incoming messages --------------------------------------------------------------------

  private onMessage(topic: string, payload: Buffer): void {
    const parsed = parseDeviceTopic(topic);
    const deviceId = this.identityInUse?.deviceId;
    if (!parsed || parsed.deviceId !== deviceId) return;
    if (parsed.channel === "cmd") this.enqueue(() => this.onCommand(payload));
    else if (parsed.channel === "cfg") this.enqueue(() => this.onDesiredConfig(payload));
  }

  private async onCommand(payload: Buffer): Promise<void> {
    if (this.stopped) return;
    let command: DeviceCommand;
    try {
      command = decodeSignedCommand(payload).command;
    } catch (err) {
      if (!(err instanceof WireDecodeError)) throw err;
      this.log.warn({ reason: err.message }, "dropped malformed command");
      return;
    }
    const { storage } = this.options;
    const log = this.log.child({ commandId: command.id, type: command.action.type, seq: command.seq });

    if (command.deviceId !== this.identityInUse?.deviceId) {
      log.warn({ addressedTo: command.deviceId }, "rejected a command for another device");
      await this.publishResult(
        command.id,
        "rejected",
        "wrong_device",
        `command is for device '${command.deviceId}'`,
      );
      return;
    }
    const seen = storage.journalEntry(command.id);
    if (seen) return this.answerDuplicate(seen);
    if (command.expiresAtMs <= this.clock()) {
      log.info("rejected an expired command");
      await this.finish(
        command,
        "rejected",
        "expired",
        `command expired at ${new Date(command.expiresAtMs).toISOString()}`,
      );
      return;
    }
    if (command.seq <= storage.lastSeq()) {
      log.warn({ lastSeq: storage.lastSeq() }, "rejected an out-of-order command");
      await this.publishResult(
        command.id,
        "rejected",
        "out_of_order",
        `seq ${command.seq} is not after ${storage.lastSeq()}`,
      );
      return;
    }
    await this.execute(command, log);
  }

  private async execute(command: DeviceCommand, log: Logger): Promise<void> {
    const { storage, platform } = this.options;
    const { type } = command.action;
    if (type === "reboot") {
      // Durable before acting: after the restart, a new boot time proves the reboot happened.
      const { bootTimeMs } = await platform.readState();
      await storage.putJournalEntry({
        commandId: command.id,
        seq: command.seq,
        type,
        state: "rebooting",
        bootTimeMsAtAccept: bootTimeMs,
      });
      await this.publishResult(command.id, "accepted");
      this.emit("executed", { commandId: command.id, type });
      log.info("rebooting");
      await platform.reboot();
      return;
    }

    // Durable before acting: a crash from here on never runs this command again.
    if (type === "deactivate") {
      await storage.writeTombstone({
        deviceId: command.deviceId,
        atMs: this.clock(),
        reason: "deactivated by admin",
      });
    }
    await storage.putJournalEntry({ commandId: command.id, seq: command.seq, type, state: "accepted" });
    await this.publishResult(command.id, "accepted");
    this.emit("executed", { commandId: command.id, type });
    try {
      await PLATFORM_EXECUTORS[type](platform, command.action);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ reason: message }, "command failed");
      await this.finish(command, "failed", "platform_error", message);
      await this.reportState();
      return;
    }
    await this.finish(command, "succeeded");
    log.info("command succeeded");

    switch (type) {
      case "factory_reset":
        await this.leave("unenrolled", () => storage.wipe());
        this.emit("wiped", undefined);
        return;
      case "stop_managing":
        await this.leave("unmanaged", () => storage.clearIdentity());
        return;
      case "deactivate":
        await this.leave("deactivated", () => storage.clearIdentity());
        return;
      default:
        await this.reportState();
    }
  }

  /** Drops the connection for good after forgetting what `forget` forgets. */
  private async leave(status: AgentStatus, forget: () => Promise<void>): Promise<void> {
    await forget();
    this.clearStateTimer();
    const transport = this.transport;
    this.transport = null;
    this.identityInUse = null;
    await transport?.end(false);
    this.setStatus(status);
  }

  private async answerDuplicate(entry: JournalEntry): Promise<void> {
    if (entry.state === "done" && entry.result) {
      await this.publish(entry.result);
    } else if (entry.state === "rebooting") {
      await this.finishReboot(entry, false);
    } else {
      await this.interrupted(entry);
    }
  }

  /** `afterRestart`: this process is new, so the reboot either happened or never will. */
  private async finishReboot(entry: JournalEntry, afterRestart: boolean): Promise<void> {
    const { bootTimeMs } = await this.options.platform.readState();
    if (bootTimeMs !== entry.bootTimeMsAtAccept) {
      await this.finish(entry, "succeeded");
    } else if (!afterRestart) {
      // Still waiting for the restart this process asked for.
      await this.publishResult(entry.commandId, "accepted");
    } else {
      await this.finish(
        entry,
        "failed",
        "reboot_not_observed",
        "the agent restarted but the device did not reboot",
      );
    }
  }

  /** The agent stopped after accepting this command and before recording its result. */
  private interrupted(entry: JournalEntry): Promise<void> {
    return this.finish(entry, "failed", "interrupted", "the agent stopped while executing this command");
  }

  /** Records the final result durably, then publishes it. */
  private async finish(
    command: { commandId?: string; id?: string; seq: number; type?: string; action?: { type: string } },
    status: ResultStatus,
    errorCode = "",
    message = "",
  ): Promise<void> {
    const commandId = command.commandId ?? command.id ?? "";
    const result: CommandResult = { commandId, status, errorCode, message, atMs: this.clock() };
    const type = (command.type ?? command.action?.type ?? "unknown") as JournalEntry["type"];
    await this.options.storage.putJournalEntry({ commandId, seq: command.seq, type, state: "done", result });
    await this.publish(result);
  }

  private publishResult(
    commandId: string,
    status: ResultStatus,
    errorCode = "",
    message = "",
  ): Promise<void> {
    return this.publish({ commandId, status, errorCode, message, atMs: this.clock() });
  }

  private async publish(result: CommandResult): Promise<void> {
    const identity = this.identityInUse;
    const transport = this.transport;
    if (!identity || !transport) return;
    await transport.publish(deviceTopic(identity.deviceId, "res"), encodeCommandResult(result));
    this.emit("result", result);
  }

  // ---- desired configuration and state ------------------------------------------------------

  private async onDesiredConfig(payload: Buffer): Promise<void> {
    if (this.stopped) return;
    let config: DesiredConfig;
    try {
      config = decodeDesiredConfig(payload);
    } catch (err) {
      if (!(err instanceof WireDecodeError)) throw err;
      this.log.warn({ reason: err.message }, "dropped malformed desired config");
      return;
    }
    const { storage, platform } = this.options;
    if (config.version <= storage.appliedConfigVersion()) return;
    try {
      const current = await platform.readState();
      if (config.name && config.name !== current.name) await platform.setName(config.name);
      const zoneMatches =
        config.time.timezone === AUTO_TIMEZONE
          ? current.timezoneAutomatic
          : !current.timezoneAutomatic && current.timezone === config.time.timezone;
      if (!zoneMatches || config.time.ntpServer !== current.ntpServer) {
        await platform.setTimeSettings(config.time);
      }
      await storage.setAppliedConfigVersion(config.version);
    } catch (err) {
      this.log.warn({ err, version: config.version }, "could not apply the desired configuration");
    }
    await this.reportState();
  }

  private async reportState(): Promise<void> {
    const identity = this.identityInUse;
    const transport = this.transport;
    if (!identity || !transport || this.stopped) return;
    const { platform, storage, agentVersion } = this.options;
    const state = await platform.readState();
    const atMs = this.clock();
    await transport.publish(
      deviceTopic(identity.deviceId, "state"),
      encodeDeviceState({
        ...state,
        atMs,
        agentVersion,
        appliedConfigVersion: storage.appliedConfigVersion(),
        model: platform.model,
        serial: platform.serial,
      }),
    );
    this.emit("stateReported", { atMs });
  }
}
