import Type from "typebox";
import { MAX_TOKEN_TTL_DAYS } from "../../admins/api-tokens.js";
import { ApiToken, IdParams, RightsList } from "../account-schemas.js";
import { audited } from "../audit-request.js";
import { principalOf } from "../auth.js";
import type { ApiServices, App } from "../context.js";
import { Page } from "../schemas.js";

export function tokenRoutes(app: App, { tokens, audit }: ApiServices): void {
  app.get(
    "/tokens",
    {
      config: { access: "signed-in" },
      schema: { tags: ["tokens"], summary: "Your personal API tokens", response: { 200: Page(ApiToken) } },
    },
    async (request) => tokens.list(principalOf(request).adminId),
  );

  app.post(
    "/tokens",
    {
      config: { access: "signed-in" },
      schema: {
        tags: ["tokens"],
        summary: "Create a personal API token with some of your rights (the token is shown once)",
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 64 }),
          rights: RightsList,
          expiresAt: Type.Optional(Type.String({ format: "date-time" })),
          ttlDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TOKEN_TTL_DAYS })),
        }),
        response: { 201: Type.Object({ ...ApiToken.properties, token: Type.String() }) },
      },
    },
    async (request, reply) => {
      const created = await audited(
        audit,
        request,
        { action: "token.create", params: { ...request.body }, fromResult: (t) => ({ target: t.id }) },
        () => tokens.create(principalOf(request), request.body),
      );
      return reply.code(201).send(created);
    },
  );

  app.delete(
    "/tokens/:id",
    {
      config: { access: "signed-in" },
      schema: {
        tags: ["tokens"],
        summary: "Revoke one of your tokens",
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await audited(audit, request, { action: "token.revoke", target: request.params.id }, () =>
        tokens.revoke(principalOf(request), request.params.id),
      );
      return reply.code(204).send(null);
    },
  );
}
