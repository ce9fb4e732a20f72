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
import type { ApiTokenRecord, ApiTokenRepository } from "../store/repositories/api-token-repository.js";
import type { Queryable, Store } from "../store/store.js";
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

export interface NewApiToken {
  name: string;
  rights: Right[];
  /** ISO time; or ttlDays; neither: {@link DEFAULT_TOKEN_TTL_DAYS} days. */
  expiresAt?: string;
  ttlDays?: number;
}

export class ApiTokenService {
  constructor(
    private readonly store: Store,
    private readonly repository: ApiTokenRepository,
    private readonly events: EventBus<ServerEvents>,
    private readonly clock: () => number,
  ) {}

  private view(record: ApiTokenRecord): ApiTokenView {
    return {
      id: record.id,
      name: record.name,
      rights: record.rights ?? [...RIGHTS],
      createdAt: new Date(record.createdAtMs).toISOString(),
      expiresAt: record.expiresAtMs === null ? null : new Date(record.expiresAtMs).toISOString(),
      expired: record.expiresAtMs !== null && record.expiresAtMs <= this.clock(),
    };
  }

  /** The admin's tokens that are not revoked, newest first. */
  async list(adminId: string): Promise<{ items: ApiTokenView[]; nextCursor: null }> {
    const records = await this.repository.unrevokedTokensOf(this.store.db, adminId);
    return { items: records.map((r) => this.view(r)), nextCursor: null };
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
    const record = await this.store.unit((tx) =>
      this.repository.insertToken(tx, {
        id: newTimeOrderedId("tok", now),
        tokenHash: hashSecret(token),
        name,
        adminId: actor.adminId,
        rights,
        createdAtMs: now,
        expiresAtMs,
      }),
    );
    return { ...this.view(record), token };
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
    const record = await this.store.unit((tx) =>
      this.repository.revokeTokenOf(tx, actor.adminId, tokenId, this.clock()),
    );
    if (!record) throw new MdmError("token_not_found", `you have no token '${tokenId}'`);
    this.events.emit("access.changed", { reason: "token revoked" });
    return this.view(record);
  }

  /** Inside a caller's unit: revokes every token of an admin (deactivation). */
  async revokeAll(q: Queryable, adminId: string): Promise<number> {
    return this.repository.revokeTokensOf(q, adminId, this.clock());
  }

  /** Inside a caller's unit: a token with every right and no expiry (the bootstrap token). */
  async createUnlimited(q: Queryable, adminId: string, name: string): Promise<string> {
    const token = newSecret(API_TOKEN_PREFIX);
    const now = this.clock();
    await this.repository.insertToken(q, {
      id: newTimeOrderedId("tok", now),
      tokenHash: hashSecret(token),
      name,
      adminId,
      rights: null,
      createdAtMs: now,
      expiresAtMs: null,
    });
    return token;
  }

  /** Inside a caller's unit: tokens from before accounts existed go to the first admin. */
  async giveUnheldTo(q: Queryable, adminId: string): Promise<number> {
    return this.repository.giveUnheldTokensTo(q, adminId);
  }

  /** Whether `token` is a token that has not been revoked. */
  async isUnrevoked(q: Queryable, token: string): Promise<boolean> {
    return this.repository.isUnrevoked(q, hashSecret(token));
  }
}
