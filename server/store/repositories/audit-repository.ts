/**
 * The audit log: the only code that writes `audit_log`, and it only inserts. The table is
 * append-only in the database too (triggers on either store refuse UPDATE and DELETE, and
 * TRUNCATE on PostgreSQL), so no caller can change history, this module included.
 *
 * Rows are numbered by `seq`, which the store generates and which only grows; lists page by it,
 * newest first. On PostgreSQL units that append at once take their seqs in the order they
 * insert, and may commit in another order, so a reader that wants "everything after seq N" must
 * allow for a lower seq appearing late (the SQLite watcher of other processes' commits does not
 * need to: SQLite runs one unit at a time). Methods take the root store (reads outside a unit)
 * or a unit's transaction; rows never leave this module.
 */
import { type Insertable, type Selectable, type SelectQueryBuilder, sql } from "kysely";
import type { AuditOutcome } from "../../admins/audit-log.js";
import type { SqlDialect } from "../dialect.js";
import { prepared } from "../prepared.js";
import { AuditTargetNames } from "../read-models/audit-target-names.js";
import type { StoreSchema } from "../schema.js";
import type { Queryable } from "../store.js";

export interface NewAuditRecord {
  atMs: number;
  actorId: string | null;
  actorEmail: string | null;
  credentialId: string | null;
  action: string;
  target: string | null;
  params: Record<string, unknown>;
  outcome: AuditOutcome;
  errorCode: string | null;
  sourceAddress: string | null;
}

export interface AuditRecord extends NewAuditRecord {
  seq: number;
}

/** Every condition is optional; those given must all hold. */
export interface AuditRecordFilter {
  actorId?: string;
  /** The actor's email (or the email a failed sign-in tried), in any case. */
  actorEmail?: string;
  action?: string;
  /** Actions beginning with this text, compared exactly (`admin.`). */
  actionPrefix?: string;
  target?: string;
  /** Substrings in any case; LIKE's wildcards in them are literal. */
  actorEmailContains?: string;
  actionContains?: string;
  /** Part of the target's id, or of the name of what it names (see AuditTargetNames). */
  targetContains?: string;
  outcome?: AuditOutcome;
  /** `at` at or after this. */
  sinceMs?: number;
  /** `at` before this. */
  untilMs?: number;
}

type AuditRow = Selectable<StoreSchema["audit_log"]>;

function auditRecord(row: AuditRow): AuditRecord {
  return {
    seq: row.seq,
    atMs: row.at,
    actorId: row.actor_id,
    actorEmail: row.actor_email,
    credentialId: row.credential_id,
    action: row.action,
    target: row.target,
    params: JSON.parse(row.params_json) as Record<string, unknown>,
    outcome: row.outcome,
    errorCode: row.error_code,
    sourceAddress: row.source_address,
  };
}

const AUDIT_INSERT_COLUMNS = [
  "at",
  "actor_id",
  "actor_email",
  "credential_id",
  "action",
  "target",
  "params_json",
  "outcome",
  "error_code",
  "source_address",
] as const;

type AuditSelect = SelectQueryBuilder<StoreSchema, "audit_log", AuditRow>;

export class AuditRepository {
  private readonly targetNames: AuditTargetNames;

  constructor(readonly dialect: SqlDialect) {
    this.targetNames = new AuditTargetNames(dialect);
  }

  /** One row per audited request: built once (see prepared.ts). */
  private readonly insert = prepared<Insertable<StoreSchema["audit_log"]>, AuditRow>(
    AUDIT_INSERT_COLUMNS,
    (q, p) => q.insertInto("audit_log").values(p).returningAll(),
  );

  /** Inserts one row; the row as stored, with its seq. */
  async append(q: Queryable, entry: NewAuditRecord): Promise<AuditRecord> {
    const [row] = await this.insert.rows(q, {
      at: entry.atMs,
      actor_id: entry.actorId,
      actor_email: entry.actorEmail,
      credential_id: entry.credentialId,
      action: entry.action,
      target: entry.target,
      params_json: JSON.stringify(entry.params),
      outcome: entry.outcome,
      error_code: entry.errorCode,
      source_address: entry.sourceAddress,
    });
    if (!row) throw new Error("the audit row was not stored");
    return auditRecord(row);
  }

  /** The rows matching `filter`, newest first, below seq `beforeSeq` when given. */
  async list(
    q: Queryable,
    filter: AuditRecordFilter,
    page: { limit: number; beforeSeq: number | null },
  ): Promise<AuditRecord[]> {
    let select: AuditSelect = this.matching(q.selectFrom("audit_log").selectAll(), filter);
    if (page.beforeSeq !== null) select = select.where("seq", "<", page.beforeSeq);
    const rows = await select.orderBy("seq", "desc").limit(page.limit).execute();
    return rows.map(auditRecord);
  }

  /** Rows above seq `afterSeq`, oldest first. */
  async after(q: Queryable, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const rows = await q
      .selectFrom("audit_log")
      .selectAll()
      .where("seq", ">", afterSeq)
      .orderBy("seq")
      .limit(limit)
      .execute();
    return rows.map(auditRecord);
  }

  /** The seq of the newest row; 0 when the log is empty. */
  async latestSeq(q: Queryable): Promise<number> {
    const row = await q
      .selectFrom("audit_log")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .executeTakeFirst();
    return row?.seq ?? 0;
  }

  private matching(select: AuditSelect, filter: AuditRecordFilter): AuditSelect {
    const d = this.dialect;
    let s = select;
    if (filter.actorId !== undefined) s = s.where("actor_id", "=", filter.actorId);
    if (filter.actorEmail !== undefined) {
      // lower() on both sides: SQLite and PostgreSQL agree on it (ASCII letters at least).
      s = s.where(sql`lower(actor_email)`, "=", sql`lower(${filter.actorEmail})`);
    }
    if (filter.action !== undefined) s = s.where("action", "=", filter.action);
    if (filter.actionPrefix !== undefined) {
      // Not LIKE: its case rules differ between the stores, and a prefix match needs none.
      const prefix = filter.actionPrefix;
      s = s.where(sql`substr(action, 1, ${sql.lit(prefix.length)})`, "=", prefix);
    }
    if (filter.target !== undefined) s = s.where("target", "=", filter.target);
    if (filter.actorEmailContains !== undefined) {
      s = s.where(d.containsInsensitive("actor_email", filter.actorEmailContains));
    }
    if (filter.actionContains !== undefined)
      s = s.where(d.containsInsensitive("action", filter.actionContains));
    if (filter.targetContains !== undefined) {
      const needle = filter.targetContains;
      s = s.where((eb) =>
        eb.or([d.containsInsensitive("target", needle), this.targetNames.targetNameContains(eb, needle)]),
      );
    }
    if (filter.outcome !== undefined) s = s.where("outcome", "=", filter.outcome);
    if (filter.sinceMs !== undefined) s = s.where("at", ">=", filter.sinceMs);
    if (filter.untilMs !== undefined) s = s.where("at", "<", filter.untilMs);
    return s;
  }
}
