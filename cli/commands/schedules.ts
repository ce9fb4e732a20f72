/**
 * `portalctl schedules list|get|runs|create|pause|resume|delete`: commands scheduled for a
 * target, once (`--at`) or recurring (`--cron` in a time zone); each run is a fleet command.
 */
import type { Command } from "commander";
import { allPages, connect, unwrap } from "../api.js";
import { confirmDestructive } from "../confirm.js";
import type { ConnectionFlags } from "../contexts.js";
import { CliError, EXIT } from "../errors.js";
import type { paths } from "../openapi/api-types.js";
import { type Column, type Format, outputOption, print, renderItem, renderList } from "../output.js";
import { addTargetOptions, batchTargetOf, resolveTarget, type TargetOptions } from "../targets.js";

type Schedule = paths["/api/v1/schedules/{id}"]["get"]["responses"][200]["content"]["application/json"];
type Run =
  paths["/api/v1/schedules/{id}/runs"]["get"]["responses"][200]["content"]["application/json"]["items"][number];
type ScheduleBody = paths["/api/v1/schedules"]["post"]["requestBody"]["content"]["application/json"];
type CommandType = ScheduleBody["command"]["type"];

const stateColor = (s: string) => (s === "active" ? "green" : s === "paused" ? "yellow" : "dim");

const scheduleColumns: Column<Schedule>[] = [
  { name: "id", value: (s) => s.id },
  { name: "name", value: (s) => s.name },
  { name: "command", value: (s) => s.command.type },
  { name: "when", value: (s) => (s.kind === "cron" ? `cron ${s.cron}` : `at ${s.at}`) },
  { name: "timezone", value: (s) => s.timezone },
  { name: "state", value: (s) => s.state, color: stateColor },
  { name: "next_run", value: (s) => s.nextRunAt },
  { name: "runs", value: (s) => s.runs },
];

const scheduleFields: Column<Schedule>[] = [
  ...scheduleColumns,
  { name: "target", value: (s) => s.target },
  { name: "missed_runs", value: (s) => s.missedRuns },
  { name: "upcoming", value: (s) => s.upcoming },
  { name: "last_run", value: (s) => s.lastRunAt },
  { name: "starts", value: (s) => s.startsAt },
  { name: "ends", value: (s) => s.endsAt },
  { name: "created", value: (s) => s.createdAt },
  { name: "created_by", value: (s) => s.createdBy },
];

const runColumns: Column<Run>[] = [
  { name: "due", value: (r) => r.dueAt },
  { name: "ran", value: (r) => r.ranAt },
  { name: "outcome", value: (r) => r.outcome, color: (o) => (o === "started" ? "green" : "yellow") },
  { name: "batch", value: (r) => r.batchId },
  { name: "message", value: (r) => r.message },
];

interface CreateOptions extends TargetOptions {
  name: string;
  cron?: string;
  at?: string;
  timezone?: string;
  command: string;
  output: Format;
}

export function registerSchedules(program: Command): void {
  const schedules = program.command("schedules").description("scheduled fleet commands");
  const byId = (id: string) => ({ params: { path: { id } } });

  schedules
    .command("list")
    .description("schedules, newest first (every page)")
    .addOption(outputOption())
    .action(async (options: { output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const items = await allPages((cursor) =>
        unwrap(api.GET("/api/v1/schedules", { params: { query: { limit: 100, cursor } } })),
      );
      print(renderList(items, options.output, scheduleColumns));
    });

  schedules
    .command("get")
    .description("one schedule")
    .argument("<id>", "the schedule's id")
    .addOption(outputOption())
    .action(async (id: string, options: { output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      print(
        renderItem(await unwrap(api.GET("/api/v1/schedules/{id}", byId(id))), options.output, scheduleFields),
      );
    });

  schedules
    .command("runs")
    .description("a schedule's runs, newest first: the fleet command each started, or why none")
    .argument("<id>", "the schedule's id")
    .addOption(outputOption())
    .action(async (id: string, options: { output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const { items } = await unwrap(api.GET("/api/v1/schedules/{id}/runs", byId(id)));
      print(renderList(items, options.output, runColumns));
    });

  addTargetOptions(
    schedules
      .command("create")
      .description("schedule a command for one device or a target, once (--at) or recurring (--cron)")
      .requiredOption("--name <name>", "the schedule's name")
      .requiredOption("--command <type>", "the command: lock, reboot, refresh_state, …")
      .option("--cron <expression>", "recurring: a cron expression, read in --timezone")
      .option("--at <date-time>", "once: an ISO 8601 date-time")
      .option("--timezone <zone>", "the IANA zone the cron expression is read in"),
  )
    .addOption(outputOption())
    .action(async (id: string | undefined, options: CreateOptions, command: Command) => {
      if ((options.cron === undefined) === (options.at === undefined))
        throw new CliError("give one of --cron or --at", "usage", EXIT.usage);
      const target = await resolveTarget(id, options);
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const body: ScheduleBody = {
        name: options.name,
        command: { type: options.command as CommandType },
        target: batchTargetOf(target),
        ...(options.cron !== undefined ? { cron: options.cron } : {}),
        ...(options.at !== undefined ? { at: options.at } : {}),
        ...(options.timezone !== undefined ? { timezone: options.timezone } : {}),
      };
      const created = await unwrap(api.POST("/api/v1/schedules", { body }));
      print(
        options.output === "table"
          ? `created schedule ${created.name} (${created.id}), next run ${created.nextRunAt ?? "-"}\n`
          : renderItem(created, options.output, scheduleFields),
      );
    });

  for (const verb of ["pause", "resume"] as const) {
    schedules
      .command(verb)
      .description(`${verb} a schedule`)
      .argument("<id>", "the schedule's id")
      .addOption(outputOption())
      .action(async (id: string, options: { output: Format }, command: Command) => {
        const api = await connect(command.optsWithGlobals<ConnectionFlags>());
        const changed = await unwrap(
          verb === "pause"
            ? api.POST("/api/v1/schedules/{id}/pause", byId(id))
            : api.POST("/api/v1/schedules/{id}/resume", byId(id)),
        );
        print(
          options.output === "table"
            ? `${changed.name} (${changed.id}): ${changed.state}\n`
            : renderItem(changed, options.output, scheduleFields),
        );
      });
  }

  schedules
    .command("delete")
    .description("delete a schedule (the fleet commands it started stay)")
    .argument("<id>", "the schedule's id")
    .option("-y, --yes", "do not ask (needed without a terminal)")
    .action(async (id: string, options: { yes?: boolean }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      await confirmDestructive(`delete schedule ${id}`, options.yes);
      await unwrap(api.DELETE("/api/v1/schedules/{id}", byId(id)));
      print(`deleted schedule ${id}\n`);
    });
}
