/**
 * Enrollment tokens and device codes: the only code that reads or writes `enrollment_tokens`
 * and `device_codes`. Methods take the root store (reads outside a unit) or a unit's
 * transaction; rows never leave this module.
 */
import type { Selectable } from "kysely";
import type { SqlDialect } from "../dialect.js";
import { prepared } from "../prepared.js";
import type { DeviceCodesTable, EnrollmentTokensTable } from "../schema.js";
import type { Queryable } from "../store.js";

export interface EnrollmentTokenRecord {
  id: string;
  name: string;
  maxUses: number;
  uses: number;
  expiresAtMs: number;
  createdAtMs: number;
  createdBy: string | null;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
  /** Labels each device it enrolls gets. */
  labels: string[];
  /** The site each device it enrolls joins; null: none. */
  siteId: string | null;
}

export type EnrollmentTokenState = "usable" | "used_up" | "expired" | "revoked";

export interface DeviceCodeRecord {
  userCode: string;
  serial: string;
  model: string;
  agentVersion: string;
  createdAtMs: number;
  expiresAtMs: number;
  lastPollAtMs: number | null;
  claimedDeviceId: string | null;
  consumedAtMs: number | null;
}

function tokenRecord(row: Selectable<EnrollmentTokensTable>): EnrollmentTokenRecord {
  return {
    id: row.id,
    name: row.name,
    maxUses: row.max_uses,
    uses: row.uses,
    expiresAtMs: row.expires_at,
    createdAtMs: row.created_at,
    createdBy: row.created_by,
    lastUsedAtMs: row.last_used_at,
    revokedAtMs: row.revoked_at,
    labels: JSON.parse(row.labels_json) as string[],
    siteId: row.site_id,
  };
}

function codeRecord(row: Selectable<DeviceCodesTable>): DeviceCodeRecord {
  return {
    userCode: row.user_code,
    serial: row.serial,
    model: row.model,
    agentVersion: row.agent_version,
    createdAtMs: row.created_at,
    expiresAtMs: row.expires_at,
    lastPollAtMs: row.last_poll_at,
    claimedDeviceId: row.claimed_device_id,
    consumedAtMs: row.consumed_at,
  };
}

export class EnrollmentRepository {
  constructor(readonly dialect: SqlDialect) {}

  /** The statements of every enrollment with a token: built once (see prepared.ts). */
  private readonly byTokenHash = prepared<{ tokenHash: string }, Selectable<EnrollmentTokensTable>>(
    ["tokenHash"],
    (q, p) => q.selectFrom("enrollment_tokens").selectAll().where("token_hash", "=", p.tokenHash),
  );

  private readonly tokenUseTaken = prepared<{ id: string; nowMs: number }, never>(["id", "nowMs"], (q, p) =>
    q
      .updateTable("enrollment_tokens")
      .set((eb) => ({ uses: eb("uses", "+", 1), last_used_at: p.nowMs }))
      .where("id", "=", p.id)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", p.nowMs)
      .whereRef("uses", "<", "max_uses"),
  );

  // ---- tokens -------------------------------------------------------------------------------

