import type { Telemetry, TimeSettings } from "../../proto/wire.js";

/** What the device itself reports about its hardware and settings. */
export interface PlatformState {
  name: string;
  locked: boolean;
  /** The zone in force, resolved to an IANA name. */
  timezone: string;
  /** True when the zone comes from the automatic mechanism. */
  timezoneAutomatic: boolean;
  /** NTP server in use; null when the automatic source is used. */
  ntpServer: string | null;
  clockOffsetMs: number;
  lastTimeSyncAtMs: number | null;
  timeSyncError: string | null;
  bootTimeMs: number;
  telemetry: Telemetry | null;
}

/**
 * The device side of every command: what a Portal-class display does when told to.
 * `LinuxPlatform` drives real hardware; `SimulatedPlatform` keeps state in memory.
 * Methods reject with an Error whose message says what went wrong; the agent reports it as FAILED.
 */
export interface Platform {
  readonly model: string;
  readonly serial: string;
  lock(): Promise<void>;
  /**
   * Restarts the device. On real hardware the process does not survive it; the simulated
   * platform asks its host to stop and restart the agent after the configured duration.
   */
  reboot(): Promise<void>;
  /** Erases user data and settings. The agent wipes its own identity afterwards. */
  factoryReset(): Promise<void>;
  setName(name: string): Promise<void>;
  setTimeSettings(settings: TimeSettings): Promise<void>;
  readState(): Promise<PlatformState>;
  /**
   * Background work of a real device, such as measuring the clock on a schedule: started once
   * when the agent starts, stopped by the returned function. `changed` asks the agent for a
   * fresh state report. Optional: a simulated fleet of thousands has no timers per device.
   */
  watch?(changed: () => void): () => void;
}
