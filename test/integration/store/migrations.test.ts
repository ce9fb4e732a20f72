/**
 * Schema migrations on both stores. An empty store migrates to the current version with every
 * table, index and trigger the other store has. A store left at each earlier version by an older
 * server (built with that version's migrations and filled with rows valid then) opens at the
 * current version with every row as it was, the new columns filled as each migration says (the
 * reported_* columns from reported_json, as the report writer would write them), and its
 * schema the same as a fresh store's. A migration that fails leaves the store at the version
 * before; a store from a newer server is refused; two servers migrating at once migrate once.
 */
import { mkdtemp, readdir, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { ReportedView } from "../../../server/devices/device.js";
import { TABLES_IN_COPY_ORDER } from "../../../server/store/copy-store.js";
import { Database } from "../../../server/store/database.js";
import { dialectOf } from "../../../server/store/dialect.js";
import { MIGRATIONS, migrate } from "../../../server/store/migrations.js";
import { migratePostgres, POSTGRES_MIGRATIONS } from "../../../server/store/postgres/migrations.js";
import { openPostgresStore } from "../../../server/store/postgres/postgres-store.js";
import { DeviceRepository } from "../../../server/store/repositories/device-repository.js";
import { SettingsRepository } from "../../../server/store/repositories/settings-repository.js";
import { StateHistoryRepository } from "../../../server/store/repositories/state-history-repository.js";
import type { StoreSchema } from "../../../server/store/schema.js";
import { openSqliteStore, sqliteStoreOver } from "../../../server/store/sqlite/sqlite-store.js";
import type { Store, StoreDialect } from "../../../server/store/store.js";
import { newPostgresDatabase } from "../../helpers/stores.js";

type TableName = (typeof TABLES_IN_COPY_ORDER)[number];
type Row = Record<string, unknown>;
type AnyTables = Record<string, Row>;
const untyped = (db: Kysely<StoreSchema>) => db as unknown as Kysely<AnyTables>;

/** A store opened the way the server opens it, with the versions its migrations went from and to. */
type OpenedStore = Store & { readonly migrated: { from: number; to: number } };

/** A database as an older server left it: not opened as a store yet. */
interface OldDatabase {
  /** The query builder over it, without migrating. */
  readonly db: Kysely<StoreSchema>;
  /** Closes `db`; the database stays. */
  close(): Promise<void>;
  /** Opens it as the server does: migrated to the current version. */
  open(): Promise<OpenedStore>;
  /** Runs `work` over a connection of its own, without migrating, and closes it. */
  connected<T>(work: (db: Kysely<StoreSchema>) => Promise<T>): Promise<T>;
  remove(): Promise<void>;
}

interface Backend {
  dialect: StoreDialect;
  /** The number of this store's migrations: its current schema version. */
  latest: number;
  /** SQLite's version whose tables this store's `version` has (PostgreSQL's 1 began at SQLite's 3). */
  sqliteVersion(version: number): number;
  /** A new database at `version`, built with the first `version` migrations. */
  build(version: number): Promise<OldDatabase>;
}

const SQLITE: Backend = {
  dialect: "sqlite",
  latest: MIGRATIONS.length,
  sqliteVersion: (version) => version,
  async build(version) {
    const dir = await mkdtemp(join(tmpdir(), "pmdm-migrations-"));
    const file = join(dir, "old.sqlite");
    const database = await Database.open(file);
    await migrate(database, version);
    const handle = sqliteStoreOver(database);
    return {
      db: handle.db,
      close: () => handle.close(),
      open: () => openSqliteStore(file),
      async connected(work) {
        const own = sqliteStoreOver(await Database.open(file));
        try {
          return await work(own.db);
        } finally {
          await own.close();
        }
      },
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  },
};

const POSTGRES: Backend = {
  dialect: "postgres",
  latest: POSTGRES_MIGRATIONS.length,
  sqliteVersion: (version) => (version === 0 ? 0 : version + 2),
  async build(version) {
    const database = await newPostgresDatabase();
    const connect = () =>
      new Kysely<StoreSchema>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }),
      });
    const db = connect();
    await migratePostgres(db, version);
    return {
      db,
      close: () => db.destroy(),
      open: () => openPostgresStore({ url: database.url, poolSize: 3 }),
      async connected(work) {
        const own = connect();
        try {
          return await work(own);
        } finally {
          await own.destroy();
        }
      },
      remove: database.drop,
    };
  },
};

