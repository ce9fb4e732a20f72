/**
 * The agent core: enrolls, connects, executes commands exactly once and in order, applies the
 * desired configuration and reports the device's state. Everything device-specific goes
 * through the Platform, everything network-specific through the transport, and everything
 * that must survive a crash through the storage, which is written before the agent acts.
 */
import type { Logger } from "pino";
import { checkBrokerUrls, sameBrokerUrls } from "../../proto/broker-urls.js";
import {
  decodeDesiredConfig,
  decodeSignedCommand,
  decodeSigningKeySet,
  encodeCommandResult,
  encodeDeviceState,
  WireDecodeError,
} from "../../proto/codec.js";
import { ED25519_PUBLIC_KEY_BYTES } from "../../proto/ed25519.js";
import { DEVICE_RESULT_CODE, type DeviceResultCode } from "../../proto/result-codes.js";
import { deviceTopic, parseDeviceTopic } from "../../proto/topics.js";
import {
  AUTO_TIMEZONE,
  type CommandResult,
  type ConfigError,
  type DesiredConfig,
  type DeviceCommand,
  type DeviceState,
  type ReceivedCommand,
  type ResultStatus,
  type SignedKeySet,
} from "../../proto/wire.js";
import { enrollWithDeviceCode, enrollWithToken, type Sleep } from "../enrollment/enroll.js";
import {
  type DeviceInfo,
  EnrollmentClient,
  EnrollmentRefusedError,
} from "../enrollment/enrollment-client.js";
import type { Platform } from "../platform/platform.js";
import {
  type AgentStorage,
  brokerUrlsOf,
  type Identity,
  type JournalEntry,
  type PinnedKeys,
} from "../storage/agent-storage.js";
import { BrokerRotation } from "../transport/broker-rotation.js";
import type { AgentTransport, TransportFactory } from "../transport/transport.js";
import { admitCommand } from "./admission.js";
import type { AgentEvents, AgentStatus } from "./agent-events.js";
import { CommandLog } from "./command-log.js";
import { runExecutor } from "./executors.js";
import { SafeEmitter } from "./safe-emitter.js";
import { SignatureVerifier } from "./signatures.js";

export interface AgentCoreOptions {
  platform: Platform;
  storage: AgentStorage;
  transportFactory: TransportFactory;
  /** The server's HTTP base URL, for enrollment. */
  serverUrl: string;
  agentVersion: string;
  logger: Logger;
  /** The device's clock, ms since the epoch; decides command expiry. Default Date.now. */
  clock?: () => number;
  /** Enroll with `token`; without one the agent shows a device code. */
  enrollment?: { token?: string };
  /** Periodic state report while online. Default 60 000 ms; 0 disables it. */
  stateReportIntervalMs?: number;
  /** How long a graceful stop waits for the command in progress. Default 5000 ms. */
  stopTimeoutMs?: number;
  /** Replaces the HTTP client for enrollment. */
  enrollmentClient?: EnrollmentClient;
  /** Replaces the waits between enrollment attempts and polls. */
  sleep?: Sleep;
  /** Checks command signatures; many cores in one process may share one. Default: a new one. */
  signatureVerifier?: SignatureVerifier;
}

/** Commands after which the device leaves management and drops its credential. */
const LEAVING_COMMANDS: ReadonlySet<string> = new Set(["factory_reset", "stop_managing", "deactivate"]);

/** A command still running after this long reports that it was accepted. */
const ACCEPTANCE_REPORT_DELAY_MS = 250;

/** Statuses that a stop does not overwrite: they say what became of the device. */
const FINAL_STATUSES: ReadonlySet<AgentStatus> = new Set(["unenrolled", "unmanaged", "deactivated"]);

/** Thrown at the next side effect after an abrupt stop: the power is off, nothing more happens. */
class PoweredOff extends Error {
  constructor() {
    super("the agent was stopped abruptly");
    this.name = "PoweredOff";
  }
}

/** What a result's `error_code` may hold: a code of the catalogue, or nothing on success. */
type ResultErrorCode = DeviceResultCode | "";

