/**
 * `portalctl rollouts list|get|status|create|pause|resume|approve|cancel|retry`: staged rollouts
 * (`/rollouts`), a command released to a target phase by phase, at a rate, with gates and an
 * abort threshold. `status` draws one text bar per phase (`--watch`: again every 2 s until the
 * rollout ends); `create` takes the body of `POST /rollouts` from a YAML or JSON file, or flags.
 */
import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { type Api, allPages, connect, type Schemas, unwrap } from "../api.js";
import { confirmDestructive } from "../confirm.js";
import type { ConnectionFlags } from "../contexts.js";
import { CliError, EXIT } from "../errors.js";
import type { paths } from "../openapi/api-types.js";
import {
  type Column,
  colorEnabled,
  type Format,
  outputOption,
  paint,
  print,
  renderItem,
  renderList,
} from "../output.js";
import { addTargetFlags, resolveTarget, type TargetOptions } from "../targets.js";

type Rollout = Schemas["Rollout"];
type Phase = Rollout["phases"][number];
type RolloutBody = paths["/api/v1/rollouts"]["post"]["requestBody"]["content"]["application/json"];
type PhaseBody = RolloutBody["phases"][number];
type CommandType = RolloutBody["command"]["type"];

const WATCH_MS = 2000;
const BAR_WIDTH = 20;
const ENDED: readonly Rollout["state"][] = ["completed", "aborted", "canceled"];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const stateColor = (s: string) =>
  s === "completed" || s === "done"
    ? "green"
    : s === "aborted" || s === "stopped" || s === "canceled"
      ? "red"
      : s === "running"
        ? null
        : "yellow";

const progressText = (r: Rollout) => {
  const c = r.counts;
  return `${c.succeeded}/${r.devices} succeeded, ${c.failed + c.rejected + c.expired} failed`;
};

const rolloutColumns: Column<Rollout>[] = [
  { name: "id", value: (r) => r.id },
  { name: "name", value: (r) => r.name },
  { name: "command", value: (r) => r.type },
  { name: "state", value: (r) => r.state, color: stateColor },
  { name: "phase", value: (r) => `${r.currentPhase + 1}/${r.phases.length}` },
  { name: "devices", value: (r) => r.devices },
  { name: "progress", value: progressText },
  { name: "created", value: (r) => r.createdAt },
];

const rolloutFields: Column<Rollout>[] = [
  ...rolloutColumns,
  { name: "reason", value: (r) => (r.reason ? `${r.reason.message} (${r.reason.code})` : null) },
  { name: "rate", value: (r) => (r.rate ? `${r.rate.perMinute}/min` : null) },
  {
    name: "abort",
    value: (r) => (r.abort ? `over ${r.abort.failurePercent}% failed, after ${r.abort.minExecuted}` : null),
  },
  { name: "skipped", value: (r) => r.skipped },
  { name: "retry_of", value: (r) => r.retryOf },
  { name: "finished", value: (r) => r.finishedAt },
  { name: "created_by", value: (r) => r.createdBy },
];

const gateText = (gate: Phase["gate"]) =>
  !gate ? "" : "approval" in gate ? ", gate: approval" : `, gate: ${gate.successPercent}% succeeded`;

/** `phase 1  [##########----------]  8/10 succeeded 1 failed 1 in flight (running)`. */
export function phaseLine(phase: Phase, color = colorEnabled()): string {
  const c = phase.counts;
  const failed = c.failed + c.rejected + c.expired + c.canceled;
  const inFlight = c.queued + c.sent + c.accepted;
  const total = Math.max(phase.devices, 1);
  const ok = Math.round((c.succeeded / total) * BAR_WIDTH);
  const bad = Math.min(BAR_WIDTH - ok, Math.round((failed / total) * BAR_WIDTH));
  const bar =
    paint("#".repeat(ok), "green", color) +
    paint("x".repeat(bad), "red", color) +
    "-".repeat(BAR_WIDTH - ok - bad);
  const label = `phase ${phase.index + 1}${phase.name ? ` ${phase.name}` : ""}`;
  const parts = [`${c.succeeded}/${phase.devices} succeeded`, `${failed} failed`, `${inFlight} in flight`];
  if (phase.pending > 0) parts.push(`${phase.pending} pending`);
  if (phase.skipped > 0) parts.push(`${phase.skipped} skipped`);
  return `${label}  [${bar}]  ${parts.join(" ")} (${paint(phase.state, stateColor(phase.state), color)}${gateText(phase.gate)})`;
}

export function statusText(r: Rollout, color = colorEnabled()): string {
  const head = `rollout ${r.name} (${r.id}): ${paint(r.state, stateColor(r.state), color)}, ${r.type}, phase ${r.currentPhase + 1} of ${r.phases.length}`;
  const lines = [head, ...r.phases.map((p) => phaseLine(p, color))];
  if (r.reason) lines.push(`reason: ${r.reason.message} (${r.reason.code})`);
  if (r.state === "waiting_approval") lines.push(`waiting for approval: portalctl rollouts approve ${r.id}`);
  return `${lines.join("\n")}\n`;
}