/** The schema version a database holds, read without migrating it. */
function schemaVersion(old: OldDatabase, dialect: StoreDialect): Promise<number> {
  return old.connected(async (db) => {
    if (dialect === "sqlite") {
      const { rows } = await sql<{ user_version: number }>`PRAGMA user_version`.execute(db);
      return rows[0]!.user_version;
    }
    const { rows } = await sql<{ version: number }>`SELECT version FROM pmdm_schema_version`.execute(db);
    return rows[0]?.version ?? 0;
  });
}

/** The columns of one table of a database, read without migrating it. */
function columnsOf(old: OldDatabase, table: TableName): Promise<string[]> {
  return old.connected(async (db) => {
    const tables = await db.introspection.getTables();
    return tables.find((t) => t.name === table)?.columns.map((c) => c.name) ?? [];
  });
}

const BACKENDS = [SQLITE, POSTGRES] as const;

// ---- rows an older server wrote ---------------------------------------------------------------

const T0 = 1_700_000_000_000;

/** A report as the current server stores it. */
const REPORT_NOW: ReportedView = {
  name: "Lobby",
  locked: true,
  timezone: "Asia/Kolkata",
  timezoneAutomatic: false,
  ntpServer: "ntp.example.com",
  clockOffsetMs: -1_500,
  lastTimeSyncAt: "2024-05-01T10:00:00.000Z",
  timeSyncError: null,
  bootTime: "2024-05-01T09:00:00.000Z",
  agentVersion: "1.4.0",
  appliedConfigVersion: 3,
  signingKeysVersion: 2,
  configError: { version: 3, message: "time zone 'Mars/Olympus' is not installed" },
  telemetry: null,
  reportedAt: "2024-05-01T10:00:01.000Z",
};

/** A report as servers stored it before command signing and config errors: neither field. */
const REPORT_BEFORE: ReportedView = {
  name: 'It\'s "Room 1"',
  locked: false,
  timezone: "America/St_Johns",
  timezoneAutomatic: true,
  ntpServer: null,
  clockOffsetMs: 2 ** 40,
  lastTimeSyncAt: null,
  timeSyncError: "no usable answer",
  bootTime: "2023-01-01T00:00:00.000Z",
  agentVersion: "1.0.0",
  appliedConfigVersion: 1,
  telemetry: null,
  reportedAt: "2023-01-01T00:00:01.000Z",
};

const device = (over: Row): Row => ({
  model: "kiosk",
  status: "active",
  online: false,
  last_seen_at: null,
  enrolled_at: T0,
  created_at: T0,
  next_seq: 1,
  desired_version: 1,
  desired_timezone: "UTC",
  desired_ntp_server: null,
  reported_json: null,
  reported_at: null,
  connected_node: null,
  site_id: null,
  desired_time_source: "global",
  ...over,
});

/**
 * One or more rows of every table, each with every column of the current schema but those
 * `ADDED_IN` a later version than the database is built at, and those the store generates.
 */
