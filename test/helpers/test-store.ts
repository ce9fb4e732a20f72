/**
 * The store the test servers run on: SQLite in their data dir (the default), or, with
 * `PMDM_TEST_STORE=postgres`, a fresh database of the run's PostgreSQL cluster per data dir. A
 * server started again on the same data dir gets the same database back, the way it would find
 * its SQLite file again, so restart tests mean the same on both stores.
 */
import { resolve } from "node:path";
import type { StoreDialect } from "../../server/store/store.js";
import { newPostgresDatabase } from "./stores.js";

/** The backend this test run's servers use. */
export const TEST_STORE: StoreDialect = process.env.PMDM_TEST_STORE === "postgres" ? "postgres" : "sqlite";

/** Whether this run's servers keep their store in PostgreSQL. */
export const onPostgres = TEST_STORE === "postgres";

type TestDatabase = Awaited<ReturnType<typeof newPostgresDatabase>>;

/** By resolved data dir; a promise, so two starts on one dir at once still share one database. */
const databases = new Map<string, Promise<TestDatabase>>();

/**
 * The `databaseUrl` a server on `dataDir` is configured with: "" on SQLite; on PostgreSQL the
 * data dir's database, created on its first use.
 */
export async function databaseUrlFor(dataDir: string): Promise<string> {
  if (!onPostgres) return "";
  const key = resolve(dataDir);
  let database = databases.get(key);
  if (!database) {
    database = newPostgresDatabase();
    databases.set(key, database);
    // A failed creation must not stay cached for the next start.
    database.catch(() => databases.delete(key));
  }
  return (await database).url;
}

/** Drops the data dir's database, if it has one; the next start on that dir gets a new one. */
export async function dropDatabaseOf(dataDir: string): Promise<void> {
  const key = resolve(dataDir);
  const database = databases.get(key);
  if (!database) return;
  databases.delete(key);
  await (await database).drop();
}
