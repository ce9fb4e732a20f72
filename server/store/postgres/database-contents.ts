/**
 * What a PostgreSQL database holds, looked at before anything is written to it: the store tools
 * (`npm run admin -- migrate-store`, `after-restore`) decide from this whether they may run,
 * without first migrating a database they are about to refuse.
 */
import pg from "pg";
import { TABLES_IN_COPY_ORDER } from "../copy-store.js";

/** The table the migrations keep their version in (see ./migrations.ts). */
const SCHEMA_VERSION_TABLE = "pmdm_schema_version";

/** Rows the first migration writes, which leave a store empty: the built-in role. */
const SEEDED_ROWS: Readonly<Record<string, string>> = { roles: "id <> 'system_admin'" };

export interface DatabaseContents {
  /** The database's name. */
  name: string;
  /** The store's schema version, or null when the database holds no store. */
  schemaVersion: number | null;
  /** Tables and views that are not the store's, as schema.name. */
  otherTables: string[];
  /** The store's tables that hold rows (beyond what its migration writes), with their counts. */
  filledTables: { table: string; rows: number }[];
  /** Client sessions to this database other than the one that looked (a running server holds some). */
  otherConnections: number;
}

export async function readDatabaseContents(url: string): Promise<DatabaseContents> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const name = (await client.query<{ name: string }>("SELECT current_database() AS name")).rows[0]!.name;
    const { rows: tables } = await client.query<{ schema: string; table: string; ours: boolean }>(
      `SELECT n.nspname AS schema, c.relname AS table,
              (n.nspname = current_schema() AND c.relname = ANY($1)) AS ours
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
         AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
       ORDER BY 1, 2`,
      [[...TABLES_IN_COPY_ORDER, SCHEMA_VERSION_TABLE]],
    );
    const ours = new Set(tables.filter((t) => t.ours).map((t) => t.table));
    let schemaVersion: number | null = null;
    if (ours.has(SCHEMA_VERSION_TABLE)) {
      const row = (await client.query<{ version: number }>(`SELECT version FROM ${SCHEMA_VERSION_TABLE}`))
        .rows[0];
      schemaVersion = row?.version ?? 0;
    }
    const filledTables: DatabaseContents["filledTables"] = [];
    for (const table of TABLES_IN_COPY_ORDER) {
      if (!ours.has(table)) continue;
      const where = SEEDED_ROWS[table] ? ` WHERE ${SEEDED_ROWS[table]}` : "";
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${pg.escapeIdentifier(table)}${where}`,
      );
      const count = Number(rows[0]?.n ?? 0);
      if (count > 0) filledTables.push({ table, rows: count });
    }
    const { rows: sessions } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
    return {
      name,
      schemaVersion,
      otherTables: tables.filter((t) => !t.ours).map((t) => `${t.schema}.${t.table}`),
      filledTables,
      otherConnections: Number(sessions[0]?.n ?? 0),
    };
  } finally {
    await client.end();
  }
}
