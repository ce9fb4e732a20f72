/**
 * The PostgreSQL store's {@link ExternalChanges}: audit rows that other processes append (the
 * admin CLI, or other servers on the same database) go out as `audit.appended`, and since every
 * change to access is audited, such a row also makes open event streams re-check their
 * credential (`access.changed`).
 *
 * It polls the audit log's newest seq, one indexed read. Rows the bus has carried already (this
 * server's own) are skipped. A seq can be skipped for good by a rolled-back unit, so a gap is
 * taken for a foreign row: at worst the streams re-check once more than needed.
 */
import type { EventBus } from "../../events/event-bus.js";
import type { ServerEvents } from "../../events/server-events.js";
import type { Logger } from "../../logger.js";
import { type AuditAnnouncer, AuditWatcher } from "../external-changes.js";

export const EXTERNAL_AUDIT_POLL_MS = 500;

export interface PostgresExternalCommitsDeps {
  events: EventBus<ServerEvents>;
  audit: AuditAnnouncer;
  logger: Logger;
  pollIntervalMs?: number;
}

export class PostgresExternalCommits extends AuditWatcher {
  constructor(deps: PostgresExternalCommitsDeps) {
    super({ ...deps, pollIntervalMs: deps.pollIntervalMs ?? EXTERNAL_AUDIT_POLL_MS });
  }

  protected async lookOnce(): Promise<void> {
    if ((await this.watched.audit.latestSeq()) <= this.announcedThroughSeq) return;
    const { rows, own } = await this.announceNewRows();
    if (rows > own) this.watched.events.emit("access.changed", { reason: "changed by another process" });
  }
}