  async insertToken(
    q: Queryable,
    token: {
      id: string;
      tokenHash: string;
      name: string;
      maxUses: number;
      expiresAtMs: number;
      createdAtMs: number;
      createdBy: string | null;
      labels: readonly string[];
      siteId: string | null;
    },
  ): Promise<EnrollmentTokenRecord> {
    const row = await q
      .insertInto("enrollment_tokens")
      .values({
        id: token.id,
        token_hash: token.tokenHash,
        name: token.name,
        max_uses: token.maxUses,
        expires_at: token.expiresAtMs,
        created_at: token.createdAtMs,
        created_by: token.createdBy,
        labels_json: JSON.stringify(token.labels),
        site_id: token.siteId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return tokenRecord(row);
  }

  /** Tokens naming a site that is being deleted enroll into none from now on. */
  async clearSite(q: Queryable, siteId: string): Promise<void> {
    await q.updateTable("enrollment_tokens").set({ site_id: null }).where("site_id", "=", siteId).execute();
  }

  async tokenByHash(q: Queryable, tokenHash: string): Promise<EnrollmentTokenRecord | null> {
    const [row] = await this.byTokenHash.rows(q, { tokenHash });
    return row ? tokenRecord(row) : null;
  }

  async tokenById(q: Queryable, id: string): Promise<EnrollmentTokenRecord | null> {
    const row = await q.selectFrom("enrollment_tokens").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? tokenRecord(row) : null;
  }

  /** Newest first (ids are time-ordered), after `cursor`; `state` as of `nowMs`. */
  async listTokens(
    q: Queryable,
    query: { state?: EnrollmentTokenState; nowMs: number; limit: number; cursor: string | null },
  ): Promise<EnrollmentTokenRecord[]> {
    let select = q.selectFrom("enrollment_tokens").selectAll();
    if (query.cursor) select = select.where("id", "<", query.cursor);
    switch (query.state) {
      case "revoked":
        select = select.where("revoked_at", "is not", null);
        break;
      case "expired":
        select = select.where("revoked_at", "is", null).where("expires_at", "<=", query.nowMs);
        break;
      case "used_up":
        select = select
          .where("revoked_at", "is", null)
          .where("expires_at", ">", query.nowMs)
          .whereRef("uses", ">=", "max_uses");
        break;
      case "usable":
        select = select
          .where("revoked_at", "is", null)
          .where("expires_at", ">", query.nowMs)
          .whereRef("uses", "<", "max_uses");
        break;
      case undefined:
    }
    const rows = await select.orderBy("id", "desc").limit(query.limit).execute();
    return rows.map(tokenRecord);
  }

  /** Counts one use, only while the token is still usable; false when it was not. */
  async takeTokenUse(q: Queryable, id: string, nowMs: number): Promise<boolean> {
    return (await this.tokenUseTaken.changes(q, { id, nowMs })) > 0;
  }

  /** Revokes a token that is not revoked yet; revoking twice keeps the first time. */
  async revokeToken(q: Queryable, id: string, nowMs: number): Promise<void> {
    await q
      .updateTable("enrollment_tokens")
      .set({ revoked_at: nowMs })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .execute();
  }

  // ---- device codes -------------------------------------------------------------------------

  /** Codes whose time has passed free their user code for reuse. */
  async deleteExpiredCodes(q: Queryable, nowMs: number): Promise<void> {
    await q.deleteFrom("device_codes").where("expires_at", "<=", nowMs).execute();
  }

  /** Throws a unique violation (see isUniqueViolation) when the user code is taken. */
  async insertCode(
    q: Queryable,
    code: {
      deviceCodeHash: string;
      userCode: string;
      serial: string;
      model: string;
      agentVersion: string;
      createdAtMs: number;
      expiresAtMs: number;
    },
  ): Promise<void> {
    await q
      .insertInto("device_codes")
      .values({
        device_code_hash: code.deviceCodeHash,
        user_code: code.userCode,
        serial: code.serial,
        model: code.model,
        agent_version: code.agentVersion,
        created_at: code.createdAtMs,
        expires_at: code.expiresAtMs,
      })
      .execute();
  }

  async codeByUserCode(q: Queryable, userCode: string): Promise<DeviceCodeRecord | null> {
    const row = await q
      .selectFrom("device_codes")
      .selectAll()
      .where("user_code", "=", userCode)
      .executeTakeFirst();
    return row ? codeRecord(row) : null;
  }

  async codeByHash(q: Queryable, deviceCodeHash: string): Promise<DeviceCodeRecord | null> {
    const row = await q
      .selectFrom("device_codes")
      .selectAll()
      .where("device_code_hash", "=", deviceCodeHash)
      .executeTakeFirst();
    return row ? codeRecord(row) : null;
  }

  /** Marks the code claimed for a device, only if nobody claimed it first; false otherwise. */
  async markClaimed(q: Queryable, userCode: string, deviceId: string, nowMs: number): Promise<boolean> {
    const result = await q
      .updateTable("device_codes")
      .set({ claimed_device_id: deviceId, claimed_at: nowMs })
      .where("user_code", "=", userCode)
      .where("claimed_device_id", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async markPolled(q: Queryable, deviceCodeHash: string, nowMs: number): Promise<void> {
    await q
      .updateTable("device_codes")
      .set({ last_poll_at: nowMs })
      .where("device_code_hash", "=", deviceCodeHash)
      .execute();
  }

  /** Marks the code used up by the device's poll, only once; false when it already was. */
  async markConsumed(q: Queryable, deviceCodeHash: string, nowMs: number): Promise<boolean> {
    const result = await q
      .updateTable("device_codes")
      .set({ consumed_at: nowMs })
      .where("device_code_hash", "=", deviceCodeHash)
      .where("consumed_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
