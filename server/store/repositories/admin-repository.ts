/**
 * Admin accounts, each joined with its role: the only code that writes `admins`. It also reads
 * the open session or usable API token a presented secret names (the Authenticator's lookup, one
 * statement per request); those tables are written by the session and API token repositories.
 * Methods take the root store (reads outside a unit) or a unit's transaction; rows never leave
 * this module.
 *
 * `admins.email` compares without case on either store (SQLite `COLLATE NOCASE`, PostgreSQL
 * `citext`), for lookups and for its uniqueness alike.
 */
import type { Updateable } from "kysely";
import type { Right } from "../../admins/rights.js";
import type { SqlDialect } from "../dialect.js";
import { prepared } from "../prepared.js";
import type { AdminsTable } from "../schema.js";
import type { Queryable } from "../store.js";

export interface AdminRoleRecord {
  id: string;
  name: string;
  builtIn: boolean;
  /** The rights stored with the role (the built-in system admin role stores none). */
  storedRights: Right[];
}

export interface AdminRecord {
  id: string;
  email: string;
  name: string;
  role: AdminRoleRecord;
  passwordHash: string | null;
  mustResetPassword: boolean;
  active: boolean;
  createdAtMs: number;
  updatedAtMs: number;
  lastLoginAtMs: number | null;
}

/** The admin behind a presented credential, and what that credential carries. */
export interface CredentialHolderRecord {
  credentialId: string;
  credentialExpiresAtMs: number | null;
  /** A token's own rights; null: the holder's role's (a session, or a token with every right). */
  tokenRights: Right[] | null;
  admin: AdminRecord;
}

export interface NewAdminRecord {
  id: string;
  email: string;
  name: string;
  roleId: string;
  passwordHash: string;
  mustResetPassword: boolean;
  createdAtMs: number;
}

export interface AdminRecordPatch {
  name?: string;
  roleId?: string;
  active?: boolean;
  mustResetPassword?: boolean;
}

const ADMIN_COLUMNS = [
  "a.id",
  "a.email",
  "a.name",
  "a.role_id",
  "a.password_hash",
  "a.must_reset_password",
  "a.active",
  "a.created_at",
  "a.updated_at",
  "a.last_login_at",
  "r.name as role_name",
  "r.rights_json as role_rights_json",
  "r.built_in as role_built_in",
] as const;

interface AdminWithRoleRow {
  id: string;
  email: string;
  name: string;
  role_id: string;
  password_hash: string | null;
  must_reset_password: number | boolean;
  active: number | boolean;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
  role_name: string;
  role_rights_json: string;
  role_built_in: number | boolean;
}

type SessionHolderRow = AdminWithRoleRow & { credential_id: string; credential_expires_at: number };
type ApiTokenHolderRow = AdminWithRoleRow & {
  credential_id: string;
  credential_expires_at: number | null;
  token_rights_json: string | null;
};

function adminRecord(row: AdminWithRoleRow): AdminRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: {
      id: row.role_id,
      name: row.role_name,
      builtIn: Boolean(row.role_built_in),
      storedRights: JSON.parse(row.role_rights_json) as Right[],
    },
    passwordHash: row.password_hash,
    mustResetPassword: Boolean(row.must_reset_password),
    active: Boolean(row.active),
    createdAtMs: row.created_at,
    updatedAtMs: row.updated_at,
    lastLoginAtMs: row.last_login_at,
  };
}

export class AdminRepository {
  constructor(readonly dialect: SqlDialect) {}

  /** Who holds a session or an API token: read on every request, so built once (see prepared.ts). */
  private readonly sessionHolder = prepared<{ tokenHash: string; nowMs: number }, SessionHolderRow>(
    ["tokenHash", "nowMs"],
    (q, p) =>
      this.selectAdmins(q)
        .innerJoin("admin_sessions as s", "s.admin_id", "a.id")
        .select(["s.id as credential_id", "s.expires_at as credential_expires_at"])
        .where("s.token_hash", "=", p.tokenHash)
        .where("s.ended_at", "is", null)
        .where("s.expires_at", ">", p.nowMs)
        .where("a.active", "=", true),
  );

  private readonly apiTokenHolder = prepared<{ tokenHash: string; nowMs: number }, ApiTokenHolderRow>(
    ["tokenHash", "nowMs"],
    (q, p) =>
      this.selectAdmins(q)
        .innerJoin("admin_tokens as t", "t.admin_id", "a.id")
        .select([
          "t.id as credential_id",
          "t.expires_at as credential_expires_at",
          "t.rights_json as token_rights_json",
        ])
        .where("t.token_hash", "=", p.tokenHash)
        .where("t.revoked_at", "is", null)
        .where((eb) => eb.or([eb("t.expires_at", "is", null), eb("t.expires_at", ">", p.nowMs)]))
        .where("a.active", "=", true),
  );