/** The journal fields that name a command. */
type CommandRef = Pick<JournalEntry, "commandId" | "seq" | "type">;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class AgentCore extends SafeEmitter<AgentEvents> {
  private currentStatus: AgentStatus = "stopped";
  private transport: AgentTransport | null = null;
  /** Where the transport's attempts go; the desired config may replace its list. */
  private brokers: BrokerRotation | null = null;
  private identityInUse: Identity | null = null;
  /** Commands, config and state reports are handled strictly one at a time, in arrival order. */
  private work: Promise<void> = Promise.resolve();
  private stateTimer: NodeJS.Timeout | null = null;
  private stateReportQueued = false;
  /** Stops the platform's background work (see Platform.watch). */
  private unwatchPlatform: (() => void) | null = null;
  private readonly enrollmentAbort = new AbortController();
  /** Reboots this process accepted; any other `rebooting` entry is from before a restart. */
  private readonly rebootsInFlight = new Set<string>();
  private journalRecovered = false;
  private started = false;
  /** Set by stop(): no new work is taken on. */
  private stopping = false;
  /** Set by an abrupt stop: work in progress ends at its next side effect. */
  private poweredOff = false;
  private readonly clock: () => number;
  private readonly verifier: SignatureVerifier;
  /**
   * Why the last desired config received could not be applied, reported with every state until
   * a desired config applies. Not stored: after a restart the server sends the config again on
   * connect, and trying it again finds the reason again.
   */
  private configError: ConfigError | null = null;

  constructor(private readonly options: AgentCoreOptions) {
    super((event, err) => options.logger.error({ err, event }, "an agent event listener failed"));
    this.clock = options.clock ?? Date.now;
    this.verifier = options.signatureVerifier ?? new SignatureVerifier();
  }

  get status(): AgentStatus {
    return this.currentStatus;
  }

  get deviceId(): string | null {
    return this.identityInUse?.deviceId ?? this.options.storage.identity()?.deviceId ?? null;
  }

  private get log(): Logger {
    return this.options.logger;
  }

  private setStatus(status: AgentStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.emit("status", status);
  }

  private problem(code: string, message: string): void {
    this.log.warn({ code }, message);
    this.emit("problem", { code, message });
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * Loads the storage, enrolls if needed and starts connecting; resolves once connecting has
   * begun (or the device turned out deactivated). Rejects with EnrollmentRefusedError when
   * the server refuses to enroll this device for a reason a person must fix (e.g. a bad token).
   */
  async start(): Promise<void> {
    if (this.started) throw new Error("an agent core starts once; create a new one to start again");
    this.started = true;
    this.setStatus("starting");
    try {
      await this.options.storage.load();
      if (this.options.storage.tombstone()) {
        this.log.warn("this device was permanently deactivated; the agent will neither operate nor enroll");
        this.setStatus("deactivated");
        return;
      }
      this.unwatchPlatform = this.options.platform.watch?.(() => this.queueStateReport()) ?? null;
      const identity = this.options.storage.identity() ?? (await this.enroll());
      if (!identity || this.stopping) return;
      this.connect(identity);
    } catch (err) {
      if (err instanceof PoweredOff) return;
      throw err;
    }
  }

  /**
   * Stops timers and the connection. A graceful stop lets the command in progress finish
   * (up to stopTimeoutMs) and says goodbye to the broker; `abrupt` is a power cut: no
   * DISCONNECT, and the work in progress stops before its next write, publish or action.
   */
  async stop(options: { abrupt?: boolean } = {}): Promise<void> {
    this.stopping = true;
    this.enrollmentAbort.abort(new Error("agent stopped"));
    this.clearStateTimer();
    this.stopWatchingPlatform();
    if (options.abrupt) {
      this.poweredOff = true;
    } else if (!(await this.settlesWithin(this.options.stopTimeoutMs ?? 5000))) {
      this.log.warn("the command in progress did not finish in time; stopping anyway");
      this.poweredOff = true;
    }
    const transport = this.transport;
    this.transport = null;
    await transport?.end(this.poweredOff);
    if (!FINAL_STATUSES.has(this.currentStatus)) this.setStatus("stopped");
  }

  /** Resolves when everything received so far has been handled. */
  idle(): Promise<void> {
    return this.work;
  }

  private async settlesWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.work.then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Null when the agent stopped meanwhile or the server refused this serial for good. */
  private async enroll(): Promise<Identity | null> {
    const { storage, platform, agentVersion, serverUrl } = this.options;
    this.setStatus("enrolling");
    const client = this.options.enrollmentClient ?? new EnrollmentClient(serverUrl);
    const device: DeviceInfo = { serial: platform.serial, model: platform.model, agentVersion };
    const retry = {
      signal: this.enrollmentAbort.signal,
      sleep: this.options.sleep,
      onUnavailable: (err: Error, retryInMs: number) =>
        this.log.warn({ reason: err.message, retryInMs }, "enrollment server unavailable; will retry"),
    };
    const token = this.options.enrollment?.token;
    let grant: Awaited<ReturnType<typeof enrollWithToken>>;
    try {
      grant = token
        ? await enrollWithToken(client, token, device, retry)
        : await enrollWithDeviceCode(
            client,
            device,
            (code) => {
              this.log.info({ userCode: code.userCode }, "showing an enrollment code");
              this.emit("userCode", code);
            },
            retry,
          );
    } catch (err) {
      if (this.stopping) return null;
      if (err instanceof EnrollmentRefusedError && err.code === "device_deactivated") {
        await this.act(() =>
          storage.writeTombstone({ deviceId: null, atMs: this.clock(), reason: err.message }),
        );
        this.log.warn({ reason: err.message }, "the server refuses this device for good");
        this.setStatus("deactivated");
        return null;
      }
      if (err instanceof EnrollmentRefusedError) {
        this.problem("enrollment_refused", `enrollment refused (${err.code}): ${err.message}`);
        this.setStatus("unenrolled");
      }
      throw err;
    }
    const identity: Identity = {
      deviceId: grant.deviceId,
      secret: grant.secret,
      mqttUrl: grant.mqttUrls[0]!,
      mqttUrls: grant.mqttUrls,
      serverUrl,
      enrolledAtMs: this.clock(),
      serverKeys: grant.signingKeys,
    };
    // Stored even if a graceful stop came meanwhile: the server has already issued it.
    await this.act(() => storage.saveIdentity(identity));
    this.log.info({ deviceId: identity.deviceId }, "enrolled");
    this.emit("enrolled", { deviceId: identity.deviceId, name: grant.name });
    return identity;
  }

  private connect(identity: Identity): void {
    this.identityInUse = identity;
    this.setStatus("connecting");
    const brokers = new BrokerRotation(brokerUrlsOf(identity), (move) => {
      if (this.brokers !== brokers) return;
      this.log.info(move, "connecting to the next broker URL");
      this.emit("brokerChanged", move);
    });
    this.brokers = brokers;
    const transport = this.options.transportFactory(
      {
        url: brokers.current(),
        brokers,
        clientId: identity.deviceId,
        username: identity.deviceId,
        password: identity.secret,
      },
      {
        connected: () => {
          if (this.transport === transport) this.enqueue(() => this.onConnected(transport));
        },
        disconnected: () => {
          if (this.transport === transport) this.setStatus("offline");
        },
        message: (topic, payload) => {
          if (this.transport === transport) this.onMessage(topic, payload);
        },
        authFailed: (reason) => {
          if (this.transport === transport) this.problem("credential_rejected", `broker refused: ${reason}`);
        },
      },
    );
    this.transport = transport;
    transport.connect();
  }

  private async onConnected(transport: AgentTransport): Promise<void> {
    const identity = this.identityInUse;
    if (transport !== this.transport || !identity) return;
    // Clean sessions: subscriptions are made again on every connect.
    await transport.subscribe([deviceTopic(identity.deviceId, "cmd"), deviceTopic(identity.deviceId, "cfg")]);
    this.setStatus("online");
    await this.reportState();
    if (!this.journalRecovered) {
      this.journalRecovered = true;
      await this.recoverJournal();
    }
    this.startStateTimer();
  }

  /** After a (re)start: finishes reboots, and reports commands that a crash interrupted. */
  private async recoverJournal(): Promise<void> {
    for (const entry of this.options.storage.journalEntries()) {
      if (entry.state === "rebooting") await this.settleReboot(entry);
      else if (entry.state === "accepted") await this.interrupted(entry);
    }
  }

  private startStateTimer(): void {
    const intervalMs = this.options.stateReportIntervalMs ?? 60_000;
    if (intervalMs <= 0 || this.stateTimer) return;
    this.stateTimer = setInterval(() => this.queueStateReport(), intervalMs);
    this.stateTimer.unref();
  }

  /** One queued report is enough however long the agent is busy. */
  private queueStateReport(): void {
    if (this.stateReportQueued) return;
    this.stateReportQueued = true;
    this.enqueue(async () => {
      this.stateReportQueued = false;
      await this.reportState();
    });
  }

  private clearStateTimer(): void {
    if (this.stateTimer) clearInterval(this.stateTimer);
    this.stateTimer = null;
  }

  private stopWatchingPlatform(): void {
    this.unwatchPlatform?.();
    this.unwatchPlatform = null;
  }

  private enqueue(step: () => Promise<void>): void {
    this.work = this.work
      .then(() => (this.stopping ? undefined : step()))
      .catch((err: unknown) => {
        if (err instanceof PoweredOff || this.poweredOff) return;
        this.log.error({ err }, "agent step failed");
      });
  }

  /** Every durable write and device action passes here, so a power cut really stops them. */
  private act<T>(effect: () => Promise<T>): Promise<T> {
    if (this.poweredOff) return Promise.reject(new PoweredOff());
    return effect();
  }

  // ---- commands -----------------------------------------------------------------------------

  private onMessage(topic: string, payload: Uint8Array): void {
    if (this.stopping) return;
    const parsed = parseDeviceTopic(topic);
    if (!parsed || parsed.deviceId !== this.identityInUse?.deviceId) {
      this.log.warn({ topic }, "ignored a message on a topic that is not this device's");
      return;
    }
    if (parsed.channel === "cmd") this.enqueue(() => this.onCommand(payload));
    else if (parsed.channel === "cfg") this.enqueue(() => this.onDesiredConfig(payload));
  }

  private async onCommand(payload: Uint8Array): Promise<void> {
    const identity = this.identityInUse;
    if (!identity) return;
    let received: ReceivedCommand;
    try {
      received = decodeSignedCommand(payload);
    } catch (err) {
      if (!(err instanceof WireDecodeError)) throw err;
      this.log.warn({ reason: err.message }, "dropped a malformed command");
      return;
    }
    const { storage } = this.options;
    const { command } = received;
    const log = new CommandLog(this.log, {
      commandId: command.id,
      type: command.action.type,
      seq: command.seq,
    });
    const admission = admitCommand(received, {
      deviceId: identity.deviceId,
      nowMs: this.clock(),
      lastSeq: storage.lastSeq(),
      journalEntry: (commandId) => storage.journalEntry(commandId),
      checkSignature: (signed) => this.verifier.check(signed, identity.serverKeys),
    });
    const ref: CommandRef = { commandId: command.id, seq: command.seq, type: command.action.type };
    switch (admission.verdict) {
      case "duplicate":
        log.info({ state: admission.entry.state }, "received a command again; answering from the journal");
        return this.answerDuplicate(admission.entry);
      case "reject": {
        const { errorCode, message } = admission;
        log.warn({ errorCode, reason: message }, "rejected a command");
        if (admission.record) return this.finish(ref, "rejected", errorCode, message);
        return this.publishResult(this.result(ref.commandId, "rejected", errorCode, message));
      }
      case "execute":
        return this.execute(command, ref, log);
    }
  }

  private async execute(command: DeviceCommand, ref: CommandRef, log: CommandLog): Promise<void> {
    const { storage, platform } = this.options;
    const { action } = command;
    if (action.type === "reboot") return this.executeReboot(ref, log);
    if (action.type === "deactivate") {
      // The tombstone first: from here on, no crash can bring the device back under management.
      await this.act(() =>
        storage.writeTombstone({
          deviceId: command.deviceId,
          atMs: this.clock(),
          reason: "deactivated by an administrator",
        }),
      );
    }
    // Durable before acting: whatever happens next, this command id never runs again.
    await this.act(() => storage.putJournalEntry({ ...ref, state: "accepted" }));
    const acceptance = this.reportAcceptanceIfSlow(ref.commandId);
    try {
      await this.invokePlatform(ref, () => runExecutor(platform, action));
    } catch (err) {
      if (err instanceof PoweredOff) throw err;
      log.warn({ reason: errorMessage(err) }, "command failed");
      await this.finish(ref, "failed", DEVICE_RESULT_CODE.platform_error, errorMessage(err), {
        withState: true,
      });
      return;
    } finally {
      clearTimeout(acceptance);
    }
    const leaving = LEAVING_COMMANDS.has(action.type);
    // For the leaving commands, the result must reach the server before the agent lets go of
    // its credential: finish() resolves on PUBACK. The others carry the state they produced.
    await this.finish(ref, "succeeded", "", "", { withState: !leaving });
    log.info("command succeeded");
    switch (action.type) {
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
    }
  }

  /**
   * A command that finishes quickly reports only its outcome; one still running after
   * ACCEPTANCE_REPORT_DELAY_MS tells the server it was accepted. Progress only, so QoS 0: the
   * final result (QoS 1) follows on the same connection, and a lost acceptance is answered
   * from the journal when the server sends the command again.
   */
  private reportAcceptanceIfSlow(commandId: string): NodeJS.Timeout {
    return setTimeout(() => {
      this.publishResult(this.result(commandId, "accepted"), 0).catch((err: unknown) => {
        if (!(err instanceof PoweredOff)) this.log.debug({ err, commandId }, "acceptance not sent");
      });
    }, ACCEPTANCE_REPORT_DELAY_MS);
  }

  /** ACCEPTED now; SUCCEEDED from the next process, once the boot time has changed. */
  private async executeReboot(ref: CommandRef, log: CommandLog): Promise<void> {
    const { storage, platform } = this.options;
    const { bootTimeMs } = await platform.readState();
    await this.act(() =>
      storage.putJournalEntry({ ...ref, state: "rebooting", bootTimeMsAtAccept: bootTimeMs }),
    );
    this.rebootsInFlight.add(ref.commandId);
    // Awaited: the server learns of the acceptance before the device goes away.
    await this.publishResult(this.result(ref.commandId, "accepted"));
    try {
      await this.invokePlatform(ref, () => platform.reboot());
    } catch (err) {
      if (err instanceof PoweredOff) throw err;
      this.rebootsInFlight.delete(ref.commandId);
      log.warn({ reason: errorMessage(err) }, "reboot failed");
      await this.finish(ref, "failed", DEVICE_RESULT_CODE.platform_error, errorMessage(err));
      await this.reportState();
      return;
    }
    log.info("rebooting");
  }

  private invokePlatform(ref: CommandRef, action: () => Promise<void>): Promise<void> {
    return this.act(() => {
      this.emit("executed", { commandId: ref.commandId, type: ref.type });
      return action();
    });
  }

  /** Forgets what `forget` forgets, then drops the connection for good. */
  private async leave(status: AgentStatus, forget: () => Promise<void>): Promise<void> {
    await this.act(forget);
    this.clearStateTimer();
    this.stopWatchingPlatform();
    const transport = this.transport;
    this.transport = null;
    this.brokers = null;
    this.identityInUse = null;
    await transport?.end(false);
    this.setStatus(status);
  }

  private async answerDuplicate(entry: JournalEntry): Promise<void> {
    if (entry.state === "done" && entry.result) return this.publishResult(entry.result);
    if (entry.state === "rebooting") return this.settleReboot(entry);
    // Accepted but never finished: the agent stopped in the middle. Never run it again.
    return this.interrupted(entry);
  }

  private async settleReboot(entry: JournalEntry): Promise<void> {
    const { bootTimeMs } = await this.options.platform.readState();
    if (bootTimeMs !== entry.bootTimeMsAtAccept) return this.finish(entry, "succeeded");
    // Asked for by this process, which is still waiting to be taken down.
    if (this.rebootsInFlight.has(entry.commandId)) {
      return this.publishResult(this.result(entry.commandId, "accepted"));
    }
    return this.finish(
      entry,
      "failed",
      DEVICE_RESULT_CODE.reboot_not_observed,
      "the agent restarted but the device's boot time did not change",
    );
  }

  private interrupted(entry: CommandRef): Promise<void> {
    return this.finish(
      entry,
      "failed",
      DEVICE_RESULT_CODE.interrupted,
      "the agent stopped while executing this command",
    );
  }

  /**
   * Records the final result durably, then publishes it; `withState` sends the device's state
   * along (never journaled: a duplicate is answered with the outcome alone).
   */
  private async finish(
    ref: CommandRef,
    status: ResultStatus,
    errorCode: ResultErrorCode = "",
    message = "",
    options: { withState?: boolean } = {},
  ): Promise<void> {
    const result = this.result(ref.commandId, status, errorCode, message);
    await this.act(() =>
      this.options.storage.putJournalEntry({
        commandId: ref.commandId,
        seq: ref.seq,
        type: ref.type,
        state: "done",
        result,
      }),
    );
    if (!options.withState || this.currentStatus !== "online") return this.publishResult(result);
    const state = await this.currentState();
    await this.publishResult({ ...result, state });
    this.emit("stateReported", { atMs: state.atMs });
  }

  private result(
    commandId: string,
    status: ResultStatus,
    errorCode: ResultErrorCode = "",
    message = "",
  ): CommandResult {
    return { commandId, status, errorCode, message, atMs: this.clock() };
  }

  /** With QoS 1 (the default) resolves on PUBACK. */
  private async publishResult(result: CommandResult, qos: 0 | 1 = 1): Promise<void> {
    const identity = this.identityInUse;
    const transport = this.transport;
    if (!identity || !transport) return;
    await this.act(() =>
      transport.publish(deviceTopic(identity.deviceId, "res"), encodeCommandResult(result), { qos }),
    );
    this.emit("result", result);
  }

  // ---- desired configuration and state ------------------------------------------------------

  private async onDesiredConfig(payload: Uint8Array): Promise<void> {
    let config: DesiredConfig;
    try {
      config = decodeDesiredConfig(payload);
    } catch (err) {
      if (!(err instanceof WireDecodeError)) throw err;
      this.log.warn({ reason: err.message }, "dropped a malformed desired config");
      return;
    }
    // Before the version check: a rotation changes the keys, and a node joining or leaving the
    // service changes the broker URLs, not the config.
    if (config.signingKeys) await this.trustKeySet(config.signingKeys);
    if (config.mqttUrls) await this.storeBrokerUrls(config.mqttUrls, config.version);
    const { storage } = this.options;
    const log = this.log.child({ configVersion: config.version });
    if (config.version <= storage.appliedConfigVersion()) {
      log.debug("desired config already applied");
      return;
    }
    try {
      await this.applyConfig(config);
      await this.act(() => storage.setAppliedConfigVersion(config.version));
      this.configError = null;
      log.info("applied the desired config");
      this.emit("configApplied", { version: config.version });
    } catch (err) {
      if (err instanceof PoweredOff) throw err;
      // The old version stays applied, so the next delivery of this config tries again; the
      // reason goes to the server with the state report below.
      this.configError = { version: config.version, message: errorMessage(err) };
      log.warn({ reason: errorMessage(err) }, "could not apply the desired config");
    }
    await this.reportState();
  }

  /**
   * Pins a newer key set that a key already pinned has signed: how the next key of a rotation
   * reaches the device before it signs anything. An agent enrolled before commands were signed
   * has no keys pinned; it pins the first key set it receives over its authenticated broker
   * connection (trust on first use, logged), as long as the set's own key signed it.
   */
  private async trustKeySet(signed: SignedKeySet): Promise<void> {
    const identity = this.identityInUse;
    if (!identity) return;
    let offered: PinnedKeys;
    try {
      const set = decodeSigningKeySet(signed.keySetBytes);
      offered = {
        version: set.version,
        keys: set.keys
          .filter((k) => k.publicKey.length === ED25519_PUBLIC_KEY_BYTES)
          .map((k) => ({ keyId: k.keyId, publicKey: Buffer.from(k.publicKey).toString("base64") })),
      };
    } catch (err) {
      if (!(err instanceof WireDecodeError)) throw err;
      this.log.warn({ reason: err.message }, "ignored a malformed key set");
      return;
    }
    const pinned = identity.serverKeys;
    // The usual case on every connect: nothing new, and no signature to check.
    if (pinned && offered.version <= pinned.version) return;
    const trustedBy = pinned ?? offered;
    const forged = this.verifier.check(
      { bytes: signed.keySetBytes, signature: signed.signature, keyId: signed.keyId },
      trustedBy,
    );
    if (forged || offered.keys.length === 0) {
      this.problem(
        "key_set_rejected",
        `ignored key set version ${offered.version}: ${forged?.message ?? "it holds no usable key"}`,
      );
      return;
    }
    const updated: Identity = { ...identity, serverKeys: offered };
    await this.act(() => this.options.storage.saveIdentity(updated));
    if (this.identityInUse === identity) this.identityInUse = updated;
    const keyIds = offered.keys.map((k) => k.keyId);
    if (pinned) this.log.info({ version: offered.version, keyIds }, "pinned the server's new signing keys");
    else this.log.warn({ version: offered.version, keyIds }, "pinned the server's signing keys on first use");
    this.emit("keysPinned", { version: offered.version, keyIds });
    // The server learns at once which key set this device trusts (see rotate-signing-key).
    await this.reportState();
  }

  /**
   * Replaces the stored broker URLs by a valid new list (see proto/broker-urls.ts); a bad list is
   * ignored whole, logged as the problem `broker_urls_rejected`, and the last good one kept: no
   * config may point the device at anything but a broker. The connection in use is not cut (see
   * BrokerRotation.replace).
   */
  private async storeBrokerUrls(offered: string[], configVersion: number): Promise<void> {
    const identity = this.identityInUse;
    if (!identity) return;
    const stored = brokerUrlsOf(identity);
    const checked = checkBrokerUrls(offered);
    if (!checked.ok) {
      this.problem(
        "broker_urls_rejected",
        `ignored the broker URLs of desired config version ${configVersion}: ${checked.reason}; keeping ${stored.join(", ")}`,
      );
      return;
    }
    // The usual case on every connect: the same list again.
    if (sameBrokerUrls(checked.urls, stored)) return;
    const updated: Identity = { ...identity, mqttUrl: checked.urls[0]!, mqttUrls: checked.urls };
    await this.act(() => this.options.storage.saveIdentity(updated));
    if (this.identityInUse === identity) this.identityInUse = updated;
    this.brokers?.replace(checked.urls);
    this.log.info({ mqttUrls: checked.urls }, "stored the server's broker URLs");
    this.emit("brokerUrlsStored", { urls: checked.urls });
  }

  /** Changes only what differs from what the device reports. */
  private async applyConfig(config: DesiredConfig): Promise<void> {
    const { platform } = this.options;
    const current = await platform.readState();
    if (config.name && config.name !== current.name) {
      await this.act(() => platform.setName(config.name));
    }
    const zoneMatches =
      config.time.timezone === AUTO_TIMEZONE
        ? current.timezoneAutomatic
        : !current.timezoneAutomatic && current.timezone === config.time.timezone;
    if (!zoneMatches || config.time.ntpServer !== current.ntpServer) {
      await this.act(() => platform.setTimeSettings(config.time));
    }
  }

  /** Skipped while offline: a fresh report follows every connect anyway. */
  private async reportState(): Promise<void> {
    const identity = this.identityInUse;
    const transport = this.transport;
    if (!identity || !transport || this.currentStatus !== "online") return;
    const state = await this.currentState();
    const bytes = encodeDeviceState(state);
    // A snapshot the next one supersedes, and every connect sends a fresh one: QoS 0.
    await this.act(() => transport.publish(deviceTopic(identity.deviceId, "state"), bytes, { qos: 0 }));
    this.emit("stateReported", { atMs: state.atMs });
  }

  private async currentState(): Promise<DeviceState> {
    const { platform, storage, agentVersion } = this.options;
    const state = await platform.readState();
    return {
      ...state,
      atMs: this.clock(),
      agentVersion,
      appliedConfigVersion: storage.appliedConfigVersion(),
      signingKeysVersion: this.identityInUse?.serverKeys?.version ?? 0,
      model: platform.model,
      serial: platform.serial,
      configError: this.configError,
    };
  }
}
