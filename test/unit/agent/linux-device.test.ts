/**
 * The Linux agent as its config builds it (file storage, Linux platform, real systeminformation)
 * over an in-memory network, with a recording runner: a factory reset runs the wipe script,
 * reports success, forgets the identity, and only then reboots the device.
 */
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../../agent/config.js";
import { LinuxDevice } from "../../../agent/platform/linux/linux-device.js";
import { FileAgentStorage, IDENTITY_FILE } from "../../../agent/storage/file-storage.js";
import { CommandFactory, FakeNetwork, IDENTITY, ManualClock, silentLogger } from "./fakes.js";
import { RecordingRunner } from "./linux-recording-runner.js";

const WIPE_SCRIPT = "/usr/local/lib/portal-agent/wipe";

let stateDir: string;
let device: LinuxDevice | undefined;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "pmdm-linux-device-"));
});
afterEach(async () => {
  await device?.stop({ abrupt: true });
  await rm(stateDir, { recursive: true, force: true });
});

describe("LinuxDevice", () => {
  it("factory reset: wipe script, SUCCEEDED, identity forgotten, then systemctl reboot", async () => {
    const enrolled = new FileAgentStorage(stateDir);
    await enrolled.load();
    await enrolled.saveIdentity(IDENTITY);

    const runner = new RecordingRunner();
    const network = new FakeNetwork();
    // What the runner had seen when each result went out.
    const actionsAtResult: string[][] = [];
    network.beforePuback = (topic) => {
      if (topic.endsWith("/res")) actionsAtResult.push([...runner.actions]);
    };
    device = await LinuxDevice.create({
      config: parseAgentConfig({
        server: "http://127.0.0.1:1",
        stateDir,
        device: { model: "Portal+ Gen 2", serial: "LNX-0002" },
        factoryReset: { wipeScript: WIPE_SCRIPT },
        clock: { automaticNtpServer: null },
        logLevel: "silent",
      }),
      logger: silentLogger,
      runner,
      transport: network.factory,
    });
    expect(device.platform.serial).toBe("LNX-0002");
    const online = new Promise<void>((resolve) => device!.on("status", (s) => s === "online" && resolve()));
    await device.start();
    await online;
    await device.idle();

    const commands = new CommandFactory(new ManualClock(Date.now()));
    const reset = commands.next({ type: "factory_reset" });
    const wiped = new Promise<void>((resolve) => device!.on("wiped", () => resolve()));
    network.deliver(reset);
    await wiped;
    await device.idle();
    await new Promise((resolve) => setImmediate(resolve));

    expect(network.outcomes(reset.id).at(-1)).toBe("succeeded");
    expect(actionsAtResult.at(-1)).toEqual([WIPE_SCRIPT]);
    expect(runner.actions).toEqual([WIPE_SCRIPT, "systemctl reboot"]);
    expect(device.status).toBe("unenrolled");
    await expect(access(join(stateDir, IDENTITY_FILE))).rejects.toThrow();
  });
});
