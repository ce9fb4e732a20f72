/**
 * Admin API tokens. On the first start with an empty data dir a bootstrap token is created,
 * printed once and written to `<data dir>/admin-token` (mode 0600).
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { hashSecret, newSecret, newTimeOrderedId } from "../ids.js";
import type { Database } from "../store/database.js";

export interface AdminPrincipal {
  tokenId: string;
  name: string;
}

export const ADMIN_TOKEN_FILE = "admin-token";

export class AdminTokens {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number,
  ) {}

  /** Creates the bootstrap token when there is none; returns it only when it was just created. */
  async bootstrap(dataDir: string): Promise<{ token: string; file: string } | null> {
    const file = join(dataDir, ADMIN_TOKEN_FILE);
    const existing = await this.db.get<{ n: number }>(
      "SELECT count(*) AS n FROM admin_tokens WHERE revoked_at IS NULL",
    );
    if ((existing?.n ?? 0) > 0 && existsSync(file)) return null;
    const token = newSecret("pat_");
    const now = this.clock();
    await this.db.write((tx) =>
      tx.run("INSERT INTO admin_tokens (id, token_hash, name, created_at) VALUES (?, ?, ?, ?)", [
        newTimeOrderedId("adt", now),
        hashSecret(token),
        "bootstrap",
        now,
      ]),
    );
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    return { token, file };
  }

  async authenticate(token: string): Promise<AdminPrincipal | null> {
    const row = await this.db.get<{ id: string; name: string }>(
      "SELECT id, name FROM admin_tokens WHERE token_hash = ? AND revoked_at IS NULL",
      [hashSecret(token)],
    );
    return row ? { tokenId: row.id, name: row.name } : null;
  }
}