const ROWS: Record<TableName, Row[]> = {
  sites: [
    {
      id: "site_berlin",
      name: "Berlin office",
      time_timezone: "Europe/Berlin",
      time_ntp_server: "ntp.berlin.example.com",
      window_json: '{"start":"01:00","end":"05:00","days":[],"timezone":"Europe/Berlin"}',
      created_at: T0,
      updated_at: T0 + 5,
    },
    {
      id: "site_nyc",
      name: "NYC lobby",
      time_timezone: null,
      time_ntp_server: null,
      window_json: null,
      created_at: T0,
      updated_at: T0,
    },
  ],
  device_groups: [
    {
      id: "grp_1",
      name: "Lobby screens offline",
      filter_json: '{"label":"lobby","online":false}',
      created_at: T0,
      updated_at: T0 + 1,
    },
  ],
  schedules: [
    {
      id: "sch_1",
      name: "Sunday reboot",
      command_json: '{"type":"reboot"}',
      target_json: '{"filter":{"label":"lobby"}}',
      cron: "0 3 * * 0",
      timezone: "Europe/Berlin",
      starts_at: null,
      ends_at: T0 + 9_000_000,
      missed_runs: "skip",
      state: "active",
      next_run_at: T0 + 100_000,
      last_run_at: T0,
      runs: 1,
      created_at: T0 - 10,
      updated_at: T0,
      created_by: "adm_1",
    },
  ],
  rollouts: [
    {
      id: "rol_1",
      name: "Reboot in waves",
      type: "reboot",
      params_json: "{}",
      target_json: '{"target":{"filter":{"label":"lobby"}},"devices":1,"skipped":0}',
      plan_json: '{"phases":[{"percent":10},{}]}',
      state: "running",
      current_phase: 0,
      rate_since: T0,
      rate_base: 0,
      reason_code: null,
      reason: null,
      retry_of: null,
      created_at: T0,
      updated_at: T0 + 1,
      finished_at: null,
      created_by: "adm_1",
    },
  ],
  rollout_phases: [
    {
      rollout_id: "rol_1",
      idx: 0,
      state: "running",
      batch_id: "bat_1",
      devices: 1,
      released: 1,
      skipped: 0,
      started_at: T0,
      finished_at: null,
    },
  ],
  rollout_devices: [{ rollout_id: "rol_1", device_id: "dev_now", phase: 0, position: 0, released_at: T0 }],
  schedule_runs: [
    {
      schedule_id: "sch_1",
      due_at: T0,
      ran_at: T0 + 3,
      outcome: "started",
      batch_id: "bat_1",
      message: null,
    },
  ],
  devices: [
    device({
      id: "dev_now",
      serial: "SN-NOW",
      name: "Lobby",
      online: true,
      last_seen_at: T0 + 500,
      next_seq: 7,
      desired_version: 3,
      desired_name: "Lobby",
      desired_timezone: "Asia/Kolkata",
      desired_ntp_server: "ntp.example.com",
      reported_json: JSON.stringify(REPORT_NOW),
      reported_at: T0 + 400,
      site_id: "site_berlin",
      desired_time_source: "site",
    }),
    device({
      id: "dev_before",
      serial: "SN-BEFORE",
      name: 'It\'s "Room 1"',
      status: "reset",
      last_seen_at: T0 + 300,
      desired_name: 'It\'s "Room 1"',
      reported_json: JSON.stringify(REPORT_BEFORE),
      reported_at: T0 + 300,
    }),
    device({ id: "dev_never", serial: "SN-NEVER", name: "Never reported", desired_name: "Never reported" }),
    device({ id: "dev_gone", serial: "SN-GONE", name: "Gone", desired_name: "Gone", status: "deactivated" }),
  ],
  device_credentials: [{ device_id: "dev_now", secret_hash: "h-now", created_at: T0 }],
  denied_serials: [
    { serial: "SN-GONE", device_id: "dev_gone", denied_at: T0 },
    { serial: "SN-LONG-GONE", device_id: null, denied_at: T0 - 1 },
  ],
  batches: [
    {
      id: "bat_1",
      type: "reboot",
      params_json: "{}",
      target_json: '{"all":true}',
      total: 2,
      created_at: T0,
      created_by: "adm_1",
    },
  ],
  commands: [
    {
      id: "cmd_1",
      device_id: "dev_now",
      batch_id: "bat_1",
      seq: 5,
      type: "reboot",
      params_json: "{}",
      state: "succeeded",
      error_code: null,
      error_message: null,
      created_at: T0,
      expires_at: T0 + 1_000,
      updated_at: T0 + 10,
      sent_at: T0 + 1,
      accepted_at: T0 + 2,
      finished_at: T0 + 10,
      created_by: "adm_1",
      window_hold: null,
    },
    {
      id: "cmd_2",
      device_id: "dev_now",
      batch_id: null,
      seq: 6,
      type: "set_time",
      params_json: '{"timezone":"Asia/Kolkata"}',
      state: "queued",
      error_code: null,
      error_message: null,
      created_at: T0,
      expires_at: T0 + 1_000,
      updated_at: T0,
      sent_at: null,
      accepted_at: null,
      finished_at: null,
      created_by: null,
      window_hold: "held",
    },
  ],
  device_labels: [
    { device_id: "dev_now", label: "lobby", added_at: T0 + 50 },
    { device_id: "dev_now", label: "Floor 2", added_at: T0 + 60 },
  ],
  state_history: [
    { device_id: "dev_now", at: T0 + 100, state_json: '{"n":1}' },
    { device_id: "dev_now", at: T0 + 200, state_json: '{"n":2}' },
  ],
  enrollment_tokens: [
    {
      id: "enr_1",
      token_hash: "h-enr",
      name: "Warehouse",
      max_uses: 10,
      uses: 3,
      expires_at: T0 + 1_000_000,
      created_at: T0,
      created_by: "adm_1",
      last_used_at: T0 + 5,
      revoked_at: null,
      labels_json: '["lobby"]',
      site_id: "site_nyc",
    },
  ],
  device_codes: [
    {
      device_code_hash: "h-code",
      user_code: "ABCD-EFGH",
      serial: "SN-NOW",
      model: "kiosk",
      agent_version: "1.4.0",
      created_at: T0,
      expires_at: T0 + 600_000,
      last_poll_at: T0 + 1,
      claimed_device_id: "dev_now",
      claimed_at: T0 + 2,
      consumed_at: T0 + 3,
    },
  ],
  settings: [
    { key: "time", value_json: '{"timezone":"Asia/Kolkata","ntpServer":null}', updated_at: T0 },
    { key: "clock_drift", value_json: '{"thresholdMs":1000}', updated_at: T0 },
  ],
  roles: [
    {
      id: "rol_ops",
      name: "Ops",
      rights_json: '["devices:read"]',
      built_in: false,
      created_at: T0,
      updated_at: T0,
    },
  ],
  admins: [
    {
      id: "adm_1",
      email: "Ana@Example.com",
      name: "Ana",
      role_id: "system_admin",
      password_hash: "ph",
      must_reset_password: true,
      active: true,
      created_at: T0,
      updated_at: T0,
      last_login_at: null,
    },
  ],
  admin_sessions: [
    {
      id: "ses_1",
      admin_id: "adm_1",
      token_hash: "h-ses",
      created_at: T0,
      expires_at: T0 + 1,
      ended_at: null,
      source_address: "127.0.0.1",
    },
  ],
  admin_tokens: [
    {
      id: "adt_1",
      token_hash: "h-adt",
      name: "bootstrap",
      created_at: T0,
      revoked_at: null,
      admin_id: "adm_1",
      rights_json: '["devices:read"]',
      expires_at: T0 + 9,
    },
  ],
  admin_login_devices: [
    { token_hash: "h-login", admin_id: "adm_1", created_at: T0, last_used_at: T0, expires_at: T0 + 9 },
  ],
  audit_log: [
    {
      at: T0,
      actor_id: "adm_1",
      actor_email: "Ana@Example.com",
      credential_id: null,
      action: "auth.login",
      target: "adm_1",
      params_json: "{}",
      outcome: "success",
      error_code: null,
      source_address: "127.0.0.1",
    },
  ],
  server_nodes: [
    {
      id: "node-a",
      started_at: T0,
      heartbeat_at: T0 + 1,
      http_url: "http://127.0.0.1:8080",
      mqtt_urls_json: '["mqtt://127.0.0.1:1883"]',
    },
  ],
  job_leases: [{ name: "expiry-sweep", holder: "node-a", expires_at: T0 + 10 }],
  signing_key_ring: [{ id: 1, version: 1, ring_json: "{}", updated_at: T0 }],
};

