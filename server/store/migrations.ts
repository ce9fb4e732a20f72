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
  // 2: admin accounts, roles, sessions, personal API tokens and the append-only audit log
  `
  CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- The built-in system admin role holds every right, including rights added later, so its
    -- rights are not stored: rights_json is '[]' and built_in = 1.
    rights_json TEXT NOT NULL,
    built_in    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
  );
  INSERT INTO roles (id, name, rights_json, built_in, created_at, updated_at)
    VALUES ('system_admin', 'System admin', '[]', 1, 0, 0);

  CREATE TABLE admins (
    id                  TEXT PRIMARY KEY,
    email               TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name                TEXT NOT NULL,
    role_id             TEXT NOT NULL REFERENCES roles (id),
    password_hash       TEXT,
    must_reset_password INTEGER NOT NULL DEFAULT 0,
    active              INTEGER NOT NULL DEFAULT 1,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    last_login_at       INTEGER
  );
  CREATE INDEX admins_by_role ON admins (role_id);

  CREATE TABLE admin_sessions (
    id             TEXT PRIMARY KEY,
    admin_id       TEXT NOT NULL REFERENCES admins (id),
    token_hash     TEXT NOT NULL UNIQUE,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    ended_at       INTEGER,
    source_address TEXT
  );
  CREATE INDEX admin_sessions_by_admin ON admin_sessions (admin_id) WHERE ended_at IS NULL;

  -- Step 1's tokens become personal API tokens; the bootstrap token is given to the first
  -- system admin at start (admin_id NULL until then). rights_json NULL: every right.
  ALTER TABLE admin_tokens ADD COLUMN admin_id TEXT REFERENCES admins (id);
  ALTER TABLE admin_tokens ADD COLUMN rights_json TEXT;
  ALTER TABLE admin_tokens ADD COLUMN expires_at INTEGER;
  CREATE INDEX admin_tokens_by_admin ON admin_tokens (admin_id);

  CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
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
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  `,
  // 3: enrollment tokens that can be listed and revoked; browsers trusted for sign-in; indexes
  // for the bound on how long an accepted command may run and on each device's state history
  `
  ALTER TABLE enrollment_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
  ALTER TABLE enrollment_tokens ADD COLUMN created_by TEXT;
  ALTER TABLE enrollment_tokens ADD COLUMN last_used_at INTEGER;
  CREATE INDEX enrollment_tokens_by_creation ON enrollment_tokens (created_at);

  -- A browser that signed in to an account successfully gets a cookie naming one of these rows;
  -- its attempts on that account are limited on their own, apart from strangers' failures.
  CREATE TABLE admin_login_devices (
    token_hash   TEXT PRIMARY KEY,
    admin_id     TEXT NOT NULL REFERENCES admins (id),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
  );
  CREATE INDEX admin_login_devices_by_admin ON admin_login_devices (admin_id);

  CREATE INDEX commands_running_by_acceptance ON commands (accepted_at) WHERE state = 'accepted';

  -- Each device keeps its newest state history rows only: this finds where they start.
  CREATE INDEX state_history_by_device_id ON state_history (device_id, id);
  `,
  // 4: the fields of each device's last report that the device list sorts, filters and counts
  // by, as plain columns the report writer keeps in step with reported_json (filled here from
  // the reports stored so far), and an index per order of the list
  `
  ALTER TABLE devices ADD COLUMN reported_locked INTEGER;
  ALTER TABLE devices ADD COLUMN reported_timezone TEXT;
  ALTER TABLE devices ADD COLUMN reported_clock_offset_ms INTEGER;
  ALTER TABLE devices ADD COLUMN reported_clock_measured INTEGER;
  ALTER TABLE devices ADD COLUMN reported_agent_version TEXT;
  ALTER TABLE devices ADD COLUMN reported_applied_config_version INTEGER;
  UPDATE devices SET
    reported_locked = reported_json ->> '$.locked',
    reported_timezone = reported_json ->> '$.timezone',
    reported_clock_offset_ms = CAST(reported_json ->> '$.clockOffsetMs' AS INTEGER),
    reported_clock_measured = (reported_json ->> '$.lastTimeSyncAt') IS NOT NULL,
    reported_agent_version = reported_json ->> '$.agentVersion',
    reported_applied_config_version = CAST(reported_json ->> '$.appliedConfigVersion' AS INTEGER)
  WHERE reported_json IS NOT NULL;

  -- Each on the expression the list orders by (see the device repository), then the id: a page
  -- in any order, at any depth, is a short index range.
  CREATE INDEX devices_by_lower_name ON devices (lower(name), id);
  CREATE INDEX devices_by_serial_id ON devices (serial, id);
  CREATE INDEX devices_by_model_id ON devices (model, id);
  CREATE INDEX devices_by_status_id ON devices (status, id);
  CREATE INDEX devices_by_online ON devices ((CASE WHEN online THEN 1 ELSE 0 END), id);
  CREATE INDEX devices_by_last_seen ON devices (coalesce(last_seen_at, 0), id);
  CREATE INDEX devices_by_enrollment ON devices (enrolled_at, id);
  CREATE INDEX devices_by_locked ON devices ((CASE WHEN reported_locked THEN 1 ELSE 0 END), id);
  CREATE INDEX devices_by_timezone ON devices (coalesce(reported_timezone, ''), id);
  CREATE INDEX devices_by_clock_offset ON devices (coalesce(abs(reported_clock_offset_ms), -1), id);
  CREATE INDEX devices_by_agent_version ON devices (coalesce(reported_agent_version, ''), id);
  `,
  // 5: several server processes as one service. Each node has a row it keeps alive (its lease);
  // a device's row names the node holding its connection; a job runs where its lease is held;
  // the command-signing key ring lives in the store, so every node signs with the same keys.
  `
  CREATE TABLE server_nodes (
    id             TEXT PRIMARY KEY,
    started_at     INTEGER NOT NULL,
    heartbeat_at   INTEGER NOT NULL,
    http_url       TEXT NOT NULL,
    mqtt_urls_json TEXT NOT NULL
  );
  ALTER TABLE devices ADD COLUMN connected_node TEXT;
  CREATE INDEX devices_by_connected_node ON devices (connected_node) WHERE connected_node IS NOT NULL;
  CREATE TABLE job_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE signing_key_ring (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    INTEGER NOT NULL,
    ring_json  TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  `,
  // 6: labels on devices, any number each, for targeting and filtering; an enrollment token's
  // labels, given to each device it enrolls.
  `
  CREATE TABLE device_labels (
    id         INTEGER PRIMARY KEY,
    device_id  TEXT NOT NULL REFERENCES devices (id),
    label      TEXT NOT NULL,
    added_at   INTEGER NOT NULL,
    UNIQUE (device_id, label)
  );
  CREATE INDEX device_labels_by_label ON device_labels (label, device_id);
  ALTER TABLE enrollment_tokens ADD COLUMN labels_json TEXT NOT NULL DEFAULT '[]';
  `,
  // 7: sites (at most one per device, with their own date & time), and dynamic groups (saved
  // device filters).
  `
  CREATE TABLE sites (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- NULL: the site's devices follow the global date & time.
    time_timezone   TEXT,
    time_ntp_server TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
  );
  ALTER TABLE devices ADD COLUMN site_id TEXT REFERENCES sites (id);
  -- What set the desired date & time last: 'global', 'site' or 'device' (a command for it).
  ALTER TABLE devices ADD COLUMN desired_time_source TEXT NOT NULL DEFAULT 'global';
  CREATE INDEX devices_by_site ON devices (site_id, id);
  ALTER TABLE enrollment_tokens ADD COLUMN site_id TEXT REFERENCES sites (id);

  CREATE TABLE device_groups (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    filter_json TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
  );

  -- Scheduled fleet commands: one-off (cron NULL, at starts_at) or recurring (cron in timezone).
  CREATE TABLE schedules (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    command_json  TEXT NOT NULL,
    target_json   TEXT NOT NULL,
    cron          TEXT,
    timezone      TEXT NOT NULL,
    starts_at     INTEGER,
    ends_at       INTEGER,
    missed_runs   TEXT NOT NULL CHECK (missed_runs IN ('skip', 'run_late')),
    state         TEXT NOT NULL CHECK (state IN ('active', 'paused', 'finished')),
    next_run_at   INTEGER,
    last_run_at   INTEGER,
    runs          INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    created_by    TEXT
  );
  CREATE INDEX schedules_due ON schedules (state, next_run_at);
  -- Each run of a schedule, once per due time: the fleet command it started, or why none.
  CREATE TABLE schedule_runs (
    id          INTEGER PRIMARY KEY,
    schedule_id TEXT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    due_at      INTEGER NOT NULL,
    ran_at      INTEGER NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('started', 'skipped', 'failed')),
    batch_id    TEXT REFERENCES batches (id),
    message     TEXT,
    UNIQUE (schedule_id, due_at)
  );
  `,
  // 8: maintenance windows per site and the commands that wait for them; staged rollouts.
  `
  -- {"start":"01:00","end":"05:00","days":[...],"timezone":"Europe/Berlin"}, or NULL: none.
  ALTER TABLE sites ADD COLUMN window_json TEXT;
  -- NULL: delivered at any time; 'held': waits for the device's maintenance window;
  -- 'released': its window is open (or the device has none), delivered like any other.
  ALTER TABLE commands ADD COLUMN window_hold TEXT CHECK (window_hold IN ('held', 'released'));
  CREATE INDEX commands_in_window ON commands (device_id) WHERE window_hold IS NOT NULL AND state = 'queued';

  CREATE TABLE rollouts (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL,
    params_json   TEXT NOT NULL,
    -- The target as given and as resolved (once, at creation).
    target_json   TEXT NOT NULL,
    -- Phases, rate, gates, abort threshold, TTL and window as the API took them.
    plan_json     TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN
                    ('running', 'paused', 'waiting_approval', 'completed', 'aborted', 'canceled')),
    current_phase INTEGER NOT NULL,
    -- The current phase's rate counts from rate_since, with rate_base devices released before it.
    rate_since    INTEGER,
    rate_base     INTEGER NOT NULL DEFAULT 0,
    reason_code   TEXT,
    reason        TEXT,
    retry_of      TEXT REFERENCES rollouts (id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    created_by    TEXT
  );
  CREATE INDEX rollouts_open ON rollouts (state, id);
  CREATE TABLE rollout_phases (
    id          INTEGER PRIMARY KEY,
    rollout_id  TEXT NOT NULL REFERENCES rollouts (id),
    idx         INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN
                  ('pending', 'running', 'waiting_approval', 'done', 'stopped')),
    -- The fleet command holding the phase's commands, made when the phase starts.
    batch_id    TEXT REFERENCES batches (id),
    devices     INTEGER NOT NULL,
    released    INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER,
    finished_at INTEGER,
    UNIQUE (rollout_id, idx)
  );
  -- Each targeted device once, in the phase it belongs to and its place in the release order.
  CREATE TABLE rollout_devices (
    id          INTEGER PRIMARY KEY,
    rollout_id  TEXT NOT NULL REFERENCES rollouts (id),
    device_id   TEXT NOT NULL REFERENCES devices (id),
    phase       INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    released_at INTEGER,
    UNIQUE (rollout_id, device_id)
  );
  CREATE INDEX rollout_devices_to_release ON rollout_devices (rollout_id, phase, position)
    WHERE released_at IS NULL;
  `,
];

/**
 * Applies the migrations the database lacks, up to `target` (default: all of them; an earlier
 * version builds a database as an older server left it, for upgrade tests).
 */
export async function migrate(
  db: Database,
  target: number = MIGRATIONS.length,
): Promise<{ from: number; to: number }> {
  const upTo = Math.min(target, MIGRATIONS.length);
  const row = await db.get<{ user_version: number }>("PRAGMA user_version");
  const from = row?.user_version ?? 0;
  if (from > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${from} is newer than this server knows (${MIGRATIONS.length}); upgrade the server`,
    );
  }
  for (let version = from; version < upTo; version++) {
    const sql = MIGRATIONS[version]!;
    await db.write(async (tx) => {
      await tx.exec(sql);
      await tx.exec(`PRAGMA user_version = ${version + 1}`);
    });
  }
  return { from, to: Math.max(from, upTo) };
}
