/**
 * Opens the store the configuration names: PostgreSQL when a database URL is given, otherwise
 * SQLite in the data dir (the default, nothing to run). Either is migrated to the current schema.
 */
import { join } from "node:path";
import { openPostgresStore, type PostgresStore } from "./postgres/postgres-store.js";
import { openSqliteStore, type SqliteStore } from "./sqlite/sqlite-store.js";

/** The SQLite file inside the data dir. */
export const DATABASE_FILE = "portal-mdm.sqlite";

export interface StoreConfig {
  databaseUrl: string;
  databasePoolSize: number;
  databaseStatementTimeoutMs: number;
}

export type OpenedStore = SqliteStore | PostgresStore;

export async function openConfiguredStore(config: StoreConfig, dataDir: string): Promise<OpenedStore> {
  if (config.databaseUrl) {
    return openPostgresStore({
      url: config.databaseUrl,
      poolSize: config.databasePoolSize,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
    });
  }
  return openSqliteStore(join(dataDir, DATABASE_FILE));
}
