/**
 * Who is asking: the admin behind a session or an API token, with the rights that credential
 * carries right now (a token's rights are limited to its holder's current role).
 */
import { MdmError } from "../errors.js";
import { RIGHTS, type Right, rightsMissing, SYSTEM_ADMIN_ROLE_ID } from "./rights.js";

export interface RoleRef {
  id: string;
  name: string;
  builtIn: boolean;
}

export interface Principal {
  adminId: string;
  email: string;
  name: string;
  role: RoleRef;
  /** Effective rights of this credential. */
  rights: ReadonlySet<Right>;
  credential: { type: "session" | "token"; id: string; expiresAtMs: number | null };
  mustResetPassword: boolean;
}

/** What gives a role its rights: the built-in system admin holds every right, added ones too. */
export interface RoleRightsSource {
  id: string;
  builtIn: boolean;
  storedRights: readonly Right[];
}

export function roleRights(role: RoleRightsSource): Right[] {
  if (role.builtIn && role.id === SYSTEM_ADMIN_ROLE_ID) return [...RIGHTS];
  return [...role.storedRights];
}

/** Throws `forbidden` unless the principal holds `right`. */
export function requireRight(principal: Principal, right: Right): void {
  if (!principal.rights.has(right)) {
    throw new MdmError("forbidden", `this credential lacks the right '${right}'`, { right });
  }
}

/** Nobody grants a right they do not hold: throws `right_not_held` naming the missing ones. */
export function requireHoldsAll(principal: Principal, wanted: Iterable<Right>, what: string): void {
  const missing = rightsMissing(wanted, principal.rights);
  if (missing.length > 0) {
    throw new MdmError(
      "right_not_held",
      `${what} would grant rights this credential does not hold: ${missing.join(", ")}`,
      { missing },
    );
  }
}

/** One may manage only admins and roles whose rights one holds all of. */
export function requireOutranks(principal: Principal, theirRights: Iterable<Right>, what: string): void {
  const missing = rightsMissing(theirRights, principal.rights);
  if (missing.length > 0) {
    throw new MdmError(
      "target_outranks_you",
      `${what} holds rights this credential does not: ${missing.join(", ")}`,
      { missing },
    );
  }
}
