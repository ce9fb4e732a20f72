/**
 * Which devices a command is for: one device by its id, or a fleet command's target (`--all`,
 * `--site`, `--label`, `--filter key=value`, `--ids-from FILE`, `--group ID`), as `POST /batches` takes it.
 */
import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import type { Command } from "commander";
import { CliError, EXIT } from "./errors.js";
import type { paths } from "./openapi/api-types.js";
import { deviceFilterFields, parsePairs, valueHint } from "./openapi/document.js";

export type BatchRequest = paths["/api/v1/batches"]["post"]["requestBody"]["content"]["application/json"];
export type BatchTarget = BatchRequest["target"];
type DeviceFilter = Extract<BatchTarget, { filter: unknown }>["filter"];

export interface TargetOptions {
  all?: boolean;
  site?: string;
  label?: string;
  filter?: string[];
  idsFrom?: string;
  group?: string;
}

export type Target = { deviceId: string } | { batch: BatchTarget };

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addTargetOptions(command: Command): Command {
  return addTargetFlags(command.argument("[id]", "one device's id (else a target below)"));
}

/** The target flags without the device argument (for commands whose last argument is variadic). */
export function addTargetFlags(command: Command): Command {
  const keys = deviceFilterFields()
    .map((f) => `${f.name}=${valueHint(f)}`)
    .join(", ");
  return command
    .option("--all", "every managed device")
    .option("--site <id>", "the devices of a site (`none`: of no site)")
    .option("--label <label>", "the devices carrying a label")
    .option("--filter <key=value>", `the devices matching a filter, repeatable (${keys})`, collect)
    .option("--ids-from <file>", "device ids or serials, one per line ('-': standard input)")
    .option("--group <id>", "the devices a dynamic group's saved filter matches when it runs");
}

/** Device ids look like `dev_…`; anything else on an --ids-from line is a serial. */
const isDeviceId = (word: string) => /^dev_[0-9a-f]+$/.test(word);

async function idsFrom(file: string): Promise<BatchTarget> {
  const content =
    file === "-"
      ? await text(process.stdin)
      : await readFile(file, "utf8").catch((err: Error) => {
          throw new CliError(`cannot read ${file}: ${err.message}`, "unreadable_file", EXIT.usage);
        });
  const words = content
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (words.length === 0) throw new CliError(`${file} names no device`, "empty_target", EXIT.usage);
  const ids = words.filter(isDeviceId);
  if (ids.length === words.length) return { deviceIds: ids };
  if (ids.length === 0) return { serials: words };
  throw new CliError(
    `${file} mixes device ids and serials; give one kind per file`,
    "mixed_target",
    EXIT.usage,
  );
}

export async function resolveTarget(id: string | undefined, options: TargetOptions): Promise<Target> {
  const filter: Record<string, unknown> = parsePairs(options.filter ?? [], deviceFilterFields());
  if (options.site !== undefined) filter.site = options.site;
  if (options.label !== undefined) filter.label = options.label;
  const hasFilter = Object.keys(filter).length > 0;
  const chosen = [
    id !== undefined,
    options.all === true,
    options.idsFrom !== undefined,
    options.group !== undefined,
    hasFilter,
  ].filter(Boolean).length;
  if (chosen !== 1) {
    throw new CliError(
      "name the devices once: an ID, --all, --ids-from FILE, --group ID, or filters (--site, --label, --filter)",
      "usage",
      EXIT.usage,
    );
  }
  if (id !== undefined) return { deviceId: id };
  if (options.all) return { batch: { all: true } };
  if (options.idsFrom !== undefined) return { batch: await idsFrom(options.idsFrom) };
  if (options.group !== undefined) return { batch: { group: options.group } };
  // Converted field by field from the document's filter schema (parsePairs).
  return { batch: { filter: filter as DeviceFilter } };
}

/** The target as a fleet target: one device is a list of one id. */
export function batchTargetOf(target: Target): BatchTarget {
  return "deviceId" in target ? { deviceIds: [target.deviceId] } : target.batch;
}

/** The target in words, for confirmations and summaries. */
export function describeTarget(target: Target): string {
  if ("deviceId" in target) return `device ${target.deviceId}`;
  const t = target.batch;
  if ("all" in t) return "every managed device";
  if ("deviceIds" in t) return `${t.deviceIds.length} device(s) by id`;
  if ("serials" in t) return `${t.serials.length} device(s) by serial`;
  if ("filter" in t) {
    return `the devices matching ${Object.entries(t.filter)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(" ")}`;
  }
  return `the devices of group ${t.group}`;
}
