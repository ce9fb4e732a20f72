/**
 * Versioned schema migrations. `PRAGMA user_version` holds the number of migrations applied;
 * each migration runs in its own transaction. Append new migrations; never edit an applied one.
 */
import type { Database } from "./database.js";

export const MIGRATIONS: readonly string[] = [
  // 1: devices, credentials, commands, batches, enrollment, settings, admin tokens
  `
  CREATE TABLE devices (
    id                 TEXT PRIMARY KEY,
    serial             TEXT NOT NULL UNIQUE,
    model              TEXT NOT NULL,
    name               TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('active', 'reset', 'unmanaged', 'deactivated')),
    online             INTEGER NOT NULL DEFAULT 0,
    last_seen_at       INTEGER,
    enrolled_at        INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    next_seq           INTEGER NOT NULL DEFAULT 1,
    desired_version    INTEGER NOT NULL DEFAULT 1,
    desired_name       TEXT NOT NULL,
    desired_timezone   TEXT NOT NULL,
    desired_ntp_server TEXT,
    reported_json      TEXT,
    reported_at        INTEGER
  );
  CREATE INDEX devices_by_status ON devices (status);
  CREATE INDEX devices_by_model ON devices (model);
  CREATE INDEX devices_by_name ON devices (name);

  -- A device has at most one live credential; revoking deletes the row.
  CREATE TABLE device_credentials (
    device_id   TEXT PRIMARY KEY REFERENCES devices (id),
    secret_hash TEXT NOT NULL,
    created_at  INTEGER NOT NULL
  );

  -- Serials of permanently deactivated devices. Rows are never deleted.
  CREATE TABLE denied_serials (
    serial    TEXT PRIMARY KEY,
    device_id TEXT,
    denied_at INTEGER NOT NULL
  );

  CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    params_json TEXT NOT NULL,
    target_json TEXT NOT NULL,
    total       INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT
  );

  CREATE TABLE commands (
    id            TEXT PRIMARY KEY,
    device_id     TEXT NOT NULL REFERENCES devices (id),
    batch_id      TEXT REFERENCES batches (id),
    seq           INTEGER NOT NULL,
    type          TEXT NOT NULL,
    params_json   TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN
                    ('queued', 'sent', 'accepted', 'succeeded', 'failed', 'rejected', 'expired', 'canceled')),
    error_code    TEXT,
    error_message TEXT,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    sent_at       INTEGER,
    accepted_at   INTEGER,
    finished_at   INTEGER,
    created_by    TEXT,
    UNIQUE (device_id, seq)
  );
  CREATE INDEX commands_open_by_device ON commands (device_id, seq)
    WHERE state IN ('queued', 'sent', 'accepted');
  CREATE INDEX commands_by_batch ON commands (batch_id, state) WHERE batch_id IS NOT NULL;
  CREATE INDEX commands_undelivered_by_expiry ON commands (expires_at) WHERE state IN ('queued', 'sent');

  CREATE TABLE state_history (
    id          INTEGER PRIMARY KEY,
    device_id   TEXT NOT NULL REFERENCES devices (id),
    at          INTEGER NOT NULL,
    state_json  TEXT NOT NULL
  );
  CREATE INDEX state_history_by_device ON state_history (device_id, at);
  CREATE INDEX state_history_by_time ON state_history (at);

  CREATE TABLE enrollment_tokens (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    max_uses   INTEGER NOT NULL,
    uses       INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );

  CREATE TABLE device_codes (
    device_code_hash TEXT PRIMARY KEY,
    user_code        TEXT NOT NULL UNIQUE,
    serial           TEXT NOT NULL,
    model            TEXT NOT NULL,
    agent_version    TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    last_poll_at     INTEGER,
    claimed_device_id TEXT REFERENCES devices (id),
    claimed_at       INTEGER,
    consumed_at      INTEGER
  );

  CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value_json TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE admin_tokens (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  `,
];

export async function migrate(db: Database): Promise<{ from: number; to: number }> {
  const row = await db.get<{ user_version: number }>("PRAGMA user_version");
  const from = row?.user_version ?? 0;
  if (from > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${from} is newer than this server knows (${MIGRATIONS.length}); upgrade the server`,
    );
  }
  for (let version = from; version < MIGRATIONS.length; version++) {
    const sql = MIGRATIONS[version]!;
    await db.write(async () => {
      await db.exec(sql);
      await db.exec(`PRAGMA user_version = ${version + 1}`);
    });
  }
  return { from, to: MIGRATIONS.length };
}
