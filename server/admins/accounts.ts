/**
 * Admin accounts: create, change, deactivate, and set a temporary password. The rules that
 * stop escalation live here, each checked inside the write that changes the account:
 * an actor manages only admins whose rights it holds all of, assigns only roles whose rights it
 * holds, never changes its own role or active flag, and the last active system admin stays.
 */
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { newTimeOrderedId } from "../ids.js";
import { pageFrom } from "../paging.js";
import type { AdminRecord, AdminRepository } from "../store/repositories/admin-repository.js";
import type { Queryable, Store } from "../store/store.js";
import { isUniqueViolation } from "../store/unique-violation.js";
import type { ApiTokenService } from "./api-tokens.js";
import { checkNewPassword, generatePassword, hashPassword } from "./passwords.js";
import { type Principal, type RoleRef, requireHoldsAll, requireOutranks, roleRights } from "./principal.js";
import { type Right, SYSTEM_ADMIN_ROLE_ID } from "./rights.js";
import type { RoleService } from "./roles.js";
import type { SessionService } from "./sessions.js";

export interface AdminView {
  id: string;
  email: string;
  name: string;
  role: RoleRef;
  /** The rights of the admin's role. */
  rights: Right[];
  active: boolean;
  mustResetPassword: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

export function adminRights(admin: AdminRecord): Right[] {
  return roleRights(admin.role);
}

export function adminView(admin: AdminRecord): AdminView {
  return {
    id: admin.id,
    email: admin.email,
    name: admin.name,
    role: { id: admin.role.id, name: admin.role.name, builtIn: admin.role.builtIn },
    rights: adminRights(admin),
    active: admin.active,
    mustResetPassword: admin.mustResetPassword,
    createdAt: new Date(admin.createdAtMs).toISOString(),
    updatedAt: new Date(admin.updatedAtMs).toISOString(),
    lastLoginAt: admin.lastLoginAtMs === null ? null : new Date(admin.lastLoginAtMs).toISOString(),
  };
}

export function normalizeEmail(input: string): string {
  const email = input.trim().toLowerCase();
  if (email.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new MdmError("validation_failed", "email must look like name@domain", { field: "email" });
  }
  return email;
}

function normalizeAdminName(input: string): string {
  const name = input.trim();
  if (name.length === 0 || name.length > 128) {
    throw new MdmError("validation_failed", "name must be 1 to 128 characters", { field: "name" });
  }
  return name;
}

export interface NewAdmin {
  email: string;
  name: string;
  roleId: string;
  /** Without one, a password is generated and returned once. */
  password?: string;
  /** Default: true (whoever set the password knows it). */
  mustResetPassword?: boolean;
}

export interface AdminPatch {
  name?: string;
  roleId?: string;
  active?: boolean;
  mustResetPassword?: boolean;
}

export interface AdminServiceDeps {
  store: Store;
  repository: AdminRepository;
  roles: RoleService;
  sessions: SessionService;
  tokens: ApiTokenService;
  events: EventBus<ServerEvents>;
  clock: () => number;
}

export class AdminService {
  constructor(private readonly deps: AdminServiceDeps) {}

  private get repo(): AdminRepository {
    return this.deps.repository;
  }

  async list(
    limit: number,
    cursor: string | null,
  ): Promise<{ items: AdminView[]; nextCursor: string | null; total: number }> {
    const records = await this.repo.listAdmins(this.deps.store.db, { limit: limit + 1, cursor });
    const total = await this.repo.countAdmins(this.deps.store.db);
    return { ...pageFrom(records, limit, (r) => r.id, adminView), total };
  }

  async get(adminId: string): Promise<AdminView> {
    return adminView(await this.record(adminId));
  }

  /** `q`: a unit's transaction, when called inside one. */
  async record(adminId: string, q: Queryable = this.deps.store.db): Promise<AdminRecord> {
    const record = await this.repo.adminById(q, adminId);
    if (!record) throw new MdmError("admin_not_found", `admin '${adminId}' does not exist`);
    return record;
  }

  async findByEmail(email: string, q: Queryable = this.deps.store.db): Promise<AdminRecord | null> {
    return this.repo.adminByEmail(q, email.trim().toLowerCase());
  }

  async count(): Promise<number> {
    return this.repo.countAdmins(this.deps.store.db);
  }

  /** An admin created through the API: the actor must hold every right of the role. */
  async create(actor: Principal, input: NewAdmin): Promise<{ admin: AdminView; password: string | null }> {
    const role = await this.deps.roles.get(input.roleId);
    requireHoldsAll(actor, role.rights, `role '${role.name}'`);
    return this.createUnchecked(input);
  }

