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
import { type AuditTargetKind, recordedTargetName, settingName, targetKindOf } from "./audit-targets.js";

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
  "batch.retry",
  "device.remove",
  "device.revoke_credential",
  "device.config_resend",
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
  /**
   * For an attempt nobody was signed in for (a failed sign-in): the email it named, kept as the
   * actor's email with no actor id, since it proves nothing about who sent it.
   */
  attemptedEmail?: string | null;
}

export interface AuditItem {
  id: string;
  at: string;
  actor: { id: string; email: string } | null;
  /** The signed-in actor's email, or the email a failed sign-in tried (then `actor` is null). */
  actorEmail: string | null;
  credentialId: string | null;
  action: string;
  target: string | null;
  /** What the target is (from the action); null without a target. */
  targetKind: AuditTargetKind | null;
  /**
   * The target's name now (a device's or a role's name, an admin's email, a fleet command's
   * type and size), or the one its action recorded when the row is gone; null when unknown.
   */
  targetName: string | null;
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
  /** Part of the actor's email (or of the email a failed sign-in tried), any case. */
  actorContains?: string;
  /** Part of the action's name (`login`, `command.`), any case. */
  actionContains?: string;
  /** Part of the target's id, or of its name (device, admin name or email, role, token), any case. */
  targetContains?: string;
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

/** An item without its target's name; {@link AuditLog.withTargetNames} adds it. */
function itemFromRow(row: AuditRow): AuditItem {
  const params = JSON.parse(row.params_json) as Record<string, unknown>;
  return {
    id: String(row.seq),
    at: new Date(row.at).toISOString(),
    actor: row.actor_id ? { id: row.actor_id, email: row.actor_email ?? "" } : null,
    actorEmail: row.actor_email ?? failedSignInEmail(row, params),
    credentialId: row.credential_id,
    action: row.action,
    target: row.target,
    targetKind: targetKindOf(row.action, row.target),
    targetName: null,
    params,
    outcome: row.outcome,
    errorCode: row.error_code,
    sourceAddress: row.source_address,
  };
}

/** Failed sign-ins written before their email went into actor_email kept it in the parameters only. */
function failedSignInEmail(row: AuditRow, params: Record<string, unknown>): string | null {
  if (row.action !== "auth.login" || row.actor_id !== null || typeof params.email !== "string") return null;
  return params.email;
}

/**
 * One SELECT per kind of target a page holds, joined into one statement: each names its rows
 * `(kind, id, name)`. The kinds come from this table, never from input.
 */
const TARGET_NAME_SELECTS: Partial<Record<AuditTargetKind, (placeholders: string) => string>> = {
  device: (ids) => `SELECT 'device' AS kind, id, name FROM devices WHERE id IN (${ids})`,
  command: (ids) =>
    `SELECT 'command' AS kind, c.id, c.type || ' on ' || d.name AS name
       FROM commands c JOIN devices d ON d.id = c.device_id WHERE c.id IN (${ids})`,
  batch: (ids) =>
    `SELECT 'batch' AS kind, id,
            type || ' to ' || total || CASE WHEN total = 1 THEN ' device' ELSE ' devices' END AS name
       FROM batches WHERE id IN (${ids})`,
  admin: (ids) => `SELECT 'admin' AS kind, id, email AS name FROM admins WHERE id IN (${ids})`,
  role: (ids) => `SELECT 'role' AS kind, id, name FROM roles WHERE id IN (${ids})`,
  api_token: (ids) => `SELECT 'api_token' AS kind, id, name FROM admin_tokens WHERE id IN (${ids})`,
  enrollment_token: (ids) =>
    `SELECT 'enrollment_token' AS kind, id, NULLIF(name, '') AS name FROM enrollment_tokens WHERE id IN (${ids})`,
};

/**
 * `%text%` for LIKE, with LIKE's own wildcards in `text` escaped (`ESCAPE '\'`), lower-cased
 * for a comparison with a lower-cased column: the same on every SQL engine.
 */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
const LIKE = "LIKE ? ESCAPE '\\'";

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
        entry.actor?.email ?? entry.attemptedEmail ?? null,
        entry.actor?.credentialId ?? null,
        entry.action,
        entry.target,
        JSON.stringify(entry.params),
        entry.outcome,
        entry.errorCode ?? null,
        entry.sourceAddress,
      ],
    );
    const [item] = await this.withTargetNames(tx, [itemFromRow(row!)]);
    return item!;
  }

  /** The items with their targets' names, looked up in one statement for all of them. */
  private async withTargetNames(db: WriteContext, items: AuditItem[]): Promise<AuditItem[]> {
    const idsByKind = new Map<AuditTargetKind, Set<string>>();
    for (const item of items) {
      if (item.targetKind === null || item.target === null) continue;
      if (!TARGET_NAME_SELECTS[item.targetKind]) continue;
      const ids = idsByKind.get(item.targetKind) ?? new Set<string>();
      ids.add(item.target);
      idsByKind.set(item.targetKind, ids);
    }
    const selects: string[] = [];
    const params: SqlValue[] = [];
    for (const [kind, ids] of idsByKind) {
      selects.push(TARGET_NAME_SELECTS[kind]!([...ids].map(() => "?").join(", ")));
      params.push(...ids);
    }
    const found = new Map<string, string | null>();
    if (selects.length > 0) {
      const rows = await db.all<{ kind: string; id: string; name: string | null }>(
        selects.join(" UNION ALL "),
        params,
      );
      for (const row of rows) found.set(`${row.kind}:${row.id}`, row.name);
    }
    return items.map((item) => {
      if (item.targetKind === null || item.target === null) return item;
      const current =
        item.targetKind === "setting"
          ? settingName(item.target)
          : (found.get(`${item.targetKind}:${item.target}`) ?? null);
      return { ...item, targetName: current ?? recordedTargetName(item.targetKind, item.params) };
    });
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
      const unannounced = rows.map(itemFromRow).filter((item) => !announced.has(item.id));
      for (const item of await this.withTargetNames(this.db, unannounced)) this.announce(item);
      if (rows.length > 0) through = rows.at(-1)!.seq;
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
    if (filter.actorContains) {
      where.push(`lower(coalesce(actor_email, '')) ${LIKE}`);
      params.push(containsPattern(filter.actorContains));
    }
    if (filter.actionContains) {
      where.push(`lower(action) ${LIKE}`);
      params.push(containsPattern(filter.actionContains));
    }
    if (filter.targetContains) {
      // The target's id, or the name of the device, admin, role or token it names.
      const pattern = containsPattern(filter.targetContains);
      where.push(
        `(lower(target) ${LIKE}
          OR target IN (SELECT id FROM devices WHERE lower(name) ${LIKE})
          OR target IN (SELECT id FROM admins WHERE lower(email) ${LIKE} OR lower(name) ${LIKE})
          OR target IN (SELECT id FROM roles WHERE lower(name) ${LIKE})
          OR target IN (SELECT id FROM admin_tokens WHERE lower(name) ${LIKE})
          OR target IN (SELECT id FROM enrollment_tokens WHERE lower(name) ${LIKE}))`,
      );
      params.push(pattern, pattern, pattern, pattern, pattern, pattern, pattern);
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
      items: await this.withTargetNames(this.db, page.map(itemFromRow)),
      nextCursor: rows.length > limit ? String(page.at(-1)!.seq) : null,
    };
  }

  /** Every row matching `filter`, newest first, a page of `pageSize` at a time (for exports). */
  async *pagesMatching(filter: AuditFilter, pageSize: number): AsyncGenerator<AuditItem[]> {
    let cursor: string | null = null;
    do {
      const page = await this.list(filter, pageSize, cursor);
      if (page.items.length > 0) yield page.items;
      cursor = page.nextCursor;
    } while (cursor !== null);
  }
}
