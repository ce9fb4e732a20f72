/** Routing device reports to the services: failures come back to the caller, never float away. */
import { describe, expect, it } from "vitest";
import type { CommandResult, DeviceState } from "../../../proto/wire.js";
import type { CommandService } from "../../../server/commands/command-service.js";
import { DeviceLink } from "../../../server/device-link.js";
import type { DeviceService } from "../../../server/devices/device-service.js";
import { validState } from "../../../simulator/fuzz/payload-fuzzer.js";

const state: DeviceState = validState("x");
const result: CommandResult = {
  commandId: "cmd_1",
  status: "succeeded",
  errorCode: "",
  message: "",
  atMs: 1,
  state,
};

describe("DeviceLink.commandResult", () => {
  it("rejects when the state carried by a result cannot be stored, while the result is still stored slowly", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const handled: string[] = [];
    const devices = {
      recordState: async () => {
        throw new RangeError("Invalid time value");
      },
    } as unknown as DeviceService;
    const commands = {
      handleResult: async (_deviceId: string, r: CommandResult) => {
        // Slower than the failing state write, as a batched store write is.
        await new Promise((resolve) => setTimeout(resolve, 20));
        handled.push(r.commandId);
      },
    } as unknown as CommandService;
    const link = new DeviceLink(devices, commands, () => {
      throw new Error("no gateway in this test");
    });
    try {
      await expect(link.commandResult("dev_1", result)).rejects.toThrow("Invalid time value");
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
      expect(handled).toEqual(["cmd_1"]);
      expect(link.counters.commandResultsStored).toBe(1);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("DeviceLink.deviceReady", () => {
  it("rejects when the presence write fails before the config is pushed, and nothing floats away", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const delivered: string[] = [];
    const devices = {
      statusOf: async () => "active",
      recordPresence: async () => {
        throw new Error("driver has already been destroyed");
      },
      pushDesiredConfig: async () => {
        // Slower than the failing presence write, as a config read and publish is.
        await new Promise((resolve) => setTimeout(resolve, 20));
      },
    } as unknown as DeviceService;
    const commands = {
      delivery: { deviceReady: async (deviceId: string) => void delivered.push(deviceId) },
    } as unknown as CommandService;
    const link = new DeviceLink(devices, commands, () => {
      throw new Error("no gateway in this test");
    });
    try {
      await expect(link.deviceReady("dev_1")).rejects.toThrow("driver has already been destroyed");
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
      expect(delivered).toEqual(["dev_1"]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
