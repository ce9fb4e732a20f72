/**
 * What each command does on the device, through the Platform. Reboot is not here: the core
 * drives it around the restart. Commands whose effect is on the agent itself (stop managing,
 * deactivate) have nothing to do on the device; the core finishes them.
 */
import type { CommandAction, CommandType } from "../../proto/wire.js";
import type { Platform } from "../platform/platform.js";

type ActionOf<T extends CommandType> = Extract<CommandAction, { type: T }>;
type Executors = {
  [T in Exclude<CommandType, "reboot">]: (platform: Platform, action: ActionOf<T>) => Promise<void>;
};

export const PLATFORM_EXECUTORS: Executors = {
  lock: (platform) => platform.lock(),
  rename: (platform, action) => platform.setName(action.name),
  set_time: (platform, action) =>
    platform.setTimeSettings({ timezone: action.timezone, ntpServer: action.ntpServer }),
  factory_reset: (platform) => platform.factoryReset(),
  stop_managing: async () => {},
  deactivate: async () => {},
  refresh_state: async () => {},
};

export function runExecutor(
  platform: Platform,
  action: Exclude<CommandAction, { type: "reboot" }>,
): Promise<void> {
  // The table is keyed by type, so each executor receives its own action shape; TypeScript
  // cannot correlate the two through the index, hence the widened call.
  const executor = PLATFORM_EXECUTORS[action.type] as (p: Platform, a: typeof action) => Promise<void>;
  return executor(platform, action);
}
