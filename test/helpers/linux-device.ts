/**
 * The real Linux agent (config file schema, system command runner in dry-run mode, Linux
 * platform, systeminformation, file storage, MQTT.js) against a test server. Dry run: the
 * device's commands are logged, never run, so a test never changes the machine it runs on.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parseAgentConfig } from "../../agent/config.js";
import { LinuxDevice } from "../../agent/platform/linux/linux-device.js";
import { createEnrollmentToken, waitUntil } from "./devices.js";
import type { TestServer } from "./test-server.js";

export interface RunningLinuxDevice {
  device: LinuxDevice;
  deviceId: string;
  stateDir: string;
  /** Stops the agent and removes its state dir. */
  cleanup(): Promise<void>;
}

/** Enrolled by token and online; `config` is merged over a dry-run config for this server. */
export async function startLinuxDevice(
  t: TestServer,
  config: Record<string, unknown> = {},
): Promise<RunningLinuxDevice> {
  const stateDir = await mkdtemp(join(tmpdir(), "pmdm-linux-agent-"));
  const parsed = parseAgentConfig({
    server: t.server.httpUrl,
    enrollToken: await createEnrollmentToken(t),
    stateDir,
    dryRun: true,
    logLevel: process.env.PMDM_TEST_LOG_LEVEL ?? "silent",
    // Never the internet from a test: measure only against a server the test names.
    ...config,
    clock: { automaticNtpServer: null, ...(config.clock as object | undefined) },
    ntp: { chronySourcesFile: join(stateDir, "portal-agent.sources"), ...(config.ntp as object | undefined) },
  });
  const device = await LinuxDevice.create({
    config: parsed,
    logger: pino({ level: parsed.logLevel }),
  });
  const online = new Promise<void>((resolve) => {
    const onStatus = (status: string) => {
      if (status !== "online") return;
      device.off("status", onStatus);
      resolve();
    };
    device.on("status", onStatus);
  });
  await device.start();
  await online;
  const deviceId = device.deviceId!;
  await waitUntil(t, () => t.server.gateway.isOnline(deviceId), "Linux device online at the server");
  return {
    device,
    deviceId,
    stateDir,
    async cleanup() {
      await device.stop({ abrupt: true });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
