/**
 * The agent's packaging: the install script staged into a temp dir (no systemd, no npm), the
 * config it writes, the systemd unit, and the example config.
 */
import { execFile } from "node:child_process";
import { access, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadAgentConfigFile, parseAgentConfig } from "../../../agent/config.js";

const run = promisify(execFile);
const INSTALL = "agent/packaging/install.sh";

let dest: string;
beforeEach(async () => {
  dest = await mkdtemp(join(tmpdir(), "pmdm-install-"));
});
afterEach(async () => {
  await rm(dest, { recursive: true, force: true });
});

function install(...args: string[]) {
  return run("sh", [INSTALL, "--destdir", dest, "--skip-deps", ...args]);
}

async function failure(promise: Promise<unknown>): Promise<{ code: number; stderr: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: number; stderr: string };
  }
  throw new Error("expected the install script to fail");
}

describe("agent/packaging/install.sh", () => {
  it("stages the agent, a private config from the flags, and the unit with this machine's node", async () => {
    await install(
      "--server",
      "http://mdm.example.com:8080",
      "--enroll-token",
      "pet_example",
      "--ntp",
      "chrony",
      "--wipe-script",
      "/usr/local/lib/portal-agent/wipe",
    );
    await access(join(dest, "opt/portal-agent/agent/main.ts"));
    await access(join(dest, "opt/portal-agent/proto/gen/portal.js"));
    await access(join(dest, "opt/portal-agent/package-lock.json"));

    const configFile = join(dest, "etc/portal-agent/agent.json");
    expect((await stat(configFile)).mode & 0o777).toBe(0o600);
    const config = await loadAgentConfigFile(configFile);
    expect(config).toMatchObject({
      server: "http://mdm.example.com:8080",
      enrollToken: "pet_example",
      stateDir: "/var/lib/portal-agent",
      dryRun: false,
      ntp: { mechanism: "chrony" },
      factoryReset: { wipeScript: "/usr/local/lib/portal-agent/wipe" },
    });

    const unit = await readFile(join(dest, "etc/systemd/system/portal-agent.service"), "utf8");
    const execStart = /^ExecStart=(\S+) (.*)$/m.exec(unit);
    expect(execStart?.[2]).toBe(
      "--import tsx agent/main.ts --platform linux --config /etc/portal-agent/agent.json",
    );
    await access(execStart![1]!);
    expect((await run(execStart![1]!, ["--version"])).stdout.trim()).toBe(process.version);
  });

  it("keeps an existing config on a second run, so an upgrade loses nothing", async () => {
    await install("--server", "http://mdm.example.com:8080");
    const configFile = join(dest, "etc/portal-agent/agent.json");
    const edited = JSON.stringify({ server: "http://other.example.com", logLevel: "debug" });
    await writeFile(configFile, edited);
    const { stdout } = await install("--server", "http://mdm.example.com:8080");
    expect(stdout).toContain("kept the existing config");
    expect(await readFile(configFile, "utf8")).toBe(edited);
  });

  it("refuses a first install without a server, and an unknown NTP mechanism", async () => {
    const noServer = await failure(install());
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toContain("--server is needed for a first install");
    const badNtp = await failure(install("--server", "http://mdm.example.com", "--ntp", "ntpd"));
    expect(badNtp.stderr).toContain("--ntp must be timesyncd or chrony");
  });
});

describe("agent/packaging/portal-agent.service", () => {
  it("restarts on failure (not after a bad config), keeps state and config in their own dirs, and is hardened", async () => {
    const unit = await readFile("agent/packaging/portal-agent.service", "utf8");
    const settings = new Map(
      unit
        .split("\n")
        .filter((line) => /^\w+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(settings.get("Restart")).toBe("on-failure");
    expect(settings.get("RestartPreventExitStatus")).toBe("2");
    expect(settings.get("StateDirectory")).toBe("portal-agent");
    expect(settings.get("ConfigurationDirectory")).toBe("portal-agent");
    expect(settings.get("StandardOutput")).toBe("journal");
    expect(settings.get("NoNewPrivileges")).toBe("yes");
    expect(settings.get("ProtectSystem")).toBe("true");
    expect(settings.get("PrivateTmp")).toBe("yes");
    expect(settings.get("WantedBy")).toBe("multi-user.target");
  });
});

describe("agent/packaging/agent.example.json", () => {
  it("is a valid config that names every option with its default", async () => {
    const example = await loadAgentConfigFile("agent/packaging/agent.example.json");
    expect(example.server).toBe("http://mdm.example.com:8080");
    const raw = JSON.parse(await readFile("agent/packaging/agent.example.json", "utf8")) as Record<
      string,
      unknown
    >;
    const defaults = parseAgentConfig({ server: "http://mdm.example.com:8080" });
    expect(raw).toEqual(JSON.parse(JSON.stringify(defaults)));
  });
});
