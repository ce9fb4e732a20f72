/**
 * Roles: the built-in system admin (every right) and custom roles made of rights. A role is
 * changed only by someone who holds every right it has and will have, and never by a holder of
 * that role (nobody edits their own role).
 */
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { newTimeOrderedId } from "../ids.js";
import type { RoleRecord, RoleRepository } from "../store/repositories/role-repository.js";
import type { Queryable, Store } from "../store/store.js";
import { whenNameFree } from "../store/unique-violation.js";
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

function roleView(record: RoleRecord): RoleView {
  return {
    id: record.id,
    name: record.name,
    builtIn: record.builtIn,
    rights: roleRights(record),
    adminCount: record.adminCount,
    createdAt: new Date(record.createdAtMs).toISOString(),
    updatedAt: new Date(record.updatedAtMs).toISOString(),
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
    private readonly store: Store,
    private readonly repository: RoleRepository,
    private readonly events: EventBus<ServerEvents>,
    private readonly clock: () => number,
  ) {}

  async list(): Promise<{ items: RoleView[]; nextCursor: null; total: number }> {
    const records = await this.repository.listRoles(this.store.db);
    return { items: records.map(roleView), nextCursor: null, total: records.length };
  }

  /** `q`: a unit's transaction, when called inside one. */
  async get(roleId: string, q: Queryable = this.store.db): Promise<RoleView> {
    const record = await this.repository.roleById(q, roleId);
    if (!record) throw new MdmError("role_not_found", `role '${roleId}' does not exist`);
    return roleView(record);
  }

  async create(actor: Principal, input: { name: string; rights: Right[] }): Promise<RoleView> {
    const name = normalizeRoleName(input.name);
    const rights = normalizeRights(input.rights);
    requireHoldsAll(actor, rights, `role '${name}'`);
    const now = this.clock();
    const id = newTimeOrderedId("rol", now);
    await this.nameMustBeFree(name, () =>
      this.store.unit((tx) => this.repository.insertRole(tx, { id, name, rights, createdAtMs: now })),
    );
    return this.get(id);
  }

  async update(
    actor: Principal,
    roleId: string,
    patch: { name?: string; rights?: Right[] },
  ): Promise<{ before: RoleView; after: RoleView }> {
    const name = patch.name === undefined ? undefined : normalizeRoleName(patch.name);
    const rights = patch.rights === undefined ? undefined : normalizeRights(patch.rights);
    const before = await this.nameMustBeFree(name, () =>
      this.store.unit(async (tx) => {
        const role = await this.editable(tx, actor, roleId);
        if (rights) requireHoldsAll(actor, rights, `role '${role.name}'`);
        await this.repository.updateRole(tx, roleId, { name, rights }, this.clock());
        return role;
      }),
    );
    // Holders' sessions and tokens carry the new rights from their next request on; open
    // event streams are re-checked now.
    if (rights) this.events.emit("access.changed", { reason: "role updated" });
    return { before, after: await this.get(roleId) };
  }

  async delete(actor: Principal, roleId: string): Promise<RoleView> {
    return this.store.unit(async (tx) => {
      const role = await this.editable(tx, actor, roleId);
      if (role.adminCount > 0) {
        throw new MdmError("role_in_use", `role '${role.name}' is held by ${role.adminCount} admin(s)`, {
          adminCount: role.adminCount,
        });
      }
      await this.repository.deleteRole(tx, roleId);
      return role;
    });
  }

  /** The role, if this actor may change it. */
  private async editable(tx: Queryable, actor: Principal, roleId: string): Promise<RoleView> {
    const role = await this.get(roleId, tx);
    if (role.builtIn)
      throw new MdmError("role_built_in", `role '${role.name}' is built in and cannot change`);
    if (actor.role.id === roleId) {
      throw new MdmError("own_access", `nobody changes their own role ('${role.name}')`);
    }
    requireOutranks(actor, role.rights, `role '${role.name}'`);
    return role;
  }

  /**
   * Runs a unit that may give a role `name`: the name's uniqueness (in any case) is the
   * store's own, so two units taking one name at once cannot both succeed.
   */
  private nameMustBeFree<T>(name: string | undefined, unit: () => Promise<T>): Promise<T> {
    return whenNameFree(name, unit, async () => {
      const clash = await this.repository.roleByName(this.store.db, name!);
      return new MdmError(
        "role_name_taken",
        `a role named '${name}' exists`,
        clash ? { roleId: clash.id } : undefined,
      );
    });
  }
}
