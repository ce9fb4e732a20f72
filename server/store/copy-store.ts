/**
 * Copies a store into an empty one, table by table (`npm run admin -- migrate-store`): the two
 * schemas are the same (the store contract test holds them equal), so every row goes over as it
 * is, in pages, parents before children. Generated ids (the audit log's seq, state history ids)
 * keep their values, and PostgreSQL's identity counters are moved past them.
 *
 * All writes to the target run in one transaction, and every table's row count is compared
 * inside it before it commits: a copy either lands whole and checked, or not at all (a failure
 * rolls it back and leaves the target as empty as it was). The source must not be written while
 * it is read (the command refuses while a server runs on it).
 */
import { type Kysely, sql, type Transaction } from "kysely";
import type { StoreSchema } from "./schema.js";
import type { Store } from "./store.js";

type TableName = keyof StoreSchema;

/** Parents before the tables that refer to them. */
export const TABLES_IN_COPY_ORDER: readonly TableName[] = [
  "sites",
  "devices",
  "device_labels",
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
  "server_nodes",
  "job_leases",
  "signing_key_ring",
  "device_groups",
  "schedules",
  "schedule_runs",
  "rollouts",
  "rollout_phases",
  "rollout_devices",
];

/** The column each table is paged by (unique, ordered). */
const PAGE_KEY: Record<TableName, string> = {
  sites: "id",
  device_groups: "id",
  schedules: "id",
  schedule_runs: "id",
  rollouts: "id",
  rollout_phases: "id",
  rollout_devices: "id",
  devices: "id",
  device_labels: "id",
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
  server_nodes: "id",
  job_leases: "name",
  signing_key_ring: "id",
};

/** Tables whose key the store generates: copied with the source's values, then the target's counter moved past them. */
const IDENTITY_COLUMNS: Partial<Record<TableName, string>> = {
  device_labels: "id",
  schedule_runs: "id",
  rollout_phases: "id",
  rollout_devices: "id",
  state_history: "id",
  audit_log: "seq",
};

/**
 * Rows a target's own migration writes (the built-in role, in both stores' first migration).
 * They do not make a target "not empty", and the source's copy of them replaces the target's.
 */
const SEEDED_ROWS: Partial<Record<TableName, readonly string[]>> = {
  roles: ["system_admin"],
};

/** Most rows per page; fewer for wide tables, so one insert stays under both stores' bound on parameters. */
const PAGE_ROWS = 2000;
const MAX_PARAMETERS_PER_INSERT = 30_000;

/** Tables seen without their types: the copy loops over table names. */
type AnyTables = Record<string, Record<string, unknown>>;
const untyped = (db: Kysely<StoreSchema>) => db as unknown as Kysely<AnyTables>;

export interface CopyProgress {
  table: TableName;
  copied: number;
  total: number;
}

export interface TableCount {
  table: TableName;
  source: number;
  target: number;
}

export interface CopyReport {
  /** Rows per table once copied, read from the target inside the copy's transaction. */
  counts: Record<string, number>;
  /** Both sides' count of every table, in copy order. */
  tables: TableCount[];
}

export class CopyStoreError extends Error {
  override name = "CopyStoreError";
}

async function count(db: Kysely<StoreSchema>, table: TableName, except: readonly string[] = []) {
  let select = untyped(db)
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as("n"));
  if (except.length > 0) select = select.where(PAGE_KEY[table], "not in", except);
  const row = await select.executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * The flag columns of each table: booleans on PostgreSQL, 0/1 on SQLite. Read from whichever
 * side is PostgreSQL, so a column added by a later migration is converted without being listed.
 */
