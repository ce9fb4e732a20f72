/** What each right lets an admin do, in words (roles, tokens and pages that need one say so). */
import type { Right } from "./types";

export const RIGHT_LABELS: Record<Right, string> = {
  "devices:read": "See devices, commands and settings",
  "devices:command": "Lock, reboot, rename, set time",
  "devices:wipe": "Factory reset",
  "devices:unenroll": "Stop managing devices",
  "devices:deactivate": "Permanently deactivate devices",
  "devices:organize": "Label and group devices",
  "settings:manage": "Change global settings",
  "enrollment:manage": "Connect devices, enrollment tokens",
  "admins:manage": "Manage admins",
  "roles:manage": "Manage roles",
  "audit:read": "Read the audit log",
};
