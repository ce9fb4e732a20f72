/**
 * The `error_code` values of a command: those a device sends in `CommandResult.error_code`, and
 * those the server sets on a command itself. One catalogue, shared by the agent and the server,
 * so neither invents a code the other does not know: code refers to a code through
 * {@link DEVICE_RESULT_CODE} and {@link SERVER_COMMAND_CODE}, where a code that is not here does
 * not compile. docs/device-protocol.md lists the same codes (a unit test holds them together).
 */

/** Each code of a catalogue, named by itself: `codesOf({a: "..."}).a === "a"`. */
function codesOf<T extends Record<string, string>>(catalogue: T): { readonly [K in keyof T]: K } {
  return Object.freeze(Object.fromEntries(Object.keys(catalogue).map((code) => [code, code]))) as {
    readonly [K in keyof T]: K;
  };
}

/** What a device answers about a command it refused or could not run. */
export const DEVICE_RESULT_CODES = {
  unsigned: "rejected: the command carried no signature",
  unknown_key: "rejected: signed by a key the device has not pinned",
  bad_signature: "rejected: the signature does not match the command's bytes",
  wrong_device: "rejected: the command names another device",
  expired: "rejected: the command's expiry had passed when it arrived",
  out_of_order: "rejected: its seq was not after the last one the device ran",
  platform_error: "failed: the device's platform could not carry it out (the message says why)",
  interrupted: "failed: the agent stopped while running it (power cut, crash); never run again",
  reboot_not_observed: "failed: the agent restarted but the boot time did not change",
} as const;
export type DeviceResultCode = keyof typeof DEVICE_RESULT_CODES;
/** The device's codes, for code that sends or matches one: `DEVICE_RESULT_CODE.expired`. */
export const DEVICE_RESULT_CODE = codesOf(DEVICE_RESULT_CODES);

/**
 * Refusals made before the device believes anything in the command. A forged or damaged copy
 * earns one; the genuine command can still follow, so the server never treats them as final.
 */
export const SIGNATURE_REFUSAL_CODES = [
  DEVICE_RESULT_CODE.unsigned,
  DEVICE_RESULT_CODE.unknown_key,
  DEVICE_RESULT_CODE.bad_signature,
] as const satisfies readonly DeviceResultCode[];
export type SignatureRefusalCode = (typeof SIGNATURE_REFUSAL_CODES)[number];

/** What the server records on a command that it ended itself. */
export const SERVER_COMMAND_CODES = {
  timed_out: "failed: the device did not finish it within the time its type allows",
  ended_by_admin: "canceled: an admin ended it while the device was running it",
  device_deactivated: "canceled: the device was permanently deactivated",
  device_removed: "canceled: the device was removed from management while offline",
  device_replaced: "canceled: another device took over this device's record",
  credential_revoked: "canceled: an admin revoked the device's credential",
  rollout_stopped: "canceled: its staged rollout was aborted or canceled before it was delivered",
} as const;
export type ServerCommandCode = keyof typeof SERVER_COMMAND_CODES;
/** The server's codes, for code that records or matches one: `SERVER_COMMAND_CODE.timed_out`. */
export const SERVER_COMMAND_CODE = codesOf(SERVER_COMMAND_CODES);

/** The longest `error_code` and `message` the server keeps from a device's result. */
export const MAX_RESULT_CODE_LENGTH = 64;
export const MAX_RESULT_MESSAGE_LENGTH = 1024;