/** The SQLite schema version each table first appears in (1 unless listed). */
const TABLE_ADDED_IN: Partial<Record<TableName, number>> = {
  roles: 2,
  admins: 2,
  admin_sessions: 2,
  audit_log: 2,
  admin_login_devices: 3,
  server_nodes: 5,
  job_leases: 5,
  signing_key_ring: 5,
  device_labels: 6,
  sites: 7,
  device_groups: 7,
  schedules: 7,
  schedule_runs: 7,
  rollouts: 8,
  rollout_phases: 8,
  rollout_devices: 8,
};

/** Columns added to a table after it appeared: the SQLite version of each. */
const ADDED_IN: Partial<Record<TableName, Record<string, number>>> = {
  admin_tokens: { admin_id: 2, rights_json: 2, expires_at: 2 },
  enrollment_tokens: { name: 3, created_by: 3, last_used_at: 3, labels_json: 6, site_id: 7 },
  sites: { window_json: 8 },
  commands: { window_hold: 8 },
  devices: {
    reported_locked: 4,
    reported_timezone: 4,
    reported_clock_offset_ms: 4,
    reported_clock_measured: 4,
    reported_agent_version: 4,
    reported_applied_config_version: 4,
    connected_node: 5,
    site_id: 7,
    desired_time_source: 7,
  },
};