const getRollout = (api: Api, id: string) =>
  unwrap(api.GET("/api/v1/rollouts/{id}", { params: { path: { id } } }));

/** `10%` a share, `50` a count, `rest` the last phase's (no size). */
function phaseOf(spec: string): PhaseBody {
  if (spec === "rest") return {};
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(spec);
  if (!m) throw new CliError(`--phase ${spec}: give N%, N or rest`, "usage", EXIT.usage);
  return m[2] ? { size: { percent: Number(m[1]) } } : { size: { count: Number(m[1]) } };
}

/** `approval` or `90%`. */
function gateOf(spec: string): NonNullable<PhaseBody["gate"]> {
  if (spec === "approval") return { approval: true };
  const m = /^(\d+(?:\.\d+)?)%$/.exec(spec);
  if (!m) throw new CliError(`--gate ${spec}: give approval or N%`, "usage", EXIT.usage);
  return { successPercent: Number(m[1]) };
}

interface CreateOptions extends TargetOptions {
  file?: string;
  name?: string;
  command?: string;
  timezone?: string;
  ntp?: string;
  ttl?: string;
  inWindow?: boolean;
  phase?: string[];
  gate?: string[];
  rate?: string;
  abort?: string;
  output: Format;
}

async function bodyFromFile(file: string): Promise<RolloutBody> {
  const content =
    file === "-"
      ? await text(process.stdin)
      : await readFile(file, "utf8").catch((err: Error) => {
          throw new CliError(`cannot read ${file}: ${err.message}`, "unreadable_file", EXIT.usage);
        });
  let body: unknown;
  try {
    body = parseYaml(content);
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`, "invalid_file", EXIT.usage);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new CliError(
      `${file} holds no rollout (an object as POST /rollouts takes it)`,
      "invalid_file",
      EXIT.usage,
    );
  // The server validates it against the same schema.
  return body as RolloutBody;
}

async function bodyFromFlags(options: CreateOptions): Promise<RolloutBody> {
  if (options.name === undefined || options.command === undefined)
    throw new CliError("give -f FILE, or --name and --command", "usage", EXIT.usage);
  const phases = (options.phase ?? ["rest"]).map(phaseOf);
  const gates = (options.gate ?? []).map(gateOf);
  if (gates.length > phases.length) throw new CliError("more --gate than --phase", "usage", EXIT.usage);
  // One gate: between every two phases; else the nth gate is the nth phase's.
  const gateAt = (i: number) =>
    gates.length === 1 ? (i < phases.length - 1 ? gates[0] : undefined) : gates[i];
  phases.forEach((p, i) => {
    const gate = gateAt(i);
    if (gate) p.gate = gate;
  });
  const target = await resolveTarget(undefined, options);
  const command: RolloutBody["command"] = { type: options.command as CommandType };
  if (options.timezone !== undefined) command.timezone = options.timezone;
  if (options.ntp !== undefined) command.ntpServer = options.ntp === "auto" ? null : options.ntp;
  if (options.ttl !== undefined) command.ttlSeconds = Number(options.ttl);
  if (options.inWindow) command.inWindow = true;
  const body: RolloutBody = {
    name: options.name,
    command,
    ...("batch" in target ? { target: target.batch } : {}),
    phases,
  };
  if (options.rate !== undefined) {
    const m = /^(\d+(?:\.\d+)?)(?:\/min)?$/.exec(options.rate);
    if (!m) throw new CliError(`--rate ${options.rate}: give N or N/min`, "usage", EXIT.usage);
    body.rate = { perMinute: Number(m[1]) };
  }
  if (options.abort !== undefined) {
    const m = /^(\d+(?:\.\d+)?)%(?::(\d+))?$/.exec(options.abort);
    if (!m) throw new CliError(`--abort ${options.abort}: give P%:N`, "usage", EXIT.usage);
    body.abort = { failurePercent: Number(m[1]), minExecuted: Number(m[2] ?? 1) };
  }
  return body;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

const printRollout = (r: Rollout, format: Format, what: string) =>
  print(
    format === "table"
      ? `${what} rollout ${r.name} (${r.id}): ${r.state}, ${r.devices} device(s) in ${r.phases.length} phase(s)\n`
      : renderItem(r, format, rolloutFields),
  );

export function registerRollouts(program: Command): void {
  const rollouts = program.command("rollouts").description("staged rollouts of a command, phase by phase");

  rollouts
    .command("list")
    .description("rollouts, newest first (every page)")
    .addOption(outputOption())
    .action(async (options: { output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const items = await allPages((cursor) =>
        unwrap(api.GET("/api/v1/rollouts", { params: { query: { limit: 100, cursor } } })),
      );
      print(renderList(items, options.output, rolloutColumns));
    });

  rollouts
    .command("get")
    .description("one rollout, with its phases")
    .argument("<id>", "the rollout's id")
    .addOption(outputOption())
    .action(async (id: string, options: { output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const r = await getRollout(api, id);
      print(renderItem(r, options.output, rolloutFields));
      // A table ends with the phases' bars (without the status's heading line).
      if (options.output === "table") print(statusText(r).split("\n").slice(1).join("\n"));
    });

  rollouts
    .command("status")
    .description("one bar per phase; --watch: again every 2 s until the rollout ends")
    .argument("<id>", "the rollout's id")
    .option("--watch", "follow it until it has ended; exit code 0 only if it completed")
    .addOption(outputOption())
    .action(async (id: string, options: { watch?: boolean; output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const show = (r: Rollout) =>
        print(options.output === "table" ? statusText(r) : renderItem(r, options.output, rolloutFields));
      let r = await getRollout(api, id);
      if (!options.watch) return show(r);
      let last = "";
      for (;;) {
        const now = options.output === "table" ? statusText(r) : JSON.stringify(r);
        if (now !== last) {
          if (process.stdout.isTTY) print("\x1b[2J\x1b[H");
          else if (last !== "") print("\n");
          show(r);
          last = now;
        }
        if (ENDED.includes(r.state)) break;
        await sleep(WATCH_MS);
        r = await getRollout(api, id);
      }
      if (r.state !== "completed") process.exitCode = EXIT.failed;
    });

  addTargetFlags(
    rollouts
      .command("create")
      .description("roll a command out in phases: the body of POST /rollouts from a file, or flags")
      .option("-f, --file <file>", "the rollout as YAML or JSON ('-': standard input)")
      .option("--name <name>", "the rollout's name")
      .option("--command <type>", "the command: reboot, lock, set_time, refresh_state, …")
      .option("--timezone <zone>", "set_time: the zone (or auto)")
      .option("--ntp <host>", "set_time: the time server (or auto)")
      .option("--ttl <seconds>", "expire undelivered commands after this long")
      .option("--in-window", "each command waits for its device's maintenance window")
      .option(
        "--phase <size>",
        "a phase, repeatable, in order: N% of the target, N devices, or rest",
        collect,
      )
      .option(
        "--gate <gate>",
        "approval or N% succeeded; one: between every two phases, else per phase",
        collect,
      )
      .option("--rate <n>", "devices released per minute within a phase (N or N/min)")
      .option("--abort <P%:N>", "abort once over P% of executed commands failed, after at least N"),
  )
    .addOption(outputOption())
    .action(async (options: CreateOptions, command: Command) => {
      const body =
        options.file !== undefined ? await bodyFromFile(options.file) : await bodyFromFlags(options);
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      printRollout(await unwrap(api.POST("/api/v1/rollouts", { body })), options.output, "created");
    });

  const actions = [
    ["pause", "pause: no more devices are released until resume"],
    ["resume", "resume a paused rollout"],
    ["approve", "approve the gate: the next phase starts"],
    ["cancel", "cancel: the devices not released yet get nothing (asks first)"],
  ] as const;
  for (const [verb, description] of actions) {
    const cmd = rollouts
      .command(verb)
      .description(description)
      .argument("<id>", "the rollout's id")
      .addOption(outputOption());
    if (verb === "cancel") cmd.option("-y, --yes", "do not ask (needed without a terminal)");
    cmd.action(async (id: string, options: { yes?: boolean; output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      if (verb === "cancel") await confirmDestructive(`cancel rollout ${id}`, options.yes);
      const params = { params: { path: { id } } };
      const r = await unwrap(
        verb === "pause"
          ? api.POST("/api/v1/rollouts/{id}/pause", params)
          : verb === "resume"
            ? api.POST("/api/v1/rollouts/{id}/resume", params)
            : verb === "approve"
              ? api.POST("/api/v1/rollouts/{id}/approve", params)
              : api.POST("/api/v1/rollouts/{id}/cancel", params),
      );
      print(
        options.output === "table"
          ? `${verb} ${r.name} (${r.id}): ${r.state}\n`
          : renderItem(r, options.output, rolloutFields),
      );
    });
  }

  rollouts
    .command("retry")
    .description("a new rollout of the same command and plan for the devices whose command failed")
    .argument("<id>", "the rollout's id")
    .option("--name <name>", "the new rollout's name")
    .addOption(outputOption())
    .action(async (id: string, options: { name?: string; output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const r = await unwrap(
        api.POST("/api/v1/rollouts/{id}/retry", {
          params: { path: { id } },
          body: options.name !== undefined ? { name: options.name } : {},
        }),
      );
      printRollout(r, options.output, "created");
    });
}
