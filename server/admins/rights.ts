/** Rights an admin credential can hold. Every API route declares the one it needs. */
export const RIGHTS = [
  "devices:read",
  "devices:command",
  "devices:wipe",
  "devices:unenroll",
  "devices:deactivate",
  "settings:manage",
  "enrollment:manage",
  "admins:manage",
  "roles:manage",
  "audit:read",
] as const;
export type Right = (typeof RIGHTS)[number];
