/**
 * protobuf <-> typed wire objects. This is the only module that touches protobuf bytes;
 * decoders throw {@link WireDecodeError} on anything malformed, never a protobufjs error.
 */
import "./protobuf-runtime.js";
import { portal } from "./gen/portal.js";
import type {
  CommandAction,
  CommandResult,
  DesiredConfig,
  DeviceCommand,
  DeviceState,
  ReceivedCommand,
  ResultStatus,
  SigningKeySet,
  Telemetry,
  TimeSettings,
} from "./wire.js";
import { AUTO_TIMEZONE } from "./wire.js";

const pb = portal.mdm.v1;

export class WireDecodeError extends Error {
  constructor(
    readonly messageType: string,
    cause: unknown,
  ) {
    super(`malformed ${messageType}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "WireDecodeError";
  }
}

function decodeWith<T>(messageType: string, bytes: Uint8Array, decode: (b: Uint8Array) => T): T {
  try {
    return decode(bytes);
  } catch (err) {
    throw new WireDecodeError(messageType, err);
  }
}

function timeToWire(time: TimeSettings): portal.mdm.v1.TimeSettings.$Properties {
  return {
    timezone: time.timezone === AUTO_TIMEZONE ? "" : time.timezone,
    ntpServer: time.ntpServer ?? "",
  };
}

function timeFromWire(time: portal.mdm.v1.TimeSettings.$Properties | null | undefined): TimeSettings {
  return {
    timezone: time?.timezone ? time.timezone : AUTO_TIMEZONE,
    ntpServer: time?.ntpServer ? time.ntpServer : null,
  };
}

// ---- commands -------------------------------------------------------------------------------

function actionToWire(action: CommandAction): portal.mdm.v1.Command.$Properties {
  switch (action.type) {
    case "lock":
      return { lock: {} };
    case "reboot":
      return { reboot: {} };
    case "factory_reset":
      return { factoryReset: {} };
    case "rename":
      return { rename: { name: action.name } };
    case "set_time":
      return { setTimeSettings: { settings: timeToWire(action) } };
    case "stop_managing":
      return { stopManaging: {} };
    case "deactivate":
      return { deactivate: {} };
    case "refresh_state":
      return { refreshState: {} };
  }
}

function actionFromWire(cmd: portal.mdm.v1.Command): CommandAction {
  switch (cmd.action) {
    case "lock":
      return { type: "lock" };
    case "reboot":
      return { type: "reboot" };
    case "factoryReset":
      return { type: "factory_reset" };
    case "rename":
      return { type: "rename", name: cmd.rename?.name ?? "" };
    case "setTimeSettings":
      return { type: "set_time", ...timeFromWire(cmd.setTimeSettings?.settings) };
    case "stopManaging":
      return { type: "stop_managing" };
    case "deactivate":
      return { type: "deactivate" };
    case "refreshState":
      return { type: "refresh_state" };
    default:
      throw new Error("command has no action");
  }
}

/** The bytes that a signature covers. */
export function encodeCommandBody(command: DeviceCommand): Uint8Array {
  return pb.Command.encode({
    id: command.id,
    deviceId: command.deviceId,
    seq: command.seq,
    issuedAtMs: command.issuedAtMs,
    expiresAtMs: command.expiresAtMs,
    ...actionToWire(command.action),
  }).finish();
}

export function encodeSignedCommand(envelope: {
  commandBytes: Uint8Array;
  signature?: Uint8Array;
  keyId?: string;
}): Uint8Array {
  return pb.SignedCommand.encode({
    command: envelope.commandBytes,
    signature: envelope.signature ?? new Uint8Array(0),
    keyId: envelope.keyId ?? "",
  }).finish();
}

export function decodeSignedCommand(bytes: Uint8Array): ReceivedCommand {
  return decodeWith("SignedCommand", bytes, (b) => {
    const envelope = pb.SignedCommand.decode(b);
    const commandBytes = envelope.command;
    const cmd = pb.Command.decode(commandBytes);
    if (!cmd.id) throw new Error("command has no id");
    const command: DeviceCommand = {
      id: cmd.id,
      deviceId: cmd.deviceId,
      seq: cmd.seq,
      issuedAtMs: cmd.issuedAtMs,
      expiresAtMs: cmd.expiresAtMs,
      action: actionFromWire(cmd),
    };
    return { command, commandBytes, signature: envelope.signature, keyId: envelope.keyId };
  });
}

// ---- results --------------------------------------------------------------------------------

const STATUS_TO_WIRE: Record<ResultStatus, portal.mdm.v1.CommandResult.Status> = {
  accepted: pb.CommandResult.Status.ACCEPTED,
  succeeded: pb.CommandResult.Status.SUCCEEDED,
  failed: pb.CommandResult.Status.FAILED,
  rejected: pb.CommandResult.Status.REJECTED,
};
const STATUS_FROM_WIRE = new Map<number, ResultStatus>(
  Object.entries(STATUS_TO_WIRE).map(([k, v]) => [v, k as ResultStatus]),
);

export function encodeCommandResult(result: CommandResult): Uint8Array {
  return pb.CommandResult.encode({
    commandId: result.commandId,
    status: STATUS_TO_WIRE[result.status],
    errorCode: result.errorCode,
    message: result.message,
    atMs: result.atMs,
    state: result.state ? deviceStateToWire(result.state) : undefined,
  }).finish();
}

export function decodeCommandResult(bytes: Uint8Array): CommandResult {
  return decodeWith("CommandResult", bytes, (b) => {
    const r = pb.CommandResult.decode(b);
    const status = STATUS_FROM_WIRE.get(r.status);
    if (!status) throw new Error(`unknown status ${r.status}`);
    if (!r.commandId) throw new Error("result has no command id");
    return {
      commandId: r.commandId,
      status,
      errorCode: r.errorCode,
      message: r.message,
      atMs: r.atMs,
      // A decoded nested message is a full instance (defaults filled in), not just its properties.
      state: r.state ? deviceStateFromWire(r.state as portal.mdm.v1.DeviceState) : null,
    };
  });
}

// ---- desired config -------------------------------------------------------------------------

export function encodeDesiredConfig(config: DesiredConfig): Uint8Array {
  const keys = config.signingKeys;
  return pb.DesiredConfig.encode({
    version: config.version,
    name: config.name,
    time: timeToWire(config.time),
    signingKeys: keys
      ? { keySet: keys.keySetBytes, signature: keys.signature, keyId: keys.keyId }
      : undefined,
    mqttUrls: config.mqttUrls ?? [],
  }).finish();
}

export function decodeDesiredConfig(bytes: Uint8Array): DesiredConfig {
  return decodeWith("DesiredConfig", bytes, (b) => {
    const c = pb.DesiredConfig.decode(b);
    const config: DesiredConfig = { version: c.version, name: c.name, time: timeFromWire(c.time) };
    const keys = c.signingKeys;
    if (keys?.keySet?.length) {
      config.signingKeys = {
        keySetBytes: keys.keySet,
        signature: keys.signature ?? new Uint8Array(0),
        keyId: keys.keyId ?? "",
      };
    }
    // Checked by the agent, which keeps its last good list when these are not broker URLs.
    if (c.mqttUrls.length > 0) config.mqttUrls = [...c.mqttUrls];
    return config;
  });
}

// ---- signing keys ---------------------------------------------------------------------------

/** The bytes that a key set's signature covers. */
export function encodeSigningKeySet(set: SigningKeySet): Uint8Array {
  return pb.SigningKeySet.encode({
    version: set.version,
    keys: set.keys.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })),
  }).finish();
}

export function decodeSigningKeySet(bytes: Uint8Array): SigningKeySet {
  return decodeWith("SigningKeySet", bytes, (b) => {
    const set = pb.SigningKeySet.decode(b);
    return {
      version: set.version,
      keys: set.keys.map((k) => {
        if (!k.keyId) throw new Error("signing key has no id");
        return { keyId: k.keyId, publicKey: k.publicKey ?? new Uint8Array(0) };
      }),
    };
  });
}

// ---- reported state -------------------------------------------------------------------------

export function encodeDeviceState(state: DeviceState): Uint8Array {
  return pb.DeviceState.encode(deviceStateToWire(state)).finish();
}

function deviceStateToWire(state: DeviceState): portal.mdm.v1.DeviceState.$Properties {
  return {
    atMs: state.atMs,
    name: state.name,
    locked: state.locked,
    timezone: state.timezone,
    timezoneAutomatic: state.timezoneAutomatic,
    ntpServer: state.ntpServer ?? "",
    clockOffsetMs: Math.round(state.clockOffsetMs),
    lastTimeSyncAtMs: state.lastTimeSyncAtMs ?? 0,
    timeSyncError: state.timeSyncError ?? "",
    bootTimeMs: state.bootTimeMs,
    agentVersion: state.agentVersion,
    appliedConfigVersion: state.appliedConfigVersion,
    model: state.model,
    serial: state.serial,
    telemetry: state.telemetry ?? undefined,
    signingKeysVersion: state.signingKeysVersion,
    configError: state.configError?.message ?? "",
    configErrorVersion: state.configError?.version ?? 0,
  };
}

function telemetryFromWire(t: portal.mdm.v1.Telemetry.$Properties): Telemetry {
  return {
    cpuLoadPercent: t.cpuLoadPercent ?? 0,
    memoryTotalBytes: t.memoryTotalBytes ?? 0,
    memoryUsedBytes: t.memoryUsedBytes ?? 0,
    diskTotalBytes: t.diskTotalBytes ?? 0,
    diskUsedBytes: t.diskUsedBytes ?? 0,
    uptimeSeconds: t.uptimeSeconds ?? 0,
    os: t.os ?? "",
    osVersion: t.osVersion ?? "",
    batteryPercent: t.batteryPercent ?? -1,
    interfaces: (t.interfaces ?? []).map((i) => ({
      name: i.name ?? "",
      mac: i.mac ?? "",
      addresses: [...(i.addresses ?? [])],
    })),
  };
}

export function decodeDeviceState(bytes: Uint8Array): DeviceState {
  return decodeWith("DeviceState", bytes, (b) => deviceStateFromWire(pb.DeviceState.decode(b)));
}

/** The largest time a JavaScript Date (and so the store and the API) can hold, ms [ECMA-262 21.4.1.1]. */
const MAX_TIME_MS = 8.64e15;

function timeFromWireMs(field: string, ms: number): number {
  if (ms > MAX_TIME_MS) throw new Error(`${field} ${ms} is not a time`);
  return ms;
}

/** An offset, a count or a version beyond these is no device's value, and no store's integer. */
function boundedFromWire(field: string, value: number, bound: number): number {
  if (Math.abs(value) > bound) throw new Error(`${field} ${value} is out of range`);
  return value;
}

function finiteFromWire(field: string, value: number): number {
  if (!Number.isFinite(value)) throw new Error(`${field} is ${value}`);
  return value;
}

/**
 * Values a device can encode but no device means: a time past the year 275 760 cannot be
 * stored or shown, and NaN or infinity would turn into null on the way into the store. Such a
 * report is malformed as a whole; nothing of it is kept.
 */
function deviceStateFromWire(s: portal.mdm.v1.DeviceState): DeviceState {
  timeFromWireMs("at_ms", s.atMs);
  timeFromWireMs("boot_time_ms", s.bootTimeMs);
  timeFromWireMs("last_time_sync_at_ms", s.lastTimeSyncAtMs);
  boundedFromWire("clock_offset_ms", s.clockOffsetMs, MAX_TIME_MS);
  boundedFromWire("applied_config_version", s.appliedConfigVersion, Number.MAX_SAFE_INTEGER);
  boundedFromWire("signing_keys_version", s.signingKeysVersion, Number.MAX_SAFE_INTEGER);
  boundedFromWire("config_error_version", s.configErrorVersion ?? 0, Number.MAX_SAFE_INTEGER);
  if (s.telemetry) finiteFromWire("telemetry.cpu_load_percent", s.telemetry.cpuLoadPercent ?? 0);
  return {
    atMs: s.atMs,
    name: s.name,
    locked: s.locked,
    timezone: s.timezone,
    timezoneAutomatic: s.timezoneAutomatic,
    ntpServer: s.ntpServer || null,
    clockOffsetMs: s.clockOffsetMs,
    lastTimeSyncAtMs: s.lastTimeSyncAtMs || null,
    timeSyncError: s.timeSyncError || null,
    bootTimeMs: s.bootTimeMs,
    agentVersion: s.agentVersion,
    appliedConfigVersion: s.appliedConfigVersion,
    model: s.model,
    serial: s.serial,
    telemetry: s.telemetry ? telemetryFromWire(s.telemetry) : null,
    signingKeysVersion: s.signingKeysVersion,
    // Absent when there is none, as from an agent that predates the field. A reason without a
    // version still says something went wrong; a version without a reason says nothing.
    ...(s.configError ? { configError: { version: s.configErrorVersion, message: s.configError } } : {}),
  };
}
