import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Database } from "../../../server/store/database.js";
import { MIGRATIONS, migrate } from "../../../server/store/migrations.js";
import { WriteBatcher } from "../../../server/store/write-batcher.js";

let dir: string;
let db: Database;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pmdm-store-"));
  db = await Database.open(join(dir, "test.sqlite"));
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe("Database", () => {
  it("runs in WAL mode", async () => {
    expect((await db.get<{ journal_mode: string }>("PRAGMA journal_mode"))?.journal_mode).toBe("wal");
  });

  it("rolls a failed write unit back entirely and keeps serving", async () => {
    await db.exec("CREATE TABLE t (v INTEGER UNIQUE)");
    await expect(
      db.write(async (tx) => {
        await tx.run("INSERT INTO t VALUES (1)");
        await tx.run("INSERT INTO t VALUES (1)");
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect((await db.get<{ n: number }>("SELECT count(*) AS n FROM t"))?.n).toBe(0);
    await db.write((tx) => tx.run("INSERT INTO t VALUES (2)"));
    expect((await db.get<{ n: number }>("SELECT count(*) AS n FROM t"))?.n).toBe(1);
  });

  it("never interleaves two write units", async () => {
    await db.exec("CREATE TABLE log (unit TEXT, step INTEGER)");
    const unit = (name: string) =>
      db.write(async (tx) => {
        for (let step = 0; step < 5; step++) {
          await tx.run("INSERT INTO log VALUES (?, ?)", [name, step]);
          await new Promise((r) => setImmediate(r));
        }
      });
    await Promise.all([unit("a"), unit("b")]);
    const rows = await db.all<{ unit: string }>("SELECT unit FROM log ORDER BY rowid");
    expect(rows.map((r) => r.unit).join("")).toBe("aaaaabbbbb");
  });
});

describe("migrations", () => {
  it("apply once and record the schema version", async () => {
    expect(await migrate(db)).toEqual({ from: 0, to: MIGRATIONS.length });
    expect(await migrate(db)).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length });
    expect((await db.get<{ user_version: number }>("PRAGMA user_version"))?.user_version).toBe(
      MIGRATIONS.length,
    );
  });

  it("refuse a database from a newer server", async () => {
    await db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
    await expect(migrate(db)).rejects.toThrow(/newer than this server/);
  });
});

describe("WriteBatcher", () => {
  it("commits many writes in one transaction and isolates a failing one", async () => {
    await db.exec("CREATE TABLE t (v INTEGER UNIQUE)");
    const batcher = new WriteBatcher(db);
    const results = await Promise.allSettled(
      [1, 2, 2, 3].map((v) =>
        batcher.enqueue((tx) => tx.run("INSERT INTO t VALUES (?)", [v]).then(() => undefined)),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    const rows = await db.all<{ v: number }>("SELECT v FROM t ORDER BY v");
    expect(rows.map((r) => r.v)).toEqual([1, 2, 3]);
  });

  it("drains everything enqueued", async () => {
    await db.exec("CREATE TABLE t (v INTEGER)");
    const batcher = new WriteBatcher(db, 10);
    for (let i = 0; i < 95; i++)
      void batcher.enqueue((tx) => tx.run("INSERT INTO t VALUES (?)", [i]).then(() => undefined));
    await batcher.drain();
    expect((await db.get<{ n: number }>("SELECT count(*) AS n FROM t"))?.n).toBe(95);
  });
});