async function flagColumns(source: Store, target: Store): Promise<Map<string, string[]>> {
  const postgres = target.dialect === "postgres" ? target : source.dialect === "postgres" ? source : null;
  const flags = new Map<string, string[]>();
  if (!postgres || source.dialect === target.dialect) return flags;
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND data_type = 'boolean'`.execute(postgres.db);
  for (const row of rows) flags.set(row.table_name, [...(flags.get(row.table_name) ?? []), row.column_name]);
  return flags;
}

/** A flag as the target stores it; null stays null (a device that has not reported yet). */
function flagFor(target: Store, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return target.dialect === "postgres" ? Boolean(value) : value ? 1 : 0;
}

/** Refuses a target holding anything but the rows its migration wrote. */
async function checkEmpty(tx: Kysely<StoreSchema>): Promise<void> {
  const filled: string[] = [];
  for (const table of TABLES_IN_COPY_ORDER) {
    const rows = await count(tx, table, SEEDED_ROWS[table]);
    if (rows > 0) filled.push(`${table} has ${rows} rows`);
  }
  if (filled.length > 0) throw new CopyStoreError(`the target store is not empty: ${filled.join(", ")}`);
}

async function copyTable(
  source: Store,
  tx: Transaction<StoreSchema>,
  table: TableName,
  flags: readonly string[],
  target: Store,
  onProgress: (progress: CopyProgress) => void,
): Promise<number> {
  const total = await count(source.db, table);
  const key = PAGE_KEY[table];
  const seeded = SEEDED_ROWS[table] ?? [];
  let pageRows = PAGE_ROWS;
  let after: unknown = null;
  let copied = 0;
  onProgress({ table, copied, total });
  for (;;) {
    let select = untyped(source.db).selectFrom(table).selectAll().orderBy(key).limit(pageRows);
    if (after !== null) select = select.where(key, ">", after);
    const rows = await select.execute();
    if (rows.length === 0) break;
    const values = rows.map((row) => {
      const out = { ...row };
      for (const flag of flags) out[flag] = flagFor(target, row[flag]);
      return out;
    });
    const columns = Object.keys(values[0]!);
    pageRows = Math.max(1, Math.min(PAGE_ROWS, Math.floor(MAX_PARAMETERS_PER_INSERT / columns.length)));
    // The first page may be wider than the bound allows: insert it in slices.
    for (let start = 0; start < values.length; start += pageRows) {
      const insert = untyped(tx)
        .insertInto(table)
        .values(values.slice(start, start + pageRows));
      await (seeded.length > 0
        ? insert.onConflict((oc) =>
            oc.column(key).doUpdateSet(Object.fromEntries(columns.map((c) => [c, sql.ref(`excluded.${c}`)]))),
          )
        : insert
      ).execute();
    }
    copied += rows.length;
    after = rows.at(-1)![key];
    onProgress({ table, copied, total });
  }
  return total;
}

/**
 * Copies every table of `source` into the empty `target` in one transaction of the target,
 * checks every table's count, and commits; throws CopyStoreError (nothing copied) otherwise.
 */
export async function copyStore(
  source: Store,
  target: Store,
  onProgress: (progress: CopyProgress) => void = () => {},
): Promise<CopyReport> {
  const flags = await flagColumns(source, target);
  return target.unit(async (tx) => {
    await checkEmpty(tx);
    const tables: TableCount[] = [];
    for (const table of TABLES_IN_COPY_ORDER) {
      await copyTable(source, tx, table, flags.get(table) ?? [], target, onProgress);
      const identity = IDENTITY_COLUMNS[table];
      if (target.dialect === "postgres" && identity) {
        // A sequence is not transactional: after a rollback it stays moved, which only leaves a gap.
        await sql`SELECT setval(pg_get_serial_sequence(${table}, ${identity}), coalesce((SELECT max(${sql.ref(identity)}) FROM ${sql.table(table)}), 0) + 1, false)`.execute(
          tx,
        );
      }
      const [sourceCount, targetCount] = [await count(source.db, table), await count(tx, table)];
      if (sourceCount !== targetCount) {
        throw new CopyStoreError(`${table}: ${sourceCount} rows in the source, ${targetCount} in the target`);
      }
      tables.push({ table, source: sourceCount, target: targetCount });
    }
    return { counts: Object.fromEntries(tables.map((t) => [t.table, t.target])), tables };
  });
}