  private selectAdmins(q: Queryable) {
    return q.selectFrom("admins as a").innerJoin("roles as r", "r.id", "a.role_id").select(ADMIN_COLUMNS);
  }

  async adminById(q: Queryable, id: string): Promise<AdminRecord | null> {
    const row = await this.selectAdmins(q).where("a.id", "=", id).executeTakeFirst();
    return row ? adminRecord(row) : null;
  }

  /** Whatever the case of `email` or of the stored address. */
  async adminByEmail(q: Queryable, email: string): Promise<AdminRecord | null> {
    const row = await this.selectAdmins(q).where("a.email", "=", email).executeTakeFirst();
    return row ? adminRecord(row) : null;
  }

  /** In id order (ids are time-ordered), after `cursor`. */
  async listAdmins(q: Queryable, page: { limit: number; cursor: string | null }): Promise<AdminRecord[]> {
    let select = this.selectAdmins(q);
    if (page.cursor) select = select.where("a.id", ">", page.cursor);
    const rows = await select.orderBy("a.id").limit(page.limit).execute();
    return rows.map(adminRecord);
  }

  async countAdmins(q: Queryable): Promise<number> {
    const row = await q
      .selectFrom("admins")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Active; throws a unique violation (see isUniqueViolation) when the email is taken in any case. */
  async insertAdmin(q: Queryable, admin: NewAdminRecord): Promise<void> {
    await q
      .insertInto("admins")
      .values({
        id: admin.id,
        email: admin.email,
        name: admin.name,
        role_id: admin.roleId,
        password_hash: admin.passwordHash,
        must_reset_password: admin.mustResetPassword,
        active: true,
        created_at: admin.createdAtMs,
        updated_at: admin.createdAtMs,
      })
      .execute();
  }

  /** Changes what the patch names; false when there is no such admin. */
  async updateAdmin(q: Queryable, id: string, patch: AdminRecordPatch, nowMs: number): Promise<boolean> {
    const changes: Updateable<AdminsTable> = { updated_at: nowMs };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.roleId !== undefined) changes.role_id = patch.roleId;
    if (patch.active !== undefined) changes.active = patch.active;
    if (patch.mustResetPassword !== undefined) changes.must_reset_password = patch.mustResetPassword;
    const result = await q.updateTable("admins").set(changes).where("id", "=", id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async setPassword(
    q: Queryable,
    id: string,
    password: { hash: string; mustReset: boolean },
    nowMs: number,
  ): Promise<void> {
    await q
      .updateTable("admins")
      .set({ password_hash: password.hash, must_reset_password: password.mustReset, updated_at: nowMs })
      .where("id", "=", id)
      .execute();
  }

  /**
   * Records a sign-in. On PostgreSQL this also holds the admin's row until the unit ends, so
   * sign-ins of one admin that run at once go through the rest of their unit one after another.
   */
  async markSignedIn(q: Queryable, id: string, nowMs: number): Promise<void> {
    await q.updateTable("admins").set({ last_login_at: nowMs }).where("id", "=", id).execute();
  }

  /**
   * The ids of the active admins holding a role, in id order. On PostgreSQL their rows stay
   * locked until the unit ends: two units that each take one holder away see each other's
   * change, so a rule such as "one active system admin stays" holds when they run at once (the
   * second one's read waits for the first unit and then leaves out the holder it took away).
   * On SQLite units run one at a time, so there is nothing to lock against.
   */
  async lockActiveHolders(q: Queryable, roleId: string): Promise<string[]> {
    let select = q
      .selectFrom("admins")
      .select("id")
      .where("role_id", "=", roleId)
      .where("active", "=", true)
      .orderBy("id");
    if (this.dialect.name === "postgres") select = select.forUpdate();
    return (await select.execute()).map((r) => r.id);
  }

  /** The active admin behind an open, unexpired session with this token hash. */
  async holderOfSession(
    q: Queryable,
    tokenHash: string,
    nowMs: number,
  ): Promise<CredentialHolderRecord | null> {
    const [row] = await this.sessionHolder.rows(q, { tokenHash, nowMs });
    if (!row) return null;
    return {
      credentialId: row.credential_id,
      credentialExpiresAtMs: row.credential_expires_at,
      tokenRights: null,
      admin: adminRecord(row),
    };
  }

  /** The active admin holding an unrevoked, unexpired API token with this hash. */
  async holderOfApiToken(
    q: Queryable,
    tokenHash: string,
    nowMs: number,
  ): Promise<CredentialHolderRecord | null> {
    const [row] = await this.apiTokenHolder.rows(q, { tokenHash, nowMs });
    if (!row) return null;
    return {
      credentialId: row.credential_id,
      credentialExpiresAtMs: row.credential_expires_at,
      tokenRights: row.token_rights_json === null ? null : (JSON.parse(row.token_rights_json) as Right[]),
      admin: adminRecord(row),
    };
  }
}
