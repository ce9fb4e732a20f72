/**
 * Turns a presented secret (session or API token) into a {@link Principal}, checking on every
 * call that the credential is open and unexpired and that its admin is active, so ending a
 * session, revoking a token or deactivating an account takes effect on the next request.
 * Lookups go by SHA-256 of the secret (a 256-bit random value), never by the secret itself.
 */
import { hashSecret } from "../ids.js";
import type { AdminRepository } from "../store/repositories/admin-repository.js";
import type { Store } from "../store/store.js";
import { adminRights } from "./accounts.js";
import type { Principal } from "./principal.js";
import { SESSION_TOKEN_PREFIX } from "./sessions.js";

export class Authenticator {
  constructor(
    private readonly store: Store,
    private readonly admins: AdminRepository,
    private readonly clock: () => number,
  ) {}

  async authenticate(secret: string): Promise<Principal | null> {
    if (secret.length > 200) return null;
    const now = this.clock();
    const isSession = secret.startsWith(SESSION_TOKEN_PREFIX);
    const holder = isSession
      ? await this.admins.holderOfSession(this.store.db, hashSecret(secret), now)
      : await this.admins.holderOfApiToken(this.store.db, hashSecret(secret), now);
    if (!holder) return null;
    const { admin } = holder;
    let rights = new Set(adminRights(admin));
    if (holder.tokenRights !== null) {
      const roleRights = rights;
      rights = new Set(holder.tokenRights.filter((r) => roleRights.has(r)));
    }
    return {
      adminId: admin.id,
      email: admin.email,
      name: admin.name,
      role: { id: admin.role.id, name: admin.role.name, builtIn: admin.role.builtIn },
      rights,
      credential: {
        type: isSession ? "session" : "token",
        id: holder.credentialId,
        expiresAtMs: holder.credentialExpiresAtMs,
      },
      mustResetPassword: admin.mustResetPassword,
    };
  }
}
