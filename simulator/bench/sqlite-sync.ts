/**
 * `npm run bench:sqlite`: what `PRAGMA synchronous = FULL` costs against NORMAL (both in WAL
 * mode) for the store's two kinds of commit, on this machine's disk: a small transaction (one
 * command issued: an insert and an update) and a set-based batch (1000 command transitions in
 * one UPDATE … FROM json_each, as the batched writers do). Runs through the server's own
 * Database layer, in a temp dir on the same file system as the default data dir's parent.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { Command, Option } from "commander";
import { Database } from "../../server/store/database.js";

const program = new Command("portal-bench-sqlite")
  .addOption(new Option("--small <n>", "small transactions per mode").argParser(Number).default(500))
  .addOption(new Option("--batches <n>", "1000-row batches per mode").argParser(Number).default(100))
  .option("--dir <dir>", "where the test database goes", ".")
  .parse();
const opts = program.opts<{ small: number; batches: number; dir: string }>();

const BATCH_ROWS = 1000;

async function measure(mode: "NORMAL" | "FULL"): Promise<{ smallPerS: number; batchMs: number }> {
  const dir = await mkdtemp(join(opts.dir, ".tmp-sqlite-sync-"));
  const db = await Database.open(join(dir, "bench.sqlite"));
  try {
    await db.exec(`PRAGMA synchronous = ${mode}`);
    await db.exec(`
      CREATE TABLE commands (id TEXT PRIMARY KEY, device_id TEXT, state TEXT, updated_at INTEGER);
      CREATE TABLE devices (id TEXT PRIMARY KEY, next_seq INTEGER);
      INSERT INTO devices VALUES ('dev_1', 1);
    `);
    const smallStart = performance.now();
    for (let i = 0; i < opts.small; i++) {
      await db.write(async (tx) => {
        await tx.run("INSERT INTO commands VALUES (?, 'dev_1', 'queued', ?)", [`cmd_${i}`, Date.now()]);
        await tx.run("UPDATE devices SET next_seq = next_seq + 1 WHERE id = 'dev_1'");
      });
    }
    const smallPerS = opts.small / ((performance.now() - smallStart) / 1000);

    const ids = Array.from({ length: BATCH_ROWS }, (_, i) => `bat_${i}`);
    await db.write((tx) =>
      tx.run("INSERT INTO commands SELECT value, 'dev_1', 'queued', 0 FROM json_each(?)", [
        JSON.stringify(ids),
      ]),
    );
    const batchStart = performance.now();
    for (let b = 0; b < opts.batches; b++) {
      const updates = JSON.stringify(ids.map((id) => [id, b]));
      await db.write((tx) =>
        tx.run(
          `UPDATE commands SET state = 'sent', updated_at = u.value ->> 1
           FROM json_each(?) AS u WHERE commands.id = u.value ->> 0`,
          [updates],
        ),
      );
    }
    const batchMs = (performance.now() - batchStart) / opts.batches;
    return { smallPerS, batchMs };
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const normal = await measure("NORMAL");
const full = await measure("FULL");
const line = (mode: string, r: { smallPerS: number; batchMs: number }) =>
  `| ${mode} | ${Math.round(r.smallPerS)} /s (${(1000 / r.smallPerS).toFixed(2)} ms each) | ${r.batchMs.toFixed(2)} ms |`;
process.stdout.write(
  `| synchronous | small commits (insert + update) | ${BATCH_ROWS}-row batch commit |\n| --- | --- | --- |\n` +
    `${line("NORMAL", normal)}\n${line("FULL", full)}\n`,
);