/** Columns the store generates, numbered from 1 in the order rows are inserted. */
const GENERATED: Partial<Record<TableName, string>> = {
  device_labels: "id",
  schedule_runs: "id",
  rollout_phases: "id",
  rollout_devices: "id",
  state_history: "id",
  audit_log: "seq",
};

/** Rows the migrations themselves write. */
const SEEDED: Partial<Record<TableName, Row[]>> = {
  roles: [
    {
      id: "system_admin",
      name: "System admin",
      rights_json: "[]",
      built_in: true,
      created_at: 0,
      updated_at: 0,
    },
  ],
};

const FLAGS = new Set([
  "online",
  "built_in",
  "must_reset_password",
  "active",
  "reported_locked",
  "reported_clock_measured",
]);

/** What migration 4 (PostgreSQL's 2) fills the reported_* columns with, from the report itself. */
function reportedColumns(json: unknown): Row {
  const report = json === null ? null : (JSON.parse(String(json)) as Partial<ReportedView>);
  const integer = (n: number | undefined) => (n === undefined ? null : Math.trunc(n));
  return {
    reported_locked: report ? (report.locked ?? null) : null,
    reported_timezone: report ? (report.timezone ?? null) : null,
    reported_clock_offset_ms: report ? integer(report.clockOffsetMs) : null,
    reported_clock_measured: report ? report.lastTimeSyncAt != null : null,
    reported_agent_version: report ? (report.agentVersion ?? null) : null,
    reported_applied_config_version: report ? integer(report.appliedConfigVersion) : null,
  };
}

/** What a column added after `builtAt` holds in a row written before it existed. */
function filled(table: TableName, row: Row, builtAt: number): Row {
  const added = ADDED_IN[table] ?? {};
  const out: Row = { ...row };
  for (const [column, version] of Object.entries(added)) {
    if (version <= builtAt) continue;
    out[column] =
      table === "enrollment_tokens" && column === "name"
        ? ""
        : table === "enrollment_tokens" && column === "labels_json"
          ? "[]"
          : table === "devices" && column === "desired_time_source"
            ? "global"
            : null;
  }
  if (table === "devices") Object.assign(out, reportedColumns(row.reported_json));
  return out;
}

/** The rows a database built at `builtAt` (a SQLite version) is filled with: only what existed then. */
function rowsWrittenAt(table: TableName, builtAt: number): Row[] {
  if (builtAt === 0 || (TABLE_ADDED_IN[table] ?? 1) > builtAt) return [];
  const added = ADDED_IN[table] ?? {};
  return ROWS[table].map((row) => {
    const written = Object.fromEntries(
      Object.entries(row).filter(([column]) => (added[column] ?? 0) <= builtAt),
    );
    // A server at version 4 or later wrote the reported_* columns with each report.
    return table === "devices" && builtAt >= 4
      ? { ...written, ...reportedColumns(row.reported_json) }
      : written;
  });
}

/** Every row of every table once the database built at `builtAt` is opened by this server. */
function rowsAfterUpgrade(table: TableName, builtAt: number): Row[] {
  const seeded = SEEDED[table] ?? [];
  const written = rowsWrittenAt(table, builtAt).map((_, i) => {
    const full = filled(table, { ...ROWS[table][i]! }, builtAt);
    const generated = GENERATED[table];
    return generated ? { ...full, [generated]: i + 1 } : full;
  });
  return sortRows([...seeded, ...written]);
}

/** Rows in one order whatever the order of their columns. */
function sortRows(rows: Row[]): Row[] {
  const canonical = (row: Row) => JSON.stringify(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1)));
  return [...rows].sort((a, b) => (canonical(a) < canonical(b) ? -1 : canonical(a) > canonical(b) ? 1 : 0));
}

/** Every row of a table as stored, flags as booleans, in a fixed order. */
async function rowsOf(store: Store, table: TableName): Promise<Row[]> {
  const rows = await untyped(store.db).selectFrom(table).selectAll().execute();
  return sortRows(
    rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => [k, FLAGS.has(k) && v !== null ? Boolean(v) : v]),
      ),
    ),
  );
}

async function fill(old: OldDatabase, dialect: StoreDialect, builtAt: number): Promise<void> {
  for (const table of TABLES_IN_COPY_ORDER) {
    const rows = rowsWrittenAt(table, builtAt).map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => [
          k,
          dialect === "sqlite" && typeof v === "boolean" ? Number(v) : v,
        ]),
      ),
    );
    if (rows.length > 0) await untyped(old.db).insertInto(table).values(rows).execute();
  }
}

