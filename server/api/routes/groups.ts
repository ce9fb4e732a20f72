import Type from "typebox";
import { MAX_GROUPS } from "../../devices/device-groups.js";
import { audited } from "../audit-request.js";
import type { ApiServices, App } from "../context.js";
import { Group, GroupBody, GroupPatch } from "../schemas.js";

const GroupParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export function groupRoutes(app: App, { groups, audit }: ApiServices): void {
  app.get(
    "/groups",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["groups"],
        summary: "Dynamic groups (saved device filters), by name, each with its device count now",
        response: { 200: Type.Object({ items: Type.Array(Group), total: Type.Integer() }) },
      },
    },
    async () => groups.list(),
  );

  app.get(
    "/groups/:id",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["groups"],
        summary: "One dynamic group, with its device count now",
        description: "Its devices: GET /devices?group=<id>.",
        params: GroupParams,
        response: { 200: Group },
      },
    },
    async (request) => groups.get(request.params.id),
  );

  app.post(
    "/groups",
    {
      config: { right: "devices:organize" },
      schema: {
        tags: ["groups"],
        summary: "Save a device filter as a dynamic group",
        description:
          "A group holds the devices its filter matches whenever it is read: listed with " +
          "GET /devices?group=<id>, targeted by fleet commands and label changes as {group: <id>}. " +
          `At most ${MAX_GROUPS} groups (409 too_many_groups). The name is trimmed, 1 to 80 ` +
          "characters, unique in any case (409 group_name_taken). A filter that sets nothing is " +
          "refused (400 validation_failed): target all devices instead.",
        body: GroupBody,
        response: { 201: Group },
      },
    },
    async (request, reply) => {
      const group = await audited(
        audit,
        request,
        { action: "group.create", params: { ...request.body }, fromResult: (g) => ({ target: g.id }) },
        () => groups.create(request.body),
      );
      return reply.code(201).send(group);
    },
  );

  app.patch(
    "/groups/:id",
    {
      config: { right: "devices:organize" },
      schema: {
        tags: ["groups"],
        summary: "Rename a dynamic group or give it a new filter",
        description: "The filter given replaces the saved one whole.",
        params: GroupParams,
        body: GroupPatch,
        response: { 200: Group },
      },
    },
    async (request) => {
      const { after } = await audited(
        audit,
        request,
        {
          action: "group.update",
          target: request.params.id,
          params: { ...request.body },
          fromResult: ({ before }) => ({ params: { before: { name: before.name, filter: before.filter } } }),
        },
        () => groups.update(request.params.id, request.body),
      );
      return after;
    },
  );

  app.delete(
    "/groups/:id",
    {
      config: { right: "devices:organize" },
      schema: {
        tags: ["groups"],
        summary: "Delete a dynamic group (its devices are not changed)",
        description: "Fleet commands that targeted it keep its name and filter as they were then.",
        params: GroupParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await audited(
        audit,
        request,
        {
          action: "group.delete",
          target: request.params.id,
          fromResult: (group) => ({ params: { name: group.name, filter: group.filter } }),
        },
        () => groups.delete(request.params.id),
      );
      return reply.code(204).send(null);
    },
  );
}
