/**
 * Bounds on what a device reports, applied at the server's edge before anything is stored. A
 * device is not trusted with the size of the store: every string of a state report or a
 * command result has a length cap, lists have a count cap, and control characters and broken
 * UTF-16 are replaced. A field over its cap is cut (the rest of the report is kept) and the
 * caller is told which fields were cut, to log it.
 *
 * With these caps a stored state is at most about 36 KB of JSON (3 bytes per UTF-16 unit at
 * worst) and a state history row (the state without telemetry) at most about 4.7 KB.
 */
import { MAX_RESULT_CODE_LENGTH, MAX_RESULT_MESSAGE_LENGTH } from "../../proto/result-codes.js";
import type { CommandResult, DeviceState, Telemetry } from "../../proto/wire.js";
import { MAX_DEVICE_NAME_LENGTH } from "../commands/command-catalog.js";
import { MAX_NTP_SERVER_LENGTH, MAX_TIMEZONE_LENGTH } from "../settings/time-validation.js";

/** The largest value of each bounded field: characters (UTF-16 units) for strings, entries for lists. */
export const REPORTED_LIMITS = {
  name: MAX_DEVICE_NAME_LENGTH,
  timezone: MAX_TIMEZONE_LENGTH,
  ntpServer: MAX_NTP_SERVER_LENGTH,
  timeSyncError: 512,
  configError: 512,
  agentVersion: 64,
  model: 128,
  serial: 128,
  "telemetry.os": 128,
  "telemetry.osVersion": 128,
  "telemetry.interfaces": 16,
  "telemetry.interfaces.name": 32,
  "telemetry.interfaces.mac": 32,
  "telemetry.interfaces.addresses": 8,
  "telemetry.interfaces.addresses.address": 64,
  "result.errorCode": MAX_RESULT_CODE_LENGTH,
  "result.message": MAX_RESULT_MESSAGE_LENGTH,
} as const;
export type BoundedField = keyof typeof REPORTED_LIMITS;

// biome-ignore lint/suspicious/noControlCharactersInRegex: replacing them is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;
/** Half of a surrogate pair without its other half: not text, and JSON would escape it to 6 bytes. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function wellFormed(value: string): string {
  return value.replace(LONE_SURROGATE, "\ufffd");
}

/** Collects the names of the fields that had to be cut. */
class Cuts {
  readonly fields = new Set<BoundedField>();

  text(field: BoundedField, value: string): string {
    const clean = wellFormed(value).replace(CONTROL_CHARACTERS, "\ufffd");
    const max = REPORTED_LIMITS[field];
    if (clean.length <= max) return clean;
    this.fields.add(field);
    // Never leave half a surrogate pair at the cut.
    const cut = clean.slice(0, max);
    return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
  }

  nullableText(field: BoundedField, value: string | null): string | null {
    return value === null ? null : this.text(field, value);
  }

  list<T>(field: BoundedField, values: readonly T[]): T[] {
    const max = REPORTED_LIMITS[field];
    if (values.length <= max) return [...values];
    this.fields.add(field);
    return values.slice(0, max);
  }
}

function boundTelemetry(telemetry: Telemetry, cuts: Cuts): Telemetry {
  return {
    ...telemetry,
    os: cuts.text("telemetry.os", telemetry.os),
    osVersion: cuts.text("telemetry.osVersion", telemetry.osVersion),
    interfaces: cuts.list("telemetry.interfaces", telemetry.interfaces).map((i) => ({
      name: cuts.text("telemetry.interfaces.name", i.name),
      mac: cuts.text("telemetry.interfaces.mac", i.mac),
      addresses: cuts
        .list("telemetry.interfaces.addresses", i.addresses)
        .map((a) => cuts.text("telemetry.interfaces.addresses.address", a)),
    })),
  };
}

function boundState(state: DeviceState, cuts: Cuts): DeviceState {
  return {
    ...state,
    name: cuts.text("name", state.name),
    timezone: cuts.text("timezone", state.timezone),
    ntpServer: cuts.nullableText("ntpServer", state.ntpServer),
    timeSyncError: cuts.nullableText("timeSyncError", state.timeSyncError),
    configError: state.configError
      ? { version: state.configError.version, message: cuts.text("configError", state.configError.message) }
      : state.configError,
    agentVersion: cuts.text("agentVersion", state.agentVersion),
    model: cuts.text("model", state.model),
    serial: cuts.text("serial", state.serial),
    telemetry: state.telemetry ? boundTelemetry(state.telemetry, cuts) : null,
  };
}

export function boundDeviceState(state: DeviceState): { state: DeviceState; cut: BoundedField[] } {
  const cuts = new Cuts();
  const bounded = boundState(state, cuts);
  return { state: bounded, cut: [...cuts.fields] };
}

/** The command id is not cut: an id over the cap is no id the server issued, and matches nothing. */
export function boundCommandResult(result: CommandResult): { result: CommandResult; cut: BoundedField[] } {
  const cuts = new Cuts();
  const bounded: CommandResult = {
    ...result,
    errorCode: cuts.text("result.errorCode", result.errorCode),
    message: cuts.text("result.message", result.message),
    state: result.state ? boundState(result.state, cuts) : result.state,
  };
  return { result: bounded, cut: [...cuts.fields] };
}
