/**
 * `--wait`: follows a command (`GET /commands/:id`) or a fleet command (`GET /batches/:id`) until
 * none of its commands is open, with counts per command state: a live bar on a terminal, else a
 * line `progress: 3/5 queued=2 sent=0 … succeeded=3 …` at most once a second and at the end,
 * both on stderr. Then a summary and the devices where it did not succeed, with their reasons
 * (`GET /batches/:id/commands?state=…`). With `--timeout 10m` it gives up after that long: exit
 * code 1, `error: … (timed_out)`; the commands go on.
 */
import cliProgress from "cli-progress";
import { Option } from "commander";
import { type Api, allPages, type Schemas, unwrap } from "./api.js";
import { parseDuration } from "./duration.js";
import { CliError, EXIT } from "./errors.js";
import { componentEnum } from "./openapi/document.js";
import { type Column, type Format, paint, print, renderItem, renderTable } from "./output.js";

export type CommandView = Schemas["Command"];
export type BatchView = Schemas["Batch"];
type CommandState = CommandView["state"];

/** States a command leaves; the others are final. */
const OPEN_STATES: readonly CommandState[] = ["queued", "sent", "accepted"];
const NOT_SUCCEEDED: readonly CommandState[] = ["failed", "rejected", "expired", "canceled"];
const POLL_MS = 500;
const LINE_EVERY_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long `--wait` waits at most: the `--timeout` as given, in seconds. */
export interface WaitTimeout {
  given: string;
  seconds: number;
}

export const timeoutOption = () =>
  new Option("--timeout <duration>", "with --wait: give up after this long (30s, 10m, 1h; exit code 1)");

/** The `--timeout` of a command (checked before anything is sent); none without the flag. */
export function waitTimeout(given: string | undefined): WaitTimeout | undefined {
  if (given === undefined) return undefined;
  return { given, seconds: parseDuration(given, "--timeout") };
}

/** The clock of a `--timeout` starts when the following does. */
const deadlineOf = (timeout: WaitTimeout | undefined) =>
  timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout.seconds * 1000;

function checkTimeout(
  timeout: WaitTimeout | undefined,
  deadline: number,
  what: string,
  stop: () => void,
): void {
  if (timeout === undefined || Date.now() < deadline) return;
  stop();
  throw new CliError(
    `${what} still not finished after ${timeout.given}; stopped waiting (it goes on)`,
    "timed_out",
    EXIT.failed,
  );
}

interface ProgressView {
  update(counts: Record<string, number>): void;
  stop(counts: Record<string, number>): void;
}

function finished(counts: Record<string, number>): number {
  return Object.entries(counts)
    .filter(([state]) => !OPEN_STATES.includes(state as CommandState))
    .reduce((sum, [, n]) => sum + n, 0);
}

function countsText(counts: Record<string, number>): string {
  return componentEnum("Command", "state")
    .map((state) => `${state}=${counts[state] ?? 0}`)
    .join(" ");
}

function progressView(total: number): ProgressView {
  if (!process.stderr.isTTY) {
    let lastAt = 0;
    let last = "";
    const line = (counts: Record<string, number>, force: boolean) => {
      const text = `progress: ${finished(counts)}/${total} ${countsText(counts)}`;
      const now = Date.now();
      if ((text !== last && now - lastAt >= LINE_EVERY_MS) || (force && text !== last)) {
        process.stderr.write(`${text}\n`);
        last = text;
        lastAt = now;
      }
    };
    return { update: (counts) => line(counts, false), stop: (counts) => line(counts, true) };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: "[{bar}] {value}/{total} | {counts} | {duration_formatted}",
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { counts: "" });
  const show = (counts: Record<string, number>) => {
    const shown = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${state} ${n}`)
      .join(", ");
    bar.update(finished(counts), { counts: shown });
  };
  return {
    update: show,
    stop(counts) {
      show(counts);
      bar.stop();
    },
  };
}

const failureColumns: Column<Schemas["BatchCommand"]>[] = [
  { name: "device", value: (c) => c.deviceId },
  { name: "name", value: (c) => c.deviceName },
  { name: "state", value: (c) => c.state, color: () => "red" },
  { name: "code", value: (c) => c.errorCode },
  { name: "reason", value: (c) => c.errorMessage },
];

/** Follows a fleet command to its end; resolves when all succeeded, else throws (exit code 1). */
export async function followBatch(
  api: Api,
  start: BatchView,
  format: Format,
  timeout?: WaitTimeout,
): Promise<void> {
  const deadline = deadlineOf(timeout);
  const progress = progressView(start.total);
  let batch = start;
  progress.update(batch.counts);
  while (!batch.done) {
    checkTimeout(
      timeout,
      deadline,
      `fleet command ${batch.id} (${finished(batch.counts)}/${batch.total} done)`,
      () => progress.stop(batch.counts),
    );
    await sleep(POLL_MS);
    batch = await unwrap(api.GET("/api/v1/batches/{id}", { params: { path: { id: batch.id } } }));
    progress.update(batch.counts);
  }
  progress.stop(batch.counts);
  const succeeded = batch.counts.succeeded ?? 0;
  const failures =
    succeeded === batch.total
      ? []
      : await allPages((cursor) =>
          unwrap(
            api.GET("/api/v1/batches/{id}/commands", {
              params: {
                path: { id: batch.id },
                query: { state: NOT_SUCCEEDED.join(","), limit: 500, cursor },
              },
            }),
          ),
        );
  if (format === "table") {
    const skipped = batch.skipped > 0 ? ` (${batch.skipped} not managed, skipped)` : "";
    print(`${batch.type} ${batch.id}: ${succeeded} of ${batch.total} succeeded${skipped}\n`);
    if (failures.length > 0) print(`did not succeed:\n${renderTable(failures, failureColumns)}`);
  } else {
    print(renderItem(batch, format, []));
  }
  if (succeeded !== batch.total) {
    throw new CliError(
      `${batch.total - succeeded} of ${batch.total} device(s) did not succeed`,
      "not_all_succeeded",
      EXIT.failed,
    );
  }
}

/** Follows one command to its final state; resolves when it succeeded, else throws (exit code 1). */
export async function followCommand(
  api: Api,
  start: CommandView,
  format: Format,
  timeout?: WaitTimeout,
): Promise<void> {
  const deadline = deadlineOf(timeout);
  const progress = progressView(1);
  let command = start;
  progress.update({ [command.state]: 1 });
  while (OPEN_STATES.includes(command.state)) {
    checkTimeout(timeout, deadline, `command ${command.id} (${command.state})`, () =>
      progress.stop({ [command.state]: 1 }),
    );
    await sleep(POLL_MS);
    command = await unwrap(api.GET("/api/v1/commands/{id}", { params: { path: { id: command.id } } }));
    progress.update({ [command.state]: 1 });
  }
  progress.stop({ [command.state]: 1 });
  if (format === "table") {
    const reason = command.errorCode ? `: ${command.errorMessage ?? ""} (${command.errorCode})` : "";
    print(
      `${command.type} ${command.id} on ${command.deviceId}: ${paint(command.state, command.state === "succeeded" ? "green" : "red")}${reason}\n`,
    );
  } else {
    print(renderItem(command, format, []));
  }
  if (command.state !== "succeeded") {
    throw new CliError(
      `the command ended ${command.state}${command.errorCode ? ` (${command.errorCode})` : ""}`,
      "not_succeeded",
      EXIT.failed,
    );
  }
}
