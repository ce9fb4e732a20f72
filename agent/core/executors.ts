/**
 * What each command does on the device, through the Platform. Commands whose effect is on the
 * agent itself (reboot, factory reset, stop managing, deactivate) are finished by the core.
 */
import type { CommandAction, CommandType } from "../../proto/wire.js";
import type { Platform } from "../platform/platform.js";

type Executor = (platform: Platform, action: CommandAction) => Promise<void>;

export const PLATFORM_EXECUTORS: Record<Exclude<CommandType, "reboot">, Executor> = {
  lock: (platform) => platform.lock(),
  rename: (platform, action) =>
    action.type === "rename" ? platform.setName(action.name) : Promise.resolve(),
  set_time: (platform, action) =>
    action.type === "set_time"
      ? platform.setTimeSettings({ timezone: action.timezone, ntpServer: action.ntpServer })
      : Promise.resolve(),
  factory_reset: (platform) => platform.factoryReset(),
  // Nothing to do on the device for these: the core forgets its credentials.
  stop_managing: async () => {},
  deactivate: async () => {},
  refresh_state: async () => {},
};