// ---- the schema -------------------------------------------------------------------------------

/** Everything a schema is made of, as the store's own catalog describes it. */
async function schemaOf(store: Store): Promise<unknown> {
  const rows = async <T>(query: { execute(db: Kysely<StoreSchema>): Promise<{ rows: T[] }> }) =>
    (await query.execute(store.db)).rows;
  if (store.dialect === "sqlite") {
    return rows(sql`SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name`);
  }
  return {
    columns: await rows(sql`
      SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default,
             is_identity, collation_name
      FROM information_schema.columns WHERE table_schema = current_schema()
      ORDER BY table_name, ordinal_position`),
    indexes: await rows(sql`
      SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
      ORDER BY indexname`),
    constraints: await rows(sql`
      SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition
      FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2`),
    triggers: await rows(sql`
      SELECT tgrelid::regclass::text AS table_name, tgname, pg_get_triggerdef(oid) AS definition
      FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`),
    functions: await rows(sql`
      SELECT proname, pg_get_function_identity_arguments(oid) AS arguments, md5(prosrc) AS source
      FROM pg_proc WHERE pronamespace = current_schema()::regnamespace ORDER BY 1, 2`),
    extensions: await rows(sql`SELECT extname, extversion FROM pg_extension ORDER BY 1`),
  };
}

/** The indexes the migrations name (not those behind keys and unique constraints), with their table. */
async function namedIndexes(store: Store): Promise<string[]> {
  const { rows } =
    store.dialect === "sqlite"
      ? await sql<{ name: string; table_name: string }>`
          SELECT name, tbl_name AS table_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`.execute(
          store.db,
        )
      : await sql<{ name: string; table_name: string }>`
          SELECT c.relname AS name, t.relname AS table_name
          FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
          WHERE t.relnamespace = current_schema()::regnamespace
            AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)`.execute(store.db);
  return rows.map((r) => `${r.table_name}.${r.name}`).sort();
}

async function triggerNames(store: Store): Promise<string[]> {
  const { rows } =
    store.dialect === "sqlite"
      ? await sql<{
          name: string;
        }>`SELECT tbl_name || '.' || name AS name FROM sqlite_master WHERE type = 'trigger'`.execute(store.db)
      : await sql<{ name: string }>`
          SELECT tgrelid::regclass::text || '.' || tgname AS name FROM pg_trigger WHERE NOT tgisinternal`.execute(
          store.db,
        );
  return rows.map((r) => r.name).sort();
}

async function tableNames(store: Store): Promise<string[]> {
  const tables = await store.db.introspection.getTables();
  return tables
    .map((t) => t.name)
    .filter((name) => !name.startsWith("sqlite_") && !name.startsWith("pmdm_"))
    .sort();
}

/** Open stores and databases, closed and removed after the file's tests. */
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function freshStore(backend: Backend): Promise<OpenedStore> {
  const old = await backend.build(0);
  await old.close();
  const store = await old.open();
  cleanups.push(
    () => old.remove(),
    () => store.close(),
  );
  return store;
}

