import type { CommandAction, CommandType, DeviceCommand } from "../../proto/wire.js";
import { isoOrNull as iso } from "../time-format.js";

export const COMMAND_STATES = [
  "queued",
  "sent",
  "accepted",
  "succeeded",
  "failed",
  "rejected",
  "expired",
  "canceled",
] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<CommandState> = new Set([
  "succeeded",
  "failed",
  "rejected",
  "expired",
  "canceled",
]);

export interface CommandRow {
  id: string;
  device_id: string;
  batch_id: string | null;
  seq: number;
  type: CommandType;
  params_json: string;
  state: CommandState;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  expires_at: number;
  updated_at: number;
  sent_at: number | null;
  accepted_at: number | null;
  finished_at: number | null;
  created_by: string | null;
  /** Null: delivered any time; `held`: waits for its device's maintenance window; `released`: may go. */
  window_hold: WindowHold | null;
}

/** Where a command sent "in window" stands: waiting for its device's window, or free to go. */
export type WindowHold = "held" | "released";

export interface CommandView {
  id: string;
  deviceId: string;
  batchId: string | null;
  seq: number;
  type: CommandType;
  params: Record<string, unknown>;
  state: CommandState;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
  expiresAt: string;
  updatedAt: string;
  sentAt: string | null;
  acceptedAt: string | null;
  finishedAt: string | null;
  createdBy: string | null;
  /** Sent to wait for its device's maintenance window. */
  inWindow: boolean;
  /** Queued, and not delivered until its device's maintenance window opens. */
  waitingForWindow: boolean;
}

export function commandViewFromRow(row: CommandRow): CommandView {
  return {
    id: row.id,
    deviceId: row.device_id,
    batchId: row.batch_id,
    seq: row.seq,
    type: row.type,
    params: JSON.parse(row.params_json) as Record<string, unknown>,
    state: row.state,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    sentAt: iso(row.sent_at),
    acceptedAt: iso(row.accepted_at),
    finishedAt: iso(row.finished_at),
    createdBy: row.created_by,
    inWindow: row.window_hold !== null,
    waitingForWindow: row.state === "queued" && row.window_hold === "held",
  };
}

/** Splits an action into its type and the parameters stored beside it. */
export function actionParams(action: CommandAction): Record<string, unknown> {
  const { type: _type, ...params } = action;
  return params;
}

export function deviceCommandFromRow(
  row: Pick<CommandRow, "id" | "device_id" | "seq" | "type" | "params_json" | "created_at" | "expires_at">,
): DeviceCommand {
  return {
    id: row.id,
    deviceId: row.device_id,
    seq: row.seq,
    issuedAtMs: row.created_at,
    expiresAtMs: row.expires_at,
    action: { type: row.type, ...JSON.parse(row.params_json) } as CommandAction,
  };
}
