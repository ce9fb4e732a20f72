/**
 * The admin repository (accounts joined with their role, and the Authenticator's lookup of a
 * presented credential), the same on every store backend (see test/helpers/stores.ts).
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../../server/admins/accounts.js";
import { ApiTokenService } from "../../../server/admins/api-tokens.js";
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from "../../../server/admins/login-limiter.js";
import type { Principal } from "../../../server/admins/principal.js";
import { RIGHTS, SYSTEM_ADMIN_ROLE_ID } from "../../../server/admins/rights.js";
import { RoleService } from "../../../server/admins/roles.js";
import { SessionService } from "../../../server/admins/sessions.js";
import { isMdmError } from "../../../server/errors.js";
import { EventBus } from "../../../server/events/event-bus.js";
import type { ServerEvents } from "../../../server/events/server-events.js";
import { createLogger } from "../../../server/logger.js";
import { dialectOf } from "../../../server/store/dialect.js";
import { AdminRepository } from "../../../server/store/repositories/admin-repository.js";
import { ApiTokenRepository } from "../../../server/store/repositories/api-token-repository.js";
import { RoleRepository } from "../../../server/store/repositories/role-repository.js";
import { SessionRepository } from "../../../server/store/repositories/session-repository.js";
import type { Queryable, Store, StoreDialect } from "../../../server/store/store.js";
import { isUniqueViolation } from "../../../server/store/unique-violation.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

/**
 * Resolves once a statement of another connection waits for a row lock (PostgreSQL); on
 * SQLite units run one at a time, so the next unit cannot begin before the open one ends.
 */