describe("an empty store migrated to the current version", () => {
  it.each(BACKENDS)("has every table of the schema, at the current version, on $dialect", async (backend) => {
    const store = await freshStore(backend);
    expect(store.migrated).toEqual({ from: 0, to: backend.latest });
    expect(await tableNames(store)).toEqual([...TABLES_IN_COPY_ORDER].sort());
    for (const table of TABLES_IN_COPY_ORDER)
      expect(await rowsOf(store, table), table).toEqual(SEEDED[table] ?? []);
  });

  it("has the same named indexes, on the same tables, and the same triggers on both stores", async () => {
    const [sqlite, postgres] = [await freshStore(SQLITE), await freshStore(POSTGRES)];
    const indexes = await namedIndexes(sqlite);
    expect(indexes).toContain("devices.devices_by_clock_offset");
    expect(await namedIndexes(postgres)).toEqual(indexes);
    // SQLite has no TRUNCATE to refuse.
    expect(await triggerNames(postgres)).toEqual(
      [...(await triggerNames(sqlite)), "audit_log.audit_log_no_truncate"].sort(),
    );
  });

  it("has each column nullable and defaulted alike on both stores", async () => {
    const describeColumns = async (store: Store) =>
      Object.fromEntries(
        (await store.db.introspection.getTables())
          .filter((t) => !t.name.startsWith("pmdm_"))
          .flatMap((t) =>
            t.columns.map((c) => [
              `${t.name}.${c.name}`,
              { nullable: c.isNullable, defaulted: c.hasDefaultValue },
            ]),
          ),
      );
    const [sqlite, postgres] = [await freshStore(SQLITE), await freshStore(POSTGRES)];
    const sqliteColumns = await describeColumns(sqlite);
    // SQLite lets a primary key other than an INTEGER one hold NULL, unless it says NOT NULL;
    // the store never writes one, and PostgreSQL refuses it.
    const { rows: keys } = await sql<{ name: string }>`
      SELECT m.name || '.' || p.name AS name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p
      WHERE m.type = 'table' AND p.pk > 0`.execute(sqlite.db);
    for (const { name } of keys) sqliteColumns[name] = { ...sqliteColumns[name]!, nullable: false };
    expect(Object.keys(sqliteColumns).length).toBeGreaterThan(100);
    expect(await describeColumns(postgres)).toEqual(sqliteColumns);
  });

  it("was migrated once when two servers open the empty PostgreSQL database at once", async () => {
    const database = await newPostgresDatabase();
    cleanups.push(database.drop);
    const stores = await Promise.all([1, 2].map(() => openPostgresStore({ url: database.url, poolSize: 2 })));
    cleanups.push(...stores.map((s) => () => s.close()));
    expect(stores.map((s) => s.migrated.from).sort()).toEqual([0, POSTGRES.latest]);
    expect(await rowsOf(stores[0]!, "roles")).toEqual(SEEDED.roles);
  });
});

/** Every earlier version of each store (0, the empty store, is above). */
const UPGRADES = BACKENDS.flatMap((backend) =>
  Array.from({ length: backend.latest - 1 }, (_, i) => ({ backend, from: i + 1, dialect: backend.dialect })),
);

describe.each(UPGRADES)("a $dialect store left at schema version $from", ({ backend, from, dialect }) => {
  let store: OpenedStore;
  const builtAt = backend.sqliteVersion(from);

  it("opens at the current version, with every row as it was and the new columns filled", async () => {
    const old = await backend.build(from);
    cleanups.push(() => old.remove());
    expect(await schemaVersion(old, dialect)).toBe(from);
    await fill(old, dialect, builtAt);
    await old.close();

    store = await old.open();
    cleanups.push(() => store.close());
    expect(store.migrated).toEqual({ from, to: backend.latest });
    expect(await schemaVersion(old, dialect)).toBe(backend.latest);
    for (const table of TABLES_IN_COPY_ORDER) {
      expect(await rowsOf(store, table), table).toEqual(rowsAfterUpgrade(table, builtAt));
    }
  });

  it("has the schema of a fresh store", async () => {
    const fresh = await freshStore(backend);
    expect(await schemaOf(store)).toEqual(await schemaOf(fresh));
  });

  it("serves the rows through the repositories, the reported columns as the report writer writes them", async () => {
    const d = dialectOf(dialect);
    const devices = new DeviceRepository(d);
    expect((await devices.deviceById(store.db, "dev_now"))?.reported).toEqual(REPORT_NOW);
    expect(await devices.idsMatching(store.db, { locked: true })).toEqual(["dev_now"]);
    expect(await devices.idsMatching(store.db, { timezones: ["America/St_Johns"] })).toEqual(["dev_before"]);
    expect(await devices.clockOffsetsExceeding(store.db, 1_000)).toEqual(new Map([["dev_now", -1_500]]));
    expect(await devices.countsOfManaged(store.db, 1_000)).toEqual({
      total: 2,
      online: 1,
      offline: 1,
      locked: 1,
      clockDrift: 1,
      configPending: 1,
    });
    const byOffset = await devices.listPage(store.db, {
      filter: {},
      sort: { by: "clockOffsetMs", descending: true },
      after: null,
      limit: 10,
    });
    expect(byOffset.records.map((r) => r.id)).toEqual(["dev_before", "dev_now", "dev_never", "dev_gone"]);
    expect(await devices.takeSeqs(store.db, ["dev_now"])).toEqual(new Map([["dev_now", 7]]));
    expect(await devices.isSerialDenied(store.db, "SN-LONG-GONE")).toBe(true);
    expect(await devices.credentialHashes(store.db, ["dev_now"])).toEqual(new Map([["dev_now", "h-now"]]));

    // The report writer, given the same reports, leaves the columns as the migration filled them.
    const columns = () =>
      store.db
        .selectFrom("devices")
        .select([
          "id",
          "reported_locked",
          "reported_timezone",
          "reported_clock_offset_ms",
          "reported_clock_measured",
          "reported_agent_version",
          "reported_applied_config_version",
        ])
        .orderBy("id")
        .execute();
    const migrated = await columns();
    await devices.writeReports(store.db, [
      { deviceId: "dev_now", atMs: T0 + 400, reported: REPORT_NOW },
      { deviceId: "dev_before", atMs: T0 + 300, reported: REPORT_BEFORE },
    ]);
    expect(await columns()).toEqual(migrated);

    expect(await new SettingsRepository(d).get(store.db, "clock_drift")).toEqual({
      value: { thresholdMs: 1_000 },
      updatedAtMs: T0,
    });
    const history = new StateHistoryRepository(d);
    await history.append(store.db, [{ deviceId: "dev_now", atMs: T0 + 300, stateJson: '{"n":3}' }]);
    expect((await history.newestOf(store.db, "dev_now", 10)).map((r) => r.state)).toEqual([
      { n: 3 },
      { n: 2 },
      { n: 1 },
    ]);
    // Generated keys go on after the rows the older server wrote.
    const ids = await store.db.selectFrom("state_history").select("id").orderBy("id").execute();
    expect(ids.map((r) => Number(r.id))).toEqual([1, 2, 3]);
  });
});

