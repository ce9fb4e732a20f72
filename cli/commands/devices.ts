/**
 * `portalctl devices list|get|rename|remove`. The list's flags are the query parameters of
 * `GET /devices` in the OpenAPI document (every filter the API takes, `q` as `--search`), and
 * it reads every page. `--watch` reads the list again every 2 s and prints it anew.
 */
import { type Command, Option } from "commander";
import { allPages, connect, type Schemas, unwrap } from "../api.js";
import { confirmDestructive } from "../confirm.js";
import type { ConnectionFlags } from "../contexts.js";
import { followCommand, timeoutOption, waitTimeout } from "../follow.js";
import type { paths } from "../openapi/api-types.js";
import { convertValue, type Field, parsePairs, queryFields, valueHint } from "../openapi/document.js";
import { type Column, type Format, outputOption, print, renderItem, renderList } from "../output.js";

type Device = Schemas["Device"];
type DeviceQuery = NonNullable<paths["/api/v1/devices"]["get"]["parameters"]["query"]>;

const LIST_PATH = "/api/v1/devices";
const PAGE_SIZE = 500;
const WATCH_MS = 2000;
/** Flags named otherwise than their query parameter. */
const FLAG_NAMES: Record<string, string> = { q: "search" };

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The device list's filters, from the document: limit and cursor are portalctl's business. */
const listFields = (): Field[] =>
  queryFields(LIST_PATH).filter((f) => f.name !== "limit" && f.name !== "cursor");

export const deviceColumns: Column<Device>[] = [
  { name: "id", value: (d) => d.id },
  { name: "name", value: (d) => d.name },
  { name: "serial", value: (d) => d.serial },
  { name: "model", value: (d) => d.model },
  { name: "status", value: (d) => d.status, color: (s) => (s === "active" ? null : "yellow") },
  {
    name: "online",
    value: (d) => (d.online ? "online" : "offline"),
    color: (s) => (s === "online" ? "green" : "dim"),
  },
  { name: "site", value: (d) => d.site?.name ?? null },
  { name: "labels", value: (d) => d.labels },
  { name: "timezone", value: (d) => d.reported?.timezone ?? null },
  { name: "last_seen", value: (d) => d.lastSeenAt },
];

const deviceFields: Column<Device>[] = [
  ...deviceColumns,
  { name: "locked", value: (d) => d.reported?.locked ?? null },
  { name: "agent_version", value: (d) => d.reported?.agentVersion ?? null },
  { name: "clock_offset_ms", value: (d) => d.reported?.clockOffsetMs ?? null },
  { name: "enrolled", value: (d) => d.enrolledAt },
  { name: "desired_name", value: (d) => d.desired.name },
  {
    name: "effective_time",
    value: (d) =>
      `${d.effectiveTime.timezone}${d.effectiveTime.ntpServer ? `, ntp ${d.effectiveTime.ntpServer}` : ""} (from ${d.effectiveTime.source})`,
  },
  {
    name: "config",
    value: (d) => `desired v${d.desired.version}, applied v${d.reported?.appliedConfigVersion ?? "-"}`,
  },
];

interface ListOptions extends Record<string, unknown> {
  output: Format;
  filter?: string[];
  watch?: boolean;
}

function queryOf(options: ListOptions, fields: Field[]): DeviceQuery {
  const query: Record<string, unknown> = parsePairs(options.filter ?? [], fields);
  for (const field of fields) {
    const given = options[camel(FLAG_NAMES[field.name] ?? kebab(field.name))];
    if (typeof given === "string") query[field.name] = convertValue(field, given);
  }
  // Each value was converted by its parameter's schema in the document.
  return query as DeviceQuery;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerDevices(program: Command): void {
  const devices = program.command("devices").description("list, show, rename and remove devices");

  const list = devices.command("list").description("list devices (every page), with the API's filters");
  const fields = listFields();
  for (const field of fields) {
    const flag = FLAG_NAMES[field.name] ?? kebab(field.name);
    const option = new Option(`--${flag} <${valueHint(field)}>`, field.description ?? field.name);
    if (field.schema.enum) option.choices(field.schema.enum.map(String));
    list.addOption(option);
  }
  list
    .option("--filter <key=value>", "a query parameter by its API name, repeatable", collect)
    .option("--watch", `print the list again every ${WATCH_MS / 1000} s until interrupted`)
    .addOption(outputOption())
    .action(async (options: ListOptions, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const query = queryOf(options, fields);
      const read = () =>
        allPages((cursor) =>
          unwrap(api.GET(LIST_PATH, { params: { query: { ...query, limit: PAGE_SIZE, cursor } } })),
        );
      if (!options.watch) {
        print(renderList(await read(), options.output, deviceColumns));
        return;
      }
      for (;;) {
        const items = await read();
        // On a terminal the screen is redrawn; otherwise each reading follows the last.
        if (process.stdout.isTTY) print("\x1b[2J\x1b[H");
        print(renderList(items, options.output, deviceColumns));
        if (!process.stdout.isTTY) print("\n");
        await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
      }
    });

  devices
    .command("get")
    .description("one device: desired and reported state")
    .argument("<id>", "the device's id")
    .addOption(outputOption())
    .action(async (id: string, options: { output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const device = await unwrap(api.GET("/api/v1/devices/{id}", { params: { path: { id } } }));
      print(renderItem(device, options.output, deviceFields));
    });

  devices
    .command("rename")
    .description("give a device a new name (a rename command)")
    .argument("<id>", "the device's id")
    .argument("<name>", "the new name")
    .option("--wait", "wait until the device has applied it")
    .addOption(timeoutOption())
    .addOption(outputOption())
    .action(
      async (
        id: string,
        name: string,
        options: { wait?: boolean; timeout?: string; output: Format },
        command: Command,
      ) => {
        const timeout = waitTimeout(options.timeout);
        const api = await connect(command.optsWithGlobals<ConnectionFlags>());
        const issued = await unwrap(
          api.POST("/api/v1/devices/{id}/commands", {
            params: { path: { id } },
            body: { type: "rename", name },
          }),
        );
        if (options.wait) return followCommand(api, issued, options.output, timeout);
        print(
          options.output === "table"
            ? `rename ${id} to '${name}': command ${issued.id} (${issued.state})\n`
            : renderItem(issued, options.output, []),
        );
      },
    );

  devices
    .command("remove")
    .description("stop managing an offline device now (for one that will not come back)")
    .argument("<id>", "the device's id")
    .option("-y, --yes", "do not ask")
    .addOption(outputOption())
    .action(async (id: string, options: { yes?: boolean; output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      await confirmDestructive(`remove device ${id}`, options.yes);
      const removed = await unwrap(api.POST("/api/v1/devices/{id}/remove", { params: { path: { id } } }));
      print(
        options.output === "table"
          ? `removed ${removed.device.name} (${id}); ${removed.canceledCommands.length} open command(s) canceled\n`
          : renderItem(removed, options.output, []),
      );
    });
}
