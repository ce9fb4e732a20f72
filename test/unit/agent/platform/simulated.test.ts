import { describe, expect, it } from "vitest";
import { SimulatedPlatform } from "../../../../agent/platform/simulated.js";

/** Replays the given values, then repeats the last one. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

describe("SimulatedPlatform", () => {
  it("starts unlocked, named after model and serial, with the automatic time zone", async () => {
    const platform = new SimulatedPlatform({ serial: "SIM-00042", model: "Portal Go", clock: () => 5000 });
    const state = await platform.readState();
    expect(state).toMatchObject({
      name: "Portal Go 0042",
      locked: false,
      timezone: "UTC",
      timezoneAutomatic: true,
      ntpServer: null,
      bootTimeMs: 5000,
    });
    expect(state.telemetry?.os).toContain("simulated");
  });

  it("applies each action and reports it", async () => {
    const platform = new SimulatedPlatform({ serial: "S1" });
    await platform.lock();
    await platform.setName("Kitchen");
    await platform.setTimeSettings({ timezone: "America/New_York", ntpServer: "time.example.com" });
    expect(await platform.readState()).toMatchObject({
      name: "Kitchen",
      locked: true,
      timezone: "America/New_York",
      timezoneAutomatic: false,
      ntpServer: "time.example.com",
    });
  });

  it("rejects a time zone that is not an IANA zone, and keeps the old one", async () => {
    const platform = new SimulatedPlatform({ serial: "S1" });
    await expect(
      platform.setTimeSettings({ timezone: "Mars/Olympus_Mons", ntpServer: null }),
    ).rejects.toThrow("unknown time zone 'Mars/Olympus_Mons'");
    expect(platform.timezone).toBe("auto");
  });

  it("fails actions at the configured rate, decided by the injected random source", async () => {
    const platform = new SimulatedPlatform({ serial: "S1", failureRate: 0.5, random: sequence(0.4, 0.6) });
    await expect(platform.lock()).rejects.toThrow("simulated failure while trying to lock the screen on S1");
    expect(platform.locked).toBe(false);
    await platform.lock();
    expect(platform.locked).toBe(true);
  });

  it("takes the configured time per action", async () => {
    const platform = new SimulatedPlatform({
      serial: "S1",
      latencyMs: { min: 20, max: 40 },
      random: () => 0.5,
    });
    const startedMs = performance.now();
    await platform.lock();
    expect(performance.now() - startedMs).toBeGreaterThanOrEqual(25);
  });

  it("reboots through the host's hook, and boots with a later boot time", async () => {
    let nowMs = 1000;
    const platform = new SimulatedPlatform({ serial: "S1", clock: () => nowMs, rebootDurationMs: 300 });
    const rebooted = new Promise<number>((resolve) => {
      platform.onReboot = resolve;
    });
    await platform.reboot();
    expect(await rebooted).toBe(300);
    platform.boot();
    expect(platform.bootTimeMs).toBe(1001);
    nowMs = 9000;
    platform.boot();
    expect(platform.bootTimeMs).toBe(9000);
  });

  it("resets everything on factory reset", async () => {
    const platform = new SimulatedPlatform({ serial: "S-1234", name: "Lobby" });
    await platform.lock();
    await platform.setTimeSettings({ timezone: "Asia/Tokyo", ntpServer: "ntp.example.org" });
    await platform.factoryReset();
    expect(await platform.readState()).toMatchObject({
      name: "Portal 1234",
      locked: false,
      timezoneAutomatic: true,
      ntpServer: null,
    });
  });

  it("runs its clock off true time by the configured skew", async () => {
    const platform = new SimulatedPlatform({ serial: "S1", clock: () => 10_000, clockOffsetMs: -2500 });
    expect(platform.deviceTimeMs()).toBe(7500);
    expect((await platform.readState()).clockOffsetMs).toBe(-2500);
  });
});
