/**
 * A store copy that fails part way leaves nothing behind: the target refuses the last table's
 * rows (a trigger of its own), the whole copy rolls back, the error says so, and once the
 * target takes rows again a new run copies everything into the same database.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TABLES_IN_COPY_ORDER } from "../../../server/store/copy-store.js";
import { migrateStore } from "../../../server/store/migrate-store.js";
import { readDatabaseContents } from "../../../server/store/postgres/database-contents.js";
import { openPostgresStore } from "../../../server/store/postgres/postgres-store.js";
import { enrollCredentials, uniqueSerial } from "../../helpers/devices.js";
import { newPostgresDatabase } from "../../helpers/stores.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";

let t: TestServer;
let target: { url: string; drop(): Promise<void> };

beforeAll(async () => {
  t = await startTestServer();
  for (let i = 0; i < 2; i++) await enrollCredentials(t, uniqueSerial("ROLLBACK"));
  await t.stop();
  target = await newPostgresDatabase();
  // The target's schema, and a trigger that refuses the audit log, the last table copied.
  const store = await openPostgresStore({ url: target.url, poolSize: 1 });
  await store.close();
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  await client.query(`
    CREATE FUNCTION refuse_rows() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'no rows here today'; END $$;
    CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_rows();`);
  await client.end();
});
afterAll(async () => {
  await t.cleanup();
  await target.drop();
});

describe("a store copy that fails", () => {
  it("rolls back every table, says so, and a new run into the same database succeeds", async () => {
    const tables: string[] = [];
    await expect(
      migrateStore({ dataDir: t.dataDir, targetUrl: target.url, onProgress: (p) => tables.push(p.table) }),
    ).rejects.toThrow(/no rows here today; nothing was copied .*rolled back/);
    // It got as far as the last table before the target refused.
    expect(tables.at(-1)).toBe("audit_log");
    expect(await readDatabaseContents(target.url)).toMatchObject({ filledTables: [], otherTables: [] });

    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    await client.query("DROP TRIGGER refuse_audit ON audit_log");
    await client.end();
    const report = await migrateStore({ dataDir: t.dataDir, targetUrl: target.url });
    expect(report.tables.map((c) => c.table)).toEqual(TABLES_IN_COPY_ORDER);
    expect(report.tables.find((c) => c.table === "devices")).toEqual({
      table: "devices",
      source: 2,
      target: 2,
    });
    expect(report.tables.every((c) => c.source === c.target)).toBe(true);
  });
});
