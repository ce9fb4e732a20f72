/**
 * `portalctl audit`: the audit log in a time range (`--since 1h` or an ISO time, `--until`), newest
 * first, every page of it (`GET /audit`), filtered by actor, action (a name or a prefix such as
 * `admin.*`), target and outcome. `-o csv` is the server's own export (`GET /audit/export.csv`):
 * the same rows, with its columns.
 */
import type { Command } from "commander";
import { allPages, apiError, connect, type Schemas, unwrap } from "../api.js";
import type { ConnectionFlags } from "../contexts.js";
import { parseSince } from "../duration.js";
import { CliError, EXIT } from "../errors.js";
import type { paths } from "../openapi/api-types.js";
import { type Column, type Format, outputOption, print, renderList } from "../output.js";

type AuditItem = Schemas["AuditItem"];
type AuditQuery = NonNullable<paths["/api/v1/audit"]["get"]["parameters"]["query"]>;
const PAGE_SIZE = 500;

const auditColumns: Column<AuditItem>[] = [
  { name: "time", value: (a) => a.at },
  { name: "actor", value: (a) => a.actorEmail },
  { name: "action", value: (a) => a.action },
  { name: "target", value: (a) => a.target },
  { name: "target_name", value: (a) => a.targetName },
  { name: "outcome", value: (a) => a.outcome, color: (s) => (s === "success" ? null : "red") },
  { name: "error_code", value: (a) => a.errorCode },
];

interface AuditOptions {
  since?: string;
  until?: string;
  actor?: string;
  action?: string;
  target?: string;
  search?: string;
  outcome?: string;
  output: Format;
}

function queryOf(options: AuditOptions): Omit<AuditQuery, "cursor" | "limit"> {
  if (options.outcome !== undefined && options.outcome !== "success" && options.outcome !== "failure") {
    throw new CliError("--outcome takes success or failure", "usage", EXIT.usage);
  }
  return {
    ...(options.since !== undefined ? { since: parseSince(options.since, "--since") } : {}),
    ...(options.until !== undefined ? { until: parseSince(options.until, "--until") } : {}),
    ...(options.actor !== undefined ? { actor: options.actor } : {}),
    ...(options.action !== undefined ? { action: options.action } : {}),
    ...(options.target !== undefined ? { target: options.target } : {}),
    ...(options.search !== undefined ? { targetContains: options.search } : {}),
    ...(options.outcome !== undefined ? { outcome: options.outcome as "success" | "failure" } : {}),
  };
}

export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description("the audit log, newest first: every entry in the range and matching the filters")
    .option("--since <when>", "from this long ago (1h, 7d) or this ISO 8601 time")
    .option("--until <when>", "up to this long ago or this ISO 8601 time")
    .option("--actor <admin>", "by this admin (id or email)")
    .option("--action <action>", "this action, or a prefix such as 'admin.*'")
    .option("--target <id>", "on this target (exactly)")
    .option("--search <text>", "on a target whose id or name contains this")
    .option("--outcome <outcome>", "success or failure")
    .addOption(outputOption())
    .action(async (options: AuditOptions, command: Command) => {
      const query = queryOf(options);
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      if (options.output === "csv") {
        const { data, error, response } = await api.GET("/api/v1/audit/export.csv", {
          params: { query },
          parseAs: "text",
        });
        if (!response.ok) throw apiError(response.status, error);
        print(String(data ?? ""));
        return;
      }
      const items = await allPages((cursor) =>
        unwrap(api.GET("/api/v1/audit", { params: { query: { ...query, limit: PAGE_SIZE, cursor } } })),
      );
      print(renderList(items, options.output, auditColumns));
    });
}
