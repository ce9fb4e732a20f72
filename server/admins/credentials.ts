/**
 * Turns a presented secret (session or API token) into a {@link Principal}, checking on every
 * call that the credential is open and unexpired and that its admin is active, so ending a
 * session, revoking a token or deactivating an account takes effect on the next request.
 * Lookups go by SHA-256 of the secret (a 256-bit random value), never by the secret itself.
 */
import { hashSecret } from "../ids.js";
import type { Database } from "../store/database.js";
import { type AdminRow, adminRights, SELECT_ADMIN } from "./accounts.js";
import type { Principal } from "./principal.js";
import type { Right } from "./rights.js";
import { SESSION_TOKEN_PREFIX } from "./sessions.js";

type CredentialRow = AdminRow & {
  credential_id: string;
  credential_expires_at: number | null;
  token_rights_json: string | null;
};

export class Authenticator {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number,
  ) {}

  async authenticate(secret: string): Promise<Principal | null> {
    if (secret.length > 200) return null;
    const now = this.clock();
    const isSession = secret.startsWith(SESSION_TOKEN_PREFIX);
    const row = isSession
      ? await this.db.get<CredentialRow>(
          `SELECT s.id AS credential_id, s.expires_at AS credential_expires_at, NULL AS token_rights_json, x.*
           FROM admin_sessions AS s JOIN (${SELECT_ADMIN}) AS x ON x.id = s.admin_id
           WHERE s.token_hash = ? AND s.ended_at IS NULL AND s.expires_at > ? AND x.active = 1`,
          [hashSecret(secret), now],
        )
      : await this.db.get<CredentialRow>(
          `SELECT t.id AS credential_id, t.expires_at AS credential_expires_at,
                  t.rights_json AS token_rights_json, x.*
           FROM admin_tokens AS t JOIN (${SELECT_ADMIN}) AS x ON x.id = t.admin_id
           WHERE t.token_hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)
             AND x.active = 1`,
          [hashSecret(secret), now],
        );
    if (!row) return null;
    let rights = new Set(adminRights(row));
    if (row.token_rights_json !== null) {
      const tokenRights = JSON.parse(row.token_rights_json) as Right[];
      rights = new Set(tokenRights.filter((r) => rights.has(r)));
    }
    return {
      adminId: row.id,
      email: row.email,
      name: row.name,
      role: { id: row.role_id, name: row.role_name, builtIn: row.role_built_in === 1 },
      rights,
      credential: {
        type: isSession ? "session" : "token",
        id: row.credential_id,
        expiresAtMs: row.credential_expires_at,
      },
      mustResetPassword: row.must_reset_password === 1,
    };
  }
}
