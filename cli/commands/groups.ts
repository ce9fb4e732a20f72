/**
 * `portalctl groups list|get|create|delete`: dynamic groups, saved device filters whose devices
 * are those the filter matches whenever it is read (the `--group ID` target of the verbs).
 */
import type { Command } from "commander";
import { connect, unwrap } from "../api.js";
import { confirmDestructive } from "../confirm.js";
import type { ConnectionFlags } from "../contexts.js";
import { CliError, EXIT } from "../errors.js";
import type { paths } from "../openapi/api-types.js";
import { type Column, type Format, outputOption, print, renderItem, renderList } from "../output.js";
import { resolveTarget } from "../targets.js";

type Group = paths["/api/v1/groups/{id}"]["get"]["responses"][200]["content"]["application/json"];

const collect = (value: string, previous: string[] = []) => [...previous, value];

const groupColumns: Column<Group>[] = [
  { name: "id", value: (g) => g.id },
  { name: "name", value: (g) => g.name },
  { name: "devices", value: (g) => g.devices },
  { name: "filter", value: (g) => g.filter },
];

const groupFields: Column<Group>[] = [
  ...groupColumns,
  { name: "created", value: (g) => g.createdAt },
  { name: "updated", value: (g) => g.updatedAt },
];

export function registerGroups(program: Command): void {
  const groups = program.command("groups").description("dynamic groups (saved device filters)");
  const byId = (id: string) => ({ params: { path: { id } } });

  groups
    .command("list")
    .description("dynamic groups by name, each with the devices it matches now")
    .addOption(outputOption())
    .action(async (options: { output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const { items } = await unwrap(api.GET("/api/v1/groups"));
      print(renderList(items, options.output, groupColumns));
    });

  groups
    .command("get")
    .description("one dynamic group")
    .argument("<id>", "the group's id")
    .addOption(outputOption())
    .action(async (id: string, options: { output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      print(renderItem(await unwrap(api.GET("/api/v1/groups/{id}", byId(id))), options.output, groupFields));
    });

  groups
    .command("create")
    .description("save a device filter as a dynamic group")
    .requiredOption("--name <name>", "the group's name (unique in any case)")
    .option("--site <id>", "devices of a site (`none`: of no site)")
    .option("--label <label>", "devices carrying a label")
    .option(
      "--filter <key=value>",
      "a field of the device filter, repeatable (as the verbs take it)",
      collect,
    )
    .addOption(outputOption())
    .action(
      async (
        options: { name: string; site?: string; label?: string; filter?: string[]; output: Format },
        command: Command,
      ) => {
        const target = await resolveTarget(undefined, options).catch(() => {
          throw new CliError(
            "a group needs a filter: --site, --label or --filter key=value",
            "usage",
            EXIT.usage,
          );
        });
        if (!("batch" in target) || !("filter" in target.batch)) {
          throw new CliError(
            "a group needs a filter: --site, --label or --filter key=value",
            "usage",
            EXIT.usage,
          );
        }
        const api = await connect(command.optsWithGlobals<ConnectionFlags>());
        const created = await unwrap(
          api.POST("/api/v1/groups", { body: { name: options.name, filter: target.batch.filter } }),
        );
        print(renderItem(created, options.output, groupFields));
      },
    );

  groups
    .command("delete")
    .description("delete a dynamic group (its devices stay as they are)")
    .argument("<id>", "the group's id")
    .option("-y, --yes", "do not ask")
    .action(async (id: string, options: { yes?: boolean }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      await confirmDestructive(`delete group ${id}`, options.yes);
      await unwrap(api.DELETE("/api/v1/groups/{id}", byId(id)));
      print(`deleted group ${id}\n`);
    });
}
