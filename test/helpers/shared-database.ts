/**
 * Several stores over one database, each with its own connections: the nodes of one service
 * (or a server and `npm run admin`), for tests of what they do at the same moment.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPostgresStore } from "../../server/store/postgres/postgres-store.js";
import { openSqliteStore } from "../../server/store/sqlite/sqlite-store.js";
import type { Store, StoreDialect } from "../../server/store/store.js";
import { newPostgresDatabase } from "./stores.js";

/** `count` stores over one new database, each with its own connections: nodes of one service. */
export async function storesOverOneDatabase(
  dialect: StoreDialect,
  count: number,
): Promise<{ stores: Store[]; cleanup(): Promise<void> }> {
  if (dialect === "sqlite") {
    const dir = await mkdtemp(join(tmpdir(), "pmdm-ring-"));
    const file = join(dir, "shared.sqlite");
    // The first open creates the schema; the others find it.
    const first = await openSqliteStore(file);
    const others = await Promise.all(Array.from({ length: count - 1 }, () => openSqliteStore(file)));
    const stores = [first, ...others];
    return {
      stores,
      async cleanup() {
        for (const store of stores) await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const database = await newPostgresDatabase();
  const stores = await Promise.all(
    Array.from({ length: count }, () => openPostgresStore({ url: database.url, poolSize: 2 })),
  );
  return {
    stores,
    async cleanup() {
      for (const store of stores) await store.close();
      await database.drop();
    },
  };
}
