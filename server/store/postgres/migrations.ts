/**
 * PostgreSQL schema migrations. Version 1 is the whole schema as SQLite has it at its
 * version 3; every later change is one entry here and one in `server/store/migrations.ts`, so
 * both stores hold the same tables. The version applied is kept in `pmdm_schema_version`; each
 * migration runs in its own transaction, and an advisory lock keeps two servers starting at once
 * from migrating together. Append new migrations; never edit an applied one.
 */
import { type Kysely, sql } from "kysely";
import type { StoreSchema } from "../schema.js";

/** Any 64-bit number, the same for every process of this project: the migration lock. */
const MIGRATION_LOCK_KEY = 7_364_112_905;

export const POSTGRES_MIGRATIONS: readonly string[] = [
  // 1: everything up to SQLite's version 3
  `
  CREATE EXTENSION IF NOT EXISTS citext;

  CREATE TABLE devices (
    id                 TEXT PRIMARY KEY,
    serial             TEXT NOT NULL UNIQUE,
    model              TEXT NOT NULL,
    name               TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('active', 'reset', 'unmanaged', 'deactivated')),
    online             BOOLEAN NOT NULL DEFAULT false,
    last_seen_at       BIGINT,
    enrolled_at        BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    next_seq           BIGINT NOT NULL DEFAULT 1,
    desired_version    BIGINT NOT NULL DEFAULT 1,
    desired_name       TEXT NOT NULL,
    desired_timezone   TEXT NOT NULL,
    desired_ntp_server TEXT,
    reported_json      TEXT,
    reported_at        BIGINT
  );
  CREATE INDEX devices_by_status ON devices (status);
  CREATE INDEX devices_by_model ON devices (model);
  CREATE INDEX devices_by_name ON devices (name);
  CREATE INDEX devices_by_lower_name ON devices (lower(name), id);

  CREATE TABLE device_credentials (
    device_id   TEXT PRIMARY KEY REFERENCES devices (id),
    secret_hash TEXT NOT NULL,
    created_at  BIGINT NOT NULL
  );

  CREATE TABLE denied_serials (
    serial    TEXT PRIMARY KEY,
    device_id TEXT,
    denied_at BIGINT NOT NULL
  );

  CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    params_json TEXT NOT NULL,
    target_json TEXT NOT NULL,
    total       BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT
  );

  CREATE TABLE commands (
    id            TEXT PRIMARY KEY,
    device_id     TEXT NOT NULL REFERENCES devices (id),
    batch_id      TEXT REFERENCES batches (id),
    seq           BIGINT NOT NULL,
    type          TEXT NOT NULL,
    params_json   TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN
                    ('queued', 'sent', 'accepted', 'succeeded', 'failed', 'rejected', 'expired', 'canceled')),
    error_code    TEXT,
    error_message TEXT,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    sent_at       BIGINT,
    accepted_at   BIGINT,
    finished_at   BIGINT,
    created_by    TEXT,
    UNIQUE (device_id, seq)
  );
  CREATE INDEX commands_open_by_device ON commands (device_id, seq)
    WHERE state IN ('queued', 'sent', 'accepted');
  CREATE INDEX commands_by_batch ON commands (batch_id, state) WHERE batch_id IS NOT NULL;
  CREATE INDEX commands_undelivered_by_expiry ON commands (expires_at) WHERE state IN ('queued', 'sent');
  CREATE INDEX commands_running_by_acceptance ON commands (accepted_at) WHERE state = 'accepted';

  CREATE TABLE state_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id   TEXT NOT NULL REFERENCES devices (id),
    at          BIGINT NOT NULL,
    state_json  TEXT NOT NULL
  );
  CREATE INDEX state_history_by_device ON state_history (device_id, at);
  CREATE INDEX state_history_by_time ON state_history (at);
  CREATE INDEX state_history_by_device_id ON state_history (device_id, id);

  CREATE TABLE enrollment_tokens (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL DEFAULT '',
    max_uses     BIGINT NOT NULL,
    uses         BIGINT NOT NULL DEFAULT 0,
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT,
    last_used_at BIGINT,
    revoked_at   BIGINT
  );
  CREATE INDEX enrollment_tokens_by_creation ON enrollment_tokens (created_at);

  CREATE TABLE device_codes (
    device_code_hash  TEXT PRIMARY KEY,
    user_code         TEXT NOT NULL UNIQUE,
    serial            TEXT NOT NULL,
    model             TEXT NOT NULL,
    agent_version     TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    last_poll_at      BIGINT,
    claimed_device_id TEXT REFERENCES devices (id),
    claimed_at        BIGINT,
    consumed_at       BIGINT
  );

  CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value_json TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  );

  CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    name        CITEXT NOT NULL UNIQUE,
    rights_json TEXT NOT NULL,
    built_in    BOOLEAN NOT NULL DEFAULT false,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
  );
  INSERT INTO roles (id, name, rights_json, built_in, created_at, updated_at)
    VALUES ('system_admin', 'System admin', '[]', true, 0, 0);

  CREATE TABLE admins (
    id                  TEXT PRIMARY KEY,
    email               CITEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    role_id             TEXT NOT NULL REFERENCES roles (id),
    password_hash       TEXT,
    must_reset_password BOOLEAN NOT NULL DEFAULT false,
    active              BOOLEAN NOT NULL DEFAULT true,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    last_login_at       BIGINT
  );
  CREATE INDEX admins_by_role ON admins (role_id);

  CREATE TABLE admin_sessions (
    id             TEXT PRIMARY KEY,
    admin_id       TEXT NOT NULL REFERENCES admins (id),
    token_hash     TEXT NOT NULL UNIQUE,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    ended_at       BIGINT,
    source_address TEXT
  );
  CREATE INDEX admin_sessions_by_admin ON admin_sessions (admin_id) WHERE ended_at IS NULL;

  CREATE TABLE admin_tokens (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    admin_id    TEXT REFERENCES admins (id),
    rights_json TEXT,
    expires_at  BIGINT
  );
  CREATE INDEX admin_tokens_by_admin ON admin_tokens (admin_id);

  CREATE TABLE admin_login_devices (
    token_hash   TEXT PRIMARY KEY,
    admin_id     TEXT NOT NULL REFERENCES admins (id),
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
  );
  CREATE INDEX admin_login_devices_by_admin ON admin_login_devices (admin_id);

  CREATE TABLE audit_log (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             BIGINT NOT NULL,
    actor_id       TEXT,
    actor_email    TEXT,
    credential_id  TEXT,
    action         TEXT NOT NULL,
    target         TEXT,
    params_json    TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    error_code     TEXT,
    source_address TEXT
  );
  CREATE INDEX audit_log_by_time ON audit_log (at);
  CREATE INDEX audit_log_by_actor ON audit_log (actor_id, seq);
  CREATE INDEX audit_log_by_action ON audit_log (action, seq);
  CREATE INDEX audit_log_by_target ON audit_log (target, seq);
  -- Append-only, whatever the caller: no statement may change or remove a row.
  CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
  CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
  `,
];

export async function migratePostgres(db: Kysely<StoreSchema>): Promise<{ from: number; to: number }> {
  return db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      await sql`CREATE TABLE IF NOT EXISTS pmdm_schema_version (version INTEGER NOT NULL)`.execute(conn);
      const row = await sql<{ version: number }>`SELECT version FROM pmdm_schema_version`.execute(conn);
      const from = row.rows[0]?.version ?? 0;
      if (from > POSTGRES_MIGRATIONS.length) {
        throw new Error(
          `database schema version ${from} is newer than this server knows (${POSTGRES_MIGRATIONS.length}); upgrade the server`,
        );
      }
      for (let version = from; version < POSTGRES_MIGRATIONS.length; version++) {
        await conn.transaction().execute(async (tx) => {
          await sql.raw(POSTGRES_MIGRATIONS[version]!).execute(tx);
          await sql`DELETE FROM pmdm_schema_version`.execute(tx);
          await sql`INSERT INTO pmdm_schema_version (version) VALUES (${version + 1})`.execute(tx);
        });
      }
      return { from, to: POSTGRES_MIGRATIONS.length };
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
}
