/**
 * `portalctl lock|reboot|factory-reset|stop-managing|deactivate|refresh`: a command to one device
 * (`POST /devices/:id/commands`) or a fleet command to a target (`POST /batches`). The
 * destructive ones ask first (or take `--yes`); `--wait` follows it to the end (cli/follow.ts)
 * and the exit code says whether every device succeeded.
 */
import type { Command } from "commander";
import { connect, type Schemas, unwrap } from "../api.js";
import { confirmDestructive } from "../confirm.js";
import type { ConnectionFlags } from "../contexts.js";
import { CliError, EXIT } from "../errors.js";
import { followBatch, followCommand, timeoutOption, waitTimeout } from "../follow.js";
import { type Format, outputOption, print, renderItem } from "../output.js";
import { addTargetOptions, describeTarget, resolveTarget, type TargetOptions } from "../targets.js";

type CommandType = Schemas["Command"]["type"];

interface Verb {
  verb: string;
  type: CommandType;
  destructive: boolean;
  description: string;
}

export const VERBS: readonly Verb[] = [
  { verb: "lock", type: "lock", destructive: false, description: "lock the screen" },
  { verb: "reboot", type: "reboot", destructive: false, description: "reboot" },
  {
    verb: "factory-reset",
    type: "factory_reset",
    destructive: true,
    description: "erase the device and forget its enrollment",
  },
  {
    verb: "stop-managing",
    type: "stop_managing",
    destructive: true,
    description: "unenroll: the device leaves management (it may enroll again)",
  },
  {
    verb: "deactivate",
    type: "deactivate",
    destructive: true,
    description: "permanently deactivate: the serial can never enroll again",
  },
  { verb: "refresh", type: "refresh_state", destructive: false, description: "ask for a fresh state report" },
];

interface ActionOptions extends TargetOptions {
  yes?: boolean;
  wait?: boolean;
  timeout?: string;
  ttl?: string;
  inWindow?: boolean;
  output: Format;
}

function ttlOf(options: ActionOptions): number | undefined {
  if (options.ttl === undefined) return undefined;
  const ttl = Number(options.ttl);
  if (!Number.isInteger(ttl) || ttl < 1)
    throw new CliError("--ttl must be whole seconds", "usage", EXIT.usage);
  return ttl;
}

export function registerDeviceActions(program: Command): void {
  for (const { verb, type, destructive, description } of VERBS) {
    const command = program.command(verb).description(`${description}: one device or a target`);
    addTargetOptions(command)
      .option("--wait", "follow it to the end with progress; exit code 0 only if every device succeeded")
      .addOption(timeoutOption())
      .option("--ttl <seconds>", "expire undelivered commands after this long (server default: 7 days)")
      .option("--in-window", "wait for each device's site's maintenance window")
      .option(
        "-y, --yes",
        destructive ? "do not ask (needed without a terminal)" : "accepted, nothing to ask",
      )
      .addOption(outputOption())
      .action(async (id: string | undefined, options: ActionOptions, cmd: Command) => {
        const target = await resolveTarget(id, options);
        const timeout = waitTimeout(options.timeout);
        const api = await connect(cmd.optsWithGlobals<ConnectionFlags>());
        const body = {
          type,
          ...(options.ttl !== undefined ? { ttlSeconds: ttlOf(options) } : {}),
          ...(options.inWindow ? { inWindow: true } : {}),
        };
        if (destructive) await confirmDestructive(`${verb} ${describeTarget(target)}`, options.yes);
        if ("deviceId" in target) {
          const issued = await unwrap(
            api.POST("/api/v1/devices/{id}/commands", { params: { path: { id: target.deviceId } }, body }),
          );
          if (options.wait) return followCommand(api, issued, options.output, timeout);
          print(
            options.output === "table"
              ? `${verb} ${target.deviceId}: command ${issued.id} (${issued.state})\n`
              : renderItem(issued, options.output, [
                  { name: "id", value: (c) => c.id },
                  { name: "deviceId", value: (c) => c.deviceId },
                  { name: "type", value: (c) => c.type },
                  { name: "state", value: (c) => c.state },
                ]),
          );
          return;
        }
        const batch = await unwrap(
          api.POST("/api/v1/batches", { body: { target: target.batch, command: body } }),
        );
        if (options.wait) return followBatch(api, batch, options.output, timeout);
        const skipped = batch.skipped > 0 ? `, ${batch.skipped} not managed (skipped)` : "";
        print(
          options.output === "table"
            ? `${verb} ${describeTarget(target)}: fleet command ${batch.id} to ${batch.total} device(s)${skipped}\n`
            : renderItem(batch, options.output, [
                { name: "id", value: (b) => b.id },
                { name: "type", value: (b) => b.type },
                { name: "total", value: (b) => b.total },
                { name: "skipped", value: (b) => b.skipped },
              ]),
        );
      });
  }
}
