/**
 * The first start of a data dir with no admins: creates a system admin with a one-time
 * password (to be changed at first login) and a system-admin API token written to
 * `<data dir>/admin-token` (mode 0600). A data dir from before accounts existed keeps its
 * token: tokens without a holder are given to the new admin, and the file is kept if its token
 * is one of them.
 */
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isMdmError } from "../errors.js";
import type { Store } from "../store/store.js";
import type { AdminService } from "./accounts.js";
import type { ApiTokenService } from "./api-tokens.js";
import type { AuditLog } from "./audit-log.js";
import { SYSTEM_ADMIN_ROLE_ID } from "./rights.js";

export const ADMIN_TOKEN_FILE = "admin-token";
export const BOOTSTRAP_ADMIN_EMAIL = "admin@localhost";

export interface BootstrapResult {
  email: string;
  /** The one-time password; it must be changed at first login. */
  password: string;
  /** The API token, when a new one was written to the file. */
  token: string | null;
  tokenFile: string;
}

export interface BootstrapDeps {
  store: Store;
  admins: AdminService;
  tokens: ApiTokenService;
  audit: AuditLog;
}

export async function bootstrapFirstAdmin(
  deps: BootstrapDeps,
  dataDir: string,
): Promise<BootstrapResult | null> {
  if ((await deps.admins.count()) > 0) return null;
  const tokenFile = join(dataDir, ADMIN_TOKEN_FILE);
  const fileToken = existsSync(tokenFile) ? (await readFile(tokenFile, "utf8")).trim() : null;
  let wroteTokenFile = false;
  const bootstrapped = await deps.store
    .unit(async (tx) => {
      const { admin, password } = await deps.admins.createUnchecked(
        { email: BOOTSTRAP_ADMIN_EMAIL, name: "System admin", roleId: SYSTEM_ADMIN_ROLE_ID },
        tx,
      );
      await deps.tokens.giveUnheldTo(tx, admin.id);
      const kept = fileToken !== null && (await deps.tokens.isUnrevoked(tx, fileToken));
      const token = kept ? null : await deps.tokens.createUnlimited(tx, admin.id, "bootstrap");
      // Written before the commit: if the file cannot be written, no admin exists yet and the
      // next start tries again.
      if (token) {
        await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
        wroteTokenFile = true;
      }
      const item = await deps.audit.append(tx, {
        actor: null,
        action: "admin.bootstrap",
        target: admin.id,
        params: { email: admin.email, role: SYSTEM_ADMIN_ROLE_ID, tokenFile: kept ? "kept" : "written" },
        outcome: "success",
        sourceAddress: "server",
      });
      return { result: { email: admin.email, password: password!, token, tokenFile }, item };
    })
    .catch(async (err: unknown) => {
      // Another node of the service, starting at the same moment on the same database, made the
      // first admin: this one has nothing to do, and the token it wrote is worth nothing.
      if (!isMdmError(err) || err.code !== "admin_email_taken") throw err;
      if (wroteTokenFile) await rm(tokenFile, { force: true });
      return null;
    });
  if (!bootstrapped) return null;
  deps.audit.announce(bootstrapped.item);
  return bootstrapped.result;
}
