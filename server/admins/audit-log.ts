/**
 * The audit log: one row per admin action (who, what, on what, with which parameters, how it
 * ended, from where, when). Append-only: the audit repository only inserts, no route edits or
 * deletes, and triggers in the schema refuse UPDATE and DELETE on the table whoever asks. Each
 * new row is announced as `audit.appended` on the event bus.
 */
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { pageFrom } from "../paging.js";
import {
  type AuditTargetNames,
  isNamedTargetKind,
  type TargetRef,
  targetKey,
} from "../store/read-models/audit-target-names.js";
import type {
  AuditRecord,
  AuditRecordFilter,
  AuditRepository,
} from "../store/repositories/audit-repository.js";
import type { Queryable, Store } from "../store/store.js";
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
  "device.labels.change",
  "group.create",
  "group.update",
  "group.delete",
  "site.create",
  "site.update",
  "site.delete",
  "site.assign",
  "schedule.create",
  "schedule.update",
  "schedule.pause",
  "schedule.resume",
  "schedule.delete",
  "rollout.create",
  "rollout.pause",
  "rollout.resume",
  "rollout.cancel",
  "rollout.approve",
  "rollout.retry",
  "rollout.abort",
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

/** An item without its target's name; {@link AuditLog.withTargetNames} adds it. */
function itemFromRecord(record: AuditRecord): AuditItem {
  return {
    id: String(record.seq),
    at: new Date(record.atMs).toISOString(),
    actor: record.actorId ? { id: record.actorId, email: record.actorEmail ?? "" } : null,
    actorEmail: record.actorEmail ?? failedSignInEmail(record),
    credentialId: record.credentialId,
    action: record.action,
    target: record.target,
    targetKind: targetKindOf(record.action, record.target),
    targetName: null,
    params: record.params,
    outcome: record.outcome,
    errorCode: record.errorCode,
    sourceAddress: record.sourceAddress,
  };
}

/** Failed sign-ins written before their email went into actor_email kept it in the parameters only. */
function failedSignInEmail(record: AuditRecord): string | null {
  const email = record.params.email;
  if (record.action !== "auth.login" || record.actorId !== null || typeof email !== "string") return null;
  return email;
}

/** The filter as the repository takes it: the actor told apart as an id or an email, a prefix from an action. */
function recordFilterOf(filter: AuditFilter): AuditRecordFilter {
  // An empty text filters nothing.
  const given = (text: string | undefined) => (text ? text : undefined);
  const actor = given(filter.actor);
  const action = given(filter.action);
  const isEmail = actor?.includes("@") ?? false;
  const isPrefix = action?.endsWith(".*") ?? false;
  return {
    actorId: isEmail ? undefined : actor,
    actorEmail: isEmail ? actor : undefined,
    action: isPrefix ? undefined : action,
    actionPrefix: isPrefix ? action!.slice(0, -1) : undefined,
    target: given(filter.target),
    actorEmailContains: given(filter.actorContains),
    actionContains: given(filter.actionContains),
    targetContains: given(filter.targetContains),
    outcome: filter.outcome,
    sinceMs: filter.sinceMs,
    untilMs: filter.untilMs,
  };
}

/** Rows read at a time by {@link AuditLog.announceSince}. */
const ANNOUNCE_PAGE_ROWS = 500;

export interface AuditLogDeps {
  store: Store;
  repository: AuditRepository;
  /** Reads the names of what rows name (devices, admins, …); it writes nothing. */
  targetNames: AuditTargetNames;
  events: EventBus<ServerEvents>;
  clock: () => number;
}

export class AuditLog {
  constructor(private readonly deps: AuditLogDeps) {}

  /**
   * Appends inside a caller's unit (`tx`, its transaction); call {@link announce} once it has
   * committed.
   */
  async append(tx: Queryable, entry: AuditEntry): Promise<AuditItem> {
    const [item] = await this.withTargetNames(tx, [itemFromRecord(await this.appendRow(tx, entry))]);
    return item!;
  }

  private appendRow(q: Queryable, entry: AuditEntry): Promise<AuditRecord> {
    return this.deps.repository.append(q, {
      atMs: this.deps.clock(),
      actorId: entry.actor?.id ?? null,
      actorEmail: entry.actor?.email ?? entry.attemptedEmail ?? null,
      credentialId: entry.actor?.credentialId ?? null,
      action: entry.action,
      target: entry.target,
      params: entry.params,
      outcome: entry.outcome,
      errorCode: entry.errorCode ?? null,
      sourceAddress: entry.sourceAddress,
    });
  }

  /** The items with their targets' names, looked up in one statement for all of them. */
  private async withTargetNames(q: Queryable, items: AuditItem[]): Promise<AuditItem[]> {
    const named: TargetRef[] = [];
    for (const item of items) {
      if (item.targetKind !== null && item.target !== null && isNamedTargetKind(item.targetKind)) {
        named.push({ kind: item.targetKind, id: item.target });
      }
    }
    const found = await this.deps.targetNames.namesOf(q, named);
    return items.map((item) => {
      if (item.targetKind === null || item.target === null) return item;
      const current =
        item.targetKind === "setting"
          ? settingName(item.target)
          : isNamedTargetKind(item.targetKind)
            ? (found.get(targetKey(item.targetKind, item.target)) ?? null)
            : null;
      return { ...item, targetName: current ?? recordedTargetName(item.targetKind, item.params) };
    });
  }

  announce(item: AuditItem): void {
    this.deps.events.emit("audit.appended", { item });
  }

  /** The seq of the newest row; 0 when the log is empty. */
  latestSeq(): Promise<number> {
    return this.deps.repository.latestSeq(this.deps.store.db);
  }

  /**
   * Announces the rows above `afterSeq`, oldest first, except those whose id is in
   * `announced` (the bus has carried them already): rows another process appended to the same
   * database. Returns the highest seq seen, to pass as `afterSeq` next time.
   */
  async announceSince(afterSeq: number, announced: ReadonlySet<string>): Promise<number> {
    const db = this.deps.store.db;
    let through = afterSeq;
    for (;;) {
      const records = await this.deps.repository.after(db, through, ANNOUNCE_PAGE_ROWS);
      const unannounced = records.map(itemFromRecord).filter((item) => !announced.has(item.id));
      for (const item of await this.withTargetNames(db, unannounced)) this.announce(item);
      if (records.length > 0) through = records.at(-1)!.seq;
      if (records.length < ANNOUNCE_PAGE_ROWS) return through;
    }
  }

  /** Appends one row as a write of its own and announces it. */
  async record(entry: AuditEntry): Promise<AuditItem> {
    const record = await this.deps.store.singleStatement((q) => this.appendRow(q, entry));
    const [item] = await this.withTargetNames(this.deps.store.db, [itemFromRecord(record)]);
    this.announce(item!);
    return item!;
  }

  /** Newest first; the cursor is the id of the last row of the previous page. */
  async list(
    filter: AuditFilter,
    limit: number,
    cursor: string | null,
  ): Promise<{ items: AuditItem[]; nextCursor: string | null }> {
    if (cursor !== null && !/^\d{1,15}$/.test(cursor)) {
      throw new MdmError("validation_failed", "cursor is not one this list returned", { field: "cursor" });
    }
    const db = this.deps.store.db;
    const records = await this.deps.repository.list(db, recordFilterOf(filter), {
      limit: limit + 1,
      beforeSeq: cursor === null ? null : Number(cursor),
    });
    const page = pageFrom(records, limit, (r) => String(r.seq), itemFromRecord);
    return { items: await this.withTargetNames(db, page.items), nextCursor: page.nextCursor };
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