describe.each(BACKENDS)("migrations on $dialect", (backend) => {
  it("leave the store at the version before a migration that fails, and go on once it can run", async () => {
    // The version before the migration that reads every stored report (SQLite 4, PostgreSQL 2).
    const from = backend.dialect === "sqlite" ? 3 : 1;
    const old = await backend.build(from);
    cleanups.push(() => old.remove());
    await fill(old, backend.dialect, backend.sqliteVersion(from));
    // A report that is not JSON: the last migration reads every stored report.
    await old.db
      .updateTable("devices")
      .set({ reported_json: "{not json" })
      .where("id", "=", "dev_now")
      .execute();
    await old.close();

    await expect(old.open()).rejects.toThrow(/json/i);
    expect(await schemaVersion(old, backend.dialect)).toBe(from);
    expect(await columnsOf(old, "devices")).not.toContain("reported_locked");
    expect(await columnsOf(old, "devices")).toContain("reported_json");

    // Repaired by hand, as an operator would: the report put back.
    await old.connected((db) =>
      db
        .updateTable("devices")
        .set({ reported_json: JSON.stringify(REPORT_NOW) })
        .where("id", "=", "dev_now")
        .execute(),
    );
    const reopened = await old.open();
    cleanups.push(() => reopened.close());
    expect(reopened.migrated).toEqual({ from, to: backend.latest });
    expect(await rowsOf(reopened, "devices")).toEqual(
      rowsAfterUpgrade("devices", backend.sqliteVersion(from)),
    );
  });

  it("refuse a store from a newer server", async () => {
    const old = await backend.build(backend.latest);
    cleanups.push(() => old.remove());
    if (backend.dialect === "sqlite") {
      await sql`PRAGMA user_version = 99`.execute(old.db);
    } else {
      await sql`UPDATE pmdm_schema_version SET version = 99`.execute(old.db);
    }
    await old.close();
    await expect(old.open()).rejects.toThrow(/schema version 99 is newer than this server knows/);
  });
});

/** Paths this process holds open that lie under `dir`. */
async function openFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir("/proc/self/fd")) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => "");
    if (target.startsWith(dir)) out.push(target);
  }
  return out;
}

describe("opening a SQLite store that cannot be migrated", () => {
  it("leaves no file of it open", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pmdm-migrations-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "newer.sqlite");
    const database = await Database.open(file);
    await database.exec("PRAGMA user_version = 99");
    await database.close();
    expect(await openFilesUnder(dir)).toEqual([]);
    await expect(openSqliteStore(file)).rejects.toThrow(/newer than this server/);
    expect(await openFilesUnder(dir)).toEqual([]);
  });
});
