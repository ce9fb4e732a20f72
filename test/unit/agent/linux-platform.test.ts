/**
 * The Linux platform against a recording runner: the exact commands and files for each
 * action, what it reports, and failures (non-zero exit, timeout) reported by the agent as
 * FAILED with the command's own error.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClockMonitor } from "../../../agent/clock/clock-monitor.js";
import { AgentCore } from "../../../agent/core/agent.js";
import { CommandFailedError, SystemCommandRunner } from "../../../agent/platform/linux/command-runner.js";
import { LinuxPlatform, type LinuxPlatformOptions } from "../../../agent/platform/linux/linux-platform.js";
import {
  ChronyMechanism,
  type NtpMechanism,
  TimesyncdMechanism,
} from "../../../agent/platform/linux/ntp-mechanisms.js";
import { MemoryAgentStorage } from "../../../agent/storage/memory-storage.js";
import { CommandFactory, FakeNetwork, IDENTITY, ManualClock, silentLogger, waitForStatus } from "./fakes.js";
import { RecordingRunner } from "./linux-recording-runner.js";

const WIPE_SCRIPT = "/usr/local/lib/portal-agent/wipe";
const ZONE_UNIT = "automatic-timezoned.service";

let dir: string;
let runner: RecordingRunner;
let dropIn: string;
let chronySources: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pmdm-linux-"));
  runner = new RecordingRunner();
  dropIn = join(dir, "etc/systemd/timesyncd.conf.d/50-portal-agent.conf");
  chronySources = join(dir, "etc/chrony/sources.d/portal-agent.sources");
  await setLocalTime("Etc/UTC");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Points the test's /etc/localtime at a zone, as `timedatectl set-timezone` would. */
async function setLocalTime(zone: string): Promise<void> {
  await rm(join(dir, "localtime"), { force: true });
  await symlink(`/usr/share/zoneinfo/${zone}`, join(dir, "localtime"));
}

function platform(overrides: Partial<LinuxPlatformOptions> = {}): Promise<LinuxPlatform> {
  return LinuxPlatform.create({
    runner,
    logger: silentLogger,
    model: "Portal+ Gen 2",
    serial: "LNX-0001",
    stateDir: join(dir, "state"),
    ntp: new TimesyncdMechanism(dropIn),
    automaticTimezoneUnit: ZONE_UNIT,
    wipeScript: WIPE_SCRIPT,
    files: { localtime: join(dir, "localtime") },
    ...overrides,
  });
}

function timesyncd(): NtpMechanism {
  return new TimesyncdMechanism(dropIn);
}

