/**
 * Commits that other processes make to the store take effect in the running server: open event
 * streams re-check their credential (`access.changed`), so a password reset by `npm run admin`
 * closes the admin's streams, and audit rows appended elsewhere go out as `audit.appended` like
 * the server's own.
 *
 * How a store notices such commits is its own: SQLite by polling the file's `PRAGMA
 * data_version` (`server/store/sqlite/external-commits.ts`); PostgreSQL, where several servers
 * share one database, by polling the audit log's newest seq (`server/store/postgres/external-commits.ts`).
 */
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import type { Logger } from "../logger.js";

export interface ExternalChanges {
  start(): Promise<void>;
  /** Ends the watch; resolves once a look still running has finished. */
  stop(): Promise<void>;
}

/** The audit log as a watcher needs it: the newest seq, and the announcement of later rows. */
export interface AuditAnnouncer {
  latestSeq(): Promise<number>;
  /**
   * Announces the rows above `afterSeq` whose ids are not in `announced`, oldest first; the
   * highest seq it read.
   */
  announceSince(afterSeq: number, announced: ReadonlySet<string>): Promise<number>;
}

/** What every watcher needs: the bus to tell, the audit log to read, where to log a failed look. */
export interface AuditWatcherDeps {
  events: EventBus<ServerEvents>;
  audit: AuditAnnouncer;
  logger: Logger;
  /** How often to look, ms. */
  pollIntervalMs: number;
}

/**
 * The part of a watcher both stores share: it looks on a timer (a look still running takes the
 * place of the next), remembers which audit rows the bus has carried already (this server's
 * own), and announces the others. How a look finds that something changed is the store's.
 */
export abstract class AuditWatcher implements ExternalChanges {
  private timer: NodeJS.Timeout | null = null;
  private stopListening: (() => void) | null = null;
  private looking: Promise<void> | null = null;
  /** Every audit row up to this seq has been announced. */
  protected announcedThroughSeq = 0;
  /** Ids of rows above {@link announcedThroughSeq} that the bus has carried. */
  protected readonly announcedAbove = new Set<string>();

  constructor(protected readonly watched: AuditWatcherDeps) {}

  async start(): Promise<void> {
    this.stopListening = this.watched.events.on("audit.appended", ({ item }) => {
      if (Number(item.id) > this.announcedThroughSeq) this.announcedAbove.add(item.id);
    });
    await this.beforeFirstLook();
    this.announcedThroughSeq = await this.watched.audit.latestSeq();
    this.timer = setInterval(() => {
      // A look still running takes the place of this one.
      if (this.looking) return;
      this.look().catch((err: unknown) =>
        this.watched.logger.error({ err }, "checking for other processes' commits failed"),
      );
    }, this.watched.pollIntervalMs);
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

  /** Runs once at start, before the newest audit seq is read. */
  protected async beforeFirstLook(): Promise<void> {}

  protected abstract lookOnce(): Promise<void>;

  /**
   * Announces the audit rows above the last seq handled that the bus has not carried; returns
   * how many rows it passed and how many of them were this server's own.
   */
  protected async announceNewRows(): Promise<{ rows: number; own: number }> {
    const from = this.announcedThroughSeq;
    const through = await this.watched.audit.announceSince(from, this.announcedAbove);
    let own = 0;
    for (const id of this.announcedAbove) {
      if (Number(id) > through) continue;
      own++;
      this.announcedAbove.delete(id);
    }
    this.announcedThroughSeq = through;
    return { rows: through - from, own };
  }
}
