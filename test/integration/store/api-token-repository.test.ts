/** The API token repository, the same on every store backend (see test/helpers/stores.ts). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Right, SYSTEM_ADMIN_ROLE_ID } from "../../../server/admins/rights.js";
import { dialectOf } from "../../../server/store/dialect.js";
import { AdminRepository } from "../../../server/store/repositories/admin-repository.js";
import { ApiTokenRepository } from "../../../server/store/repositories/api-token-repository.js";
import type { Store } from "../../../server/store/store.js";
import { isUniqueViolation } from "../../../server/store/unique-violation.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

describe.each(STORE_BACKENDS)("API token repository on %s", (dialect) => {
  let t: TestStore;
  let repo: ApiTokenRepository;
  let admins: AdminRepository;
  beforeAll(async () => {
    t = await openTestStore(dialect);
    repo = new ApiTokenRepository(dialectOf(dialect));
    admins = new AdminRepository(dialectOf(dialect));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const admin = (id: string, store: Store = t.store) =>
    admins.insertAdmin(store.db, {
      id,
      email: `${id}@example.com`,
      name: id,
      roleId: SYSTEM_ADMIN_ROLE_ID,
      passwordHash: "x",
      mustResetPassword: false,
      createdAtMs: 1,
    });

  const token = (
    id: string,
    adminId: string,
    rights: Right[] | null = ["devices:read"],
    expiresAtMs: number | null = 1000,
  ) =>
    repo.insertToken(t.store.db, {
      id,
      tokenHash: `hash-${id}`,
      name: `name ${id}`,
      adminId,
      rights,
      createdAtMs: 5,
      expiresAtMs,
    });

  it("stores a token's rights as a list, or none for every right, and its expiry or none", async () => {
    await admin("adm_a");
    expect(await token("tok_a1", "adm_a", ["devices:read", "audit:read"], 1000)).toEqual({
      id: "tok_a1",
      name: "name tok_a1",
      adminId: "adm_a",
      rights: ["devices:read", "audit:read"],
      createdAtMs: 5,
      expiresAtMs: 1000,
      revokedAtMs: null,
    });
    expect(await token("tok_a2", "adm_a", null, null)).toMatchObject({ rights: null, expiresAtMs: null });
    expect(await token("tok_a3", "adm_a", [], 1000)).toMatchObject({ rights: [] });
  });

  it("refuses a second token with the same hash, as a unique violation", async () => {
    await admin("adm_dup");
    await token("tok_dup", "adm_dup");
    const duplicate = await t.store
      .unit((tx) =>
        repo.insertToken(tx, {
          id: "tok_dup2",
          tokenHash: "hash-tok_dup",
          name: "again",
          adminId: "adm_dup",
          rights: null,
          createdAtMs: 6,
          expiresAtMs: null,
        }),
      )
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(isUniqueViolation(duplicate)).toBe(true);
  });

  it("lists an admin's unrevoked tokens newest first, expired ones too, and nobody else's", async () => {
    await admin("adm_list");
    await admin("adm_list_other");
    await token("tok_l1", "adm_list", null, 10);
    await token("tok_l3", "adm_list");
    await token("tok_l2", "adm_list");
    await token("tok_l4", "adm_list_other");
    await repo.revokeTokenOf(t.store.db, "adm_list", "tok_l2", 7);
    const ids = (await repo.unrevokedTokensOf(t.store.db, "adm_list")).map((r) => r.id);
    expect(ids).toEqual(["tok_l3", "tok_l1"]);
  });

  it("revokes a token only for its holder and only once, keeping the first time", async () => {
    await admin("adm_rev");
    await admin("adm_rev_other");
    await token("tok_rev", "adm_rev");
    expect(await repo.revokeTokenOf(t.store.db, "adm_rev_other", "tok_rev", 5)).toBeNull();
    expect(await repo.revokeTokenOf(t.store.db, "adm_rev", "tok_rev", 6)).toMatchObject({
      id: "tok_rev",
      revokedAtMs: 6,
    });
    expect(await repo.revokeTokenOf(t.store.db, "adm_rev", "tok_rev", 7)).toBeNull();
    expect(await repo.isUnrevoked(t.store.db, "hash-tok_rev")).toBe(false);
  });

  it("revokes every token of an admin at once and counts only those still open", async () => {
    await admin("adm_all");
    await admin("adm_all_other");
    await token("tok_all1", "adm_all");
    await token("tok_all2", "adm_all");
    await token("tok_all3", "adm_all");
    await token("tok_all_other", "adm_all_other");
    await repo.revokeTokenOf(t.store.db, "adm_all", "tok_all3", 1);
    expect(await repo.revokeTokensOf(t.store.db, "adm_all", 2)).toBe(2);
    expect(await repo.unrevokedTokensOf(t.store.db, "adm_all")).toEqual([]);
    expect(await repo.isUnrevoked(t.store.db, "hash-tok_all_other")).toBe(true);
    expect(await repo.isUnrevoked(t.store.db, "hash-unknown")).toBe(false);
  });

  it("gives the tokens without a holder to an admin", async () => {
    const fresh = await openTestStore(dialect);
    try {
      // Tokens from before accounts existed have no holder.
      await fresh.store.db
        .insertInto("admin_tokens")
        .values([
          { id: "tok_old1", token_hash: "hash-old1", name: "bootstrap", created_at: 1 },
          { id: "tok_old2", token_hash: "hash-old2", name: "ci", created_at: 2 },
        ])
        .execute();
      await admin("adm_first", fresh.store);
      expect(await repo.giveUnheldTokensTo(fresh.store.db, "adm_first")).toBe(2);
      expect(await repo.giveUnheldTokensTo(fresh.store.db, "adm_first")).toBe(0);
      const given = await repo.unrevokedTokensOf(fresh.store.db, "adm_first");
      expect(given.map((r) => [r.id, r.adminId, r.rights, r.expiresAtMs])).toEqual([
        ["tok_old2", "adm_first", null, null],
        ["tok_old1", "adm_first", null, null],
      ]);
    } finally {
      await fresh.cleanup();
    }
  });
});
