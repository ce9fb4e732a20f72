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
import type { AuditAnnouncer, ExternalChanges } from "../external-changes.js";

export const EXTERNAL_AUDIT_POLL_MS = 500;

export interface PostgresExternalCommitsDeps {
  events: EventBus<ServerEvents>;
  audit: AuditAnnouncer;
  logger: Logger;
  pollIntervalMs?: number;
}

export class PostgresExternalCommits implements ExternalChanges {
  private timer: NodeJS.Timeout | null = null;
  private stopListening: (() => void) | null = null;
  private looking: Promise<void> | null = null;
  private announcedThroughSeq = 0;
  private readonly announcedAbove = new Set<string>();

  constructor(private readonly deps: PostgresExternalCommitsDeps) {}

  async start(): Promise<void> {
    this.stopListening = this.deps.events.on("audit.appended", ({ item }) => {
      if (Number(item.id) > this.announcedThroughSeq) this.announcedAbove.add(item.id);
    });
    this.announcedThroughSeq = await this.deps.audit.latestSeq();
    this.timer = setInterval(() => {
      if (this.looking) return;
      this.look().catch((err: unknown) =>
        this.deps.logger.error({ err }, "checking for other processes' audit rows failed"),
      );
    }, this.deps.pollIntervalMs ?? EXTERNAL_AUDIT_POLL_MS);
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
    const latest = await this.deps.audit.latestSeq();
    if (latest <= this.announcedThroughSeq) return;
    const from = this.announcedThroughSeq;
    const own = [...this.announcedAbove].filter((id) => Number(id) <= latest).length;
    const through = await this.deps.audit.announceSince(from, this.announcedAbove);
    for (const id of this.announcedAbove) {
      if (Number(id) <= through) this.announcedAbove.delete(id);
    }
    this.announcedThroughSeq = through;
    if (through - from > own)
      this.deps.events.emit("access.changed", { reason: "changed by another process" });
  }
}
