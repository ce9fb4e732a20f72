/**
 * Coalesces hot-path writes (state reports, command results, online flags) into one
 * transaction per tick instead of one per message. Callers get a promise that settles when
 * their write has committed.
 */
import type { Database, WriteContext } from "./database.js";

type PendingWrite = {
  apply: (tx: WriteContext) => Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
};

export class WriteBatcher {
  private pending: PendingWrite[] = [];
  private flushScheduled = false;

  constructor(
    private readonly db: Database,
    /** Upper bound of writes in one transaction, so one tick cannot hold the writer too long. */
    private readonly maxBatchSize = 5000,
  ) {}

  enqueue(apply: (tx: WriteContext) => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ apply, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.pending.splice(0, this.maxBatchSize);
    if (this.pending.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => void this.flush());
    }
    if (batch.length === 0) return;
    try {
      // The common case: every write succeeds, in one transaction.
      await this.db.write(async (tx) => {
        for (const write of batch) await write.apply(tx);
      });
      for (const write of batch) write.resolve();
    } catch {
      // One write failed and rolled the batch back: redo each on its own, so one bad write
      // (a constraint, a bug) costs only itself.
      for (const write of batch) {
        await this.db.write((tx) => write.apply(tx)).then(write.resolve, write.reject);
      }
    }
  }

  /** Resolves when everything enqueued so far has committed (or failed). */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.flushScheduled) {
      await new Promise((r) => setImmediate(r));
    }
    await this.db.drainWrites();
  }
}
