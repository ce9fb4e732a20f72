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
import type { Database, WriteContext } from "../store/database.js";
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

export interface AdminRow {
  id: string;
  email: string;
  name: string;
  role_id: string;
  password_hash: string | null;
  must_reset_password: number;
  active: number;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
  role_name: string;
  role_rights_json: string;
  role_built_in: number;
}

export const SELECT_ADMIN = `SELECT a.*, r.name AS role_name, r.rights_json AS role_rights_json,
                                    r.built_in AS role_built_in
                             FROM admins AS a JOIN roles AS r ON r.id = a.role_id`;

export function adminRights(row: AdminRow): Right[] {
  return roleRights({ id: row.role_id, rights_json: row.role_rights_json, built_in: row.role_built_in });
}

export function adminViewFromRow(row: AdminRow): AdminView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: { id: row.role_id, name: row.role_name, builtIn: row.role_built_in === 1 },
    rights: adminRights(row),
    active: row.active === 1,
    mustResetPassword: row.must_reset_password === 1,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    lastLoginAt: row.last_login_at === null ? null : new Date(row.last_login_at).toISOString(),
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
  db: Database;
  roles: RoleService;
  sessions: SessionService;
  tokens: ApiTokenService;
  events: EventBus<ServerEvents>;
  clock: () => number;
}

export class AdminService {
  constructor(private readonly deps: AdminServiceDeps) {}

  async list(
    limit: number,
    cursor: string | null,
  ): Promise<{ items: AdminView[]; nextCursor: string | null; total: number }> {
    const rows = await this.deps.db.all<AdminRow>(
      `${SELECT_ADMIN} ${cursor ? "WHERE a.id > ?" : ""} ORDER BY a.id LIMIT ?`,
      cursor ? [cursor, limit + 1] : [limit + 1],
    );
    const total = await this.deps.db.get<{ n: number }>("SELECT count(*) AS n FROM admins");
    const page = rows.slice(0, limit);
    return {
      items: page.map(adminViewFromRow),
      nextCursor: rows.length > limit ? page.at(-1)!.id : null,
      total: total?.n ?? 0,
    };
  }

  async get(adminId: string): Promise<AdminView> {
    return adminViewFromRow(await this.getRow(adminId));
  }

  async getRow(adminId: string, tx: WriteContext = this.deps.db): Promise<AdminRow> {
    const row = await tx.get<AdminRow>(`${SELECT_ADMIN} WHERE a.id = ?`, [adminId]);
    if (!row) throw new MdmError("admin_not_found", `admin '${adminId}' does not exist`);
    return row;
  }

  async findByEmail(email: string, tx: WriteContext = this.deps.db): Promise<AdminRow | undefined> {
    return tx.get<AdminRow>(`${SELECT_ADMIN} WHERE a.email = ?`, [email.trim().toLowerCase()]);
  }

  async count(): Promise<number> {
    return (await this.deps.db.get<{ n: number }>("SELECT count(*) AS n FROM admins"))?.n ?? 0;
  }

  /** An admin created through the API: the actor must hold every right of the role. */
  async create(actor: Principal, input: NewAdmin): Promise<{ admin: AdminView; password: string | null }> {
    const role = await this.deps.roles.get(input.roleId);
    requireHoldsAll(actor, role.rights, `role '${role.name}'`);
    return this.createUnchecked(input);
  }

