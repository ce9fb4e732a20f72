import type { CommandResult, CommandType } from "../../proto/wire.js";
import type { DeviceCodeGrant } from "../enrollment/enrollment-client.js";
import type { Identity } from "../storage/agent-storage.js";

export const AGENT_STATUSES = [
  "stopped",
  "starting",
  "enrolling",
  "connecting",
  "online",
  "offline",
  "unenrolled",
  "unmanaged",
  "deactivated",
] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** What an agent core tells its host (the CLI, the simulator, tests). */
export interface AgentEvents {
  status: AgentStatus;
  /** A code to show on screen for an admin to type in. */
  userCode: DeviceCodeGrant;
  enrolled: Identity;
  /** The platform action for a command is about to run: once per command, ever. */
  executed: { commandId: string; type: CommandType };
  /** A result was published (also re-published ones). */
  result: CommandResult;
  stateReported: { atMs: number };
  /** The agent wiped its identity after a factory reset. */
  wiped: undefined;
  /** A recoverable problem worth showing (enrollment refused, credential rejected, ...). */
  problem: { code: string; message: string };
}
