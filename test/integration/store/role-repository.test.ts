/** The role repository, the same on every store backend (see test/helpers/stores.ts). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../../../server/admins/principal.js";
import { RIGHTS, SYSTEM_ADMIN_ROLE_ID } from "../../../server/admins/rights.js";
import { RoleService } from "../../../server/admins/roles.js";
import { isMdmError } from "../../../server/errors.js";
import { EventBus } from "../../../server/events/event-bus.js";
import type { ServerEvents } from "../../../server/events/server-events.js";
import { createLogger } from "../../../server/logger.js";
import { dialectOf } from "../../../server/store/dialect.js";
import { AdminRepository } from "../../../server/store/repositories/admin-repository.js";
import { RoleRepository } from "../../../server/store/repositories/role-repository.js";
import { isUniqueViolation } from "../../../server/store/unique-violation.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

const refusal = (work: Promise<unknown>) =>
  work.then(
    () => null,
    (err: unknown) => err,
  );

describe.each(STORE_BACKENDS)("role repository on %s", (dialect) => {
  let t: TestStore;
  let repo: RoleRepository;
  let admins: AdminRepository;
  beforeAll(async () => {
    t = await openTestStore(dialect);
    repo = new RoleRepository(dialectOf(dialect));
    admins = new AdminRepository(dialectOf(dialect));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it("has the built-in system admin role, storing no rights and held by nobody yet", async () => {
    expect(await repo.roleById(t.store.db, SYSTEM_ADMIN_ROLE_ID)).toEqual({
      id: SYSTEM_ADMIN_ROLE_ID,
      name: "System admin",
      builtIn: true,
      storedRights: [],
      adminCount: 0,
      createdAtMs: 0,
      updatedAtMs: 0,
    });
  });

  it("stores a custom role's rights as given, and finds it by name in any case", async () => {
    await repo.insertRole(t.store.db, {
      id: "rol_ops",
      name: "Ops Team",
      rights: ["devices:read", "devices:command"],
      createdAtMs: 5,
    });
    const role = await repo.roleByName(t.store.db, "ops team");
    expect(role).toEqual({
      id: "rol_ops",
      name: "Ops Team",
      builtIn: false,
      storedRights: ["devices:read", "devices:command"],
      adminCount: 0,
      createdAtMs: 5,
      updatedAtMs: 5,
    });
    expect(await repo.roleByName(t.store.db, "OPS TEAM")).toEqual(role);
    expect(await repo.roleByName(t.store.db, "ops")).toBeNull();
    expect(await repo.roleById(t.store.db, "rol_nobody")).toBeNull();
  });

  it("refuses a name another role has in any case, on insert and on rename, as a unique violation", async () => {
    await repo.insertRole(t.store.db, { id: "rol_uniq", name: "Auditors", rights: [], createdAtMs: 1 });
    await repo.insertRole(t.store.db, { id: "rol_other", name: "Helpdesk", rights: [], createdAtMs: 1 });
    const taken = await refusal(
      t.store.unit((tx) =>
        repo.insertRole(tx, { id: "rol_uniq2", name: "AUDITORS", rights: [], createdAtMs: 2 }),
      ),
    );
    expect(isUniqueViolation(taken)).toBe(true);
    expect(await repo.roleById(t.store.db, "rol_uniq2")).toBeNull();
    const renamed = await refusal(
      t.store.unit((tx) => repo.updateRole(tx, "rol_other", { name: "auditors" }, 3)),
    );
    expect(isUniqueViolation(renamed)).toBe(true);
    expect((await repo.roleById(t.store.db, "rol_other"))?.name).toBe("Helpdesk");
    // A role may change the case of its own name.
    await repo.updateRole(t.store.db, "rol_uniq", { name: "AUDITORS" }, 4);
    expect(await repo.roleById(t.store.db, "rol_uniq")).toMatchObject({ name: "AUDITORS", updatedAtMs: 4 });
  });

  it("lets only one of two units at once take a name", async () => {
    const outcomes = await Promise.allSettled(
      ["rol_race1", "rol_race2"].map((id, i) =>
        t.store.unit((tx) =>
          repo.insertRole(tx, { id, name: i === 0 ? "Race" : "RACE", rights: [], createdAtMs: 1 }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
    expect(isUniqueViolation(refused.reason)).toBe(true);
  });

  it("answers role_name_taken, naming the role, to the loser of two creations of one name at once", async () => {
    const service = new RoleService(
      t.store,
      repo,
      new EventBus<ServerEvents>(createLogger("silent")),
      () => 1000,
    );
    const actor: Principal = {
      adminId: "adm_actor",
      email: "actor@example.com",
      name: "Actor",
      role: { id: SYSTEM_ADMIN_ROLE_ID, name: "System admin", builtIn: true },
      rights: new Set(RIGHTS),
      credential: { type: "token", id: "tok_actor", expiresAtMs: null },
      mustResetPassword: false,
    };
    const outcomes = await Promise.allSettled(
      ["Field team", "FIELD TEAM"].map((name) => service.create(actor, { name, rights: ["devices:read"] })),
    );
    const created = outcomes.find((o) => o.status === "fulfilled") as PromiseFulfilledResult<{ id: string }>;
    const refused = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
    expect(isMdmError(refused.reason, "role_name_taken")).toBe(true);
    expect(refused.reason.details).toEqual({ roleId: created.value.id });
  });

  it("changes only what a patch names", async () => {
    await repo.insertRole(t.store.db, {
      id: "rol_patch",
      name: "Patched",
      rights: ["audit:read"],
      createdAtMs: 1,
    });
    await repo.updateRole(t.store.db, "rol_patch", { rights: ["devices:read", "audit:read"] }, 7);
    expect(await repo.roleById(t.store.db, "rol_patch")).toMatchObject({
      name: "Patched",
      storedRights: ["devices:read", "audit:read"],
      updatedAtMs: 7,
    });
  });

  it("counts a role's holders, active or not, and keeps a held role from deletion", async () => {
    await repo.insertRole(t.store.db, { id: "rol_held", name: "Held", rights: [], createdAtMs: 1 });
    for (const id of ["adm_h1", "adm_h2"]) {
      await admins.insertAdmin(t.store.db, {
        id,
        email: `${id}@example.com`,
        name: id,
        roleId: "rol_held",
        passwordHash: "x",
        mustResetPassword: false,
        createdAtMs: 1,
      });
    }
    await admins.updateAdmin(t.store.db, "adm_h2", { active: false }, 2);
    expect((await repo.roleById(t.store.db, "rol_held"))?.adminCount).toBe(2);
    await expect(t.store.unit((tx) => repo.deleteRole(tx, "rol_held"))).rejects.toThrow();
    expect(await repo.roleById(t.store.db, "rol_held")).not.toBeNull();
  });

  it("deletes a role nobody holds, once", async () => {
    await repo.insertRole(t.store.db, { id: "rol_gone", name: "Gone", rights: [], createdAtMs: 1 });
    expect(await repo.deleteRole(t.store.db, "rol_gone")).toBe(true);
    expect(await repo.deleteRole(t.store.db, "rol_gone")).toBe(false);
    expect(await repo.roleById(t.store.db, "rol_gone")).toBeNull();
  });

  it("lists the built-in role first, then by name in any case", async () => {
    const fresh = await openTestStore(dialect);
    try {
      for (const [id, name] of [
        ["rol_b", "beta"],
        ["rol_a", "Alpha"],
        ["rol_g", "Gamma"],
        ["rol_c", "charlie"],
      ]) {
        await repo.insertRole(fresh.store.db, { id: id!, name: name!, rights: [], createdAtMs: 1 });
      }
      const names = (await repo.listRoles(fresh.store.db)).map((r) => r.name);
      expect(names).toEqual(["System admin", "Alpha", "beta", "charlie", "Gamma"]);
    } finally {
      await fresh.cleanup();
    }
  });
});
