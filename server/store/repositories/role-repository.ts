/**
 * Roles: the only code that writes `roles`. Each role is read with how many admins hold it.
 * Methods take the root store (reads outside a unit) or a unit's transaction; rows never leave
 * this module.
 *
 * `roles.name` compares without case on either store (SQLite `COLLATE NOCASE`, PostgreSQL
 * `citext`), for lookups, uniqueness and order alike.
 */
import type { Updateable } from "kysely";
import type { Right } from "../../admins/rights.js";
import type { SqlDialect } from "../dialect.js";
import type { RolesTable } from "../schema.js";
import type { Queryable } from "../store.js";

export interface RoleRecord {
  id: string;
  name: string;
  builtIn: boolean;
  /** The rights stored with the role (the built-in system admin role stores none). */
  storedRights: Right[];
  /** Admins holding the role, active or not. */
  adminCount: number;
  createdAtMs: number;
  updatedAtMs: number;
}

interface RoleRow {
  id: string;
  name: string;
  rights_json: string;
  built_in: number | boolean;
  created_at: number;
  updated_at: number;
  admin_count: number | string | bigint;
}

function roleRecord(row: RoleRow): RoleRecord {
  return {
    id: row.id,
    name: row.name,
    builtIn: Boolean(row.built_in),
    storedRights: JSON.parse(row.rights_json) as Right[],
    adminCount: Number(row.admin_count),
    createdAtMs: row.created_at,
    updatedAtMs: row.updated_at,
  };
}

export class RoleRepository {
  constructor(readonly dialect: SqlDialect) {}

  private selectRoles(q: Queryable) {
    return q
      .selectFrom("roles as r")
      .selectAll("r")
      .select((eb) =>
        eb
          .selectFrom("admins as a")
          .select(eb.fn.countAll().as("n"))
          .whereRef("a.role_id", "=", "r.id")
          .as("admin_count"),
      );
  }

  /** The built-in roles first, then by name. */
  async listRoles(q: Queryable): Promise<RoleRecord[]> {
    const rows = await this.selectRoles(q).orderBy("r.built_in", "desc").orderBy("r.name").execute();
    return rows.map((row) => roleRecord({ ...row, admin_count: row.admin_count ?? 0 }));
  }

  async roleById(q: Queryable, id: string): Promise<RoleRecord | null> {
    const row = await this.selectRoles(q).where("r.id", "=", id).executeTakeFirst();
    return row ? roleRecord({ ...row, admin_count: row.admin_count ?? 0 }) : null;
  }

  /** Whatever the case of `name` or of the stored one. */
  async roleByName(q: Queryable, name: string): Promise<RoleRecord | null> {
    const row = await this.selectRoles(q).where("r.name", "=", name).executeTakeFirst();
    return row ? roleRecord({ ...row, admin_count: row.admin_count ?? 0 }) : null;
  }

  /** A custom role; throws a unique violation (see isUniqueViolation) when the name is taken in any case. */
  async insertRole(
    q: Queryable,
    role: { id: string; name: string; rights: readonly Right[]; createdAtMs: number },
  ): Promise<void> {
    await q
      .insertInto("roles")
      .values({
        id: role.id,
        name: role.name,
        rights_json: JSON.stringify(role.rights),
        built_in: false,
        created_at: role.createdAtMs,
        updated_at: role.createdAtMs,
      })
      .execute();
  }

  /** Throws a unique violation when the new name is another role's in any case. */
  async updateRole(
    q: Queryable,
    id: string,
    patch: { name?: string; rights?: readonly Right[] },
    nowMs: number,
  ): Promise<void> {
    const changes: Updateable<RolesTable> = { updated_at: nowMs };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.rights !== undefined) changes.rights_json = JSON.stringify(patch.rights);
    await q.updateTable("roles").set(changes).where("id", "=", id).execute();
  }

  /** False when there was no such role. A role an admin holds is kept by its foreign key. */
  async deleteRole(q: Queryable, id: string): Promise<boolean> {
    const result = await q.deleteFrom("roles").where("id", "=", id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
