/**
 * Roles: the built-in system admin (every right) and custom roles made of rights. A role is
 * changed only by someone who holds every right it has and will have, and never by a holder of
 * that role (nobody edits their own role).
 */
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { newTimeOrderedId } from "../ids.js";
import type { Database, WriteContext } from "../store/database.js";
import { type Principal, requireHoldsAll, requireOutranks, roleRights } from "./principal.js";
import { normalizeRights, type Right } from "./rights.js";

export interface RoleView {
  id: string;
  name: string;
  builtIn: boolean;
  rights: Right[];
  /** Admins holding the role. */
  adminCount: number;
  createdAt: string;
  updatedAt: string;
}

interface RoleRow {
  id: string;
  name: string;
  rights_json: string;
  built_in: number;
  created_at: number;
  updated_at: number;
  admin_count: number;
}

const SELECT_ROLE = `SELECT r.*, (SELECT count(*) FROM admins AS a WHERE a.role_id = r.id) AS admin_count
                     FROM roles AS r`;

function viewFromRow(row: RoleRow): RoleView {
  return {
    id: row.id,
    name: row.name,
    builtIn: row.built_in === 1,
    rights: roleRights(row),
    adminCount: row.admin_count,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export function normalizeRoleName(input: string): string {
  const name = input.trim();
  if (name.length === 0 || name.length > 64) {
    throw new MdmError("validation_failed", "name must be 1 to 64 characters", { field: "name" });
  }
  return name;
}

export class RoleService {
  constructor(
    private readonly db: Database,
    private readonly events: EventBus<ServerEvents>,
    private readonly clock: () => number,
  ) {}

  async list(): Promise<{ items: RoleView[]; nextCursor: null; total: number }> {
    const rows = await this.db.all<RoleRow>(`${SELECT_ROLE} ORDER BY r.built_in DESC, r.name`);
    return { items: rows.map(viewFromRow), nextCursor: null, total: rows.length };
  }

  async get(roleId: string, tx: WriteContext = this.db): Promise<RoleView> {
    const row = await tx.get<RoleRow>(`${SELECT_ROLE} WHERE r.id = ?`, [roleId]);
    if (!row) throw new MdmError("role_not_found", `role '${roleId}' does not exist`);
    return viewFromRow(row);
  }

  async create(actor: Principal, input: { name: string; rights: Right[] }): Promise<RoleView> {
    const name = normalizeRoleName(input.name);
    const rights = normalizeRights(input.rights);
    requireHoldsAll(actor, rights, `role '${name}'`);
    const now = this.clock();
    const id = newTimeOrderedId("rol", now);
    await this.db.write(async (tx) => {
      await this.requireNameFree(tx, name, null);
      await tx.run(
        "INSERT INTO roles (id, name, rights_json, built_in, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)",
        [id, name, JSON.stringify(rights), now, now],
      );
    });
    return this.get(id);
  }

  async update(
    actor: Principal,
    roleId: string,
    patch: { name?: string; rights?: Right[] },
  ): Promise<{ before: RoleView; after: RoleView }> {
    const name = patch.name === undefined ? undefined : normalizeRoleName(patch.name);
    const rights = patch.rights === undefined ? undefined : normalizeRights(patch.rights);
    const before = await this.db.write(async (tx) => {
      const role = await this.editable(tx, actor, roleId);
      if (rights) requireHoldsAll(actor, rights, `role '${role.name}'`);
      if (name !== undefined) await this.requireNameFree(tx, name, roleId);
      await tx.run(
        "UPDATE roles SET name = coalesce(?, name), rights_json = coalesce(?, rights_json), updated_at = ? WHERE id = ?",
        [name ?? null, rights ? JSON.stringify(rights) : null, this.clock(), roleId],
      );
      return role;
    });
    // Holders' sessions and tokens carry the new rights from their next request on; open
    // event streams are re-checked now.
    if (rights) this.events.emit("access.changed", { reason: "role updated" });
    return { before, after: await this.get(roleId) };
  }

  async delete(actor: Principal, roleId: string): Promise<RoleView> {
    return this.db.write(async (tx) => {
      const role = await this.editable(tx, actor, roleId);
      if (role.adminCount > 0) {
        throw new MdmError("role_in_use", `role '${role.name}' is held by ${role.adminCount} admin(s)`, {
          adminCount: role.adminCount,
        });
      }
      await tx.run("DELETE FROM roles WHERE id = ?", [roleId]);
      return role;
    });
  }

  /** The role, if this actor may change it. */
  private async editable(tx: WriteContext, actor: Principal, roleId: string): Promise<RoleView> {
    const role = await this.get(roleId, tx);
    if (role.builtIn)
      throw new MdmError("role_built_in", `role '${role.name}' is built in and cannot change`);
    if (actor.role.id === roleId) {
      throw new MdmError("own_access", `nobody changes their own role ('${role.name}')`);
    }
    requireOutranks(actor, role.rights, `role '${role.name}'`);
    return role;
  }

  private async requireNameFree(tx: WriteContext, name: string, exceptId: string | null): Promise<void> {
    const clash = await tx.get<{ id: string }>("SELECT id FROM roles WHERE name = ? AND id != ?", [
      name,
      exceptId ?? "",
    ]);
    if (clash) throw new MdmError("role_name_taken", `a role named '${name}' exists`, { roleId: clash.id });
  }
}
