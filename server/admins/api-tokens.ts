/**
 * Personal API tokens: named, limited to a subset of the holder's rights (and, at each
 * request, to what the holder's role still allows), with an expiry, revocable, shown once and
 * stored as SHA-256. The bootstrap token in `<data dir>/admin-token` is one of them, with
 * every right and no expiry.
 */
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { hashSecret, newSecret, newTimeOrderedId } from "../ids.js";
import type { Database, WriteContext } from "../store/database.js";
import { type Principal, requireHoldsAll } from "./principal.js";
import { normalizeRights, RIGHTS, type Right } from "./rights.js";

export const API_TOKEN_PREFIX = "pat_";
export const DEFAULT_TOKEN_TTL_DAYS = 90;
export const MAX_TOKEN_TTL_DAYS = 365;

export interface ApiTokenView {
  id: string;
  name: string;
  /** The rights the token was given; at use it holds only those its holder's role still has. */
  rights: Right[];
  createdAt: string;
  expiresAt: string | null;
  expired: boolean;
}

interface TokenRow {
  id: string;
  name: string;
  admin_id: string | null;
  rights_json: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface NewApiToken {
  name: string;
  rights: Right[];
  /** ISO time; or ttlDays; neither: {@link DEFAULT_TOKEN_TTL_DAYS} days. */
  expiresAt?: string;
  ttlDays?: number;
}

export class ApiTokenService {
  constructor(
    private readonly db: Database,
    private readonly events: EventBus<ServerEvents>,
    private readonly clock: () => number,
  ) {}

  private view(row: TokenRow): ApiTokenView {
    return {
      id: row.id,
      name: row.name,
      rights: row.rights_json === null ? [...RIGHTS] : (JSON.parse(row.rights_json) as Right[]),
      createdAt: new Date(row.created_at).toISOString(),
      expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
      expired: row.expires_at !== null && row.expires_at <= this.clock(),
    };
  }

  /** The admin's tokens that are not revoked, newest first. */
  async list(adminId: string): Promise<{ items: ApiTokenView[]; nextCursor: null }> {
    const rows = await this.db.all<TokenRow>(
      "SELECT * FROM admin_tokens WHERE admin_id = ? AND revoked_at IS NULL ORDER BY id DESC",
      [adminId],
    );
    return { items: rows.map((r) => this.view(r)), nextCursor: null };
  }

  async create(actor: Principal, input: NewApiToken): Promise<ApiTokenView & { token: string }> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 64) {
      throw new MdmError("validation_failed", "name must be 1 to 64 characters", { field: "name" });
    }
    const rights = normalizeRights(input.rights);
    requireHoldsAll(actor, rights, `token '${name}'`);
    const now = this.clock();
    const expiresAtMs = this.expiry(input, now);
    const token = newSecret(API_TOKEN_PREFIX);
    const id = newTimeOrderedId("tok", now);
    const row = await this.db.write((tx) =>
      tx.get<TokenRow>(
        `INSERT INTO admin_tokens (id, token_hash, name, created_at, admin_id, rights_json, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [id, hashSecret(token), name, now, actor.adminId, JSON.stringify(rights), expiresAtMs],
      ),
    );
    return { ...this.view(row!), token };
  }

  private expiry(input: NewApiToken, now: number): number {
    const maxMs = now + MAX_TOKEN_TTL_DAYS * 86_400_000;
    if (input.expiresAt !== undefined && input.ttlDays !== undefined) {
      throw new MdmError("validation_failed", "give expiresAt or ttlDays, not both", { field: "ttlDays" });
    }
    if (input.expiresAt !== undefined) {
      const at = Date.parse(input.expiresAt);
      if (!Number.isFinite(at) || at <= now || at > maxMs) {
        throw new MdmError(
          "validation_failed",
          `expiresAt must be in the future and within ${MAX_TOKEN_TTL_DAYS} days`,
          { field: "expiresAt" },
        );
      }
      return at;
    }
    return now + (input.ttlDays ?? DEFAULT_TOKEN_TTL_DAYS) * 86_400_000;
  }

  /** Revokes one of the actor's own tokens. */
  async revoke(actor: Principal, tokenId: string): Promise<ApiTokenView> {
    const row = await this.db.write(async (tx) => {
      const revoked = await tx.get<TokenRow>(
        `UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND admin_id = ? AND revoked_at IS NULL
         RETURNING *`,
        [this.clock(), tokenId, actor.adminId],
      );
      if (!revoked) throw new MdmError("token_not_found", `you have no token '${tokenId}'`);
      return revoked;
    });
    this.events.emit("access.changed", { reason: "token revoked" });
    return this.view(row);
  }

  /** Inside a caller's write: revokes every token of an admin (deactivation). */
  async revokeAll(tx: WriteContext, adminId: string): Promise<number> {
    const result = await tx.run(
      "UPDATE admin_tokens SET revoked_at = ? WHERE admin_id = ? AND revoked_at IS NULL",
      [this.clock(), adminId],
    );
    return result.changes;
  }

  /** Inside a caller's write: a token with every right and no expiry (the bootstrap token). */
  async createUnlimited(tx: WriteContext, adminId: string, name: string): Promise<string> {
    const token = newSecret(API_TOKEN_PREFIX);
    const now = this.clock();
    await tx.run(
      "INSERT INTO admin_tokens (id, token_hash, name, created_at, admin_id) VALUES (?, ?, ?, ?, ?)",
      [newTimeOrderedId("tok", now), hashSecret(token), name, now, adminId],
    );
    return token;
  }
}
