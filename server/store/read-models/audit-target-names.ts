/**
 * The names the audit log shows for its targets, read from the tables of the things it names:
 * devices, commands, fleet commands (batches), admins, roles, device groups, API tokens and
 * enrollment tokens.
 * Those tables belong to other repositories; this module only reads them (no statement here
 * inserts, updates or deletes, and `test/unit/server/store-read-models.test.ts` holds it to
 * that), so each table keeps one writer.
 *
 * Two reads: the current names of a page's targets, in one statement whatever the page holds,
 * and the filter "a target whose name contains …", a part of the audit list's own statement.
 */
import { type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool, sql } from "kysely";
import type { AuditTargetKind } from "../../admins/audit-targets.js";
import type { SqlDialect } from "../dialect.js";
import type { StoreSchema } from "../schema.js";
import type { Queryable } from "../store.js";

/** The kinds of target that are rows of a table, and so have a name to look up. */
export type NamedTargetKind = Exclude<AuditTargetKind, "setting" | "signing_key">;

export interface TargetRef {
  kind: NamedTargetKind;
  id: string;
}

type NameRow = { kind: string; id: string; name: string | null };
type NameSelect = SelectQueryBuilder<StoreSchema, keyof StoreSchema, NameRow>;

/**
 * Per kind, the SELECT naming its rows `(kind, id, name)`; they are joined with UNION ALL. The
 * kinds come from this table, never from input.
 */
const NAME_SELECTS: Record<NamedTargetKind, (q: Queryable, ids: string[]) => NameSelect> = {
  device: (q, ids) =>
    q
      .selectFrom("devices")
      .select([sql.lit<string>("device").as("kind"), "id", sql<string | null>`name`.as("name")])
      .where("id", "in", ids),
  command: (q, ids) =>
    q
      .selectFrom("commands")
      .innerJoin("devices", "devices.id", "commands.device_id")
      .select([
        sql.lit<string>("command").as("kind"),
        "commands.id",
        sql<string | null>`commands.type || ' on ' || devices.name`.as("name"),
      ])
      .where("commands.id", "in", ids),
  batch: (q, ids) =>
    q
      .selectFrom("batches")
      .select([
        sql.lit<string>("batch").as("kind"),
        "id",
        sql<string | null>`type || ' to ' || CAST(total AS TEXT) ||
          CASE WHEN total = 1 THEN ' device' ELSE ' devices' END`.as("name"),
      ])
      .where("id", "in", ids),
  admin: (q, ids) =>
    q
      .selectFrom("admins")
      // citext on PostgreSQL: as text, like every other branch's name.
      .select([sql.lit<string>("admin").as("kind"), "id", sql<string | null>`CAST(email AS TEXT)`.as("name")])
      .where("id", "in", ids),
  role: (q, ids) =>
    q
      .selectFrom("roles")
      .select([sql.lit<string>("role").as("kind"), "id", sql<string | null>`CAST(name AS TEXT)`.as("name")])
      .where("id", "in", ids),
  group: (q, ids) =>
    q
      .selectFrom("device_groups")
      .select([sql.lit<string>("group").as("kind"), "id", sql<string | null>`CAST(name AS TEXT)`.as("name")])
      .where("id", "in", ids),
  api_token: (q, ids) =>
    q
      .selectFrom("admin_tokens")
      .select([sql.lit<string>("api_token").as("kind"), "id", sql<string | null>`name`.as("name")])
      .where("id", "in", ids),
  enrollment_token: (q, ids) =>
    q
      .selectFrom("enrollment_tokens")
      // An unnamed token has '' for a name: no name.
      .select([
        sql.lit<string>("enrollment_token").as("kind"),
        "id",
        sql<string | null>`NULLIF(name, '')`.as("name"),
      ])
      .where("id", "in", ids),
  schedule: (q, ids) =>
    q
      .selectFrom("schedules")
      .select([sql.lit<string>("schedule").as("kind"), "id", sql<string | null>`name`.as("name")])
      .where("id", "in", ids),
  rollout: (q, ids) =>
    q
      .selectFrom("rollouts")
      .select([sql.lit<string>("rollout").as("kind"), "id", sql<string | null>`name`.as("name")])
      .where("id", "in", ids),
  site: (q, ids) =>
    q
      .selectFrom("sites")
      .select([sql.lit<string>("site").as("kind"), "id", sql<string | null>`CAST(name AS TEXT)`.as("name")])
      .where("id", "in", ids),
};

const NAMED_KINDS = new Set<string>(Object.keys(NAME_SELECTS));

export function isNamedTargetKind(kind: AuditTargetKind): kind is NamedTargetKind {
  return NAMED_KINDS.has(kind);
}

/** The key {@link AuditTargetNames.namesOf} answers under. */
export const targetKey = (kind: NamedTargetKind, id: string): string => `${kind}:${id}`;

export class AuditTargetNames {
  constructor(readonly dialect: SqlDialect) {}

  /**
   * The current names of these targets, by {@link targetKey}, in one statement; a target whose
   * row is gone has no entry, one whose row has no name maps to null.
   */
  async namesOf(q: Queryable, targets: readonly TargetRef[]): Promise<Map<string, string | null>> {
    const idsByKind = new Map<NamedTargetKind, Set<string>>();
    for (const { kind, id } of targets) {
      const ids = idsByKind.get(kind) ?? new Set<string>();
      ids.add(id);
      idsByKind.set(kind, ids);
    }
    const selects = [...idsByKind].map(([kind, ids]) => NAME_SELECTS[kind](q, [...ids]));
    const found = new Map<string, string | null>();
    const [first, ...rest] = selects;
    if (!first) return found;
    const rows = await rest.reduce((union, select) => union.unionAll(select), first).execute();
    for (const row of rows) found.set(`${row.kind}:${row.id}`, row.name);
    return found;
  }

  /**
   * True for an audit row whose target is the id of a device, admin (name or email), role, API
   * token or enrollment token whose name contains `needle` in any case: a condition of the
   * audit list's own statement.
   */
  targetNameContains(eb: ExpressionBuilder<StoreSchema, "audit_log">, needle: string): Expression<SqlBool> {
    const contains = (column: string) => this.dialect.containsInsensitive(column, needle);
    return eb.or([
      eb("target", "in", eb.selectFrom("devices").select("id").where(contains("name"))),
      eb(
        "target",
        "in",
        eb
          .selectFrom("admins")
          .select("id")
          .where((admins) => admins.or([contains("email"), contains("name")])),
      ),
      eb("target", "in", eb.selectFrom("roles").select("id").where(contains("name"))),
      eb("target", "in", eb.selectFrom("device_groups").select("id").where(contains("name"))),
      eb("target", "in", eb.selectFrom("admin_tokens").select("id").where(contains("name"))),
      eb("target", "in", eb.selectFrom("enrollment_tokens").select("id").where(contains("name"))),
      eb("target", "in", eb.selectFrom("sites").select("id").where(contains("name"))),
      eb("target", "in", eb.selectFrom("schedules").select("id").where(contains("name"))),
      eb("target", "in", eb.selectFrom("rollouts").select("id").where(contains("name"))),
    ]);
  }
}