  /**
   * Creates an admin without an actor: for the first start and the server-side command,
   * which run on the server machine itself.
   */
  async createUnchecked(
    input: NewAdmin,
    tx?: WriteContext,
  ): Promise<{ admin: AdminView; password: string | null }> {
    const email = normalizeEmail(input.email);
    const name = normalizeAdminName(input.name);
    if (input.password !== undefined) checkNewPassword(input.password, "password", { email, name });
    const password = input.password ?? generatePassword();
    const passwordHash = await hashPassword(password);
    const now = this.deps.clock();
    const id = newTimeOrderedId("adm", now);
    const insert = async (w: WriteContext) => {
      await this.deps.roles.get(input.roleId, w);
      if (await this.findByEmail(email, w)) {
        throw new MdmError("admin_email_taken", `an admin with email '${email}' exists`, { field: "email" });
      }
      await w.run(
        `INSERT INTO admins (id, email, name, role_id, password_hash, must_reset_password, active,
                             created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
        [id, email, name, input.roleId, passwordHash, (input.mustResetPassword ?? true) ? 1 : 0, now, now],
      );
      return adminViewFromRow(await this.getRow(id, w));
    };
    const admin = tx ? await insert(tx) : await this.deps.db.write(insert);
    return { admin, password: input.password === undefined ? password : null };
  }

  async update(
    actor: Principal,
    adminId: string,
    patch: AdminPatch,
  ): Promise<{ before: AdminView; after: AdminView }> {
    const name = patch.name === undefined ? undefined : normalizeAdminName(patch.name);
    const now = this.deps.clock();
    const { before, after } = await this.deps.db.write(async (tx) => {
      const target = await this.getRow(adminId, tx);
      const before = adminViewFromRow(target);
      const self = adminId === actor.adminId;
      const roleChanges = patch.roleId !== undefined && patch.roleId !== target.role_id;
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
        target.role_id === SYSTEM_ADMIN_ROLE_ID && before.active && (roleChanges || patch.active === false);
      if (losesSystemAdmin) await this.requireAnotherSystemAdmin(tx, adminId);
      await tx.run(
        `UPDATE admins SET name = coalesce(?, name), role_id = coalesce(?, role_id), active = coalesce(?, active),
           must_reset_password = coalesce(?, must_reset_password), updated_at = ?
         WHERE id = ?`,
        [
          name ?? null,
          patch.roleId ?? null,
          patch.active === undefined ? null : Number(patch.active),
          patch.mustResetPassword === undefined ? null : Number(patch.mustResetPassword),
          now,
          adminId,
        ],
      );
      if (patch.active === false && before.active) {
        // Deactivation ends everything at once; the admin's next request fails either way,
        // since every request checks that the account is active.
        await this.deps.sessions.endAll(tx, adminId);
        await this.deps.tokens.revokeAll(tx, adminId);
        await this.deps.sessions.forgetLoginDevices(tx, adminId);
      }
      return { before, after: adminViewFromRow(await this.getRow(adminId, tx)) };
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
    checkNewPassword(password, "password", await this.getRow(adminId));
    const passwordHash = await hashPassword(password);
    const view = await this.deps.db.write(async (tx) => {
      const target = await this.getRow(adminId, tx);
      requireOutranks(actor, adminRights(target), `admin '${target.email}'`);
      await this.writePassword(tx, adminId, passwordHash, true);
      await this.deps.sessions.endAll(tx, adminId);
      return adminViewFromRow(await this.getRow(adminId, tx));
    });
    this.deps.events.emit("access.changed", { reason: "password set" });
    return view;
  }

  /**
   * A password set by someone else (an admin manager, `npm run admin`): no browser stays trusted
   * for sign-in, since whoever held the old password may have made one trusted.
   */
  async writePassword(tx: WriteContext, adminId: string, passwordHash: string, mustReset: boolean) {
    await tx.run(
      "UPDATE admins SET password_hash = ?, must_reset_password = ?, updated_at = ? WHERE id = ?",
      [passwordHash, mustReset ? 1 : 0, this.deps.clock(), adminId],
    );
    await this.deps.sessions.forgetLoginDevices(tx, adminId);
  }

  private async requireAnotherSystemAdmin(tx: WriteContext, adminId: string): Promise<void> {
    const others = await tx.get<{ n: number }>(
      "SELECT count(*) AS n FROM admins WHERE role_id = ? AND active = 1 AND id != ?",
      [SYSTEM_ADMIN_ROLE_ID, adminId],
    );
    if ((others?.n ?? 0) === 0) {
      throw new MdmError(
        "last_system_admin",
        "this is the last active system admin: make another admin a system admin first",
      );
    }
  }
}
