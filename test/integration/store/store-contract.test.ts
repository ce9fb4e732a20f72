/**
 * What every store backend must do the same, checked on each (SQLite file, real PostgreSQL):
 * the schema after migrating an empty store, the audit log append-only in the database itself,
 * units that commit or roll back whole, and the dialect fragments the repositories use.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialectOf } from "../../../server/store/dialect.js";
import type { Store } from "../../../server/store/store.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

const opened: TestStore[] = [];
const stores = new Map<string, Store>();

beforeAll(async () => {
  for (const dialect of STORE_BACKENDS) {
    const t = await openTestStore(dialect);
    opened.push(t);
    stores.set(dialect, t.store);
  }
});
afterAll(async () => {
  await Promise.all(opened.map((t) => t.cleanup()));
});

async function columnsOf(store: Store): Promise<Record<string, string[]>> {
  const tables = await store.db.introspection.getTables();
  return Object.fromEntries(
    tables
      .filter((t) => !t.name.startsWith("pmdm_") && !t.name.startsWith("sqlite_"))
      .map((t) => [t.name, t.columns.map((c) => c.name).sort()])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
}

describe("the store schema", () => {
  it("has the same tables and columns on every backend", async () => {
    const [first, ...rest] = await Promise.all(STORE_BACKENDS.map((d) => columnsOf(stores.get(d)!)));
    expect(Object.keys(first!).length).toBeGreaterThan(10);
    for (const other of rest) expect(other).toEqual(first);
  });
});

describe.each(STORE_BACKENDS)("on %s", (dialect) => {
  const store = () => stores.get(dialect)!;

  it("keeps the audit log append-only in the database itself", async () => {
    await store()
      .db.insertInto("audit_log")
      .values({ at: 1, action: "auth.login", target: null, params_json: "{}", outcome: "success" })
      .execute();
    await expect(store().db.updateTable("audit_log").set({ action: "x" }).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(store().db.deleteFrom("audit_log").execute()).rejects.toThrow(/append-only/);
    const rows = await store().db.selectFrom("audit_log").select("action").execute();
    expect(rows.map((r) => r.action)).toEqual(["auth.login"]);
  });

  it("rolls a failed unit back whole, and commits a good one", async () => {
    const key = `k-${dialect}`;
    await expect(
      store().unit(async (tx) => {
        await tx.insertInto("settings").values({ key, value_json: "1", updated_at: 1 }).execute();
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await store().db.selectFrom("settings").where("key", "=", key).selectAll().execute()).toEqual([]);
    await store().unit((tx) =>
      tx.insertInto("settings").values({ key, value_json: "2", updated_at: 2 }).execute(),
    );
    const row = await store().db.selectFrom("settings").where("key", "=", key).selectAll().executeTakeFirst();
    expect(row).toEqual({ key, value_json: "2", updated_at: 2 });
  });

  it("applies units that run at once without losing one", async () => {
    const key = `counter-${dialect}`;
    await store().db.insertInto("settings").values({ key, value_json: "0", updated_at: 0 }).execute();
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store().unit(async (tx) => {
          await tx
            .updateTable("settings")
            .set({ updated_at: sql`updated_at + 1` })
            .where("key", "=", key)
            .execute();
        }),
      ),
    );
    const row = await store()
      .db.selectFrom("settings")
      .where("key", "=", key)
      .select("updated_at")
      .executeTakeFirst();
    expect(row?.updated_at).toBe(20);
  });

  it("reads rows and values from one JSON parameter, with numbers, text and nulls", async () => {
    const d = dialectOf(dialect);
    const rows = await sql<{ id: string | null; n: number | null }>`
      SELECT ${d.rowText("u", 0)} AS id, ${d.rowNumber("u", 1)} AS n FROM ${d.rows([
        ["a", 1_700_000_000_123],
        ["b's", null],
        [null, 7],
      ])} AS u`.execute(store().db);
    expect(rows.rows).toEqual([
      { id: "a", n: 1_700_000_000_123 },
      { id: "b's", n: null },
      { id: null, n: 7 },
    ]);
    const values = await sql<{ value: string }>`SELECT value FROM ${d.values(["x", "y"])} AS v`.execute(
      store().db,
    );
    expect(values.rows.map((r) => r.value)).toEqual(["x", "y"]);
  });

  it("matches substrings regardless of case, and LIKE's wildcards only literally", async () => {
    const d = dialectOf(dialect);
    const match = async (text: string, needle: string) =>
      (
        await sql<{
          m: unknown;
        }>`SELECT CASE WHEN ${d.containsInsensitive(sql`${text}`, needle)} THEN 1 ELSE 0 END AS m`.execute(
          store().db,
        )
      ).rows[0]?.m;
    expect(Number(await match("Lobby Display", "lobby"))).toBe(1);
    expect(Number(await match("100% done", "0%"))).toBe(1);
    expect(Number(await match("1000 done", "0%"))).toBe(0);
    expect(Number(await match("a_b", "_"))).toBe(1);
    expect(Number(await match("ab", "_"))).toBe(0);
  });
});
