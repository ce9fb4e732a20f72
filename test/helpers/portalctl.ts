/**
 * portalctl as its own process (the `bin` launcher, as `npx portalctl` runs it), with a home and
 * config dir of its own and none of the caller's PORTALCTL_* settings. No terminal: stdin is a
 * pipe and stdout/stderr are captured, as in a script.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { type EnrolledDevice, startDevices, waitUntil } from "./devices.js";
import { startTestServer, type TestServer } from "./test-server.js";

export const PORTALCTL = fileURLToPath(new URL("../../cli/portalctl.js", import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Portalctl {
  home: string;
  configFile: string;
  run(args: string[], options?: { env?: Record<string, string>; stdin?: string }): Promise<RunResult>;
  cleanup(): Promise<void>;
}

export async function portalctlHome(): Promise<Portalctl> {
  const home = await mkdtemp(join(tmpdir(), "portalctl-test-"));
  const base: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config") };
  for (const key of Object.keys(base))
    if (key.startsWith("PORTALCTL_") || key === "NO_COLOR") delete base[key];
  return {
    home,
    configFile: join(home, ".config", "portalctl", "config.json"),
    run: (args, options = {}) =>
      new Promise((resolve) => {
        const child = execFile(
          process.execPath,
          [PORTALCTL, ...args],
          { env: { ...base, ...options.env }, timeout: 60_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        child.stdin?.end(options.stdin ?? "");
      }),
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

/** A file's test server with real agents online (in the API too), and portalctl pointed at it. */
export interface PortalctlFleet {
  t: TestServer;
  cli: Portalctl;
  devices: EnrolledDevice[];
  /** PORTALCTL_SERVER and PORTALCTL_TOKEN (the test server's admin token). */
  env: Record<string, string>;
}

/**
 * Registers the file's setup and teardown of a {@link PortalctlFleet} of `count` devices with the
 * given serials; its fields are there from the file's first `beforeAll` on.
 */
export function usePortalctlFleet(
  count: number,
  serial: (i: number) => string,
  options: { concurrently?: boolean } = {},
): PortalctlFleet {
  const fleet = { devices: [] as EnrolledDevice[] } as PortalctlFleet;
  beforeAll(async () => {
    fleet.t = await startTestServer();
    fleet.cli = await portalctlHome();
    fleet.devices = await startDevices(fleet.t, count, serial, options);
    fleet.env = { PORTALCTL_SERVER: fleet.t.server.httpUrl, PORTALCTL_TOKEN: fleet.t.api.token! };
    // Online at the broker comes a moment before online in the store the API reads.
    await waitUntil(
      fleet.t,
      async () => (await fleet.t.api.get<{ total: number }>("/devices?online=true")).body.total === count,
      "the devices online in the API",
    );
  });
  afterAll(async () => {
    for (const d of fleet.devices) await d.stop();
    await fleet.cli?.cleanup();
    await fleet.t?.cleanup();
  });
  return fleet;
}
