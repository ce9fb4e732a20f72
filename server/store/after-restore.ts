/**
 * What a PostgreSQL store needs after `pg_restore` and before any server starts on it
 * (`npm run admin -- after-restore --database-url URL`), for the reason the SQLite restore gives
 * (server/store/backup.ts): the devices may have run commands, and applied desired configs,
 * issued after the dump was taken. A device refuses a command seq that does not go forward and
 * ignores a config version it has passed, so both counters of every device move up by
 * RESTORE_SEQ_GAP in one statement; gaps are harmless.
 */
import { RESTORE_SEQ_GAP } from "./backup.js";
import { POSTGRES_DIALECT } from "./dialect.js";
import { readDatabaseContents } from "./postgres/database-contents.js";
import { withPasswordHidden } from "./postgres/database-url.js";
import { openPostgresStore } from "./postgres/postgres-store.js";
import { DeviceRepository } from "./repositories/device-repository.js";

export class AfterRestoreError extends Error {
  override name = "AfterRestoreError";
}

export interface AfterRestoreReport {
  devices: number;
  migrated: { from: number; to: number };
}

/**
 * Refuses a database that holds no store, or that anyone else is connected to (a server already
 * running on it would hand out the old seqs meanwhile); migrates an older dump's schema, then
 * raises the counters.
 */
export async function afterPostgresRestore(url: string): Promise<AfterRestoreReport> {
  const contents = await readDatabaseContents(url);
  const shown = `${withPasswordHidden(url)} (database ${contents.name})`;
  if (contents.schemaVersion === null) {
    throw new AfterRestoreError(`${shown} holds no portal-mdm store; restore the dump into it first`);
  }
  if (contents.otherConnections > 0) {
    throw new AfterRestoreError(
      `${contents.otherConnections} other session(s) are connected to ${shown}; stop every server ` +
        "on it (and close other clients) before running after-restore",
    );
  }
  const store = await openPostgresStore({ url, poolSize: 1, statementTimeoutMs: 600_000 });
  try {
    const devices = await store.unit((tx) =>
      new DeviceRepository(POSTGRES_DIALECT).raiseCountersBy(tx, RESTORE_SEQ_GAP),
    );
    return { devices, migrated: store.migrated };
  } finally {
    await store.close();
  }
}
