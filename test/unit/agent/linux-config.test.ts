/**
 * The agent's config file on a real device: defaults, and messages that name each bad option.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AgentConfigError, loadAgentConfigFile, parseAgentConfig } from "../../../agent/config.js";

function problemsOf(raw: unknown): string {
  try {
    parseAgentConfig(raw, "agent.json");
  } catch (err) {
    if (err instanceof AgentConfigError) return err.message;
    throw err;
  }
  throw new Error("expected the config to be refused");
}

describe("the agent config", () => {
  it("fills every default from a minimal file, and is frozen", () => {
    const config = parseAgentConfig({ server: "https://mdm.example.com" });
    expect(config).toMatchObject({
      server: "https://mdm.example.com",
      enrollToken: "",
      stateDir: "/var/lib/portal-agent",
      logLevel: "info",
      dryRun: false,
      stateReportIntervalSeconds: 60,
      commandTimeoutSeconds: 30,
      device: { model: "", serial: "" },
      timezone: { automaticMechanism: "none", automaticUnit: "automatic-timezoned.service" },
      ntp: {
        mechanism: "timesyncd",
        timesyncdDropIn: "/etc/systemd/timesyncd.conf.d/50-portal-agent.conf",
        chronySourcesFile: "/etc/chrony/sources.d/portal-agent.sources",
      },
      factoryReset: { wipeScript: null, timeoutSeconds: 600 },
      clock: {
        schedule: "*/10 * * * *",
        automaticNtpServer: "pool.ntp.org",
        replyTimeoutMs: 2000,
        samples: 3,
      },
      telemetry: { diskMount: "/" },
    });
    expect(Object.isFrozen(config.ntp)).toBe(true);
  });

  it("names every bad option, unknown ones included", () => {
    const message = problemsOf({
      server: "mdm.example.com",
      ntp: { mechanism: "ntpd", servers: [] },
      clock: { schedule: "every minute" },
      stateReportIntervalSeconds: 1,
      colour: "blue",
    });
    expect(message).toMatch(/^agent\.json is invalid:/);
    expect(message).toContain("server: ");
    expect(message).toContain("ntp.mechanism: must be equal to one of the allowed values");
    expect(message).toContain("ntp.servers: unknown option");
    expect(message).toContain("stateReportIntervalSeconds: must be >= 5");
    expect(message).toContain("colour: unknown option");
  });

  it("refuses a schedule that is not a cron expression and an automatic NTP server that is not one", () => {
    const message = problemsOf({ clock: { schedule: "every minute", automaticNtpServer: "a b:c" } });
    expect(message).toContain("clock.schedule: 'every minute' is not a cron expression");
    expect(message).toContain("clock.automaticNtpServer: 'a b:c' is not an NTP server");
  });

  it("from a file: a missing file and bad JSON are named", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pmdm-config-"));
    try {
      await expect(loadAgentConfigFile(join(dir, "missing.json"))).rejects.toThrow(
        /cannot read the agent config .*missing\.json/,
      );
      await writeFile(join(dir, "agent.json"), "{ server: }");
      await expect(loadAgentConfigFile(join(dir, "agent.json"))).rejects.toThrow(
        /agent\.json is not valid JSON/,
      );
      await writeFile(
        join(dir, "agent.json"),
        JSON.stringify({ dryRun: true, ntp: { mechanism: "chrony" } }),
      );
      const config = await loadAgentConfigFile(join(dir, "agent.json"));
      expect(config.ntp.mechanism).toBe("chrony");
      expect(config.dryRun).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
