/**
 * Copies a store into an empty one, table by table (`npm run admin -- migrate-store`): the two
 * schemas are the same (the store contract test holds them equal), so every row goes over as it
 * is, in pages, parents before children. Generated ids (the audit log's seq, state history ids)
 * keep their values, and PostgreSQL's identity counters are moved past them. Then every table's
 * row count is compared; a difference fails the copy.
 */
import { type Kysely, sql } from "kysely";
import type { StoreSchema } from "./schema.js";
import type { Store } from "./store.js";

/** Parents before the tables that refer to them. */
export const TABLES_IN_COPY_ORDER: readonly (keyof StoreSchema)[] = [
  "devices",
  "device_credentials",
  "denied_serials",
  "batches",
  "commands",
  "state_history",
  "enrollment_tokens",
  "device_codes",
  "settings",
  "roles",
  "admins",
  "admin_sessions",
  "admin_tokens",
  "admin_login_devices",
  "audit_log",
];

/** The column each table is paged by (unique, ordered). */
const PAGE_KEY: Record<keyof StoreSchema, string> = {
  devices: "id",
  device_credentials: "device_id",
  denied_serials: "serial",
  batches: "id",
  commands: "id",
  state_history: "id",
  enrollment_tokens: "id",
  device_codes: "device_code_hash",
  settings: "key",
  roles: "id",
  admins: "id",
  admin_sessions: "id",
  admin_tokens: "id",
  admin_login_devices: "token_hash",
  audit_log: "seq",
};

/** Tables whose key the store generates: copied with the source's values, then the target's counter moved past them. */
const IDENTITY_COLUMNS: Partial<Record<keyof StoreSchema, string>> = {
  state_history: "id",
  audit_log: "seq",
};

/** Columns that are flags: 0/1 in SQLite, booleans in PostgreSQL. */
const FLAG_COLUMNS: Partial<Record<keyof StoreSchema, readonly string[]>> = {
  devices: ["online"],
  roles: ["built_in"],
  admins: ["must_reset_password", "active"],
};

const PAGE_ROWS = 2000;

/** Tables seen without their types: the copy loops over table names. */
type AnyTables = Record<string, Record<string, unknown>>;
const untyped = (store: Store) => store.db as unknown as Kysely<AnyTables>;

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface CopyReport {
  counts: Record<string, number>;
}

export class CopyStoreError extends Error {
  override name = "CopyStoreError";
}

async function count(store: Store, table: keyof StoreSchema): Promise<number> {
  const row = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function copyStore(
  source: Store,
  target: Store,
  onProgress: (progress: CopyProgress) => void = () => {},
): Promise<CopyReport> {
  for (const table of TABLES_IN_COPY_ORDER) {
    // The built-in role is made by the target's own migration.
    const existing = table === "roles" ? 0 : await count(target, table);
    if (existing > 0)
      throw new CopyStoreError(`the target store is not empty: ${table} has ${existing} rows`);
  }
  const counts: Record<string, number> = {};
  for (const table of TABLES_IN_COPY_ORDER) {
    const total = await count(source, table);
    const key = PAGE_KEY[table];
    const flags = FLAG_COLUMNS[table] ?? [];
    let after: unknown = null;
    let copied = 0;
    onProgress({ table, copied, total });
    for (;;) {
      let select = untyped(source).selectFrom(table).selectAll().orderBy(key).limit(PAGE_ROWS);
      if (after !== null) select = select.where(key, ">", after);
      const rows = await select.execute();
      if (rows.length === 0) break;
      const values = rows.map((row) => {
        const out = { ...row };
        for (const flag of flags)
          out[flag] = target.dialect === "postgres" ? Boolean(row[flag]) : row[flag] ? 1 : 0;
        return out;
      });
      await target.unit(async (tx) => {
        const insert = (tx as unknown as Kysely<AnyTables>).insertInto(table).values(values);
        await (table === "roles" ? insert.onConflict((oc) => oc.doNothing()) : insert).execute();
      });
      copied += rows.length;
      after = rows.at(-1)![key];
      onProgress({ table, copied, total });
    }
    const identity = IDENTITY_COLUMNS[table];
    if (target.dialect === "postgres" && identity) {
      await sql`SELECT setval(pg_get_serial_sequence(${table}, ${identity}), coalesce((SELECT max(${sql.ref(identity)}) FROM ${sql.table(table)}), 0) + 1, false)`.execute(
        target.db,
      );
    }
    const [sourceCount, targetCount] = [await count(source, table), await count(target, table)];
    if (sourceCount !== targetCount) {
      throw new CopyStoreError(`${table}: ${sourceCount} rows in the source, ${targetCount} in the target`);
    }
    counts[table] = targetCount;
  }
  return { counts };
}
