/**
 * Personal API tokens: the only code that writes `admin_tokens`. A token is stored by the
 * SHA-256 of its secret, never the secret; its rights as a JSON list, or null for every right
 * (the bootstrap token). Methods take the root store (reads outside a unit) or a unit's
 * transaction; rows never leave this module.
 */
import type { Selectable } from "kysely";
import type { Right } from "../../admins/rights.js";
import type { SqlDialect } from "../dialect.js";
import type { AdminTokensTable } from "../schema.js";
import type { Queryable } from "../store.js";

export interface ApiTokenRecord {
  id: string;
  name: string;
  /** Null for a token from before accounts existed, until the first admin is given it. */
  adminId: string | null;
  /** Null: every right. */
  rights: Right[] | null;
  createdAtMs: number;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
}

function tokenRecord(row: Selectable<AdminTokensTable>): ApiTokenRecord {
  return {
    id: row.id,
    name: row.name,
    adminId: row.admin_id,
    rights: row.rights_json === null ? null : (JSON.parse(row.rights_json) as Right[]),
    createdAtMs: row.created_at,
    expiresAtMs: row.expires_at,
    revokedAtMs: row.revoked_at,
  };
}

export class ApiTokenRepository {
  constructor(readonly dialect: SqlDialect) {}

  /** `rights` null: every right; `expiresAtMs` null: never expires. */
  async insertToken(
    q: Queryable,
    token: {
      id: string;
      tokenHash: string;
      name: string;
      adminId: string;
      rights: readonly Right[] | null;
      createdAtMs: number;
      expiresAtMs: number | null;
    },
  ): Promise<ApiTokenRecord> {
    const row = await q
      .insertInto("admin_tokens")
      .values({
        id: token.id,
        token_hash: token.tokenHash,
        name: token.name,
        admin_id: token.adminId,
        rights_json: token.rights === null ? null : JSON.stringify(token.rights),
        created_at: token.createdAtMs,
        expires_at: token.expiresAtMs,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return tokenRecord(row);
  }

  /** An admin's tokens that are not revoked (expired ones included), newest first. */
  async unrevokedTokensOf(q: Queryable, adminId: string): Promise<ApiTokenRecord[]> {
    const rows = await q
      .selectFrom("admin_tokens")
      .selectAll()
      .where("admin_id", "=", adminId)
      .where("revoked_at", "is", null)
      .orderBy("id", "desc")
      .execute();
    return rows.map(tokenRecord);
  }

  /** Revokes a token of this admin that is not revoked yet; null when there is none. */
  async revokeTokenOf(
    q: Queryable,
    adminId: string,
    id: string,
    nowMs: number,
  ): Promise<ApiTokenRecord | null> {
    const row = await q
      .updateTable("admin_tokens")
      .set({ revoked_at: nowMs })
      .where("id", "=", id)
      .where("admin_id", "=", adminId)
      .where("revoked_at", "is", null)
      .returningAll()
      .executeTakeFirst();
    return row ? tokenRecord(row) : null;
  }

  /** Revokes every token of an admin not revoked yet; how many. */
  async revokeTokensOf(q: Queryable, adminId: string, nowMs: number): Promise<number> {
    const result = await q
      .updateTable("admin_tokens")
      .set({ revoked_at: nowMs })
      .where("admin_id", "=", adminId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Gives the tokens without a holder to this admin; how many. */
  async giveUnheldTokensTo(q: Queryable, adminId: string): Promise<number> {
    const result = await q
      .updateTable("admin_tokens")
      .set({ admin_id: adminId })
      .where("admin_id", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Whether a token with this hash exists and is not revoked (expired or not). */
  async isUnrevoked(q: Queryable, tokenHash: string): Promise<boolean> {
    const row = await q
      .selectFrom("admin_tokens")
      .select("id")
      .where("token_hash", "=", tokenHash)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return row !== undefined;
  }
}
