import Type from "typebox";
import type { ApiServices, App } from "../context.js";
import { Batch, BatchTargetSchema, Command, CommandBody } from "../schemas.js";

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export function commandRoutes(app: App, { commands, batches }: ApiServices): void {
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
      config: { right: "devices:command" },
      schema: {
        tags: ["commands"],
        summary: "Cancel a command the device has not received",
        params: IdParams,
        response: { 200: Command },
      },
    },
    async (request) => commands.cancel(request.params.id),
  );

  app.post(
    "/batches",
    {
      config: { right: "devices:command" },
      schema: {
        tags: ["batches"],
        summary: "Send a command to many devices",
        body: Type.Object({ target: BatchTargetSchema, command: CommandBody }),
        response: { 202: Batch },
      },
    },
    async (request, reply) => {
      const { action, ttlSeconds } = commands.parseRequest(request.body.command);
      const batch = await batches.create(request.body.target, action, {
        ttlSeconds,
        actor: request.admin?.name ?? null,
      });
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
}
