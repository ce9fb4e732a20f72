/**
 * Every change the Linux agent makes to its device goes through one CommandRunner: commands
 * (`timedatectl`, `systemctl`, the wipe script, ...) and the few configuration files it owns.
 * The system runner logs each one, kills a command that outlives its timeout, turns every
 * failure into a CommandFailedError whose message says what ran and how it failed, and in
 * dry-run mode logs what it would do without doing it.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";

export interface RunOptions {
  /** Overrides the runner's default timeout. */
  timeoutMs?: number;
  /**
   * Only reads the device (e.g. `loginctl show-session`): runs in dry-run mode too, and is
   * logged at debug level.
   */
  readOnly?: boolean;
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<CommandOutput>;
  /** Replaces a configuration file atomically (mode 0644), creating its directory. */
  writeFile(path: string, content: string): Promise<void>;
  /** Removes a configuration file; a missing one is fine. */
  removeFile(path: string): Promise<void>;
}

/**
 * How a command failed: it exited non-zero, ran out of time, was killed, never started, or
 * printed more than the runner keeps.
 */
export type CommandFailure = "exit" | "timeout" | "signal" | "spawn" | "output";

export class CommandFailedError extends Error {
  constructor(
    readonly commandLine: string,
    readonly failure: CommandFailure,
    readonly detail: {
      exitCode?: number;
      signal?: string;
      timeoutMs?: number;
      stderr?: string;
      cause?: string;
    },
  ) {
    super(describeFailure(commandLine, failure, detail));
    this.name = "CommandFailedError";
  }
}

/** The message a failed command is reported with, e.g. "`systemctl reboot` exited with code 1: ...". */
function describeFailure(
  commandLine: string,
  failure: CommandFailure,
  detail: CommandFailedError["detail"],
): string {
  const output = detail.stderr?.trim() ? `: ${lastLines(detail.stderr.trim(), 5)}` : "";
  switch (failure) {
    case "exit":
      return `\`${commandLine}\` exited with code ${detail.exitCode}${output}`;
    case "timeout":
      return `\`${commandLine}\` timed out after ${detail.timeoutMs} ms and was killed${output}`;
    case "signal":
      return `\`${commandLine}\` was killed by ${detail.signal}${output}`;
    case "spawn":
      return `\`${commandLine}\` could not be started: ${detail.cause}`;
    case "output":
      return `\`${commandLine}\` was killed: it printed more than ${MAX_OUTPUT_BYTES} bytes`;
  }
}

function lastLines(text: string, count: number): string {
  return text.split("\n").slice(-count).join(" / ");
}

/** A command as a person would type it, for logs and error messages. */
export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args]
    .map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replaceAll("'", "'\\''")}'`))
    .join(" ");
}

export interface SystemCommandRunnerOptions {
  logger: Logger;
  /** Default 30 000 ms. */
  timeoutMs?: number;
  /** Log commands and file changes instead of making them. */
  dryRun?: boolean;
  /** Environment of the commands. Default: the agent's own. */
  env?: NodeJS.ProcessEnv;
}

/** Output kept per stream; a command that prints more is not what this runner is for. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

export class SystemCommandRunner implements CommandRunner {
  constructor(private readonly options: SystemCommandRunnerOptions) {}

  get dryRun(): boolean {
    return this.options.dryRun ?? false;
  }

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandOutput> {
    const line = commandLine(command, args);
    const log = this.options.logger;
    if (this.dryRun && !options.readOnly) {
      log.info({ command: line, dryRun: true }, "would run a command (dry run)");
      return { stdout: "", stderr: "" };
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 30_000;
    const startedAt = performance.now();
    if (options.readOnly) log.debug({ command: line }, "running a command");
    else log.info({ command: line }, "running a command");
    try {
      const output = await execute(command, args, line, timeoutMs, this.options.env);
      const durationMs = Math.round(performance.now() - startedAt);
      log[options.readOnly ? "debug" : "info"]({ command: line, durationMs }, "command succeeded");
      return output;
    } catch (err) {
      const durationMs = Math.round(performance.now() - startedAt);
      // A failed read (no logind on this machine, say) is an answer, not a problem.
      log[options.readOnly ? "debug" : "warn"](
        { command: line, durationMs, reason: (err as Error).message },
        "command failed",
      );
      throw err;
    }
  }

  async writeFile(path: string, content: string): Promise<void> {
    if (this.dryRun) {
      this.options.logger.info({ path, content, dryRun: true }, "would write a file (dry run)");
      return;
    }
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
    const handle = await open(tmp, "wx", 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    this.options.logger.info({ path }, "wrote a file");
  }

  async removeFile(path: string): Promise<void> {
    if (this.dryRun) {
      this.options.logger.info({ path, dryRun: true }, "would remove a file (dry run)");
      return;
    }
    await rm(path, { force: true });
    this.options.logger.info({ path }, "removed a file");
  }
}

function execute(
  command: string,
  args: readonly string[],
  line: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv | undefined,
): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: MAX_OUTPUT_BYTES, env, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        // execFile's error: `code` is the exit code (number) or an errno name (string) when the
        // program could not be started; `killed` is set when the timeout fired.
        const failure = err as NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals | null };
        if (failure.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") {
          reject(new CommandFailedError(line, "output", {}));
        } else if (typeof failure.code === "string") {
          reject(new CommandFailedError(line, "spawn", { cause: `${failure.code} (${failure.message})` }));
        } else if (failure.killed) {
          reject(new CommandFailedError(line, "timeout", { timeoutMs, stderr }));
        } else if (failure.signal) {
          reject(new CommandFailedError(line, "signal", { signal: failure.signal, stderr }));
        } else {
          reject(new CommandFailedError(line, "exit", { exitCode: Number(failure.code), stderr }));
        }
      },
    );
  });
}
