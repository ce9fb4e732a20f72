/**
 * `portalctl time get|set`: the global date & time (`/settings/time`) or a site's
 * (`PATCH /sites/:id`), with how many devices run it and how many do not yet. `--wait` reads
 * it again until none is pending, printing the progress on stderr.
 */
import type { Command } from "commander";
import { type Api, connect, unwrap } from "../api.js";
import type { ConnectionFlags } from "../contexts.js";
import { CliError, EXIT } from "../errors.js";
import type { paths } from "../openapi/api-types.js";
import { type Column, type Format, outputOption, print, renderItem } from "../output.js";
import { findSite, type Site, timeOf } from "./sites.js";

type GlobalTime = paths["/api/v1/settings/time"]["get"]["responses"][200]["content"]["application/json"];

const POLL_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const globalFields: Column<GlobalTime>[] = [
  { name: "timezone", value: (t) => t.timezone },
  { name: "ntp", value: (t) => t.ntpServer ?? "auto" },
  { name: "applied", value: (t) => t.applied },
  { name: "pending", value: (t) => t.pending, color: (s) => (s === "0" ? null : "yellow") },
  { name: "updated", value: (t) => t.updatedAt },
];

const siteFields: Column<Site>[] = [
  { name: "site", value: (s) => `${s.name} (${s.id})` },
  { name: "timezone", value: (s) => s.effectiveTime.timezone },
  { name: "ntp", value: (s) => s.effectiveTime.ntpServer ?? "auto" },
  { name: "source", value: (s) => s.effectiveTime.source },
  {
    name: "own_time",
    value: (s) => (s.time ? `${s.time.timezone}, ntp ${s.time.ntpServer ?? "auto"}` : "none"),
  },
  { name: "applied", value: (s) => s.applied },
  { name: "pending", value: (s) => s.pending, color: (t) => (t === "0" ? null : "yellow") },
];

interface TimeOptions {
  site?: string;
  timezone?: string;
  ntp?: string;
  wait?: boolean;
  timeout?: string;
  output: Format;
}

async function read(api: Api, siteId: string | undefined): Promise<GlobalTime | Site> {
  return siteId === undefined
    ? unwrap(api.GET("/api/v1/settings/time"))
    : unwrap(api.GET("/api/v1/sites/{id}", { params: { path: { id: siteId } } }));
}

function show(value: GlobalTime | Site, format: Format): void {
  if ("effectiveTime" in value) print(renderItem(value, format, siteFields));
  else print(renderItem(value, format, globalFields));
}

/** Reads until no device is pending: a line on stderr whenever the counts change. */
async function waitApplied(
  api: Api,
  siteId: string | undefined,
  first: GlobalTime | Site,
  timeoutSec: number,
): Promise<GlobalTime | Site> {
  const deadline = Date.now() + timeoutSec * 1000;
  let value = first;
  let last = "";
  for (;;) {
    const line = `progress: ${value.applied}/${value.applied + value.pending} applied, ${value.pending} pending`;
    if (line !== last) process.stderr.write(`${line}\n`);
    last = line;
    if (value.pending === 0) return value;
    if (Date.now() > deadline) {
      show(value, "table");
      throw new CliError(`${value.pending} device(s) have not applied it yet`, "time_pending", EXIT.failed);
    }
    await sleep(POLL_MS);
    value = await read(api, siteId);
  }
}

export function registerTime(program: Command): void {
  const time = program.command("time").description("date & time: global or a site's");

  time
    .command("get")
    .description("the global date & time, or a site's (effective and own), with applied/pending counts")
    .option("--site <site>", "a site's id or name")
    .addOption(outputOption())
    .action(async (options: TimeOptions, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const siteId = options.site === undefined ? undefined : (await findSite(api, options.site)).id;
      show(await read(api, siteId), options.output);
    });

  time
    .command("set")
    .description("set the global date & time, or a site's own")
    .requiredOption("--timezone <zone>", "an IANA zone such as Europe/Paris, or auto")
    .option("--ntp <host>", "host[:port], or auto (the default)")
    .option("--site <site>", "a site's id or name")
    .option("--wait", "wait until every device concerned runs it; progress on stderr")
    .option("--timeout <seconds>", "with --wait: give up after this long", "120")
    .addOption(outputOption())
    .action(async (options: TimeOptions, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const body = timeOf(options)!;
      let value: GlobalTime | Site;
      let siteId: string | undefined;
      if (options.site === undefined) {
        value = await unwrap(api.PUT("/api/v1/settings/time", { body }));
      } else {
        siteId = (await findSite(api, options.site)).id;
        value = await unwrap(
          api.PATCH("/api/v1/sites/{id}", { params: { path: { id: siteId } }, body: { time: body } }),
        );
      }
      if (options.wait) value = await waitApplied(api, siteId, value, Number(options.timeout));
      show(value, options.output);
    });
}
