/**
 * `portalctl sites list|get|create|update|delete|add-devices`: sites (`/sites`), each with its own
 * date & time or the global one, a maintenance window, and how many of its devices run its
 * effective date & time. A site is named by its id or its name.
 */
import type { Command } from "commander";
import { type Api, connect, unwrap } from "../api.js";
import { confirmDestructive } from "../confirm.js";
import type { ConnectionFlags } from "../contexts.js";
import { CliError, EXIT } from "../errors.js";
import type { paths } from "../openapi/api-types.js";
import { type Column, type Format, outputOption, print, renderItem, renderList } from "../output.js";
import {
  addTargetOptions,
  batchTargetOf,
  describeTarget,
  resolveTarget,
  type TargetOptions,
} from "../targets.js";

export type Site = paths["/api/v1/sites/{id}"]["get"]["responses"][200]["content"]["application/json"];
type SiteBody = paths["/api/v1/sites"]["post"]["requestBody"]["content"]["application/json"];
type Window = NonNullable<SiteBody["window"]>;
type Day = NonNullable<Window["days"]>[number];

const DAYS: readonly Day[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

export const timeText = (time: { timezone: string; ntpServer: string | null }) =>
  `${time.timezone}, ntp ${time.ntpServer ?? "auto"}`;

const windowText = (w: Site["window"]) =>
  w ? `${w.start}-${w.end}${w.days.length ? ` ${w.days.join(",")}` : ""} ${w.timezone}` : null;

const siteColumns: Column<Site>[] = [
  { name: "id", value: (s) => s.id },
  { name: "name", value: (s) => s.name },
  { name: "timezone", value: (s) => s.effectiveTime.timezone },
  { name: "ntp", value: (s) => s.effectiveTime.ntpServer ?? "auto" },
  { name: "time_source", value: (s) => s.effectiveTime.source },
  { name: "window", value: (s) => windowText(s.window) },
  { name: "devices", value: (s) => s.devices },
  { name: "applied", value: (s) => s.applied },
  { name: "pending", value: (s) => s.pending, color: (t) => (t === "0" ? null : "yellow") },
];

const siteFields: Column<Site>[] = [
  ...siteColumns,
  { name: "own_time", value: (s) => (s.time ? timeText(s.time) : "none (follows the global setting)") },
  {
    name: "window_state",
    value: (s) =>
      s.windowState.open
        ? `open${s.windowState.closesAt ? ` until ${s.windowState.closesAt}` : ""}`
        : `closed until ${s.windowState.opensAt ?? "-"}`,
  },
  { name: "created", value: (s) => s.createdAt },
  { name: "updated", value: (s) => s.updatedAt },
];

/** A site by its id or (without regard to case) its name. */
export async function findSite(api: Api, idOrName: string): Promise<Site> {
  const { items } = await unwrap(api.GET("/api/v1/sites"));
  const site =
    items.find((s) => s.id === idOrName) ??
    items.find((s) => s.name.toLowerCase() === idOrName.toLowerCase());
  if (!site) throw new CliError(`no site ${idOrName}`, "site_not_found", EXIT.notFound);
  return site;
}

/** `--timezone Z|auto` and `--ntp HOST|auto`, both or neither; `--ntp` defaults to auto. */
export function timeOf(options: { timezone?: string; ntp?: string }): SiteBody["time"] | undefined {
  if (options.timezone === undefined && options.ntp === undefined) return undefined;
  if (options.timezone === undefined)
    throw new CliError("--ntp needs --timezone (a zone or auto)", "usage", EXIT.usage);
  const ntp = options.ntp ?? "auto";
  return { timezone: options.timezone, ntpServer: ntp === "auto" ? null : ntp };
}

interface SiteOptions {
  timezone?: string;
  ntp?: string;
  ownTime?: boolean;
  windowStart?: string;
  windowEnd?: string;
  windowDays?: string;
  windowZone?: string;
  /** false: --no-window */
  window?: boolean;
  output: Format;
}

function windowOf(options: SiteOptions): Window | undefined {
  const { windowStart: start, windowEnd: end, windowDays, windowZone } = options;
  if (start === undefined && end === undefined && windowDays === undefined && windowZone === undefined)
    return undefined;
  if (start === undefined || end === undefined)
    throw new CliError("a window needs --window-start and --window-end (HH:MM)", "usage", EXIT.usage);
  const days = windowDays?.split(",").map((d) => d.trim().toLowerCase());
  for (const d of days ?? [])
    if (!DAYS.includes(d as Day))
      throw new CliError(`--window-days: ${d} is not one of ${DAYS.join(",")}`, "usage", EXIT.usage);
  return {
    start,
    end,
    ...(days ? { days: days as Day[] } : {}),
    ...(windowZone ? { timezone: windowZone } : {}),
  };
}

const siteOptions = (command: Command) =>
  command
    .option("--timezone <zone>", "the site's own time zone (an IANA zone, or auto)")
    .option("--ntp <host>", "the site's own time server (host[:port], or auto)")
    .option("--window-start <HH:MM>", "its maintenance window opens, local time")
    .option("--window-end <HH:MM>", "its maintenance window closes (before start: the next day)")
    .option("--window-days <days>", "the days it opens, e.g. mon,tue,wed (default: every day)")
    .option("--window-zone <zone>", "the zone the window's times are read in (default: the site's)")
    .addOption(outputOption());

const printSite = (site: Site, format: Format, what: string) =>
  print(
    format === "table" ? `${what} site ${site.name} (${site.id})\n` : renderItem(site, format, siteFields),
  );

export function registerSites(program: Command): void {
  const sites = program.command("sites").description("sites: their date & time and maintenance windows");

  sites
    .command("list")
    .description("every site, with its date & time and how many devices run it")
    .addOption(outputOption())
    .action(async (options: { output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const { items } = await unwrap(api.GET("/api/v1/sites"));
      print(renderList(items, options.output, siteColumns));
    });

  sites
    .command("get")
    .description("one site")
    .argument("<site>", "the site's id or name")
    .addOption(outputOption())
    .action(async (idOrName: string, options: { output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const { id } = await findSite(api, idOrName);
      const site = await unwrap(api.GET("/api/v1/sites/{id}", { params: { path: { id } } }));
      print(renderItem(site, options.output, siteFields));
    });

  siteOptions(
    sites
      .command("create")
      .description("create a site, with or without a date & time and a maintenance window")
      .argument("<name>", "the site's name"),
  ).action(async (name: string, options: SiteOptions, command: Command) => {
    const api = await connect(command.optsWithGlobals<ConnectionFlags>());
    const time = timeOf(options);
    const window = windowOf(options);
    const site = await unwrap(
      api.POST("/api/v1/sites", {
        body: { name, ...(time !== undefined ? { time } : {}), ...(window ? { window } : {}) },
      }),
    );
    printSite(site, options.output, "created");
  });

  siteOptions(
    sites
      .command("update")
      .description("rename a site, or change its date & time or window")
      .argument("<site>", "the site's id or name")
      .option("--name <name>", "a new name")
      .option("--no-own-time", "drop its own date & time: its devices follow the global setting")
      .option("--no-window", "drop its maintenance window"),
  ).action(async (idOrName: string, options: SiteOptions & { name?: string }, command: Command) => {
    const api = await connect(command.optsWithGlobals<ConnectionFlags>());
    const { id } = await findSite(api, idOrName);
    const time = options.ownTime === false ? null : timeOf(options);
    const window = options.window === false ? null : windowOf(options);
    const body = {
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(time !== undefined ? { time } : {}),
      ...(window !== undefined ? { window } : {}),
    };
    if (Object.keys(body).length === 0) throw new CliError("nothing to change", "usage", EXIT.usage);
    const site = await unwrap(api.PATCH("/api/v1/sites/{id}", { params: { path: { id } }, body }));
    printSite(site, options.output, "updated");
  });

  sites
    .command("delete")
    .description("delete a site: its devices follow the global date & time")
    .argument("<site>", "the site's id or name")
    .option("-y, --yes", "do not ask (needed without a terminal)")
    .action(async (idOrName: string, options: { yes?: boolean }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const site = await findSite(api, idOrName);
      await confirmDestructive(`delete site ${site.name}`, options.yes);
      await unwrap(api.DELETE("/api/v1/sites/{id}", { params: { path: { id: site.id } } }));
      print(`deleted site ${site.name} (${site.id})\n`);
    });

  addTargetOptions(
    sites
      .command("add-devices")
      .description("move devices into a site (`none`: out of their site)")
      .argument("<site>", "the site's id or name, or none"),
  )
    .addOption(outputOption())
    .action(
      async (
        idOrName: string,
        id: string | undefined,
        options: TargetOptions & { output: Format },
        command: Command,
      ) => {
        const target = await resolveTarget(id, options);
        const api = await connect(command.optsWithGlobals<ConnectionFlags>());
        const body = { target: batchTargetOf(target) };
        const moved =
          idOrName === "none"
            ? await unwrap(api.POST("/api/v1/sites/none/devices", { body }))
            : await unwrap(
                api.POST("/api/v1/sites/{id}/devices", {
                  params: { path: { id: (await findSite(api, idOrName)).id } },
                  body,
                }),
              );
        print(
          options.output === "table"
            ? `${describeTarget(target)}: ${moved.targeted} targeted, ${moved.moved} moved\n`
            : renderItem(moved, options.output, []),
        );
      },
    );
}
