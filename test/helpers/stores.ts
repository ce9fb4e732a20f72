/**
 * The store backends every repository behaviour is checked against, the way aedes-persistence
 * runs one abstract suite over every persistence: `describe.each(STORE_BACKENDS)` and a fresh
 * store per suite (a SQLite file in a temp dir, or a new database in the run's PostgreSQL).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { openPostgresStore } from "../../server/store/postgres/postgres-store.js";
import { openSqliteStore } from "../../server/store/sqlite/sqlite-store.js";
import type { Store, StoreDialect } from "../../server/store/store.js";
import { createTestDatabase, dropTestDatabase } from "./postgres.js";

export const STORE_BACKENDS: readonly StoreDialect[] = ["sqlite", "postgres"];

export interface TestStore {
  store: Store;
  /** Closes the store and removes its file or database. */
  cleanup(): Promise<void>;
}

/** A fresh PostgreSQL database of this run's cluster; its URL. */
export async function newPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject("postgresAdminUrl");
  const url = await createTestDatabase(adminUrl);
  return { url, drop: () => dropTestDatabase(adminUrl, url) };
}

export async function openTestStore(dialect: StoreDialect): Promise<TestStore> {
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
  const store = await openPostgresStore({ url: database.url, poolSize: 5 });
  return {
    store,
    async cleanup() {
      await store.close();
      await database.drop();
    },
  };
}