describe("LinuxPlatform: the commands for each action", () => {
  it("lock: loginctl lock-sessions", async () => {
    await (await platform()).lock();
    expect(runner.actions).toEqual(["loginctl lock-sessions"]);
  });

  it("reboot: systemctl reboot", async () => {
    await (await platform()).reboot();
    expect(runner.actions).toEqual(["systemctl reboot"]);
  });

  it("rename: the pretty host name, and the agent's own name, kept across restarts", async () => {
    const linux = await platform();
    await linux.setName("Boardroom 4 -- east");
    expect(runner.actions).toEqual(["hostnamectl set-hostname --pretty -- 'Boardroom 4 -- east'"]);
    expect((await linux.readState()).name).toBe("Boardroom 4 -- east");
    expect((await (await platform()).readState()).name).toBe("Boardroom 4 -- east");
  });

  it("factory reset: the wipe script with its own timeout, the time source back to automatic, settings forgotten", async () => {
    const linux = await platform({ wipeTimeoutMs: 120_000 });
    await linux.setName("Lobby");
    await linux.setTimeSettings({ timezone: "Europe/Paris", ntpServer: "time.example.com" });
    runner.clear();
    await linux.factoryReset();
    expect(runner.actions).toEqual([
      WIPE_SCRIPT,
      `remove ${dropIn}`,
      "systemctl restart systemd-timesyncd.service",
    ]);
    expect(runner.calls[0]?.options.timeoutMs).toBe(120_000);
    expect(linux.appliedSettings).toEqual({ name: null, timezoneAutomatic: false, ntpServer: null });
  });

  it("factory reset without a wipe script is refused before anything runs", async () => {
    const linux = await platform({ wipeScript: null });
    await expect(linux.factoryReset()).rejects.toThrow(/no wipe script is configured.*nothing was erased/);
    expect(runner.actions).toEqual([]);
  });

  it("a fixed zone: timedatectl set-timezone, only when it is not already in force", async () => {
    const linux = await platform();
    await linux.setTimeSettings({ timezone: "Europe/Paris", ntpServer: null });
    expect(runner.actions).toEqual(["timedatectl set-timezone Europe/Paris"]);
    runner.clear();
    await setLocalTime("Europe/Paris");
    await linux.setTimeSettings({ timezone: "Europe/Paris", ntpServer: null });
    expect(runner.actions).toEqual([]);
    expect(await linux.readState()).toMatchObject({ timezone: "Europe/Paris", timezoneAutomatic: false });
  });

  it("an automatic zone: the configured unit is enabled, and disabled again for a fixed zone", async () => {
    const linux = await platform();
    await linux.setTimeSettings({ timezone: "auto", ntpServer: null });
    expect(runner.actions).toEqual([`systemctl enable --now ${ZONE_UNIT}`]);
    expect((await linux.readState()).timezoneAutomatic).toBe(true);
    runner.clear();
    await linux.setTimeSettings({ timezone: "America/New_York", ntpServer: null });
    expect(runner.actions).toEqual([
      `systemctl disable --now ${ZONE_UNIT}`,
      "timedatectl set-timezone America/New_York",
    ]);
    expect((await linux.readState()).timezoneAutomatic).toBe(false);
  });

  it("an automatic zone on a device without a mechanism: the NTP server is applied, the zone refused honestly", async () => {
    const linux = await platform({ automaticTimezoneUnit: null });
    await expect(linux.setTimeSettings({ timezone: "auto", ntpServer: "time.example.com" })).rejects.toThrow(
      /no automatic time zone mechanism.*it keeps the zone UTC/,
    );
    expect(runner.actions).toEqual([`write ${dropIn}`, "systemctl restart systemd-timesyncd.service"]);
    expect(await linux.readState()).toMatchObject({
      timezoneAutomatic: false,
      timezone: "UTC",
      ntpServer: "time.example.com",
    });
  });

  it("an unknown zone is refused before anything changes", async () => {
    const linux = await platform();
    await expect(
      linux.setTimeSettings({ timezone: "Mars/Olympus", ntpServer: "time.example.com" }),
    ).rejects.toThrow("unknown time zone 'Mars/Olympus'");
    expect(runner.actions).toEqual([]);
  });

  it("NTP with systemd-timesyncd: a drop-in with NTP= and a restart; automatic removes it", async () => {
    const linux = await platform({ ntp: timesyncd() });
    await setLocalTime("Europe/Paris");
    await linux.setTimeSettings({ timezone: "Europe/Paris", ntpServer: "time.example.com:123" });
    expect(runner.actions).toEqual([`write ${dropIn}`, "systemctl restart systemd-timesyncd.service"]);
    expect(runner.files.get(dropIn)).toMatch(/\n\[Time\]\nNTP=time\.example\.com\n$/);
    expect((await linux.readState()).ntpServer).toBe("time.example.com:123");
    runner.clear();
    await linux.setTimeSettings({ timezone: "Europe/Paris", ntpServer: "[2001:db8::1]" });
    expect(runner.files.get(dropIn)).toMatch(/\nNTP=2001:db8::1\n$/);
    runner.clear();
    await linux.setTimeSettings({ timezone: "Europe/Paris", ntpServer: null });
    expect(runner.actions).toEqual([`remove ${dropIn}`, "systemctl restart systemd-timesyncd.service"]);
    expect((await linux.readState()).ntpServer).toBeNull();
  });

  it("NTP with systemd-timesyncd refuses a port other than 123 before anything changes", async () => {
    const linux = await platform({ ntp: timesyncd() });
    await expect(
      linux.setTimeSettings({ timezone: "Europe/Paris", ntpServer: "10.0.0.5:11123" }),
    ).rejects.toThrow(/systemd-timesyncd cannot use NTP port 11123.*"chrony"/);
    expect(runner.actions).toEqual([]);
  });

  it("NTP with chrony: a sources file with host and port, and chronyc reload sources", async () => {
    const linux = await platform({ ntp: new ChronyMechanism(chronySources) });
    await setLocalTime("Europe/Paris");
    await linux.setTimeSettings({ timezone: "Europe/Paris", ntpServer: "127.0.0.1:11123" });
    expect(runner.actions).toEqual([`write ${chronySources}`, "chronyc reload sources"]);
    expect(runner.files.get(chronySources)).toMatch(/\nserver 127\.0\.0\.1 port 11123 iburst prefer\n$/);
    runner.clear();
    await linux.setTimeSettings({ timezone: "Europe/Paris", ntpServer: null });
    expect(runner.actions).toEqual([`remove ${chronySources}`, "chronyc reload sources"]);
  });
});

