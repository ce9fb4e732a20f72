/**
 * `portalctl labels list|add|remove`: the labels in use (`GET /labels`), and labels added to or
 * removed from the devices of a target (`POST /devices/labels`).
 */
import type { Command } from "commander";
import { connect, unwrap } from "../api.js";
import type { ConnectionFlags } from "../contexts.js";
import type { paths } from "../openapi/api-types.js";
import { type Column, type Format, outputOption, print, renderItem, renderList } from "../output.js";
import {
  addTargetFlags,
  batchTargetOf,
  describeTarget,
  resolveTarget,
  type TargetOptions,
} from "../targets.js";

type Label = paths["/api/v1/labels"]["get"]["responses"][200]["content"]["application/json"]["items"][number];

const labelColumns: Column<Label>[] = [
  { name: "label", value: (l) => l.label },
  { name: "devices", value: (l) => l.devices },
];

interface LabelOptions extends TargetOptions {
  device?: string;
  output: Format;
}

export function registerLabels(program: Command): void {
  const labels = program.command("labels").description("device labels");

  labels
    .command("list")
    .description("every label in use, with how many devices carry it")
    .addOption(outputOption())
    .action(async (options: { output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const { items } = await unwrap(api.GET("/api/v1/labels"));
      print(renderList(items, options.output, labelColumns));
    });

  for (const change of ["add", "remove"] as const) {
    addTargetFlags(
      labels
        .command(change)
        .description(`${change} labels ${change === "add" ? "to" : "from"} one device or a target`)
        .argument("<labels...>", "the labels")
        .option("--device <id>", "one device's id"),
    )
      .addOption(outputOption())
      .action(async (names: string[], options: LabelOptions, command: Command) => {
        const target = await resolveTarget(options.device, options);
        const api = await connect(command.optsWithGlobals<ConnectionFlags>());
        const result = await unwrap(
          api.POST("/api/v1/devices/labels", { body: { target: batchTargetOf(target), [change]: names } }),
        );
        print(
          options.output === "table"
            ? `${change} ${names.join(", ")}: ${describeTarget(target)}, ${result.targeted} targeted, ${result.changed} changed\n`
            : renderItem(result, options.output, []),
        );
      });
  }
}
