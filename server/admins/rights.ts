/** Rights an admin credential can hold. Every API route declares the one it needs. */
export const RIGHTS = [
  "devices:read",
  "devices:command",
  "devices:wipe",
  "devices:unenroll",
  "devices:deactivate",
  "devices:organize",
  "settings:manage",
  "enrollment:manage",
  "admins:manage",
  "roles:manage",
  "audit:read",
] as const;
export type Right = (typeof RIGHTS)[number];

/** What each right allows, for the API documentation and the console. */
export const RIGHT_DESCRIPTIONS: Record<Right, string> = {
  "devices:read": "see devices, their commands, fleet progress and the live event stream",
  "devices:command": "lock, reboot, rename, refresh state, set time",
  "devices:wipe": "factory reset",
  "devices:unenroll": "stop managing a device",
  "devices:deactivate": "permanently deactivate a device (its serial can never enroll again)",
  "devices:organize": "label devices, save and change device groups",
  "settings:manage": "change global settings (date & time)",
  "enrollment:manage": "create enrollment tokens, claim device codes",
  "admins:manage": "create, change, deactivate admins and set temporary passwords",
  "roles:manage": "create, change and delete custom roles",
  "audit:read": "read the audit log and receive its events",
};

/** The built-in role: every right, now and in later versions. */
export const SYSTEM_ADMIN_ROLE_ID = "system_admin";

const KNOWN = new Set<string>(RIGHTS);

export function isRight(value: string): value is Right {
  return KNOWN.has(value);
}

/** Rights in catalogue order, without duplicates. */
export function normalizeRights(rights: Iterable<Right>): Right[] {
  const held = new Set(rights);
  return RIGHTS.filter((r) => held.has(r));
}

/** The rights of `wanted` that `held` lacks, in catalogue order. */
export function rightsMissing(wanted: Iterable<Right>, held: ReadonlySet<Right>): Right[] {
  return normalizeRights([...wanted].filter((r) => !held.has(r)));
}
