/**
 * Prepared statements (server/store/prepared.ts): built once, run with each call's values, on
 * both stores, inside and outside units; a statement whose shape would depend on its values is
 * refused when first built, never run with another call's values.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { amongParam, dialectOf, encodeRows, listParam } from "../../../server/store/dialect.js";
import { prepared } from "../../../server/store/prepared.js";
import type { StoreDialect } from "../../../server/store/store.js";
import { recordStatements } from "../../helpers/statements.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

describe.each(STORE_BACKENDS)("prepared statements on %s", (dialect: StoreDialect) => {
  let t: TestStore;
  const d = dialectOf(dialect);
  beforeAll(async () => {
    t = await openTestStore(dialect);
    await t.store.unit(async (tx) => {
      for (const [key, value] of [
        ["alpha", "1"],
        ["beta", "2"],
        ["gamma", "3"],
      ] as const) {
        await tx.insertInto("settings").values({ key, value_json: value, updated_at: 10 }).execute();
      }
    });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it("runs the statement built once with each call's values, keeping the statement's own constants", async () => {
    let builds = 0;
    const byKey = prepared<{ key: string; after: number }, { key: string; value_json: string }>(
      ["key", "after"],
      (q, p) => {
        builds++;
        return q
          .selectFrom("settings")
          .select(["key", "value_json"])
          .where("key", "=", p.key)
          .where("updated_at", ">", p.after)
          .where("value_json", "<>", "never");
      },
    );
    const recorder = recordStatements(t.store.db);
    expect(await byKey.rows(t.store.db, { key: "alpha", after: 0 })).toEqual([
      { key: "alpha", value_json: "1" },
    ]);
    expect(await byKey.rows(t.store.db, { key: "beta", after: 0 })).toEqual([
      { key: "beta", value_json: "2" },
    ]);
    expect(await byKey.rows(t.store.db, { key: "beta", after: 10 })).toEqual([]);
    recorder.stop();
    expect(builds).toBe(1);
    expect(new Set(recorder.statements.map((s) => s.sql)).size).toBe(1);
    expect(recorder.statements.map((s) => s.parameters)).toEqual([
      ["alpha", 0, "never"],
      ["beta", 0, "never"],
      ["beta", 10, "never"],
    ]);
  });

  it("takes lists and rows as one parameter each, inside a unit, and counts changes", async () => {
    const touch = prepared<{ keys: unknown; at: number }, never>(["keys", "at"], (q, p) =>
      q
        .updateTable("settings")
        .set({ updated_at: p.at })
        .where(amongParam(d, "key", p.keys)),
    );
    const fromRows = prepared<{ rows: string }, { key: string; value_json: string }>(["rows"], (q, p) =>
      q
        .selectFrom("settings")
        .innerJoin(d.rowsOf(p.rows).as("u"), (join) => join.onRef("settings.key", "=", d.rowText("u", 0)))
        .select(["settings.key", "settings.value_json"])
        .orderBy("settings.key"),
    );
    const changed = await t.store.unit((tx) =>
      touch.changes(tx, { keys: listParam(d, ["alpha", "gamma"]), at: 20 }),
    );
    expect(changed).toBe(2);
    expect(await touch.changes(t.store.db, { keys: listParam(d, []), at: 30 })).toBe(0);
    const rows = await fromRows.rows(t.store.db, { rows: encodeRows([["gamma"], ["beta"], ["nobody"]]) });
    expect(rows.map((r) => r.key)).toEqual(["beta", "gamma"]);
    const times = await t.store.db
      .selectFrom("settings")
      .select(["key", "updated_at"])
      .orderBy("key")
      .execute();
    expect(times.map((r) => [r.key, Number(r.updated_at)])).toEqual([
      ["alpha", 20],
      ["beta", 10],
      ["gamma", 20],
    ]);
  });

  it("refuses a statement whose shape depends on a value: inlined, encoded or spelled out as a list", async () => {
    const inlined = prepared<{ key: string }, never>(["key"], (q, p) =>
      q.selectFrom("settings").selectAll().where("key", "=", sql.lit(p.key)),
    );
    await expect(inlined.rows(t.store.db, { key: "alpha" })).rejects.toThrow(
      /written into the SQL text|does not reach/,
    );
    const encoded = prepared<{ key: string }, never>(["key"], (q, p) =>
      q
        .selectFrom("settings")
        .selectAll()
        .where("key", "=", JSON.stringify([p.key])),
    );
    await expect(encoded.rows(t.store.db, { key: "alpha" })).rejects.toThrow(/encoded into a value/);
    const missing = prepared<{ key: string; unused: string }, never>(["key", "unused"], (q, p) =>
      q.selectFrom("settings").selectAll().where("key", "=", p.key),
    );
    await expect(missing.rows(t.store.db, { key: "alpha", unused: "x" })).rejects.toThrow(
      /parameter 'unused' does not reach/,
    );
  });
});
