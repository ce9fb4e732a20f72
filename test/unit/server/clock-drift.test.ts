/**
 * Which devices' clocks count as off, and the events that say when one starts or stops.
 */
import { describe, expect, it } from "vitest";
import { ClockDriftTracker, clockOffsetExceeds } from "../../../server/devices/clock-drift.js";
import { EventBus } from "../../../server/events/event-bus.js";
import type { ServerEvents } from "../../../server/events/server-events.js";
import { createLogger } from "../../../server/logger.js";

const SYNCED = "2026-01-01T00:00:00.000Z";

function tracker() {
  const events = new EventBus<ServerEvents>(createLogger("silent"));
  const seen: ServerEvents["device.clock_drift"][] = [];
  events.on("device.clock_drift", (event) => seen.push(event));
  return { drift: new ClockDriftTracker(events), seen };
}

describe("clockOffsetExceeds", () => {
  it("is the absolute measured offset over the threshold, and never for a clock never measured", () => {
    expect(clockOffsetExceeds({ clockOffsetMs: 1001, lastTimeSyncAt: SYNCED }, 1000)).toBe(true);
    expect(clockOffsetExceeds({ clockOffsetMs: -1001, lastTimeSyncAt: SYNCED }, 1000)).toBe(true);
    expect(clockOffsetExceeds({ clockOffsetMs: 1000, lastTimeSyncAt: SYNCED }, 1000)).toBe(false);
    expect(clockOffsetExceeds({ clockOffsetMs: 5000, lastTimeSyncAt: null }, 1000)).toBe(false);
    expect(clockOffsetExceeds(null, 1000)).toBe(false);
  });
});

describe("ClockDriftTracker", () => {
  it("announces a device once when it starts and once when it stops exceeding, not with every report", () => {
    const { drift, seen } = tracker();
    drift.observe("dev_a", { clockOffsetMs: 200, lastTimeSyncAt: SYNCED });
    drift.observe("dev_a", { clockOffsetMs: -2500, lastTimeSyncAt: SYNCED });
    drift.observe("dev_a", { clockOffsetMs: -2600, lastTimeSyncAt: SYNCED });
    drift.observe("dev_a", { clockOffsetMs: 10, lastTimeSyncAt: SYNCED });
    expect(seen).toEqual([
      { deviceId: "dev_a", exceeded: true, clockOffsetMs: -2500, thresholdMs: 1000 },
      { deviceId: "dev_a", exceeded: false, clockOffsetMs: 10, thresholdMs: 1000 },
    ]);
    expect(drift.exceedingCount).toBe(0);
  });

  it("on a new threshold, announces exactly the devices that change sides", () => {
    const { drift, seen } = tracker();
    drift.observe("dev_a", { clockOffsetMs: 5000, lastTimeSyncAt: SYNCED });
    drift.observe("dev_b", { clockOffsetMs: 1500, lastTimeSyncAt: SYNCED });
    seen.length = 0;
    drift.reset(2000, new Map([["dev_a", 5000]]));
    drift.reset(2000, new Map([["dev_a", 5000]]));
    expect(seen).toEqual([{ deviceId: "dev_b", exceeded: false, clockOffsetMs: null, thresholdMs: 2000 }]);
    drift.reset(
      100,
      new Map([
        ["dev_a", 5000],
        ["dev_c", -300],
      ]),
    );
    expect(seen.at(-1)).toEqual({ deviceId: "dev_c", exceeded: true, clockOffsetMs: -300, thresholdMs: 100 });
    expect([drift.isExceeding("dev_a"), drift.isExceeding("dev_b"), drift.isExceeding("dev_c")]).toEqual([
      true,
      false,
      true,
    ]);
    expect(drift.thresholdMs).toBe(100);
  });
});
