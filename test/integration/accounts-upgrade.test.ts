/**
 * A data dir from before admin accounts existed (schema 1, one holder-less admin token in its
 * file): the first start on it gives that token to the new system admin. SQLite only: the old
 * data dir is a SQLite file.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashSecret } from "../../server/ids.js";
import { DATABASE_FILE } from "../../server/server.js";
import { Database } from "../../server/store/database.js";
import { MIGRATIONS } from "../../server/store/migrations.js";
import { makeDataDir, startTestServer } from "../helpers/test-server.js";

type Me = {
  id: string;
  email: string;
  role: { id: string; name: string; builtIn: boolean };
  rights: string[];
  mustResetPassword: boolean;
  active: boolean;
};

describe("upgrade from a data dir without accounts", () => {
  it("gives the old admin token to the new system admin and keeps the file working", async () => {
    const dir = await makeDataDir();
    const db = await Database.open(join(dir, DATABASE_FILE));
    await db.write(async (tx) => {
      await tx.exec(MIGRATIONS[0]!);
      await tx.exec("PRAGMA user_version = 1");
    });
    const oldToken = "pat_from_before_accounts_0123456789abcdefghijklmnop";
    await db.write((tx) =>
      tx.run(
        "INSERT INTO admin_tokens (id, token_hash, name, created_at) VALUES ('adt_old', ?, 'bootstrap', 1)",
        [hashSecret(oldToken)],
      ),
    );
    await db.close();
    await writeFile(join(dir, "admin-token"), `${oldToken}\n`, { mode: 0o600 });

    const upgraded = await startTestServer({}, dir);
    try {
      expect(upgraded.api.token).toBe(oldToken);
      expect(upgraded.server.createdAdmin?.email).toBe("admin@localhost");
      expect(upgraded.server.createdAdminToken).toBeNull();
      const me = await upgraded.api.get<Me>("/auth/me");
      expect(me.status).toBe(200);
      expect(me.body.role.id).toBe("system_admin");
    } finally {
      await upgraded.cleanup();
    }
  });
});
