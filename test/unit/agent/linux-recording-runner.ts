/**
 * A CommandRunner that records what the Linux platform asks for and answers as the test says:
 * success by default, or a failure, or whatever a real runner does with a stand-in command.
 */
import {
  type CommandOutput,
  type CommandRunner,
  commandLine,
  type RunOptions,
} from "../../../agent/platform/linux/command-runner.js";

export interface RecordedCall {
  line: string;
  command: string;
  args: readonly string[];
  options: RunOptions;
}

export type Responder = (call: RecordedCall) => CommandOutput | Promise<CommandOutput>;

export class RecordingRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  /** Actions in order: command lines, and `write PATH` / `remove PATH` for files. */
  readonly actions: string[] = [];
  /** Files as the runner left them. */
  readonly files = new Map<string, string>();
  private readonly responders: { matches: (line: string) => boolean; respond: Responder }[] = [];

  /** Answers commands whose line starts with `prefix` (the latest matching rule wins). */
  on(prefix: string, respond: Responder): this {
    this.responders.unshift({ matches: (line) => line.startsWith(prefix), respond });
    return this;
  }

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandOutput> {
    const call: RecordedCall = { line: commandLine(command, args), command, args, options };
    this.calls.push(call);
    if (!options.readOnly) this.actions.push(call.line);
    const responder = this.responders.find((r) => r.matches(call.line));
    return responder ? responder.respond(call) : { stdout: "", stderr: "" };
  }

  async writeFile(path: string, content: string): Promise<void> {
    this.actions.push(`write ${path}`);
    this.files.set(path, content);
  }

  async removeFile(path: string): Promise<void> {
    this.actions.push(`remove ${path}`);
    this.files.delete(path);
  }

  /** Forgets what was recorded so far (files stay). */
  clear(): void {
    this.calls.length = 0;
    this.actions.length = 0;
  }
}
