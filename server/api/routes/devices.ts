import { Readable } from "node:stream";
import Type from "typebox";
import { deviceCsv } from "../../devices/device-csv.js";
import { DEVICE_SORT_KEYS } from "../../devices/device-service.js";
import { audited } from "../audit-request.js";
import { rightOfCommandBody } from "../command-rights.js";
import type { ApiServices, App } from "../context.js";
import {
  Command,
  CommandBody,
  DEVICE_REPORT_FILTERS,
  Device,
  DeviceCounts,
  DeviceStatusSchema,
  LimitCursor,
  Page,
} from "../schemas.js";

const DeviceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Filters and order of the device list, shared by its CSV export. */
const DeviceListQuery = {
  online: Type.Optional(Type.Boolean()),
  status: Type.Optional(DeviceStatusSchema),
  model: Type.Optional(Type.String({ maxLength: 128 })),
  q: Type.Optional(Type.String({ maxLength: 128, description: "substring of name or serial" })),
  locked: Type.Optional(Type.Boolean({ description: "the screen lock last reported" })),
  clockDrift: Type.Optional(
    Type.Boolean({
      description: "true: clocks off by more than the clock drift threshold; false: the rest",
    }),
  ),
  ...DEVICE_REPORT_FILTERS,
  group: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description:
        "a dynamic group's id: the devices its saved filter matches now, and the other filters " +
        "given too (both must hold); a filter the group sets already must have the group's " +
        "value (400 validation_failed otherwise); 404 group_not_found",
    }),
  ),
  sort: Type.Optional(
    Type.Enum([...DEVICE_SORT_KEYS], {
      description: "order by this column (default: id); clockOffsetMs sorts by size",
    }),
  ),
  order: Type.Optional(Type.Enum(["asc", "desc"], { default: "asc" })),
};

/** Devices read from the store per page while a CSV export streams. */
const EXPORT_PAGE_SIZE = 500;

