/**
 * Moves a data dir's SQLite store into an empty PostgreSQL database (`npm run admin --
 * migrate-store --to URL`). It refuses while a server runs on the data dir and when the target
 * holds anything; then it migrates the target's schema and copies every table in one
 * transaction of the target (see ./copy-store.ts), checked by row counts before it commits. A
 * failure leaves no row in the target: at most the empty schema, which a new run accepts. The
 * SQLite file is only read (migrated first if an older server left it at an older schema, and
 * given the data dir's `signing-keys.json` as its key ring if it has none yet, as any start of
 * this version would) and stays as a fallback.
 */
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createLogger } from "../logger.js";
import { signingKeysFile } from "../signing/key-ring-file.js";
import { importSigningKeyFile } from "../signing/load-signing-keys.js";
import { StoredKeyRing } from "../signing/stored-key-ring.js";
import { runningServerPid, SERVER_PID_FILE } from "./backup.js";
import { type CopyProgress, CopyStoreError, copyStore, type TableCount } from "./copy-store.js";
import { DATABASE_FILE } from "./open-store.js";
import { readDatabaseContents } from "./postgres/database-contents.js";
import { withPasswordHidden } from "./postgres/database-url.js";
import { openPostgresStore, type PostgresStore } from "./postgres/postgres-store.js";
import { openSqliteStore, type SqliteStore } from "./sqlite/sqlite-store.js";

export class MigrateStoreError extends Error {
  override name = "MigrateStoreError";
}

export interface MigrateStoreOptions {
  dataDir: string;
  /** The PostgreSQL database to fill. */
  targetUrl: string;
  onProgress?: (progress: CopyProgress) => void;
}

export interface MigrateStoreReport {
  tables: TableCount[];
  /** The target's schema version before and after its migration. */
  migrated: { from: number; to: number };
  /** The data dir's key ring file, when it was imported into the source before the copy. */
  importedSigningKeyFile: string | null;
}

/** Names what is in the way, or nothing when the database may take the copy. */
export async function reasonTargetIsNotEmpty(url: string): Promise<string | null> {
  const contents = await readDatabaseContents(url);
  const shown = `${withPasswordHidden(url)} (database ${contents.name})`;
  if (contents.otherTables.length > 0) {
    const listed = contents.otherTables.slice(0, 10).join(", ");
    const more = contents.otherTables.length > 10 ? ` and ${contents.otherTables.length - 10} more` : "";
    return `the target database ${shown} is not empty: it holds tables that are not portal-mdm's: ${listed}${more}`;
  }
  if (contents.filledTables.length > 0) {
    const listed = contents.filledTables.map((t) => `${t.table} (${t.rows} rows)`).join(", ");
    return `the target database ${shown} is not empty: it already holds a portal-mdm store with ${listed}`;
  }
  return null;
}

export async function migrateStore(options: MigrateStoreOptions): Promise<MigrateStoreReport> {
  const dataDir = resolve(options.dataDir);
  const pid = await runningServerPid(dataDir);
  if (pid !== null) {
    throw new MigrateStoreError(
      `a server (pid ${pid}) is running on ${dataDir}; stop it before migrating its store ` +
        `(if none is, remove ${join(dataDir, SERVER_PID_FILE)})`,
    );
  }
  const file = join(dataDir, DATABASE_FILE);
  try {
    await stat(file);
  } catch {
    throw new MigrateStoreError(`no SQLite store at ${file}: is ${dataDir} the server's data dir?`);
  }
  const inTheWay = await reasonTargetIsNotEmpty(options.targetUrl);
  if (inTheWay) throw new MigrateStoreError(`${inTheWay}; migrate-store only fills an empty database`);

  let source: SqliteStore | undefined;
  let target: PostgresStore | undefined;
  try {
    source = await openSqliteStore(file);
    // A data dir from before keeps its key ring in a file: into the store with everything else.
    const keys = new StoredKeyRing(source);
    const imported =
      (await keys.version()) === null
        ? await importSigningKeyFile(keys, dataDir, createLogger("silent"))
        : null;
    target = await openPostgresStore({ url: options.targetUrl, poolSize: 2, statementTimeoutMs: 600_000 });
    const copied = await copyStore(source, target, options.onProgress);
    return {
      tables: copied.tables,
      migrated: target.migrated,
      importedSigningKeyFile: imported ? signingKeysFile(dataDir) : null,
    };
  } catch (err) {
    if (!target) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new MigrateStoreError(
      `${err instanceof CopyStoreError ? "" : "the copy failed: "}${why}; nothing was copied ` +
        "(the copy runs in one transaction, rolled back): the target holds portal-mdm's empty schema, " +
        "which a new run of migrate-store accepts",
    );
  } finally {
    await target?.close();
    await source?.close();
  }
}
