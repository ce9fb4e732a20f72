/**
 * Units that really run at the same time, for the store contract tests. On PostgreSQL units run
 * side by side on pooled connections, so these helpers make them overlap on purpose: all open at
 * once before any writes, or one holding its writes while another waits for its locks. On SQLite
 * units run one at a time, and the same calls simply run them in order.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql, type Transaction } from "kysely";
import { openPostgresStore } from "../../server/store/postgres/postgres-store.js";
import type { StoreSchema } from "../../server/store/schema.js";
import { openSqliteStore } from "../../server/store/sqlite/sqlite-store.js";
import type { Store, StoreDialect } from "../../server/store/store.js";
import { newPostgresDatabase, type TestStore } from "./stores.js";

/** How long a helper waits for the other unit to reach its lock before the test fails. */
const LOCK_WAIT_DEADLINE_MS = 10_000;

/**
 * A fresh store whose PostgreSQL pool holds at least `connections` (the shared helper's pool is
 * smaller than the number of units some tests hold open at once).
 */
export async function openStoreWithPool(dialect: StoreDialect, connections: number): Promise<TestStore> {
  if (dialect === "sqlite") {
    const dir = await mkdtemp(join(tmpdir(), "pmdm-store-"));
    const store = await openSqliteStore(join(dir, "test.sqlite"));
    return {
      store,
      async cleanup() {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const database = await newPostgresDatabase();
  const store = await openPostgresStore({ url: database.url, poolSize: connections });
  return {
    store,
    async cleanup() {
      await store.close();
      await database.drop();
    },
  };
}

/**
 * Resolves once a statement of another connection of this database waits for a lock
 * (PostgreSQL); at once on SQLite, where the next unit cannot begin before the open one ends.
 */
export async function someoneWaitsForALock(store: Store): Promise<void> {
  if (store.dialect === "sqlite") return;
  const deadline = Date.now() + LOCK_WAIT_DEADLINE_MS;
  for (;;) {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(store.db);
    if ((rows[0]?.n ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error("no other unit waited for a lock");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

type Work<T> = (tx: Transaction<StoreSchema>) => Promise<T>;

/**
 * Runs `first` in a unit and, once it has written, `second` in another; on PostgreSQL the first
 * commits only after the second waits for one of its locks, so the second decides on what the
 * first wrote, not on what it read before. Both results, in that order.
 */
export async function secondWaitsForFirst<A, B>(
  store: Store,
  first: Work<A>,
  second: Work<B>,
): Promise<[A, B]> {
  let wrote!: () => void;
  const firstWrote = new Promise<void>((resolve) => {
    wrote = resolve;
  });
  const a = store.unit(async (tx) => {
    const out = await first(tx);
    wrote();
    await someoneWaitsForALock(store);
    return out;
  });
  await Promise.race([firstWrote, a]);
  const b = store.unit(second);
  return Promise.all([a, b]);
}

export interface OverlappingRun<T> {
  results: T[];
  /** The most units that had their transaction open at one time. */
  mostOpenAtOnce: number;
  /** How many times a unit began: more than were run when the store ran some again (a lost deadlock). */
  attempts: number;
}

/**
 * Runs `count` units of `work`. On PostgreSQL each waits, inside its open transaction, until all
 * of them are open, so every statement of `work` runs while the others' transactions are open
 * too (the store's pool must hold `count` connections). On SQLite they run one after another.
 */
export async function unitsAtOnce<T>(
  store: Store,
  count: number,
  work: (tx: Transaction<StoreSchema>, index: number) => Promise<T>,
): Promise<OverlappingRun<T>> {
  const together = store.dialect === "postgres";
  let open = 0;
  let mostOpenAtOnce = 0;
  let attempts = 0;
  let arrived = 0;
  let allOpen!: () => void;
  const everyoneIn = new Promise<void>((resolve) => {
    allOpen = resolve;
  });
  const results = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      store.unit(async (tx) => {
        attempts++;
        open++;
        mostOpenAtOnce = Math.max(mostOpenAtOnce, open);
        try {
          if (together) {
            // The transaction has begun on its connection once a statement ran in it.
            await sql`SELECT 1`.execute(tx);
            arrived++;
            if (arrived >= count) allOpen();
            await everyoneIn;
          }
          return await work(tx, index);
        } finally {
          open--;
        }
      }),
    ),
  );
  return { results, mostOpenAtOnce, attempts };
}
