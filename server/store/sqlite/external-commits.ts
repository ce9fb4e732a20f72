/**
 * The SQLite store's {@link ExternalChanges}: commits that other processes make to the server's
 * database file (`npm run admin` opens it directly) take effect in the running server.
 *
 * It polls SQLite's `PRAGMA data_version` on the server's own connection. The value changes
 * only when another connection has changed the file (a commit, or a checkpoint: one look more)
 * (https://sqlite.org/pragma.html#pragma_data_version), so the server's own writes never
 * trigger it, and a look costs one read of a counter. Like every read outside a write unit, a
 * look waits while a unit is open; it never holds one up.
 *
 * Audit rows above the last seq handled are announced unless the bus carried them already. The
 * server's own writers announce a row as soon as its unit has committed, with no I/O in
 * between (see AuditLog.record), and a look's read of that row answers later, so by then the
 * row has been heard.
 */
import { sql } from "kysely";
import type { EventBus } from "../../events/event-bus.js";
import type { ServerEvents } from "../../events/server-events.js";
import type { Logger } from "../../logger.js";
import { type AuditAnnouncer, AuditWatcher } from "../external-changes.js";
import type { SqliteStore } from "./sqlite-store.js";

export const EXTERNAL_COMMIT_POLL_MS = 500;
/**
 * Ids of the server's own rows are kept until a look passes them; without commits from
 * elsewhere a look passes them once this many have gathered.
 */
const MAX_REMEMBERED_OWN_ROWS = 1000;

export interface ExternalCommitsDeps {
  store: SqliteStore;
  events: EventBus<ServerEvents>;
  /** The audit log, whose reads go through its repository. */
  audit: AuditAnnouncer;
  logger: Logger;
  /** Default {@link EXTERNAL_COMMIT_POLL_MS}. */
  pollIntervalMs?: number;
}

export class ExternalCommits extends AuditWatcher {
  private dataVersion = 0;

  constructor(private readonly deps: ExternalCommitsDeps) {
    super({ ...deps, pollIntervalMs: deps.pollIntervalMs ?? EXTERNAL_COMMIT_POLL_MS });
  }

  // The version first: a commit from elsewhere between it and the newest audit seq changes it,
  // and the first look then announces that commit's rows.
  protected override async beforeFirstLook(): Promise<void> {
    this.dataVersion = await this.readDataVersion();
  }

  protected async lookOnce(): Promise<void> {
    const version = await this.readDataVersion();
    const changed = version !== this.dataVersion;
    if (changed) this.watched.events.emit("access.changed", { reason: "changed by another process" });
    if (changed || this.announcedAbove.size >= MAX_REMEMBERED_OWN_ROWS) await this.announceNewRows();
    // Only once its rows are out: a look that failed halfway is repeated.
    this.dataVersion = version;
  }

  private async readDataVersion(): Promise<number> {
    const result = await sql<{ data_version: number }>`PRAGMA data_version`.execute(this.deps.store.db);
    return result.rows[0]?.data_version ?? 0;
  }
}
