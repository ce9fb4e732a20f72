/**
 * Questions to the person at the terminal: confirming a destructive command, and a password
 * typed without echo. Without a terminal nobody can answer: a destructive command is refused
 * unless `--yes` says it was meant (exit code 2), and a password is read from standard input.
 */
import { createInterface } from "node:readline";
import { text } from "node:stream/consumers";
import { CliError, EXIT } from "./errors.js";

const interactive = () => process.stdin.isTTY === true && process.stderr.isTTY === true;

/** Resolves when `what` may go ahead: `--yes`, or a `y` typed at the terminal. */
export async function confirmDestructive(what: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!interactive()) {
    throw new CliError(
      `${what} cannot be undone; no terminal to ask, so nothing was done: pass --yes to confirm`,
      "confirmation_required",
      EXIT.usage,
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((resolve) =>
    rl.question(`${what}? This cannot be undone. [y/N] `, resolve),
  );
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("nothing was done", "canceled", EXIT.failed);
}

/** A password: typed at the terminal without echo, else the first line of standard input. */
export async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return (await text(process.stdin)).split(/\r?\n/)[0] ?? "";
  process.stderr.write(prompt);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = "";
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n") {
            stdin.off("data", onData);
            process.stderr.write("\n");
            resolve(typed);
            return;
          }
          if (ch === "\u0003") {
            stdin.off("data", onData);
            process.stderr.write("\n");
            reject(new CliError("interrupted", "canceled", EXIT.failed));
            return;
          }
          if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
          else typed += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}
