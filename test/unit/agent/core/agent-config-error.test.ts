/**
 * A desired config the device cannot apply: the agent says which version and why in every
 * state report until a desired config applies, and keeps the version it runs.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedPlatform } from "../../../../agent/platform/simulated.js";
import { MemoryAgentStorage } from "../../../../agent/storage/memory-storage.js";
import { TestDevice } from "../fakes.js";

let device: TestDevice;
afterEach(async () => {
  await device?.agent?.stop({ abrupt: true });
});

const tokyo = (version: number) => ({
  version,
  name: "",
  time: { timezone: "Asia/Tokyo", ntpServer: null },
});

describe("a desired config that cannot be applied", () => {
  it("is reported with its version and the platform's reason until one applies", async () => {
    const platform = new SimulatedPlatform({ serial: "UNIT-0002", unsupportedTimezones: ["Asia/Tokyo"] });
    device = await TestDevice.enrolled(new MemoryAgentStorage(), platform);
    await device.boot();
    expect(device.network.states().at(-1)?.configError).toBeUndefined();

    await device.sendConfig(tokyo(4));
    const failed = device.network.states().at(-1);
    expect(failed?.configError).toEqual({
      version: 4,
      message: "time zone 'Asia/Tokyo' is not installed on this device",
    });
    expect(failed?.appliedConfigVersion).toBe(0);

    // Every report says so, not only the one after the attempt: here, a refresh's.
    await device.send(device.commands.next({ type: "refresh_state" }));
    expect(device.network.states().at(-1)?.configError?.version).toBe(4);
    // Not stored: a restarted agent knows once the config, sent again on connect, fails again.
    await device.running.stop();
    await device.boot();
    expect(device.network.states().at(-1)?.configError).toBeUndefined();
    await device.sendConfig(tokyo(4));
    expect(device.network.states().at(-1)?.configError?.version).toBe(4);

    platform.unsupportedTimezones.clear();
    // The same version sent again: applied now, and the reason is gone from the report.
    await device.sendConfig(tokyo(4));
    const applied = device.network.states().at(-1);
    expect(applied?.configError).toBeUndefined();
    expect(applied?.appliedConfigVersion).toBe(4);
    expect(platform.timezone).toBe("Asia/Tokyo");
  });

  it("is superseded by a later version that applies", async () => {
    const platform = new SimulatedPlatform({ serial: "UNIT-0003", unsupportedTimezones: ["Asia/Tokyo"] });
    device = await TestDevice.enrolled(new MemoryAgentStorage(), platform);
    await device.boot();
    await device.sendConfig(tokyo(2));
    expect(device.network.states().at(-1)?.configError?.version).toBe(2);
    await device.sendConfig({ version: 3, name: "", time: { timezone: "Europe/Oslo", ntpServer: null } });
    const state = device.network.states().at(-1);
    expect(state?.configError).toBeUndefined();
    expect(state?.appliedConfigVersion).toBe(3);
  });
});
