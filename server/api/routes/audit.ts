import { Readable } from "node:stream";
import Type, { type Static } from "typebox";
import { auditCsv } from "../../admins/audit-csv.js";
import type { AuditFilter } from "../../admins/audit-log.js";
import { AuditItem, AuditQuery } from "../account-schemas.js";
import type { ApiServices, App } from "../context.js";
import { Page } from "../schemas.js";

/** Rows read from the store at a time while an export streams. */
const EXPORT_PAGE_ROWS = 500;

const AuditExportQuery = Type.Omit(AuditQuery, ["cursor", "limit"]);

/** The query's filters as the log takes them (times as milliseconds). */
function filterOf(query: Static<typeof AuditExportQuery>): AuditFilter {
  const { since, until, ...filter } = query;
  return {
    ...filter,
    sinceMs: since === undefined ? undefined : Date.parse(since),
    untilMs: until === undefined ? undefined : Date.parse(until),
  };
}

export function auditRoutes(app: App, { audit }: ApiServices): void {
  app.get(
    "/audit",
    {
      config: { right: "audit:read" },
      schema: {
        tags: ["audit"],
        summary: "The audit log, newest first (append-only: no route changes or removes a row)",
        description:
          "Each row names its target's kind and name (looked up for the whole page at once). " +
          "actor, action and target match exactly (actor: an admin id or an email; action: a name " +
          "or a prefix such as 'admin.*'); actorContains, actionContains and targetContains match " +
          "any part, in any case (targetContains also matches the target's name).",
        querystring: AuditQuery,
        response: { 200: Page(AuditItem) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, ...query } = request.query;
      return audit.list(filterOf(query), limit, cursor ?? null);
    },
  );

  app.get(
    "/audit/export.csv",
    {
      config: { right: "audit:read" },
      schema: {
        tags: ["audit"],
        summary: "The audit log rows matching the filters, as CSV",
        description:
          "RFC 4180 with a header row: time, actor, action, target, target_name, outcome, error_code, " +
          "source_address, params (JSON). The same filters as GET /audit, newest first; streamed, read " +
          "from the store a page at a time. Text that a spreadsheet would run as a formula (starting " +
          "with = + - @) gets a leading '.",
        querystring: AuditExportQuery,
        produces: ["text/csv"],
      },
    },
    async (request, reply) => {
      const pages = audit.pagesMatching(filterOf(request.query), EXPORT_PAGE_ROWS);
      const stamp = new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="audit-${stamp}.csv"`)
        .send(Readable.from(auditCsv(pages)));
    },
  );
}
