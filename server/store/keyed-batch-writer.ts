/**
 * Hot-path writes that can be applied as one set-based statement per tick: callers enqueue
 * `(key, value)`; values for the same key within a tick are merged (the latest wins unless a
 * merge function says otherwise); once per tick the owner's `apply` writes them all in one
 * transaction (e.g. `UPDATE … FROM json_each(?)`), `committed` sees what `apply` returned, and
 * every caller's promise settles.
 *
 * With one statement per tick instead of one per message, ingestion cost no longer grows with
 * the number of statements, only with the rows written. At most one batch per writer is in
 * flight: what arrives meanwhile waits for it and goes in the next one, so batches grow with
 * the load instead of queueing a transaction per tick behind a slow one.
 */
import type { Database, WriteContext } from "./database.js";
import type { Queryable, Store } from "./store.js";
import { isStoreUnavailable } from "./unavailable.js";

/** The first wait before writing a batch again while the store is unreachable, and the longest. */
const FIRST_RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 5_000;

type Waiter = { resolve: () => void; reject: (err: unknown) => void };

/** Where a batch is written: one transaction per batch, and a way to wait for them all. */
export interface BatchUnits<Tx> {
  unit<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  drain(): Promise<void>;
}

function unitsOf<Tx>(target: Database | BatchUnits<Tx>): BatchUnits<Tx> {
  if ("unit" in target) return target;
  return {
    unit: (work) => target.write((tx) => work(tx as Tx)),
    drain: () => target.drainWrites(),
  };
}

/** Units for an `apply` that writes with one statement (see {@link Store.singleStatement}). */
export function singleStatementUnits(store: Store): BatchUnits<Queryable> {
  return { unit: (work) => store.singleStatement(work), drain: () => store.drain() };
}

export interface KeyedBatchWriterOptions<K, V, R, Tx = WriteContext> {
  apply: (tx: Tx, batch: ReadonlyMap<K, V>) => Promise<R>;
  /** Runs after the commit, before callers' promises resolve. A throw is the callers' error. */
  committed?: (result: R) => void | Promise<void>;
  merge?: (previous: V, next: V) => V;
}

export class KeyedBatchWriter<K, V, R = void, Tx = WriteContext> {
  private pending = new Map<K, V>();
  private waiters: Waiter[] = [];
  private scheduled = false;
  private inFlight = false;
  /** The wait before the next try while the store is unreachable; 0 when it is not. */
  private retryDelayMs = 0;
  private lastError: unknown = null;
  /** Set by a drain that gave up on an outage: from then on failures are not retried. */
  private givingUp = false;
  private readonly units: BatchUnits<Tx>;

  /** `target`: the store's units (a Store), or the SQLite connection's write units. */
  constructor(
    target: Database | BatchUnits<Tx>,
    private readonly options: KeyedBatchWriterOptions<K, V, R, Tx>,
  ) {
    this.units = unitsOf(target);
  }

  /** The value waiting for `key` in this tick, if any. */
  pendingValue(key: K): V | undefined {
    return this.pending.get(key);
  }

  enqueue(key: K, value: V): Promise<void> {
    const previous = this.pending.get(key);
    const merge = this.options.merge;
    this.pending.set(key, previous !== undefined && merge ? merge(previous, value) : value);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    const waiters = this.waiters;
    this.pending = new Map();
    this.waiters = [];
    if (batch.size === 0) return;
    this.inFlight = true;
    let retryInMs: number | null = null;
    try {
      const result = await this.units.unit((tx) => this.options.apply(tx, batch));
      this.retryDelayMs = 0;
      await this.options.committed?.(result);
      for (const w of waiters) w.resolve();
    } catch (err) {
      if (isStoreUnavailable(err) && !this.givingUp) {
        retryInMs = this.putBack(batch, waiters);
        this.lastError = err;
      } else {
        for (const w of waiters) w.reject(err);
      }
    } finally {
      this.inFlight = false;
      if (retryInMs !== null) {
        this.scheduled = true;
        setTimeout(() => void this.flush(), retryInMs).unref();
      } else if (this.pending.size > 0) {
        this.schedule();
      }
    }
  }

  /**
   * A batch the store could not take (it is unreachable) goes back in front of what arrived
   * meanwhile, which wins over it (or is merged with it), and its callers keep waiting: the
   * writes are conditional and forward-only, so writing them late is right. Returns the wait
   * before the next try, doubling up to {@link MAX_RETRY_DELAY_MS}.
   */
  private putBack(batch: ReadonlyMap<K, V>, waiters: Waiter[]): number {
    const merge = this.options.merge;
    for (const [key, value] of batch) {
      const newer = this.pending.get(key);
      this.pending.set(key, newer === undefined ? value : merge ? merge(value, newer) : newer);
    }
    this.waiters = [...waiters, ...this.waiters];
    this.retryDelayMs = Math.min(MAX_RETRY_DELAY_MS, Math.max(FIRST_RETRY_DELAY_MS, this.retryDelayMs * 2));
    return this.retryDelayMs;
  }

  /**
   * Resolves when everything enqueued so far has been written (or failed). While the store is
   * unreachable, it waits at most `outageGraceMs` (a server stopping must not hang on it), then
   * fails what is still waiting with the store's error.
   */
  async drain(outageGraceMs = 2_000): Promise<void> {
    let outageSince: number | null = null;
    while (this.scheduled || this.inFlight || this.pending.size > 0) {
      if (this.retryDelayMs > 0) {
        outageSince ??= Date.now();
        if (Date.now() - outageSince >= outageGraceMs) {
          this.abandon();
          break;
        }
      }
      await new Promise((r) => setTimeout(r, this.retryDelayMs > 0 ? 20 : 0));
    }
    await this.units.drain();
  }

  /** Fails every waiting caller with the store's last error and forgets their values. */
  private abandon(): void {
    const waiters = this.waiters;
    this.waiters = [];
    this.pending = new Map();
    this.givingUp = true;
    for (const w of waiters) w.reject(this.lastError ?? new Error("the store is unreachable"));
  }
}
