/**
 * The store: SQLite in the data dir (the default, nothing to run) or PostgreSQL (many server
 * processes sharing one database). Repositories query it through Kysely, the same code for
 * both, with the few statements that differ written per dialect (`server/store/dialect.ts`).
 *
 * `unit` runs a function in one transaction. On SQLite units run one at a time and reads from
 * outside a unit wait for it (one connection); on PostgreSQL units run side by side on pooled
 * connections, so nothing may assume it is the only writer: transitions are conditional
 * updates, counters are incremented in place, and a unit that loses a deadlock or a
 * serialization conflict is run again.
 */
import type { Kysely, Transaction } from "kysely";
import type { StoreSchema } from "./schema.js";

export type StoreDialect = "sqlite" | "postgres";

/** What repositories query with: the root (outside any unit) or a unit's transaction. */
export type Queryable = Kysely<StoreSchema>;

export interface Store {
  readonly dialect: StoreDialect;
  /** Reads, and single statements, outside any unit. */
  readonly db: Kysely<StoreSchema>;
  /** Runs `work` in one transaction; a throw rolls it back and rejects with the same error. */
  unit<T>(work: (tx: Transaction<StoreSchema>) => Promise<T>): Promise<T>;
  /**
   * Runs `work`, which writes with one statement, as a write of its own. On PostgreSQL it runs
   * outside any transaction and commits by itself: no BEGIN and COMMIT round trips, and the rows
   * it changes stay locked only while it runs. On SQLite it runs in a unit (one connection, so a
   * unit costs no round trip there).
   */
  singleStatement<T>(work: (q: Queryable) => Promise<T>): Promise<T>;
  /** Resolves once every unit begun so far has ended. */
  drain(): Promise<void>;
  close(): Promise<void>;
}
