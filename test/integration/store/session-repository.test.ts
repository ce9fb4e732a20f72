/**
 * The session repository (admin sessions and trusted login devices), the same on every store
 * backend (see test/helpers/stores.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ADMIN_ROLE_ID } from "../../../server/admins/rights.js";
import { dialectOf } from "../../../server/store/dialect.js";
import { AdminRepository } from "../../../server/store/repositories/admin-repository.js";
import { SessionRepository } from "../../../server/store/repositories/session-repository.js";
import type { Queryable } from "../../../server/store/store.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

describe.each(STORE_BACKENDS)("session repository on %s", (dialect) => {
  let t: TestStore;
  let repo: SessionRepository;
  let admins: AdminRepository;
  beforeAll(async () => {
    t = await openTestStore(dialect);
    repo = new SessionRepository(dialectOf(dialect));
    admins = new AdminRepository(dialectOf(dialect));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const admin = (id: string) =>
    admins.insertAdmin(t.store.db, {
      id,
      email: `${id}@example.com`,
      name: id,
      roleId: SYSTEM_ADMIN_ROLE_ID,
      passwordHash: "x",
      mustResetPassword: false,
      createdAtMs: 1,
    });

  const session = (id: string, adminId: string, expiresAtMs = 1000) =>
    repo.insertSession(t.store.db, {
      id,
      adminId,
      tokenHash: `hash-${id}`,
      createdAtMs: 1,
      expiresAtMs,
      sourceAddress: "127.0.0.1",
    });

  const device = (
    tokenHash: string,
    adminId: string,
    nowMs: number,
    expiresAtMs = 10_000,
    q: Queryable = t.store.db,
  ) => repo.insertLoginDevice(q, { tokenHash, adminId, nowMs, expiresAtMs });

  const deviceHashes = async (adminId: string) =>
    (await repo.loginDevicesOf(t.store.db, adminId)).map((d) => d.tokenHash);

  it("ends an open session once", async () => {
    await admin("adm_one");
    await session("ses_one", "adm_one");
    expect(await repo.endSession(t.store.db, "ses_one", 5)).toBe(true);
    expect(await repo.endSession(t.store.db, "ses_one", 6)).toBe(false);
    expect(await repo.endSession(t.store.db, "ses_unknown", 6)).toBe(false);
  });

  it("ends every open session of an admin, or all but one, and counts only those it ended", async () => {
    await admin("adm_many");
    await admin("adm_else");
    for (const id of ["ses_m1", "ses_m2", "ses_m3"]) await session(id, "adm_many");
    await session("ses_else", "adm_else");
    await repo.endSession(t.store.db, "ses_m3", 2);
    expect(await repo.endSessionsOf(t.store.db, "adm_many", 3, "ses_m1")).toBe(1);
    expect(await repo.endSession(t.store.db, "ses_m1", 4)).toBe(true);
    expect(await repo.endSessionsOf(t.store.db, "adm_many", 5)).toBe(0);
    expect(await repo.endSessionsOf(t.store.db, "adm_else", 5)).toBe(1);
  });

  it("prunes sessions that expired or ended before the cutoff, and keeps the rest", async () => {
    const fresh = await openTestStore(dialect);
    try {
      await admins.insertAdmin(fresh.store.db, {
        id: "adm_prune",
        email: "prune@example.com",
        name: "Prune",
        roleId: SYSTEM_ADMIN_ROLE_ID,
        passwordHash: "x",
        mustResetPassword: false,
        createdAtMs: 1,
      });
      const add = (id: string, expiresAtMs: number) =>
        repo.insertSession(fresh.store.db, {
          id,
          adminId: "adm_prune",
          tokenHash: `hash-${id}`,
          createdAtMs: 1,
          expiresAtMs,
          sourceAddress: null,
        });
      await add("ses_expired", 99);
      await add("ses_expires_at_cutoff", 100);
      await add("ses_ended_early", 1000);
      await add("ses_ended_late", 1000);
      await add("ses_open", 1000);
      await repo.endSession(fresh.store.db, "ses_ended_early", 50);
      await repo.endSession(fresh.store.db, "ses_ended_late", 150);
      expect(await repo.deleteSessionsBefore(fresh.store.db, 100)).toBe(2);
      const left = await fresh.store.db.selectFrom("admin_sessions").select("id").orderBy("id").execute();
      expect(left.map((r) => r.id)).toEqual(["ses_ended_late", "ses_expires_at_cutoff", "ses_open"]);
    } finally {
      await fresh.cleanup();
    }
  });

  it("trusts a login device only for its admin and until it expires, and renews it", async () => {
    await admin("adm_ld");
    await admin("adm_ld_other");
    await device("ld-1", "adm_ld", 10, 100);
    expect(await repo.isTrustedLoginDevice(t.store.db, "ld-1", "adm_ld", 99)).toBe(true);
    expect(await repo.isTrustedLoginDevice(t.store.db, "ld-1", "adm_ld", 100)).toBe(false);
    expect(await repo.isTrustedLoginDevice(t.store.db, "ld-1", "adm_ld_other", 50)).toBe(false);
    expect(await repo.isTrustedLoginDevice(t.store.db, "ld-unknown", "adm_ld", 50)).toBe(false);
    await repo.renewLoginDevice(t.store.db, "ld-1", 90, 500);
    expect(await repo.isTrustedLoginDevice(t.store.db, "ld-1", "adm_ld", 200)).toBe(true);
    expect(await repo.loginDevicesOf(t.store.db, "adm_ld")).toEqual([
      { tokenHash: "ld-1", adminId: "adm_ld", createdAtMs: 10, lastUsedAtMs: 90, expiresAtMs: 500 },
    ]);
  });

  it("keeps an admin's most recently used login devices up to the cap, the newer and then the greater hash on ties", async () => {
    await admin("adm_cap");
    await admin("adm_cap_other");
    await device("cap-old", "adm_cap", 1);
    await device("cap-a", "adm_cap", 5);
    await device("cap-b", "adm_cap", 5);
    await device("cap-used", "adm_cap", 2);
    await repo.renewLoginDevice(t.store.db, "cap-used", 9, 10_000);
    await device("cap-else", "adm_cap_other", 1);
    expect(await repo.keepNewestLoginDevices(t.store.db, "adm_cap", 2)).toBe(2);
    expect(await deviceHashes("adm_cap")).toEqual(["cap-used", "cap-b"]);
    expect(await deviceHashes("adm_cap_other")).toEqual(["cap-else"]);
    expect(await repo.keepNewestLoginDevices(t.store.db, "adm_cap", 2)).toBe(0);
  });

  it("holds the cap when an admin signs in from several clients at once", async () => {
    await admin("adm_rush");
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        t.store.unit(async (tx) => {
          // As the session service opens a session: the admin's row first, then its devices.
          await admins.markSignedIn(tx, "adm_rush", 100 + i);
          await device(`rush-${i}`, "adm_rush", 100 + i, 10_000, tx);
          await repo.keepNewestLoginDevices(tx, "adm_rush", 3);
        }),
      ),
    );
    expect(await deviceHashes("adm_rush")).toHaveLength(3);
  });

  it("forgets one login device, or all of an admin's, and the expired ones", async () => {
    await admin("adm_forget");
    await admin("adm_keep");
    await device("f-1", "adm_forget", 1);
    await device("f-2", "adm_forget", 1);
    await device("k-1", "adm_keep", 1, 50);
    await device("k-2", "adm_keep", 1, 51);
    expect(await repo.deleteLoginDevice(t.store.db, "f-1")).toBe(1);
    expect(await repo.deleteLoginDevice(t.store.db, "f-1")).toBe(0);
    expect(await repo.deleteLoginDevicesOf(t.store.db, "adm_forget")).toBe(1);
    expect(await deviceHashes("adm_forget")).toEqual([]);
    expect(await repo.deleteExpiredLoginDevices(t.store.db, 50)).toBe(1);
    expect(await deviceHashes("adm_keep")).toEqual(["k-2"]);
  });
});
