/**
 * Admin sessions and trusted login devices: the only code that writes `admin_sessions` and
 * `admin_login_devices`. Both are stored by the SHA-256 of their token, never the token.
 * Methods take the root store (reads outside a unit) or a unit's transaction; rows never leave
 * this module.
 */
import type { SqlDialect } from "../dialect.js";
import type { Queryable } from "../store.js";

export interface NewSessionRecord {
  id: string;
  adminId: string;
  tokenHash: string;
  createdAtMs: number;
  expiresAtMs: number;
  sourceAddress: string | null;
}

export interface LoginDeviceRecord {
  tokenHash: string;
  adminId: string;
  createdAtMs: number;
  lastUsedAtMs: number;
  expiresAtMs: number;
}

export class SessionRepository {
  constructor(readonly dialect: SqlDialect) {}

  // ---- sessions -----------------------------------------------------------------------------

  async insertSession(q: Queryable, session: NewSessionRecord): Promise<void> {
    await q
      .insertInto("admin_sessions")
      .values({
        id: session.id,
        admin_id: session.adminId,
        token_hash: session.tokenHash,
        created_at: session.createdAtMs,
        expires_at: session.expiresAtMs,
        source_address: session.sourceAddress,
      })
      .execute();
  }

  /** Ends a session that is still open; false when it was not (ended before, or unknown). */
  async endSession(q: Queryable, id: string, nowMs: number): Promise<boolean> {
    const result = await q
      .updateTable("admin_sessions")
      .set({ ended_at: nowMs })
      .where("id", "=", id)
      .where("ended_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Ends every open session of an admin but `exceptSessionId`; how many it ended. */
  async endSessionsOf(
    q: Queryable,
    adminId: string,
    nowMs: number,
    exceptSessionId: string | null = null,
  ): Promise<number> {
    let update = q
      .updateTable("admin_sessions")
      .set({ ended_at: nowMs })
      .where("admin_id", "=", adminId)
      .where("ended_at", "is", null);
    if (exceptSessionId !== null) update = update.where("id", "!=", exceptSessionId);
    const result = await update.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Removes sessions that expired or ended before `beforeMs`; how many. */
  async deleteSessionsBefore(q: Queryable, beforeMs: number): Promise<number> {
    const result = await q
      .deleteFrom("admin_sessions")
      .where((eb) => eb.or([eb("expires_at", "<", beforeMs), eb("ended_at", "<", beforeMs)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // ---- login devices ------------------------------------------------------------------------

  /** Whether the hash names an unexpired login device of this admin. */
  async isTrustedLoginDevice(
    q: Queryable,
    tokenHash: string,
    adminId: string,
    nowMs: number,
  ): Promise<boolean> {
    const row = await q
      .selectFrom("admin_login_devices")
      .select("token_hash")
      .where("token_hash", "=", tokenHash)
      .where("admin_id", "=", adminId)
      .where("expires_at", ">", nowMs)
      .executeTakeFirst();
    return row !== undefined;
  }

  async loginDevicesOf(q: Queryable, adminId: string): Promise<LoginDeviceRecord[]> {
    const rows = await q
      .selectFrom("admin_login_devices")
      .selectAll()
      .where("admin_id", "=", adminId)
      .orderBy("last_used_at", "desc")
      .orderBy("created_at", "desc")
      .orderBy("token_hash", "desc")
      .execute();
    return rows.map((row) => ({
      tokenHash: row.token_hash,
      adminId: row.admin_id,
      createdAtMs: row.created_at,
      lastUsedAtMs: row.last_used_at,
      expiresAtMs: row.expires_at,
    }));
  }

  async insertLoginDevice(
    q: Queryable,
    device: { tokenHash: string; adminId: string; nowMs: number; expiresAtMs: number },
  ): Promise<void> {
    await q
      .insertInto("admin_login_devices")
      .values({
        token_hash: device.tokenHash,
        admin_id: device.adminId,
        created_at: device.nowMs,
        last_used_at: device.nowMs,
        expires_at: device.expiresAtMs,
      })
      .execute();
  }

  /** A login device used again: its expiry starts over. */
  async renewLoginDevice(q: Queryable, tokenHash: string, nowMs: number, expiresAtMs: number): Promise<void> {
    await q
      .updateTable("admin_login_devices")
      .set({ last_used_at: nowMs, expires_at: expiresAtMs })
      .where("token_hash", "=", tokenHash)
      .execute();
  }

  /**
   * Keeps an admin's `max` most recently used login devices and removes the rest (ties: the
   * newer one stays, then the greater hash); how many it removed.
   */
  async keepNewestLoginDevices(q: Queryable, adminId: string, max: number): Promise<number> {
    const result = await q
      .deleteFrom("admin_login_devices")
      .where("admin_id", "=", adminId)
      .where("token_hash", "not in", (eb) =>
        eb
          .selectFrom("admin_login_devices")
          .select("token_hash")
          .where("admin_id", "=", adminId)
          .orderBy("last_used_at", "desc")
          .orderBy("created_at", "desc")
          .orderBy("token_hash", "desc")
          .limit(max),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteLoginDevice(q: Queryable, tokenHash: string): Promise<number> {
    const result = await q
      .deleteFrom("admin_login_devices")
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteLoginDevicesOf(q: Queryable, adminId: string): Promise<number> {
    const result = await q
      .deleteFrom("admin_login_devices")
      .where("admin_id", "=", adminId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Removes login devices whose time has passed (expiry at or before `nowMs`); how many. */
  async deleteExpiredLoginDevices(q: Queryable, nowMs: number): Promise<number> {
    const result = await q
      .deleteFrom("admin_login_devices")
      .where("expires_at", "<=", nowMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
