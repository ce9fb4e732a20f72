/**
 * The one runner every OS action of the Linux agent goes through, with real processes: output,
 * exit codes, timeouts, programs that do not exist, dry run and configuration files.
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CommandFailedError,
  commandLine,
  SystemCommandRunner,
} from "../../../agent/platform/linux/command-runner.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pmdm-runner-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A runner whose log lines the test can read. */
function runnerWithLog(options: { dryRun?: boolean; timeoutMs?: number } = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { runner: new SystemCommandRunner({ logger, ...options }), lines };
}

async function failureOf(promise: Promise<unknown>): Promise<CommandFailedError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CommandFailedError) return err;
    throw err;
  }
  throw new Error("expected the command to fail");
}

describe("SystemCommandRunner", () => {
  it("runs a command and returns its output, logging the command line and duration", async () => {
    const { runner, lines } = runnerWithLog();
    const output = await runner.run("sh", ["-c", "echo out; echo err >&2"]);
    expect(output).toEqual({ stdout: "out\n", stderr: "err\n" });
    const done = lines.find((l) => l.msg === "command succeeded");
    expect(done?.command).toBe("sh -c 'echo out; echo err >&2'");
    expect(typeof done?.durationMs).toBe("number");
  });

  it("reports a non-zero exit with the code and what the command printed on stderr", async () => {
    const { runner, lines } = runnerWithLog();
    const err = await failureOf(runner.run("sh", ["-c", "echo Failed to connect to bus >&2; exit 3"]));
    expect(err.failure).toBe("exit");
    expect(err.detail.exitCode).toBe(3);
    expect(err.message).toBe(
      "`sh -c 'echo Failed to connect to bus >&2; exit 3'` exited with code 3: Failed to connect to bus",
    );
    expect(lines.some((l) => l.msg === "command failed" && l.level === 40)).toBe(true);
  });

  it("kills a command that outlives its timeout and says so", async () => {
    const { runner } = runnerWithLog({ timeoutMs: 30_000 });
    const marker = join(dir, "finished");
    const err = await failureOf(runner.run("sh", ["-c", `sleep 5; touch ${marker}`], { timeoutMs: 200 }));
    expect(err.failure).toBe("timeout");
    expect(err.message).toMatch(/^`sh -c .*` timed out after 200 ms and was killed$/);
    await expect(stat(marker)).rejects.toThrow();
  });

  it("reports a program that does not exist as one that could not be started", async () => {
    const { runner } = runnerWithLog();
    const err = await failureOf(runner.run("/nonexistent/portal-wipe", []));
    expect(err.failure).toBe("spawn");
    expect(err.message).toMatch(/^`\/nonexistent\/portal-wipe` could not be started: ENOENT/);
  });

  it("in dry-run mode logs commands and file changes without making them, but still reads", async () => {
    const { runner, lines } = runnerWithLog({ dryRun: true });
    const marker = join(dir, "touched");
    expect(await runner.run("touch", [marker])).toEqual({ stdout: "", stderr: "" });
    await runner.writeFile(join(dir, "conf.d", "x.conf"), "[Time]\n");
    await expect(stat(marker)).rejects.toThrow();
    await expect(stat(join(dir, "conf.d"))).rejects.toThrow();
    expect(lines.filter((l) => l.dryRun === true).map((l) => l.msg)).toEqual([
      "would run a command (dry run)",
      "would write a file (dry run)",
    ]);
    const read = await runner.run("echo", ["reading"], { readOnly: true });
    expect(read.stdout).toBe("reading\n");
  });

  it("writes a configuration file world-readable, creating its directory, and removes it again", async () => {
    const { runner } = runnerWithLog();
    const file = join(dir, "timesyncd.conf.d", "50-portal-agent.conf");
    await runner.writeFile(file, "[Time]\nNTP=time.example.com\n");
    expect(await readFile(file, "utf8")).toBe("[Time]\nNTP=time.example.com\n");
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    await runner.removeFile(file);
    await expect(stat(file)).rejects.toThrow();
    await runner.removeFile(file);
  });
});

describe("commandLine", () => {
  it("quotes only the arguments that need it", () => {
    expect(commandLine("hostnamectl", ["set-hostname", "--pretty", "--", "Boardroom 4"])).toBe(
      "hostnamectl set-hostname --pretty -- 'Boardroom 4'",
    );
    expect(commandLine("timedatectl", ["set-timezone", "America/New_York"])).toBe(
      "timedatectl set-timezone America/New_York",
    );
    expect(commandLine("sh", ["-c", "echo 'hi'"])).toBe(String.raw`sh -c 'echo '\''hi'\'''`);
  });
});
