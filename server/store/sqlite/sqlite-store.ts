/**
 * The SQLite store: one file in the data dir, one connection (see `server/store/database.ts`
 * for its write units and pragmas), the query builder over it, and the schema migrated.
 */
import type { Kysely, Transaction } from "kysely";
import { Database } from "../database.js";
import { migrate } from "../migrations.js";
import type { StoreSchema } from "../schema.js";
import type { Store } from "../store.js";
import { kyselyOverSqlite } from "./kysely-driver.js";

export interface SqliteStore extends Store {
  readonly dialect: "sqlite";
  /** The connection itself, for what only SQLite has: online backup, `PRAGMA data_version`. */
  readonly database: Database;
  /** The schema version before and after the migrations this open ran. */
  readonly migrated: { from: number; to: number };
}

export async function openSqliteStore(file: string): Promise<SqliteStore> {
  const database = await Database.open(file);
  try {
    const migrated = await migrate(database);
    return sqliteStoreOver(database, migrated);
  } catch (err) {
    // A store that cannot be migrated is not opened: its file must not stay open either.
    await database.close().catch(() => undefined);
    throw err;
  }
}

/** A store over a connection that is already open and migrated. */
export function sqliteStoreOver(
  database: Database,
  migrated: { from: number; to: number } = { from: 0, to: 0 },
): SqliteStore {
  const db: Kysely<StoreSchema> = kyselyOverSqlite<StoreSchema>(database);
  return {
    dialect: "sqlite",
    db,
    database,
    migrated,
    unit: <T>(work: (tx: Transaction<StoreSchema>) => Promise<T>) => db.transaction().execute(work),
    singleStatement: (work) => db.transaction().execute(work),
    drain: () => database.drainWrites(),
    async close() {
      await db.destroy();
      await database.close();
    },
  };
}