  /**
   * Creates an admin without an actor: for the first start and the server-side command,
   * which run on the server machine itself. `q`: the caller's unit, to create it in.
   */
  async createUnchecked(
    input: NewAdmin,
    q?: Queryable,
  ): Promise<{ admin: AdminView; password: string | null }> {
    const email = normalizeEmail(input.email);
    const name = normalizeAdminName(input.name);
    if (input.password !== undefined) checkNewPassword(input.password, "password", { email, name });
    const password = input.password ?? generatePassword();
    const passwordHash = await hashPassword(password);
    const now = this.deps.clock();
    const id = newTimeOrderedId("adm", now);
    const insert = async (tx: Queryable) => {
      await this.deps.roles.get(input.roleId, tx);
      try {
        await this.repo.insertAdmin(tx, {
          id,
          email,
          name,
          roleId: input.roleId,
          passwordHash,
          mustResetPassword: input.mustResetPassword ?? true,
          createdAtMs: now,
        });
      } catch (err) {
        // The store's uniqueness (in any case) decides, so two creations at once cannot both win.
        if (!isUniqueViolation(err)) throw err;
        throw new MdmError("admin_email_taken", `an admin with email '${email}' exists`, { field: "email" });
      }
      return adminView(await this.record(id, tx));
    };
    const admin = q ? await insert(q) : await this.deps.store.unit(insert);
    return { admin, password: input.password === undefined ? password : null };
  }

  async update(
    actor: Principal,
    adminId: string,
    patch: AdminPatch,
  ): Promise<{ before: AdminView; after: AdminView }> {
    const name = patch.name === undefined ? undefined : normalizeAdminName(patch.name);
    const now = this.deps.clock();
    const { before, after } = await this.deps.store.unit(async (tx) => {
      // Taken first, so the target's row below is read after any other unit taking a system
      // admin away has ended.
      const systemAdmins =
        patch.roleId !== undefined || patch.active === false
          ? await this.repo.lockActiveHolders(tx, SYSTEM_ADMIN_ROLE_ID)
          : null;
      const target = await this.record(adminId, tx);
      const before = adminView(target);
      const self = adminId === actor.adminId;
      const roleChanges = patch.roleId !== undefined && patch.roleId !== target.role.id;
      const activeChanges = patch.active !== undefined && patch.active !== before.active;
      if (self && (roleChanges || activeChanges)) {
        throw new MdmError("own_access", "nobody changes their own role or deactivates themselves");
      }
      if (!self) requireOutranks(actor, before.rights, `admin '${target.email}'`);
      if (roleChanges) {
        const role = await this.deps.roles.get(patch.roleId!, tx);
        requireHoldsAll(actor, role.rights, `role '${role.name}'`);
      }
      const losesSystemAdmin =
        target.role.id === SYSTEM_ADMIN_ROLE_ID && before.active && (roleChanges || patch.active === false);
      if (losesSystemAdmin && !systemAdmins?.some((id) => id !== adminId)) {
        throw new MdmError(
          "last_system_admin",
          "this is the last active system admin: make another admin a system admin first",
        );
      }
      await this.repo.updateAdmin(
        tx,
        adminId,
        { name, roleId: patch.roleId, active: patch.active, mustResetPassword: patch.mustResetPassword },
        now,
      );
      if (patch.active === false && before.active) {
        // Deactivation ends everything at once; the admin's next request fails either way,
        // since every request checks that the account is active.
        await this.deps.sessions.endAll(tx, adminId);
        await this.deps.tokens.revokeAll(tx, adminId);
        await this.deps.sessions.forgetLoginDevices(tx, adminId);
      }
      return { before, after: adminView(await this.record(adminId, tx)) };
    });
    if (before.role.id !== after.role.id || before.active !== after.active) {
      this.deps.events.emit("access.changed", { reason: "admin updated" });
    }
    return { before, after };
  }

  /** Sets a temporary password on someone else's account; they must change it at next login. */
  async setTemporaryPassword(actor: Principal, adminId: string, password: string): Promise<AdminView> {
    if (adminId === actor.adminId) {
      throw new MdmError("own_access", "change your own password with POST /api/v1/auth/password");
    }
    checkNewPassword(password, "password", await this.record(adminId));
    const passwordHash = await hashPassword(password);
    const view = await this.deps.store.unit(async (tx) => {
      const target = await this.record(adminId, tx);
      requireOutranks(actor, adminRights(target), `admin '${target.email}'`);
      await this.writePassword(tx, adminId, passwordHash, true);
      await this.deps.sessions.endAll(tx, adminId);
      return adminView(await this.record(adminId, tx));
    });
    this.deps.events.emit("access.changed", { reason: "password set" });
    return view;
  }

  /**
   * Inside a caller's unit, a password set by someone else (an admin manager, `npm run
   * admin`): no browser stays trusted for sign-in, since whoever held the old password may have
   * made one trusted.
   */
  async writePassword(q: Queryable, adminId: string, passwordHash: string, mustReset: boolean) {
    await this.repo.setPassword(q, adminId, { hash: passwordHash, mustReset }, this.deps.clock());
    await this.deps.sessions.forgetLoginDevices(q, adminId);
  }
}
