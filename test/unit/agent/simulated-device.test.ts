/**
 * A simulated display over the in-memory network: its reboot really restarts the agent core
 * over the same storage, and it keeps the device-side record of what ran.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type Execution, SimulatedDevice } from "../../../agent/simulated-device.js";
import { MemoryAgentStorage } from "../../../agent/storage/memory-storage.js";
import { CommandFactory, FakeNetwork, IDENTITY, ManualClock, silentLogger } from "./fakes.js";

let device: SimulatedDevice | undefined;
afterEach(async () => {
  await device?.stop({ abrupt: true });
  device = undefined;
});

async function enrolledDevice(network: FakeNetwork, options: { rebootDurationMs?: number } = {}) {
  const storage = new MemoryAgentStorage();
  await storage.saveIdentity(IDENTITY);
  device = new SimulatedDevice({
    serial: "SIM-7",
    serverUrl: "http://127.0.0.1:1",
    logger: silentLogger,
    storage,
    transport: network.factory,
    stateReportIntervalMs: 0,
    ...options,
  });
  return device;
}

function nextResult(d: SimulatedDevice, commandId: string, status: string): Promise<void> {
  return new Promise((resolve) => {
    const onResult = (r: { commandId: string; status: string }) => {
      if (r.commandId !== commandId || r.status !== status) return;
      d.off("result", onResult);
      resolve();
    };
    d.on("result", onResult);
  });
}

describe("SimulatedDevice", () => {
  it("comes online with its stored identity", async () => {
    const network = new FakeNetwork();
    const d = await enrolledDevice(network);
    const online = d.waitForStatus("online");
    await d.start();
    await online;
    expect(d.deviceId).toBe(IDENTITY.deviceId);
    expect(d.serial).toBe("SIM-7");
  });

  it("reboots: the agent goes away for rebootDurationMs and a new one reports SUCCEEDED", async () => {
    const network = new FakeNetwork();
    const d = await enrolledDevice(network, { rebootDurationMs: 30 });
    const commands = new CommandFactory(new ManualClock(Date.now()));
    await d.start();
    await d.waitForStatus("online");
    const bootBefore = d.platform.bootTimeMs;
    const executions: Execution[] = [];
    d.on("executed", (e) => executions.push(e));
    const rebooting = new Promise<number>((resolve) => d.once("rebooting", (e) => resolve(e.durationMs)));

    const reboot = commands.next({ type: "reboot" });
    const succeeded = nextResult(d, reboot.id, "succeeded");
    network.deliver(reboot);
    expect(await rebooting).toBe(30);
    await succeeded;

    expect(network.links).toHaveLength(2);
    expect(network.links[0]?.endedWith).toEqual({ force: true });
    expect(d.platform.bootTimeMs).toBeGreaterThan(bootBefore);
    expect(network.outcomes(reboot.id)).toEqual(["accepted", "succeeded"]);
    expect(d.executions.map((e) => e.commandId)).toEqual([reboot.id]);
    expect(executions).toEqual(d.executions);
    expect(d.executionCount(reboot.id)).toBe(1);
    expect(d.status).toBe("online");
  });

  it("stopped during a reboot stays off", async () => {
    const network = new FakeNetwork();
    const d = await enrolledDevice(network, { rebootDurationMs: 10 });
    await d.start();
    await d.waitForStatus("online");
    const rebooting = new Promise<void>((resolve) => d.once("rebooting", () => resolve()));
    network.deliver(new CommandFactory(new ManualClock(Date.now())).next({ type: "reboot" }));
    await rebooting;
    await d.stop();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(network.links).toHaveLength(1);
    expect(d.status).toBe("stopped");
  });
});
