import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Database } from "../../../server/store/database.js";
import { KeyedBatchWriter } from "../../../server/store/keyed-batch-writer.js";
import { MIGRATIONS, migrate } from "../../../server/store/migrations.js";

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

  it("shows reads from outside a write unit only what it committed", async () => {
    await db.exec("CREATE TABLE t (v INTEGER)");
    let inside!: () => void;
    const reachedInside = new Promise<void>((resolve) => {
      inside = resolve;
    });
    let finish!: (commit: boolean) => void;
    const decided = new Promise<boolean>((resolve) => {
      finish = resolve;
    });
    const unit = db.write(async (tx) => {
      await tx.run("INSERT INTO t VALUES (1)");
      // The unit sees its own change.
      expect((await tx.get<{ n: number }>("SELECT count(*) AS n FROM t"))?.n).toBe(1);
      inside();
      if (!(await decided)) throw new Error("roll back");
    });
    await reachedInside;
    const duringUnit = db.get<{ n: number }>("SELECT count(*) AS n FROM t");
    finish(false);
    await expect(unit).rejects.toThrow("roll back");
    // Asked while the unit was open: it waited, and never saw the row that was rolled back.
    expect((await duringUnit)?.n).toBe(0);

    await db.write((tx) => tx.run("INSERT INTO t VALUES (2)"));
    expect((await db.get<{ v: number }>("SELECT v FROM t"))?.v).toBe(2);
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

describe("KeyedBatchWriter", () => {
  it("writes the latest value per key in one transaction per tick", async () => {
    await db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)");
    let transactions = 0;
    const writer = new KeyedBatchWriter<string, number>(db, {
      apply: async (tx, batch) => {
        transactions++;
        await tx.run("INSERT OR REPLACE INTO t SELECT j.value ->> 0, j.value ->> 1 FROM json_each(?) AS j", [
          JSON.stringify([...batch]),
        ]);
      },
    });
    await Promise.all([writer.enqueue("a", 1), writer.enqueue("b", 2), writer.enqueue("a", 3)]);
    expect(transactions).toBe(1);
    expect(await db.all("SELECT k, v FROM t ORDER BY k")).toEqual([
      { k: "a", v: 3 },
      { k: "b", v: 2 },
    ]);
  });

  it("merges values of one key as told, and rejects every caller when the write fails", async () => {
    const seen: number[][] = [];
    const writer = new KeyedBatchWriter<string, number, number>(db, {
      apply: async (_tx, batch) => {
        seen.push([...batch.values()]);
        if ([...batch.values()].includes(-1)) throw new Error("boom");
        return batch.size;
      },
      merge: (previous, next) => Math.max(previous, next),
    });
    await Promise.all([writer.enqueue("a", 5), writer.enqueue("a", 2)]);
    expect(seen).toEqual([[5]]);
    const failing = [writer.enqueue("x", -1), writer.enqueue("y", 1)];
    for (const p of failing) await expect(p).rejects.toThrow("boom");
    await writer.enqueue("z", 1);
    expect(seen.at(-1)).toEqual([1]);
  });

  it("keeps a batch the store could not take and writes it once the store is back, newer values first", async () => {
    let down = true;
    const written: [string, number][][] = [];
    const writer = new KeyedBatchWriter<string, number>(db, {
      apply: async (_tx, batch) => {
        if (down)
          throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
        written.push([...batch]);
      },
    });
    const first = writer.enqueue("a", 1);
    const second = writer.enqueue("b", 1);
    await new Promise((r) => setTimeout(r, 150));
    const newer = writer.enqueue("a", 2);
    down = false;
    await Promise.all([first, second, newer]);
    expect(written).toHaveLength(1);
    expect(new Map(written[0])).toEqual(
      new Map([
        ["a", 2],
        ["b", 1],
      ]),
    );
  });

  it("gives up on an outage when drained, failing its callers with the store's error", async () => {
    const writer = new KeyedBatchWriter<string, number>(db, {
      apply: async () => {
        throw Object.assign(new Error("Connection terminated unexpectedly"), {});
      },
    });
    const waiting = writer.enqueue("a", 1);
    const outcome = waiting.then(
      () => "written",
      (err: Error) => err.message,
    );
    await writer.drain(300);
    expect(await outcome).toBe("Connection terminated unexpectedly");
  });
});
