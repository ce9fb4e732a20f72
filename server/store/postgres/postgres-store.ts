/**
 * The PostgreSQL store: a pool of connections (node-postgres) under the query builder. Every
 * connection has a statement timeout, so a stuck query fails instead of holding a pooled
 * connection for good; BIGINT columns (times in ms, counters, `count(*)`) come back as numbers
 * (all below 2^53). A unit (or a single-statement write) that loses a deadlock or a
 * serialization conflict to another server is run again, a few times.
 */
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { StoreSchema } from "../schema.js";
import type { Store } from "../store.js";
import { migratePostgres } from "./migrations.js";

export interface PostgresStoreOptions {
  url: string;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** Longest a statement may run, ms. Default 10 000. */
  statementTimeoutMs?: number;
  /** Longest to wait for a pooled connection, ms. Default 5 000. */
  connectTimeoutMs?: number;
}

export interface PostgresStore extends Store {
  readonly dialect: "postgres";
  readonly pool: pg.Pool;
  readonly migrated: { from: number; to: number };
}

/** SQLSTATEs of a transaction another one won: running it again is right. */
const RETRYABLE = new Set(["40001", "40P01"]);
const MAX_ATTEMPTS = 5;
const RETRY_JITTER_MS = 50;

const INT8_OID = 20;

export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, (value: string) => Number(value));
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    types,
  });
  // A connection PostgreSQL closes (a restart, a crash, an administrator) must not end the
  // process. The pool hears of it, and replaces it, only while the connection is idle; one
  // that is checked out between two statements of a unit tells only its own client, which
  // throws the error when nobody listens. Its unit's next statement fails with the error
  // anyway ("not queryable", a store that is unavailable), and the pool drops the connection
  // when it comes back.
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  const db = new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
  const inFlight = new Set<Promise<unknown>>();
  /**
   * A write run to its end (for drain): run again, a few times, while it loses a deadlock or a
   * serialization conflict to another server's.
   */
  const written = async <T>(run: () => Promise<T>): Promise<T> => {
    const attempt = async (): Promise<T> => {
      for (let n = 1; ; n++) {
        try {
          return await run();
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (n >= MAX_ATTEMPTS || !code || !RETRYABLE.has(code)) throw err;
          // A moment of a random length before the next attempt, growing with each: run at
          // once, the same writes would meet again in the same order.
          await new Promise((r) => setTimeout(r, Math.random() * RETRY_JITTER_MS * n));
        }
      }
    };
    const running = attempt();
    inFlight.add(running);
    try {
      return await running;
    } finally {
      inFlight.delete(running);
    }
  };
  const store: Omit<PostgresStore, "migrated"> = {
    dialect: "postgres",
    db,
    pool,
    unit: (work) => written(() => db.transaction().execute(work)),
    singleStatement: (work) => written(() => work(db)),
    async drain() {
      await Promise.allSettled([...inFlight]);
    },
    async close() {
      await store.drain();
      await db.destroy();
    },
  };
  try {
    const migrated = await migratePostgres(db);
    return { ...store, migrated };
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
}
