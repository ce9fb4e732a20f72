/**
 * Whether a received command may run, in the order the checks must be made. Pure: the core
 * acts on the verdict.
 */
import { DEVICE_RESULT_CODE, type DeviceResultCode } from "../../proto/result-codes.js";
import type { ReceivedCommand } from "../../proto/wire.js";
import type { JournalEntry } from "../storage/agent-storage.js";
import type { SignatureRejection, SignatureRejectionCode, SignedBytes } from "./signatures.js";

export type RejectionCode =
  | SignatureRejectionCode
  | Extract<DeviceResultCode, "wrong_device" | "expired" | "out_of_order">;

export type Admission =
  | { verdict: "execute" }
  /** Seen before: answer from the journal, never run again. */
  | { verdict: "duplicate"; entry: JournalEntry }
  /** `record`: keep the rejection in the journal, so a redelivery gets the same answer. */
  | { verdict: "reject"; errorCode: RejectionCode; message: string; record: boolean };

export interface AdmissionContext {
  deviceId: string;
  nowMs: number;
  lastSeq: number;
  journalEntry(commandId: string): JournalEntry | undefined;
  /** Null when the bytes were signed by a key this device has pinned. */
  checkSignature(signed: SignedBytes): SignatureRejection | null;
}

export function admitCommand(received: ReceivedCommand, context: AdmissionContext): Admission {
  // First, before anything in the command is believed. Not recorded: an id nobody vouched for
  // must never enter the journal, or a forgery could take a genuine command's id ahead of it.
  const forged = context.checkSignature({
    bytes: received.commandBytes,
    signature: received.signature,
    keyId: received.keyId,
  });
  if (forged) return { verdict: "reject", ...forged, record: false };
  const { command } = received;
  if (command.deviceId !== context.deviceId) {
    // Not recorded: the id belongs to another device's history, not to this journal.
    return {
      verdict: "reject",
      errorCode: DEVICE_RESULT_CODE.wrong_device,
      message: `command is for device '${command.deviceId}', this is '${context.deviceId}'`,
      record: false,
    };
  }
  const seen = context.journalEntry(command.id);
  if (seen) return { verdict: "duplicate", entry: seen };
  if (command.expiresAtMs <= context.nowMs) {
    return {
      verdict: "reject",
      errorCode: DEVICE_RESULT_CODE.expired,
      message: `command expired at ${new Date(command.expiresAtMs).toISOString()}`,
      record: true,
    };
  }
  // Only going backwards is refused: gaps are normal (a canceled or expired command never
  // arrives), and waiting for a missing number would stall the device.
  if (command.seq <= context.lastSeq) {
    return {
      verdict: "reject",
      errorCode: DEVICE_RESULT_CODE.out_of_order,
      message: `seq ${command.seq} is not after ${context.lastSeq}`,
      record: true,
    };
  }
  return { verdict: "execute" };
}
