/**
 * What the signing-key-store tests share: real servers, enrolled simulated devices and
 * `npm run admin` as its own process, all stopped and removed after the file's tests.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, expect } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { CommandView } from "../../server/commands/command.js";
import { startDevice, waitForCommand } from "./devices.js";
import { removeDataDir, startTestServer, type TestServer } from "./test-server.js";

const CLI = fileURLToPath(new URL("../../server/admin-cli.ts", import.meta.url));

const servers: TestServer[] = [];
const devices: SimulatedDevice[] = [];
export const dataDirs: string[] = [];
export const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(devices.map((d) => d.stop({ abrupt: true })));
  for (const t of servers) await t.stop();
  for (const dir of dataDirs) await removeDataDir(dir);
  for (const cleanup of cleanups) await cleanup();
});

export async function start(
  overrides: Parameters<typeof startTestServer>[0],
  dataDir: string,
  logger?: pino.Logger,
): Promise<TestServer> {
  const t = await startTestServer(overrides, dataDir, Date.now, logger);
  servers.push(t);
  return t;
}

export async function enrolledDevice(t: TestServer): Promise<SimulatedDevice & { deviceId: string }> {
  const device = await startDevice(t);
  devices.push(device);
  return device;
}

/** `npm run admin -- ...` as its own process; `databaseUrl`: the store it opens ("": SQLite in the data dir). */
export function admin(
  dataDir: string,
  args: string[],
  databaseUrl = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ["--import", "tsx", CLI, "--data-dir", dataDir, ...args],
      { env: { ...process.env, PMDM_DATABASE_URL: databaseUrl } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** `npm run admin -- rotate-signing-key` on the server's store. */
export const rotate = (t: TestServer, ...flags: string[]) =>
  admin(t.dataDir, ["rotate-signing-key", ...flags], t.config.databaseUrl);

export async function commandSucceeds(t: TestServer, deviceId: string): Promise<void> {
  const res = await t.api.post<CommandView>(`/devices/${deviceId}/commands`, { type: "refresh_state" });
  expect(res.status).toBe(202);
  const done = await waitForCommand(t, res.body.id);
  expect(done, `command ${done.id}: ${done.errorCode} ${done.errorMessage}`).toMatchObject({
    state: "succeeded",
  });
}

/** A logger whose messages the test reads, at info. */
export function recordingLogger() {
  const messages: string[] = [];
  const logger = pino(
    { level: "info" },
    { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) },
  );
  return { logger, messages };
}
