import Type from "typebox";
import type { AdminView } from "../../admins/accounts.js";
import { Admin, Email, IdParams, Password } from "../account-schemas.js";
import { audited } from "../audit-request.js";
import { principalOf } from "../auth.js";
import type { ApiServices, App } from "../context.js";
import { LimitCursor, Page } from "../schemas.js";

/** The fields of a change that actually changed, for the audit row. */
function changes(before: AdminView, after: AdminView): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  if (before.name !== after.name) changed.name = { from: before.name, to: after.name };
  if (before.role.id !== after.role.id) changed.roleId = { from: before.role.id, to: after.role.id };
  if (before.active !== after.active) changed.active = { from: before.active, to: after.active };
  if (before.mustResetPassword !== after.mustResetPassword) {
    changed.mustResetPassword = { from: before.mustResetPassword, to: after.mustResetPassword };
  }
  return changed;
}

export function adminRoutes(app: App, { admins, audit }: ApiServices): void {
  app.get(
    "/admins",
    {
      config: { right: "admins:manage" },
      schema: {
        tags: ["admins"],
        summary: "Admin accounts",
        querystring: Type.Object(LimitCursor),
        response: { 200: Type.Object({ ...Page(Admin).properties, total: Type.Integer() }) },
      },
    },
    async (request) => admins.list(request.query.limit ?? 50, request.query.cursor ?? null),
  );

  app.post(
    "/admins",
    {
      config: { right: "admins:manage" },
      schema: {
        tags: ["admins"],
        summary: "Create an admin; without a password one is generated and returned once",
        body: Type.Object({
          email: Email,
          name: Type.String({ minLength: 1, maxLength: 128 }),
          roleId: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.Optional(Password),
          mustResetPassword: Type.Optional(Type.Boolean({ description: "default: true" })),
        }),
        response: {
          201: Type.Object({
            ...Admin.properties,
            password: Type.Optional(Type.String({ description: "the generated password, shown once" })),
          }),
        },
      },
    },
    async (request, reply) => {
      const { password, ...rest } = request.body;
      const created = await audited(
        audit,
        request,
        {
          action: "admin.create",
          params: {
            ...rest,
            email: rest.email.trim().toLowerCase(),
            passwordGenerated: password === undefined,
          },
          fromResult: (r) => ({ target: r.admin.id }),
        },
        () => admins.create(principalOf(request), request.body),
      );
      return reply
        .code(201)
        .send({ ...created.admin, ...(created.password ? { password: created.password } : {}) });
    },
  );

  app.get(
    "/admins/:id",
    {
      config: { right: "admins:manage" },
      schema: { tags: ["admins"], summary: "One admin", params: IdParams, response: { 200: Admin } },
    },
    async (request) => admins.get(request.params.id),
  );

  app.patch(
    "/admins/:id",
    {
      config: { right: "admins:manage" },
      schema: {
        tags: ["admins"],
        summary: "Rename, change role, deactivate or reactivate, force a password reset",
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            roleId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            active: Type.Optional(Type.Boolean()),
            mustResetPassword: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Admin },
      },
    },
    async (request) => {
      const { after } = await audited(
        audit,
        request,
        {
          action: "admin.update",
          target: request.params.id,
          params: { ...request.body },
          fromResult: ({ before, after }) => ({ params: { changed: changes(before, after) } }),
        },
        () => admins.update(principalOf(request), request.params.id, request.body),
      );
      return after;
    },
  );

  app.post(
    "/admins/:id/password",
    {
      config: { right: "admins:manage" },
      schema: {
        tags: ["admins"],
        summary: "Set a temporary password: the admin must change it at next login; their sessions end",
        params: IdParams,
        body: Type.Object({ password: Password }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await audited(audit, request, { action: "admin.password_set", target: request.params.id }, () =>
        admins.setTemporaryPassword(principalOf(request), request.params.id, request.body.password),
      );
      return reply.code(204).send(null);
    },
  );
}
