/**
 * The right a command needs is its type's (server/commands/command-catalog.ts): lock, reboot,
 * rename, refresh and set time need devices:command; factory reset devices:wipe; stop managing
 * devices:unenroll; deactivate devices:deactivate. Canceling a command, or a fleet command,
 * needs the right of its type too. These resolve it from the validated request, before the
 * handler writes anything.
 */
import type { CommandType } from "../../proto/wire.js";
import type { Right } from "../admins/rights.js";
import type { BatchService } from "../commands/batch-service.js";
import { COMMAND_CATALOG, commandSpec } from "../commands/command-catalog.js";
import type { CommandService } from "../commands/command-service.js";
import type { Rollouts } from "../rollouts/rollout-service.js";
import type { Schedules } from "../schedules/schedule-service.js";
import type { RightByRequest } from "./auth.js";

const COMMAND_RIGHTS: readonly Right[] = [...new Set([...COMMAND_CATALOG.values()].map((s) => s.right))];

export const rightOfCommandBody: RightByRequest = {
  oneOf: COMMAND_RIGHTS,
  resolve: (request) => commandSpec((request.body as { type: CommandType }).type).right,
};

export const rightOfBatchBody: RightByRequest = {
  oneOf: COMMAND_RIGHTS,
  resolve: (request) => commandSpec((request.body as { command: { type: CommandType } }).command.type).right,
};

export function rightOfCommand(commands: CommandService): RightByRequest {
  return {
    oneOf: COMMAND_RIGHTS,
    resolve: async (request) =>
      commandSpec((await commands.get((request.params as { id: string }).id)).type).right,
  };
}

export function rightOfBatch(batches: BatchService): RightByRequest {
  return {
    oneOf: COMMAND_RIGHTS,
    resolve: async (request) =>
      commandSpec((await batches.get((request.params as { id: string }).id)).type as CommandType).right,
  };
}

/** A schedule's changes need the right of its command's type, like its fleet commands. */
export function rightOfSchedule(schedules: Schedules): RightByRequest {
  return {
    oneOf: COMMAND_RIGHTS,
    resolve: async (request) =>
      commandSpec(await schedules.commandTypeOf((request.params as { id: string }).id)).right,
  };
}

/** A rollout's actions need the right of its command's type, like its fleet commands. */
export function rightOfRollout(rollouts: Rollouts): RightByRequest {
  return {
    oneOf: COMMAND_RIGHTS,
    resolve: async (request) =>
      commandSpec(await rollouts.commandTypeOf((request.params as { id: string }).id)).right,
  };
}
