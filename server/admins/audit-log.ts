/**
 * The audit log: one row per admin action (who, what, on what, with which parameters, how it
 * ended, from where, when). Append-only: this module only inserts, no route edits or deletes,
 * and triggers in the schema refuse UPDATE and DELETE on the table whoever asks. Each new row
 * is announced as `audit.appended` on the event bus.
 */
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import type { Database, SqlValue, WriteContext } from "../store/database.js";

/** Every action the log knows; the README lists them. */
export const AUDIT_ACTIONS = [
  "auth.login",
  "auth.login_throttled",
  "auth.logout",
  "auth.logout_all",
  "auth.password_change",
  "admin.bootstrap",
  "admin.create",
  "admin.update",
  "admin.password_set",
  "role.create",
  "role.update",
  "role.delete",
  "token.create",
  "token.revoke",
  "command.issue",
  "command.cancel",
  "batch.create",
  "batch.cancel",
  "device.remove",
  "device.revoke_credential",
  "settings.time.update",
  "settings.clock_drift.update",
  "enrollment_token.create",
  "enrollment_token.revoke",
  "enrollment.claim",
  "signing_key.rotate",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type AuditOutcome = "success" | "failure";

export interface AuditActor {
  id: string;
  email: string;
  /** The session or API token the action came with. */
  credentialId: string | null;
}

export interface AuditEntry {
  actor: AuditActor | null;
  action: AuditAction;
  /** The id of what was acted on (`dev_…`, `adm_…`, `settings/time`), when there is one. */
  target: string | null;
  /** What was asked, never a password or a token. */
  params: Record<string, unknown>;
  outcome: AuditOutcome;
  /** The error code of a failure. */
  errorCode?: string | null;
  sourceAddress: string | null;
}

export interface AuditItem {
  id: string;
  at: string;
  actor: { id: string; email: string } | null;
  credentialId: string | null;
  action: string;
  target: string | null;
  params: Record<string, unknown>;
  outcome: AuditOutcome;
  errorCode: string | null;
  sourceAddress: string | null;
}

export interface AuditFilter {
  /** An admin id, or an email (contains '@'). */
  actor?: string;
  /** An action, or a prefix ending in `.*` (`admin.*`). */
  action?: string;
  target?: string;
  outcome?: AuditOutcome;
  sinceMs?: number;
  untilMs?: number;
}

interface AuditRow {
  seq: number;
  at: number;
  actor_id: string | null;
  actor_email: string | null;
  credential_id: string | null;
  action: string;
  target: string | null;
  params_json: string;
  outcome: AuditOutcome;
  error_code: string | null;
  source_address: string | null;
}

function itemFromRow(row: AuditRow): AuditItem {
  return {
    id: String(row.seq),
    at: new Date(row.at).toISOString(),
    actor: row.actor_id ? { id: row.actor_id, email: row.actor_email ?? "" } : null,
    credentialId: row.credential_id,
    action: row.action,
    target: row.target,
    params: JSON.parse(row.params_json) as Record<string, unknown>,
    outcome: row.outcome,
    errorCode: row.error_code,
    sourceAddress: row.source_address,
  };
}

/** Rows read at a time by {@link AuditLog.announceSince}. */
const ANNOUNCE_PAGE_ROWS = 500;

export class AuditLog {
  constructor(
    private readonly db: Database,
    private readonly events: EventBus<ServerEvents>,
    private readonly clock: () => number,
  ) {}

  /** Appends inside a caller's transaction; call {@link announce} once it has committed. */
  async append(tx: WriteContext, entry: AuditEntry): Promise<AuditItem> {
    const row = await tx.get<AuditRow>(
      `INSERT INTO audit_log (at, actor_id, actor_email, credential_id, action, target, params_json, outcome,
                              error_code, source_address)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      [
        this.clock(),
        entry.actor?.id ?? null,
        entry.actor?.email ?? null,
        entry.actor?.credentialId ?? null,
        entry.action,
        entry.target,
        JSON.stringify(entry.params),
        entry.outcome,
        entry.errorCode ?? null,
        entry.sourceAddress,
      ],
    );
    return itemFromRow(row!);
  }

  announce(item: AuditItem): void {
    this.events.emit("audit.appended", { item });
  }

  /** The seq of the newest row; 0 when the log is empty. */
  async latestSeq(): Promise<number> {
    const row = await this.db.get<{ seq: number | null }>("SELECT max(seq) AS seq FROM audit_log");
    return row?.seq ?? 0;
  }

  /**
   * Announces the rows above `afterSeq`, oldest first, except those whose id is in
   * `announced` (the bus has carried them already): rows another process appended to the same
   * database file. Returns the highest seq seen, to pass as `afterSeq` next time.
   */
  async announceSince(afterSeq: number, announced: ReadonlySet<string>): Promise<number> {
    let through = afterSeq;
    for (;;) {
      const rows = await this.db.all<AuditRow>("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", [
        through,
        ANNOUNCE_PAGE_ROWS,
      ]);
      for (const row of rows) {
        const item = itemFromRow(row);
        if (!announced.has(item.id)) this.announce(item);
        through = row.seq;
      }
      if (rows.length < ANNOUNCE_PAGE_ROWS) return through;
    }
  }

  /** Appends one row in its own transaction and announces it. */
  async record(entry: AuditEntry): Promise<AuditItem> {
    const item = await this.db.write((tx) => this.append(tx, entry));
    this.announce(item);
    return item;
  }

  /** Newest first; the cursor is the id of the last row of the previous page. */
  async list(
    filter: AuditFilter,
    limit: number,
    cursor: string | null,
  ): Promise<{ items: AuditItem[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (cursor !== null) {
      if (!/^\d{1,15}$/.test(cursor)) {
        throw new MdmError("validation_failed", "cursor is not one this list returned", { field: "cursor" });
      }
      where.push("seq < ?");
      params.push(Number(cursor));
    }
    if (filter.actor) {
      where.push(filter.actor.includes("@") ? "actor_email = ? COLLATE NOCASE" : "actor_id = ?");
      params.push(filter.actor);
    }
    if (filter.action?.endsWith(".*")) {
      // A prefix match without LIKE's wildcards: actions are dotted names.
      where.push("substr(action, 1, ?) = ?");
      const prefix = filter.action.slice(0, -1);
      params.push(prefix.length, prefix);
    } else if (filter.action) {
      where.push("action = ?");
      params.push(filter.action);
    }
    if (filter.target) {
      where.push("target = ?");
      params.push(filter.target);
    }
    if (filter.outcome) {
      where.push("outcome = ?");
      params.push(filter.outcome);
    }
    if (filter.sinceMs !== undefined) {
      where.push("at >= ?");
      params.push(filter.sinceMs);
    }
    if (filter.untilMs !== undefined) {
      where.push("at < ?");
      params.push(filter.untilMs);
    }
    const rows = await this.db.all<AuditRow>(
      `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`,
      [...params, limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map(itemFromRow),
      nextCursor: rows.length > limit ? String(page.at(-1)!.seq) : null,
    };
  }
}
