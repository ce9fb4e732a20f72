import type { CommandResult, CommandType } from "../../proto/wire.js";
import type { DeviceCodeGrant } from "../enrollment/enrollment-client.js";

export const AGENT_STATUSES = [
  /** Not started yet, or stopped by its host. */
  "stopped",
  "starting",
  "enrolling",
  "connecting",
  "online",
  "offline",
  /** Factory reset: no identity; a restart enrolls again. */
  "unenrolled",
  /** Stop managing: no identity, no connection; the device keeps working on its own. */
  "unmanaged",
  /** Permanently deactivated: a tombstone forbids operating and enrolling, for good. */
  "deactivated",
] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** What an agent core tells its host (the CLI, the simulator, tests). */
export interface AgentEvents {
  status: AgentStatus;
  /** A code to show on screen for an admin to type in; again when a fresh code replaces it. */
  userCode: DeviceCodeGrant;
  /** Enrollment finished and the identity is stored (the secret is never part of an event). */
  enrolled: { deviceId: string; name: string };
  /** The platform action for a command is being invoked: once per command id, ever. */
  executed: { commandId: string; type: CommandType };
  /** A result was published (re-published ones too). */
  result: CommandResult;
  /** The server's signing keys at this version are pinned and stored (after a rotation). */
  keysPinned: { version: number; keyIds: string[] };
  /** The broker URLs of a desired config replaced the stored ones (preferred first). */
  brokerUrlsStored: { urls: string[] };
  /** The connection attempts go to another broker URL from now on. */
  brokerChanged: { from: string; to: string; reason: "failed" | "list_replaced" };
  /** A desired config version was applied and stored. */
  configApplied: { version: number };
  stateReported: { atMs: number };
  /** The agent wiped its identity and journal after a factory reset. */
  wiped: undefined;
  /** Something a person may need to act on (credential rejected, enrollment refused, ...). */
  problem: { code: string; message: string };
}
