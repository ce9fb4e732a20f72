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
import type { AuditAnnouncer, ExternalChanges } from "../external-changes.js";
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

export class ExternalCommits implements ExternalChanges {
  private timer: NodeJS.Timeout | null = null;
  private stopListening: (() => void) | null = null;
  private looking: Promise<void> | null = null;
  private dataVersion = 0;
  /** Every audit row up to this seq has been announced. */
  private announcedThroughSeq = 0;
  /** Ids of rows above {@link announcedThroughSeq} that the bus has carried. */
  private readonly announcedAbove = new Set<string>();

  constructor(private readonly deps: ExternalCommitsDeps) {}

  async start(): Promise<void> {
    this.stopListening = this.deps.events.on("audit.appended", ({ item }) => {
      if (Number(item.id) > this.announcedThroughSeq) this.announcedAbove.add(item.id);
    });
    // The version first: a commit from elsewhere between the two reads changes it, and the
    // first look then announces that commit's rows.
    this.dataVersion = await this.readDataVersion();
    this.announcedThroughSeq = await this.deps.audit.latestSeq();
    this.timer = setInterval(() => {
      // A look still running takes the place of this one.
      if (this.looking) return;
      this.look().catch((err: unknown) =>
        this.deps.logger.error({ err }, "checking for other processes' commits failed"),
      );
    }, this.deps.pollIntervalMs ?? EXTERNAL_COMMIT_POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopListening?.();
    this.stopListening = null;
    await this.looking?.catch(() => undefined);
  }

  /** Looks now, once any look still running has finished; the timer calls it too. */
  async look(): Promise<void> {
    while (this.looking) await this.looking.catch(() => undefined);
    const looking = this.lookOnce().finally(() => {
      this.looking = null;
    });
    this.looking = looking;
    await looking;
  }

  private async lookOnce(): Promise<void> {
    const version = await this.readDataVersion();
    const changed = version !== this.dataVersion;
    if (changed) this.deps.events.emit("access.changed", { reason: "changed by another process" });
    if (changed || this.announcedAbove.size >= MAX_REMEMBERED_OWN_ROWS) {
      this.announcedThroughSeq = await this.deps.audit.announceSince(
        this.announcedThroughSeq,
        this.announcedAbove,
      );
      for (const id of this.announcedAbove) {
        if (Number(id) <= this.announcedThroughSeq) this.announcedAbove.delete(id);
      }
    }
    // Only once its rows are out: a look that failed halfway is repeated.
    this.dataVersion = version;
  }

  private async readDataVersion(): Promise<number> {
    const result = await sql<{ data_version: number }>`PRAGMA data_version`.execute(this.deps.store.db);
    return result.rows[0]?.data_version ?? 0;
  }
}
