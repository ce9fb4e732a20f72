/**
 * The statements a store runs outside its units, as the query builder compiled them (SQL text
 * and parameters), for tests that count or inspect them. Every statement still runs as it was;
 * the recorder only looks. SQLite numbers parameters `?`, PostgreSQL `$1`, `$2`, …
 */
import type { CompiledQuery, Kysely } from "kysely";

export interface StatementRecorder {
  readonly statements: readonly CompiledQuery[];
  /** Stops recording; the store runs its statements as before. */
  stop(): void;
}

export function recordStatements<Schema>(db: Kysely<Schema>): StatementRecorder {
  const statements: CompiledQuery[] = [];
  // Every query of the root (builders and raw `sql`) goes through its one executor.
  const executor = db.getExecutor();
  const executeQuery = executor.executeQuery;
  executor.executeQuery = function recorded(this: typeof executor, compiled, ...rest) {
    statements.push(compiled);
    return executeQuery.call(this, compiled, ...rest);
  } as typeof executeQuery;
  return {
    statements,
    stop() {
      executor.executeQuery = executeQuery;
    },
  };
}

/** A placeholder of either store's SQL, for patterns over compiled statements. */
export const PARAMETER = String.raw`(?:\?|\$\d+)`;
