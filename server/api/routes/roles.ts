import Type from "typebox";
import { IdParams, RightsList, Role } from "../account-schemas.js";
import { audited } from "../audit-request.js";
import { principalOf } from "../auth.js";
import type { ApiServices, App } from "../context.js";
import { Page } from "../schemas.js";

const RoleName = Type.String({ minLength: 1, maxLength: 64 });

export function roleRoutes(app: App, { roles, audit }: ApiServices): void {
  app.get(
    "/roles",
    {
      // Role names and rights are no secret: every admin may see what the roles are.
      config: { access: "signed-in" },
      schema: {
        tags: ["roles"],
        summary: "Roles: the built-in system admin and custom roles",
        response: { 200: Type.Object({ ...Page(Role).properties, total: Type.Integer() }) },
      },
    },
    async () => roles.list(),
  );

  app.post(
    "/roles",
    {
      config: { right: "roles:manage" },
      schema: {
        tags: ["roles"],
        summary: "Create a custom role (only with rights you hold)",
        body: Type.Object({ name: RoleName, rights: RightsList }),
        response: { 201: Role },
      },
    },
    async (request, reply) => {
      const role = await audited(
        audit,
        request,
        { action: "role.create", params: { ...request.body }, fromResult: (r) => ({ target: r.id }) },
        () => roles.create(principalOf(request), request.body),
      );
      return reply.code(201).send(role);
    },
  );

  app.get(
    "/roles/:id",
    {
      config: { access: "signed-in" },
      schema: { tags: ["roles"], summary: "One role", params: IdParams, response: { 200: Role } },
    },
    async (request) => roles.get(request.params.id),
  );

  app.patch(
    "/roles/:id",
    {
      config: { right: "roles:manage" },
      schema: {
        tags: ["roles"],
        summary: "Rename a custom role or change its rights (not your own role)",
        params: IdParams,
        body: Type.Object(
          { name: Type.Optional(RoleName), rights: Type.Optional(RightsList) },
          { additionalProperties: false },
        ),
        response: { 200: Role },
      },
    },
    async (request) => {
      const { after } = await audited(
        audit,
        request,
        {
          action: "role.update",
          target: request.params.id,
          params: { ...request.body },
          fromResult: ({ before }) => ({ params: { before: { name: before.name, rights: before.rights } } }),
        },
        () => roles.update(principalOf(request), request.params.id, request.body),
      );
      return after;
    },
  );

  app.delete(
    "/roles/:id",
    {
      config: { right: "roles:manage" },
      schema: {
        tags: ["roles"],
        summary: "Delete a custom role no admin holds",
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await audited(
        audit,
        request,
        {
          action: "role.delete",
          target: request.params.id,
          fromResult: (role) => ({ params: { name: role.name, rights: role.rights } }),
        },
        () => roles.delete(principalOf(request), request.params.id),
      );
      return reply.code(204).send(null);
    },
  );
}