export function deviceRoutes(app: App, { devices, groups, commands, audit }: ApiServices): void {
  app.get(
    "/devices",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["devices"],
        summary: "List devices",
        querystring: Type.Object({ ...DeviceListQuery, ...LimitCursor }),
        response: { 200: Type.Object({ ...Page(Device).properties, total: Type.Integer() }) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, sort, order, group, ...filter } = request.query;
      return devices.list(
        group === undefined ? filter : await groups.filterWith(group, filter),
        limit,
        cursor ?? null,
        sort ? { by: sort, descending: order === "desc" } : null,
      );
    },
  );

  app.get(
    "/devices/counts",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["devices"],
        summary: "Managed devices online, offline, locked, with clock drift and not applying their config",
        description: "Every count the console's tiles show, from one query.",
        response: { 200: DeviceCounts },
      },
    },
    async () => devices.counts(),
  );

  app.get(
    "/devices/export.csv",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["devices"],
        summary: "The devices matching the filters, as CSV",
        description:
          "RFC 4180 with a header row: id, name, serial, model, status, online, last_seen_at, locked, " +
          "timezone, clock_offset_ms, agent_version, applied_config_version, desired_config_version. " +
          "The same filters (a group among them) and order as GET /devices; streamed, read from the " +
          "store a page at a time. " +
          "Text that a spreadsheet would run as a formula (starting with = + - @) gets a leading '.",
        querystring: Type.Object(DeviceListQuery),
        produces: ["text/csv"],
      },
    },
    async (request, reply) => {
      const { sort, order, group, ...filter } = request.query;
      const pages = devices.pagesMatching(
        group === undefined ? filter : await groups.filterWith(group, filter),
        sort ? { by: sort, descending: order === "desc" } : null,
        EXPORT_PAGE_SIZE,
      );
      const stamp = new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="devices-${stamp}.csv"`)
        .send(Readable.from(deviceCsv(pages)));
    },
  );

  app.get(
    "/devices/:id",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["devices"],
        summary: "One device, desired and reported, and since when its desired config is what it is",
        params: DeviceParams,
        response: { 200: Device },
      },
    },
    async (request) => {
      const row = await devices.getRow(request.params.id);
      const desiredChangedAt = new Date(await devices.desiredChangedAt(row)).toISOString();
      return { ...devices.view(row), desiredChangedAt };
    },
  );

  app.post(
    "/devices/:id/config/resend",
    {
      config: { right: "devices:command" },
      schema: {
        tags: ["devices"],
        summary: "Send the device its desired config again now",
        description:
          "For a device that has not applied its desired config: the stored config is pushed again and " +
          "the device tries once more. 409 device_offline for a device that is not connected (it gets " +
          "the config when it connects), 409 device_not_managed for one that is not managed.",
        params: DeviceParams,
        response: { 202: Type.Object({ version: Type.Integer(), device: Device }) },
      },
    },
    async (request, reply) => {
      const device = await audited(
        audit,
        request,
        {
          action: "device.config_resend",
          target: request.params.id,
          fromResult: (d) => ({ params: { version: d.desired.version } }),
        },
        () => devices.resendDesiredConfig(request.params.id),
      );
      return reply.code(202).send({ version: device.desired.version, device });
    },
  );

  app.get(
    "/devices/:id/state-history",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["devices"],
        summary: "Reported states that changed something, newest first",
        params: DeviceParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(Type.Object({ at: Type.String(), reported: Type.Unknown() })),
          }),
        },
      },
    },
    async (request) => ({ items: await devices.stateHistory(request.params.id, request.query.limit ?? 100) }),
  );

  app.post(
    "/devices/:id/commands",
    {
      config: { right: rightOfCommandBody },
      schema: {
        tags: ["commands"],
        summary: "Send a command to one device",
        params: DeviceParams,
        body: CommandBody,
        response: { 202: Command },
      },
    },
    async (request, reply) => {
      const { action, ttlSeconds, inWindow } = commands.parseRequest(request.body);
      const command = await audited(
        audit,
        request,
        {
          action: "command.issue",
          target: request.params.id,
          params: { ...request.body },
          fromResult: (c) => ({ params: { commandId: c.id } }),
        },
        () =>
          commands.issue(request.params.id, action, {
            ttlSeconds,
            inWindow,
            actor: request.admin?.email ?? null,
          }),
      );
      return reply.code(202).send(command);
    },
  );

  app.post(
    "/devices/:id/remove",
    {
      config: { right: "devices:unenroll" },
      schema: {
        tags: ["devices"],
        summary: "Stop managing an offline device now, without waiting for it",
        description:
          "For a device that will not come back: its credential is revoked, its status becomes " +
          "unmanaged and its open commands are canceled. 409 device_online for a connected device " +
          "(send stop_managing instead).",
        params: DeviceParams,
        response: { 200: Type.Object({ device: Device, canceledCommands: Type.Array(Command) }) },
      },
    },
    async (request) => {
      const canceled = await audited(
        audit,
        request,
        {
          action: "device.remove",
          target: request.params.id,
          fromResult: (list) => ({ params: { canceledCommands: list.length } }),
        },
        () => commands.revokeCredential(request.params.id, { code: "device_removed", offlineOnly: true }),
      );
      return { device: await devices.get(request.params.id), canceledCommands: canceled };
    },
  );

  app.post(
    "/devices/:id/revoke-credential",
    {
      config: { right: "devices:unenroll" },
      schema: {
        tags: ["devices"],
        summary: "Revoke the device's credential now, whatever its status, online or not",
        description:
          "The device's MQTT credential is deleted and any connection closed at once; it can only come " +
          "back by enrolling again (never, if it is deactivated). An active device becomes unmanaged. " +
          "Its open commands are canceled with credential_revoked.",
        params: DeviceParams,
        response: { 200: Type.Object({ device: Device, canceledCommands: Type.Array(Command) }) },
      },
    },
    async (request) => {
      const canceled = await audited(
        audit,
        request,
        {
          action: "device.revoke_credential",
          target: request.params.id,
          fromResult: (list) => ({ params: { canceledCommands: list.length } }),
        },
        () =>
          commands.revokeCredential(request.params.id, { code: "credential_revoked", offlineOnly: false }),
      );
      return { device: await devices.get(request.params.id), canceledCommands: canceled };
    },
  );

  app.get(
    "/devices/:id/commands",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["commands"],
        summary: "A device's commands, newest first",
        params: DeviceParams,
        querystring: Type.Object(LimitCursor),
        response: { 200: Page(Command) },
      },
    },
    async (request) =>
      commands.listForDevice(request.params.id, request.query.limit ?? 50, request.query.cursor ?? null),
  );
}
