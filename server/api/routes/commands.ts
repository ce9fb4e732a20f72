import Type from "typebox";
import { COMMAND_STATES, type CommandState } from "../../commands/command.js";
import { audited } from "../audit-request.js";
import { rightOfBatch, rightOfBatchBody, rightOfCommand } from "../command-rights.js";
import type { ApiServices, App } from "../context.js";
import { Batch, BatchCommand, BatchTargetSchema, Command, CommandBody, Page } from "../schemas.js";

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** A comma-separated list of command states, e.g. `failed,rejected,expired`. */
const StateList = Type.String({
  pattern: `^(${COMMAND_STATES.join("|")})(,(${COMMAND_STATES.join("|")}))*$`,
  maxLength: 200,
  description: `comma-separated command states (${COMMAND_STATES.join(", ")}); default: all`,
});

export function commandRoutes(app: App, { commands, batches, audit }: ApiServices): void {
  app.get(
    "/commands/:id",
    {
      config: { right: "devices:read" },
      schema: { tags: ["commands"], summary: "One command", params: IdParams, response: { 200: Command } },
    },
    async (request) => commands.get(request.params.id),
  );

  app.post(
    "/commands/:id/cancel",
    {
      config: { right: rightOfCommand(commands) },
      schema: {
        tags: ["commands"],
        summary: "Cancel a command the device has not received",
        params: IdParams,
        response: { 200: Command },
      },
    },
    async (request) =>
      audited(
        audit,
        request,
        {
          action: "command.cancel",
          target: request.params.id,
          fromResult: (c) => ({ params: { deviceId: c.deviceId, type: c.type } }),
        },
        () => commands.cancel(request.params.id),
      ),
  );

  app.post(
    "/batches",
    {
      config: { right: rightOfBatchBody },
      schema: {
        tags: ["batches"],
        summary: "Send a command to many devices",
        body: Type.Object({ target: BatchTargetSchema, command: CommandBody }),
        response: { 202: Batch },
      },
    },
    async (request, reply) => {
      const { action, ttlSeconds, inWindow } = commands.parseRequest(request.body.command);
      const batch = await audited(
        audit,
        request,
        {
          action: "batch.create",
          params: { ...request.body },
          fromResult: (b) => ({ target: b.id, params: { total: b.total, skipped: b.skipped } }),
        },
        () =>
          batches.create(request.body.target, action, {
            ttlSeconds,
            inWindow,
            actor: request.admin?.email ?? null,
          }),
      );
      return reply.code(202).send(batch);
    },
  );

  app.get(
    "/batches",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["batches"],
        summary: "Fleet commands, newest first, with progress counts",
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
          cursor: Type.Optional(Type.String({ maxLength: 128 })),
        }),
        response: { 200: Page(Batch) },
      },
    },
    async (request) => batches.list(request.query.limit ?? 20, request.query.cursor ?? null),
  );

  app.post(
    "/batches/:id/cancel",
    {
      config: { right: rightOfBatch(batches) },
      schema: {
        tags: ["batches"],
        summary: "Cancel what a fleet command can still take back (queued, or sent to offline devices)",
        params: IdParams,
        response: { 200: Type.Object({ canceled: Type.Integer(), batch: Batch }) },
      },
    },
    async (request) => {
      await batches.get(request.params.id);
      const canceled = await audited(
        audit,
        request,
        {
          action: "batch.cancel",
          target: request.params.id,
          fromResult: (n) => ({ params: { canceled: n } }),
        },
        () => commands.cancelBatch(request.params.id),
      );
      return { canceled, batch: await batches.get(request.params.id) };
    },
  );

  app.post(
    "/batches/:id/retry",
    {
      config: { right: rightOfBatch(batches) },
      schema: {
        tags: ["batches"],
        summary: "Send the same command again to the devices where a fleet command failed",
        description:
          "A new fleet command for the devices whose command failed, was rejected or expired (those no " +
          "longer managed are skipped). It waits for maintenance windows as the first one did, unless " +
          "inWindow says otherwise. 409 batch_nothing_to_retry when there are none.",
        params: IdParams,
        body: Type.Optional(
          Type.Object(
            {
              ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 * 24 * 3600 })),
              inWindow: Type.Optional(
                Type.Boolean({ description: "wait for maintenance windows; default: as the first one did" }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 202: Batch },
      },
    },
    async (request, reply) => {
      const batch = await audited(
        audit,
        request,
        {
          action: "batch.retry",
          target: request.params.id,
          fromResult: (b) => ({ params: { batchId: b.id, total: b.total, skipped: b.skipped } }),
        },
        () =>
          batches.retry(request.params.id, {
            ttlSeconds: request.body?.ttlSeconds,
            inWindow: request.body?.inWindow,
            actor: request.admin?.email ?? null,
          }),
      );
      return reply.code(202).send(batch);
    },
  );

  app.get(
    "/batches/:id",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["batches"],
        summary: "Progress of a fleet command",
        params: IdParams,
        response: { 200: Batch },
      },
    },
    async (request) => batches.get(request.params.id),
  );
  app.get(
    "/batches/:id/commands",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["batches"],
        summary: "A fleet command's per-device commands, e.g. the devices where it failed",
        params: IdParams,
        querystring: Type.Object({
          state: Type.Optional(StateList),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          cursor: Type.Optional(Type.String({ maxLength: 128 })),
        }),
        response: { 200: Page(BatchCommand) },
      },
    },
    async (request) =>
      batches.commandsOf(request.params.id, {
        // The pattern above admits only command states.
        states: request.query.state?.split(",") as CommandState[] | undefined,
        limit: request.query.limit ?? 100,
        cursor: request.query.cursor ?? null,
      }),
  );
}
