/**
 * A simulated device's record of what it really ran, kept in a file so that it outlives the
 * agent process: one JSON line per platform action, appended synchronously before the action
 * starts. Crash tests kill the agent with SIGKILL and count the lines per command id; the page
 * cache keeps an appended line across a process kill, so no fsync is needed for that.
 */
import { appendFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { CommandType } from "../proto/wire.js";

export interface ExecutionRecord {
  commandId: string;
  type: CommandType;
  /** True time, ms since the epoch. */
  atMs: number;
  /** The agent process that ran it. */
  pid: number;
}

export function appendExecution(file: string, record: ExecutionRecord): void {
  appendFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/** Every record in the file, oldest first; none when it does not exist yet. */
export async function readExecutions(file: string): Promise<ExecutionRecord[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  // One write() per line: a killed process leaves whole lines behind.
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as ExecutionRecord);
}