describe("LinuxPlatform: what it reports", () => {
  it("the boot time from /proc/stat, the same on every read", async () => {
    const procStat = join(dir, "stat");
    await writeFile(procStat, "cpu  10 0 20 300 0 0 0 0 0 0\nbtime 1764547200\nprocesses 42\n");
    const linux = await platform({ files: { localtime: join(dir, "localtime"), procStat } });
    const first = await linux.readState();
    const second = await linux.readState();
    expect(first.bootTimeMs).toBe(1_764_547_200_000);
    expect(second.bootTimeMs).toBe(first.bootTimeMs);
    // The machine's own /proc/stat reads the same every time too, in whole seconds.
    const real = await platform();
    const [a, b] = [await real.readState(), await real.readState()];
    expect(a.bootTimeMs).toBe(b.bootTimeMs);
    expect(a.bootTimeMs % 1000).toBe(0);
  });

  it("a locked graphical session from logind, through read-only commands", async () => {
    const linux = await platform();
    expect((await linux.readState()).locked).toBe(false);
    runner
      .on("loginctl list-sessions", () => ({
        stdout: "  3 1000 alice seat0 tty2\n  7 0 root - pts/0\n",
        stderr: "",
      }))
      .on("loginctl show-session", () => ({
        stdout: "Type=wayland\nLockedHint=yes\n\nType=tty\nLockedHint=no\n",
        stderr: "",
      }));
    expect((await linux.readState()).locked).toBe(true);
    expect(runner.calls.at(-1)?.line).toBe("loginctl show-session 3 7 -p Type -p LockedHint");
    expect(runner.calls.every((c) => c.options.readOnly)).toBe(true);
    expect(runner.actions).toEqual([]);
  });
});

/** An agent core on the Linux platform, enrolled and online over an in-memory network. */
async function agentOn(linux: LinuxPlatform) {
  const storage = new MemoryAgentStorage();
  await storage.load();
  await storage.saveIdentity(IDENTITY);
  const network = new FakeNetwork();
  const clock = new ManualClock(Date.now());
  const agent = new AgentCore({
    platform: linux,
    storage,
    transportFactory: network.factory,
    serverUrl: "http://127.0.0.1:1",
    agentVersion: "9.9.9-test",
    logger: silentLogger,
    clock: clock.now,
    stateReportIntervalMs: 0,
  });
  const online = waitForStatus(agent, "online");
  await agent.start();
  await online;
  await agent.idle();
  return { agent, network, commands: new CommandFactory(clock) };
}

