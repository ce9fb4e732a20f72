/**
 * Commits that other processes make to the store take effect in the running server: open event
 * streams re-check their credential (`access.changed`), so a password reset by `npm run admin`
 * closes the admin's streams, and audit rows appended elsewhere go out as `audit.appended` like
 * the server's own.
 *
 * How a store notices such commits is its own: SQLite by polling the file's `PRAGMA
 * data_version` (`server/store/sqlite/external-commits.ts`); PostgreSQL, where several servers
 * share one database, would listen for a notification (LISTEN/NOTIFY) instead.
 */

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
