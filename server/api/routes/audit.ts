import { AuditItem, AuditQuery } from "../account-schemas.js";
import type { ApiServices, App } from "../context.js";
import { Page } from "../schemas.js";

export function auditRoutes(app: App, { audit }: ApiServices): void {
  app.get(
    "/audit",
    {
      config: { right: "audit:read" },
      schema: {
        tags: ["audit"],
        summary: "The audit log, newest first (append-only: no route changes or removes a row)",
        querystring: AuditQuery,
        response: { 200: Page(AuditItem) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, since, until, ...filter } = request.query;
      return audit.list(
        {
          ...filter,
          sinceMs: since === undefined ? undefined : Date.parse(since),
          untilMs: until === undefined ? undefined : Date.parse(until),
        },
        limit,
        cursor ?? null,
      );
    },
  );
}
