/**
 * The typed view of the wire messages that the server's services and the agent core work with.
 * Only proto/codec.ts converts between these and protobuf bytes.
 */

/** `timezone` is `"auto"` (from the network) or an IANA zone; `ntpServer` null means automatic. */
export interface TimeSettings {
  timezone: string;
  ntpServer: string | null;
}

export const AUTO_TIMEZONE = "auto";

export const COMMAND_TYPES = [
  "lock",
  "reboot",
  "factory_reset",
  "rename",
  "set_time",
  "stop_managing",
  "deactivate",
  "refresh_state",
] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

export type CommandAction =
  | { type: "lock" }
  | { type: "reboot" }
  | { type: "factory_reset" }
  | { type: "rename"; name: string }
  | ({ type: "set_time" } & TimeSettings)
  | { type: "stop_managing" }
  | { type: "deactivate" }
  | { type: "refresh_state" };

export interface DeviceCommand {
  id: string;
  deviceId: string;
  seq: number;
  issuedAtMs: number;
  expiresAtMs: number;
  action: CommandAction;
}

/** A command as it arrives: the decoded command plus the envelope that carried it. */
export interface ReceivedCommand {
  command: DeviceCommand;
  commandBytes: Uint8Array;
  signature: Uint8Array;
  keyId: string;
}

export const RESULT_STATUSES = ["accepted", "succeeded", "failed", "rejected"] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

export interface CommandResult {
  commandId: string;
  status: ResultStatus;
  errorCode: string;
  message: string;
  atMs: number;
  /** The device's state right after a terminal result, when the device sent it along. */
  state?: DeviceState | null;
}

export interface DesiredConfig {
  version: number;
  name: string;
  time: TimeSettings;
  /** The server's signing keys, signed; added by the broker at the edge, absent in services. */
  signingKeys?: SignedKeySet;
  /**
   * The broker URLs devices should know, preferred first (see proto/broker-urls.ts). Absent or
   * empty: the device keeps the ones it has.
   */
  mqttUrls?: string[];
}

/** A server command-signing key (Ed25519). */
export interface SigningKey {
  keyId: string;
  /** The raw 32-byte public key. */
  publicKey: Uint8Array;
}

/** Every key a device should trust, at one version of the server's key ring. */
export interface SigningKeySet {
  version: number;
  keys: SigningKey[];
}

/** A key set as it travels: its exact encoded bytes, which the signature covers. */
export interface SignedKeySet {
  keySetBytes: Uint8Array;
  signature: Uint8Array;
  keyId: string;
}

export interface Telemetry {
  cpuLoadPercent: number;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  diskTotalBytes: number;
  diskUsedBytes: number;
  uptimeSeconds: number;
  os: string;
  osVersion: string;
  /** -1 when the device has no battery. */
  batteryPercent: number;
  interfaces: { name: string; mac: string; addresses: string[] }[];
}

export interface DeviceState {
  atMs: number;
  name: string;
  locked: boolean;
  /** The zone in force, resolved (never "auto"). */
  timezone: string;
  timezoneAutomatic: boolean;
  /** The NTP server in use; null when the platform's automatic source is used. */
  ntpServer: string | null;
  clockOffsetMs: number;
  /** null when the clock was never synced. */
  lastTimeSyncAtMs: number | null;
  /** null when the last sync worked. */
  timeSyncError: string | null;
  bootTimeMs: number;
  agentVersion: string;
  appliedConfigVersion: number;
  model: string;
  serial: string;
  telemetry: Telemetry | null;
  /** Version of the server's signing key set the agent has pinned; 0 when none. */
  signingKeysVersion: number;
  /** Why the device could not apply a desired config; null (or absent) once one applies. */
  configError?: ConfigError | null;
}

/** A desired config the device received but could not apply, and why. */
export interface ConfigError {
  version: number;
  message: string;
}