describe("LinuxPlatform failures, as the agent reports them", () => {
  it("a non-zero exit: FAILED with the command and its error output", async () => {
    runner.on("loginctl lock-sessions", (call) => {
      throw new CommandFailedError(call.line, "exit", {
        exitCode: 1,
        stderr: "Failed to connect to bus: No such file or directory\n",
      });
    });
    const { agent, network, commands } = await agentOn(await platform());
    const lock = commands.next({ type: "lock" });
    network.deliver(lock);
    await agent.idle();
    const result = network.results().at(-1);
    expect(result).toMatchObject({
      commandId: lock.id,
      status: "failed",
      errorCode: "platform_error",
      message:
        "`loginctl lock-sessions` exited with code 1: Failed to connect to bus: No such file or directory",
    });
    await agent.stop({ abrupt: true });
  });

  it("a timeout: the real runner kills the command and the agent reports FAILED with the reason", async () => {
    // The recording runner hands the call to a real runner, which finds a stand-in
    // `timedatectl` that hangs first on its PATH.
    await mkdir(join(dir, "bin"));
    await writeFile(join(dir, "bin", "timedatectl"), "#!/bin/sh\nexec sleep 10\n", { mode: 0o755 });
    const real = new SystemCommandRunner({
      logger: pino({ level: "silent" }),
      timeoutMs: 200,
      env: { PATH: `${join(dir, "bin")}:/usr/bin:/bin` },
    });
    runner.on("timedatectl set-timezone", (call) => real.run(call.command, call.args));
    const { agent, network, commands } = await agentOn(await platform());
    const setTime = commands.next({ type: "set_time", timezone: "Asia/Tokyo", ntpServer: null });
    network.deliver(setTime);
    await agent.idle();
    expect(runner.actions).toEqual(["timedatectl set-timezone Asia/Tokyo"]);
    expect(network.results().at(-1)).toMatchObject({
      commandId: setTime.id,
      status: "failed",
      errorCode: "platform_error",
      message: "`timedatectl set-timezone Asia/Tokyo` timed out after 200 ms and was killed",
    });
    await agent.stop({ abrupt: true });
  });

  it("a failed reboot: FAILED, and the device stays up and managed", async () => {
    runner.on("systemctl reboot", (call) => {
      throw new CommandFailedError(call.line, "exit", { exitCode: 1, stderr: "Access denied\n" });
    });
    const { agent, network, commands } = await agentOn(await platform());
    const reboot = commands.next({ type: "reboot" });
    network.deliver(reboot);
    await agent.idle();
    expect(network.outcomes(reboot.id)).toEqual(["accepted", "failed:platform_error"]);
    expect(network.results().at(-1)?.message).toBe("`systemctl reboot` exited with code 1: Access denied");
    expect(agent.status).toBe("online");
    await agent.stop({ abrupt: true });
  });
});

describe("LinuxPlatform and the agent: the clock", () => {
  it("measured when the agent starts and again for a new NTP server, each result reported at once", async () => {
    const probed: string[] = [];
    const clock = new ClockMonitor({
      probe: async (server) => {
        probed.push(server);
        return server === "time.example.com" ? 1500 : -20;
      },
      schedule: "0 0 1 1 *",
      automaticServer: "pool.ntp.org",
      logger: silentLogger,
    });
    const { agent, network, commands } = await agentOn(await platform({ clock }));
    await clock.settled();
    await agent.idle();
    expect(probed).toEqual(["pool.ntp.org"]);
    expect(network.states().at(-1)).toMatchObject({ clockOffsetMs: -20, timeSyncError: null });

    const setTime = commands.next({ type: "set_time", timezone: "UTC", ntpServer: "time.example.com" });
    network.deliver(setTime);
    await agent.idle();
    await clock.settled();
    await agent.idle();
    expect(probed).toEqual(["pool.ntp.org", "time.example.com"]);
    const state = network.states().at(-1)!;
    expect(state).toMatchObject({ ntpServer: "time.example.com", clockOffsetMs: 1500, timeSyncError: null });
    expect(state.lastTimeSyncAtMs).not.toBeNull();

    // Stopped with the agent: a later change measures nothing.
    await agent.stop({ abrupt: true });
    clock.useServer("other.example.com");
    await clock.settled();
    expect(probed).toHaveLength(2);
  });
});
