/**
 * Devices whose clock is off: the absolute offset a device last measured against its time
 * source exceeds a threshold (a setting, default 1 s). A device that never measured its clock
 * is not counted. The tracker remembers which devices exceed it, so that the event stream hears
 * once when a device starts and once when it stops, not with every report.
 */
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";

export const DEFAULT_CLOCK_DRIFT_THRESHOLD_MS = 1000;

/** The parts of a reported state that decide it. */
export interface ReportedClock {
  clockOffsetMs: number;
  lastTimeSyncAt: string | null;
}

/** The device repository asks the store the same question of its columns. */
export function clockOffsetExceeds(reported: ReportedClock | null, thresholdMs: number): boolean {
  return (
    reported !== null && reported.lastTimeSyncAt !== null && Math.abs(reported.clockOffsetMs) > thresholdMs
  );
}

export class ClockDriftTracker {
  private threshold = DEFAULT_CLOCK_DRIFT_THRESHOLD_MS;
  /** Only the devices that exceed the threshold: few, whatever the fleet. */
  private readonly exceeding = new Set<string>();

  constructor(private readonly events: EventBus<ServerEvents>) {}

  get thresholdMs(): number {
    return this.threshold;
  }

  get exceedingCount(): number {
    return this.exceeding.size;
  }

  isExceeding(deviceId: string): boolean {
    return this.exceeding.has(deviceId);
  }

  /** A device reported: announces it if it started or stopped exceeding the threshold. */
  observe(deviceId: string, reported: ReportedClock): void {
    this.update(deviceId, clockOffsetExceeds(reported, this.threshold), reported.clockOffsetMs);
  }

  /** A new threshold, and the devices (with their offsets) that exceed it; announces each change. */
  reset(thresholdMs: number, exceeding: ReadonlyMap<string, number>): void {
    this.threshold = thresholdMs;
    for (const deviceId of [...this.exceeding]) {
      if (!exceeding.has(deviceId)) this.update(deviceId, false, null);
    }
    for (const [deviceId, clockOffsetMs] of exceeding) this.update(deviceId, true, clockOffsetMs);
  }

  private update(deviceId: string, exceeds: boolean, clockOffsetMs: number | null): void {
    if (exceeds === this.exceeding.has(deviceId)) return;
    if (exceeds) this.exceeding.add(deviceId);
    else this.exceeding.delete(deviceId);
    this.events.emit("device.clock_drift", {
      deviceId,
      exceeded: exceeds,
      clockOffsetMs,
      thresholdMs: this.threshold,
    });
  }
}