async function someoneWaitsForALock(store: Store): Promise<void> {
  if (store.dialect === "sqlite") return;
  for (;;) {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(store.db);
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.each(STORE_BACKENDS)("admin repository on %s", (dialect: StoreDialect) => {
  let t: TestStore;
  let repo: AdminRepository;
  let roles: RoleRepository;
  let sessions: SessionRepository;
  let tokens: ApiTokenRepository;
  beforeAll(async () => {
    t = await openTestStore(dialect);
    repo = new AdminRepository(dialectOf(dialect));
    roles = new RoleRepository(dialectOf(dialect));
    sessions = new SessionRepository(dialectOf(dialect));
    tokens = new ApiTokenRepository(dialectOf(dialect));
    await roles.insertRole(t.store.db, {
      id: "rol_viewer",
      name: "Viewer",
      rights: ["devices:read", "audit:read"],
      createdAtMs: 1,
    });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const admin = (id: string, email: string, roleId = SYSTEM_ADMIN_ROLE_ID, q: Queryable = t.store.db) =>
    repo.insertAdmin(q, {
      id,
      email,
      name: `Name of ${id}`,
      roleId,
      passwordHash: `hash-${id}`,
      mustResetPassword: false,
      createdAtMs: 10,
    });

  it("finds an admin by email in any case, with its role and flags as booleans", async () => {
    await admin("adm_ana", "ana@example.com", "rol_viewer");
    const found = await repo.adminByEmail(t.store.db, "ANA@Example.COM");
    expect(found).toEqual({
      id: "adm_ana",
      email: "ana@example.com",
      name: "Name of adm_ana",
      role: {
        id: "rol_viewer",
        name: "Viewer",
        builtIn: false,
        storedRights: ["devices:read", "audit:read"],
      },
      passwordHash: "hash-adm_ana",
      mustResetPassword: false,
      active: true,
      createdAtMs: 10,
      updatedAtMs: 10,
      lastLoginAtMs: null,
    });
    expect(await repo.adminById(t.store.db, "adm_ana")).toEqual(found);
    expect(await repo.adminByEmail(t.store.db, "nobody@example.com")).toBeNull();
    expect(await repo.adminById(t.store.db, "adm_nobody")).toBeNull();
  });

  it("joins the built-in system admin role, which stores no rights", async () => {
    await admin("adm_root", "root@example.com");
    expect((await repo.adminById(t.store.db, "adm_root"))?.role).toEqual({
      id: SYSTEM_ADMIN_ROLE_ID,
      name: "System admin",
      builtIn: true,
      storedRights: [],
    });
  });

  it("refuses a second admin with the same email in another case, as a unique violation", async () => {
    await admin("adm_bo", "bo@example.com");
    const before = await repo.countAdmins(t.store.db);
    const duplicate = await t.store
      .unit((tx) => admin("adm_bo2", "Bo@EXAMPLE.com", SYSTEM_ADMIN_ROLE_ID, tx))
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(await repo.countAdmins(t.store.db)).toBe(before);
    expect(await repo.adminById(t.store.db, "adm_bo2")).toBeNull();
  });

  it("pages admins in id order after a cursor, and counts them all", async () => {
    for (const id of ["adm_p3", "adm_p1", "adm_p2"]) await admin(id, `${id}@paging.test`);
    const all = (await repo.listAdmins(t.store.db, { limit: 100, cursor: null })).map((a) => a.id);
    expect(all).toEqual([...all].sort());
    expect(all).toEqual(expect.arrayContaining(["adm_p1", "adm_p2", "adm_p3"]));
    const page = await repo.listAdmins(t.store.db, { limit: 2, cursor: "adm_p1" });
    expect(page.map((a) => a.id)).toEqual(["adm_p2", "adm_p3"]);
    expect(await repo.countAdmins(t.store.db)).toBe(all.length);
  });

  it("changes only what a patch names, and records passwords and sign-ins", async () => {
    await admin("adm_cy", "cy@example.com");
    expect(await repo.updateAdmin(t.store.db, "adm_cy", { active: false, mustResetPassword: true }, 20)).toBe(
      true,
    );
    expect(await repo.adminById(t.store.db, "adm_cy")).toMatchObject({
      name: "Name of adm_cy",
      role: { id: SYSTEM_ADMIN_ROLE_ID },
      active: false,
      mustResetPassword: true,
      updatedAtMs: 20,
    });
    await repo.updateAdmin(t.store.db, "adm_cy", { name: "Cy", roleId: "rol_viewer", active: true }, 30);
    expect(await repo.adminById(t.store.db, "adm_cy")).toMatchObject({
      name: "Cy",
      role: { id: "rol_viewer" },
      active: true,
      mustResetPassword: true,
    });
    await repo.setPassword(t.store.db, "adm_cy", { hash: "new-hash", mustReset: false }, 40);
    await repo.markSignedIn(t.store.db, "adm_cy", 50);
    expect(await repo.adminById(t.store.db, "adm_cy")).toMatchObject({
      passwordHash: "new-hash",
      mustResetPassword: false,
      updatedAtMs: 40,
      lastLoginAtMs: 50,
    });
    expect(await repo.updateAdmin(t.store.db, "adm_nobody", { name: "X" }, 60)).toBe(false);
  });

  it("lists a role's active holders in id order", async () => {
    await roles.insertRole(t.store.db, {
      id: "rol_ops",
      name: "Ops",
      rights: ["devices:read"],
      createdAtMs: 1,
    });
    await admin("adm_o2", "o2@example.com", "rol_ops");
    await admin("adm_o1", "o1@example.com", "rol_ops");
    await admin("adm_o3", "o3@example.com", "rol_ops");
    await repo.updateAdmin(t.store.db, "adm_o3", { active: false }, 2);
    expect(await repo.lockActiveHolders(t.store.db, "rol_ops")).toEqual(["adm_o1", "adm_o2"]);
    expect(await repo.lockActiveHolders(t.store.db, "rol_nobody")).toEqual([]);
  });

  it("lets only one of two units at once take away one of the last two system admins", async () => {
    // A store of its own: exactly these two system admins.
    const sole = await openTestStore(dialect);
    try {
      const store = sole.store;
      for (const id of ["adm_s1", "adm_s2"]) {
        await repo.insertAdmin(store.db, {
          id,
          email: `${id}@example.com`,
          name: id,
          roleId: SYSTEM_ADMIN_ROLE_ID,
          passwordHash: `hash-${id}`,
          mustResetPassword: false,
          createdAtMs: 1,
        });
      }
      await roles.insertRole(store.db, { id: "rol_demoted", name: "Demoted", rights: [], createdAtMs: 1 });
      /** The last-system-admin rule as the admin service applies it. */
      const demote = async (tx: Queryable, adminId: string) => {
        const holders = await repo.lockActiveHolders(tx, SYSTEM_ADMIN_ROLE_ID);
        if (!holders.some((id) => id !== adminId)) return false;
        await repo.updateAdmin(tx, adminId, { roleId: "rol_demoted" }, 2);
        return true;
      };
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let firstDemoted!: () => void;
      const demotedFirst = new Promise<void>((resolve) => {
        firstDemoted = resolve;
      });
      const first = store.unit(async (tx) => {
        const done = await demote(tx, "adm_s1");
        firstDemoted();
        await released;
        return done;
      });
      await demotedFirst;
      const second = store.unit((tx) => demote(tx, "adm_s2"));
      // Without the lock, the second unit reads adm_s1 as still a system admin and is done at once.
      await Promise.race([second, someoneWaitsForALock(store)]);
      release();
      expect([await first, await second]).toEqual([true, false]);
      expect(await repo.lockActiveHolders(store.db, SYSTEM_ADMIN_ROLE_ID)).toEqual(["adm_s2"]);
    } finally {
      await sole.cleanup();
    }
  });

  it("keeps the last system admin when the admin service deactivates the last two at once", async () => {
    // A store of its own: exactly these two system admins.
    const sole = await openTestStore(dialect);
    try {
      const store = sole.store;
      const events = new EventBus<ServerEvents>(createLogger("silent"));
      const clock = () => 1000;
      const dialectRules = dialectOf(store.dialect);
      const adminRepository = new AdminRepository(dialectRules);
      const roleService = new RoleService(store, new RoleRepository(dialectRules), events, clock);
      const sessionService = new SessionService({
        store,
        repository: new SessionRepository(dialectRules),
        admins: adminRepository,
        limiter: new LoginLimiter(DEFAULT_LOGIN_LIMITS, clock),
        events,
        clock,
      });
      const tokenService = new ApiTokenService(store, new ApiTokenRepository(dialectRules), events, clock);
      const admins = new AdminService({
        store,
        repository: adminRepository,
        roles: roleService,
        sessions: sessionService,
        tokens: tokenService,
        events,
        clock,
      });
      const created = await Promise.all(
        ["s1", "s2"].map((n) =>
          admins.createUnchecked({
            email: `${n}@example.com`,
            name: n,
            roleId: SYSTEM_ADMIN_ROLE_ID,
            password: `the password of ${n}`,
          }),
        ),
      );
      const actor: Principal = {
        adminId: "adm_outside",
        email: "outside@example.com",
        name: "Outside",
        role: { id: SYSTEM_ADMIN_ROLE_ID, name: "System admin", builtIn: true },
        rights: new Set(RIGHTS),
        credential: { type: "token", id: "tok_outside", expiresAtMs: null },
        mustResetPassword: false,
      };
      const outcomes = await Promise.allSettled(
        created.map(({ admin }) => admins.update(actor, admin.id, { active: false })),
      );
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
      expect(isMdmError(refused.reason, "last_system_admin")).toBe(true);
      expect(await adminRepository.lockActiveHolders(store.db, SYSTEM_ADMIN_ROLE_ID)).toHaveLength(1);
    } finally {
      await sole.cleanup();
    }
  });

  it("finds the active admin behind an open, unexpired session only", async () => {
    await admin("adm_se", "se@example.com", "rol_viewer");
    const session = (id: string, expiresAtMs: number) =>
      sessions.insertSession(t.store.db, {
        id,
        adminId: "adm_se",
        tokenHash: `hash-${id}`,
        createdAtMs: 1,
        expiresAtMs,
        sourceAddress: "127.0.0.1",
      });
    await session("ses_open", 1000);
    await session("ses_ended", 1000);
    await sessions.endSession(t.store.db, "ses_ended", 5);
    const holder = await repo.holderOfSession(t.store.db, "hash-ses_open", 999);
    expect(holder).toMatchObject({
      credentialId: "ses_open",
      credentialExpiresAtMs: 1000,
      tokenRights: null,
      admin: { id: "adm_se", email: "se@example.com", active: true, role: { id: "rol_viewer" } },
    });
    expect(await repo.holderOfSession(t.store.db, "hash-ses_open", 1000)).toBeNull();
    expect(await repo.holderOfSession(t.store.db, "hash-ses_ended", 10)).toBeNull();
    expect(await repo.holderOfSession(t.store.db, "hash-unknown", 10)).toBeNull();
    await repo.updateAdmin(t.store.db, "adm_se", { active: false }, 11);
    expect(await repo.holderOfSession(t.store.db, "hash-ses_open", 12)).toBeNull();
  });

  it("finds the active admin holding an unrevoked, unexpired API token, with the token's rights", async () => {
    await admin("adm_to", "to@example.com", "rol_viewer");
    const token = (
      id: string,
      rights: ("devices:read" | "audit:read")[] | null,
      expiresAtMs: number | null,
    ) =>
      tokens.insertToken(t.store.db, {
        id,
        tokenHash: `hash-${id}`,
        name: id,
        adminId: "adm_to",
        rights,
        createdAtMs: 1,
        expiresAtMs,
      });
    await token("tok_limited", ["audit:read"], 1000);
    await token("tok_forever", null, null);
    await token("tok_revoked", null, null);
    await tokens.revokeTokenOf(t.store.db, "adm_to", "tok_revoked", 2);
    expect(await repo.holderOfApiToken(t.store.db, "hash-tok_limited", 999)).toMatchObject({
      credentialId: "tok_limited",
      credentialExpiresAtMs: 1000,
      tokenRights: ["audit:read"],
      admin: { id: "adm_to", role: { storedRights: ["devices:read", "audit:read"] } },
    });
    expect(await repo.holderOfApiToken(t.store.db, "hash-tok_limited", 1000)).toBeNull();
    expect(await repo.holderOfApiToken(t.store.db, "hash-tok_forever", 10 ** 13)).toMatchObject({
      credentialExpiresAtMs: null,
      tokenRights: null,
    });
    expect(await repo.holderOfApiToken(t.store.db, "hash-tok_revoked", 3)).toBeNull();
    await repo.updateAdmin(t.store.db, "adm_to", { active: false }, 4);
    expect(await repo.holderOfApiToken(t.store.db, "hash-tok_forever", 5)).toBeNull();
  });
});
