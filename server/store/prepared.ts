/**
 * Statements on hot paths (every API request, every command, every enrollment), built and
 * compiled once per repository instead of at each call. The query builder's own work, building
 * an immutable tree and compiling it to SQL, costs more CPU than SQLite spends running a small
 * statement; a prepared statement keeps the typed builder and pays for it once.
 *
 * It is built once with a placeholder standing for each parameter; every call then runs that
 * SQL with its own values in the placeholders' places. So the statement's shape must not depend
 * on the values: a list goes in as one parameter (`dialect.listParam`, `dialect.rowsParam`),
 * never spelled out. A placeholder that does not reach the SQL as a plain value (inlined,
 * encoded into another value) is refused when the statement is first built.
 */
import type { Compilable, CompiledQuery } from "kysely";
import type { Queryable } from "./store.js";

const PLACEHOLDER_MARK = "@@pmdm-prepared-parameter:";

/** Where each compiled parameter comes from: a parameter by name, or a constant of the statement. */
type Slot = { name: string } | { constant: unknown };

interface Compiled<R> {
  query: CompiledQuery<R>;
  slots: Slot[];
}

export interface PreparedStatement<P extends Record<string, unknown>, R> {
  /** Runs the statement with these values; its rows (with RETURNING, or a select). */
  rows(q: Queryable, params: P): Promise<R[]>;
  /** Runs it; how many rows it changed (an UPDATE, INSERT or DELETE without RETURNING). */
  changes(q: Queryable, params: P): Promise<number>;
}

/**
 * A statement built by `build` from placeholders for `names`, compiled at its first run (on the
 * store it runs on: one prepared statement serves one repository, so one dialect).
 */
export function prepared<P extends Record<string, unknown>, R>(
  names: readonly (keyof P & string)[],
  build: (db: Queryable, params: P) => Compilable<R>,
): PreparedStatement<P, R> {
  let compiled: Compiled<R> | null = null;
  const compile = (q: Queryable): Compiled<R> => {
    const placeholders = Object.fromEntries(names.map((name) => [name, `${PLACEHOLDER_MARK}${name}`])) as P;
    const query = build(q, placeholders).compile();
    const reached = new Set<string>();
    const slots = query.parameters.map((value): Slot => {
      if (typeof value === "string" && value.startsWith(PLACEHOLDER_MARK)) {
        const name = value.slice(PLACEHOLDER_MARK.length);
        reached.add(name);
        return { name };
      }
      if (typeof value === "string" && value.includes(PLACEHOLDER_MARK)) {
        throw new Error(`prepared statement: a placeholder was encoded into a value: ${query.sql}`);
      }
      return { constant: value };
    });
    for (const name of names) {
      if (!reached.has(name)) {
        throw new Error(
          `prepared statement: parameter '${name}' does not reach the SQL as a value: ${query.sql}`,
        );
      }
    }
    if (query.sql.includes(PLACEHOLDER_MARK)) {
      throw new Error(`prepared statement: a placeholder was written into the SQL text: ${query.sql}`);
    }
    return { query, slots };
  };
  const execute = (q: Queryable, params: P) => {
    compiled ??= compile(q);
    const { query, slots } = compiled;
    const parameters = slots.map((slot) => ("name" in slot ? params[slot.name] : slot.constant));
    return q.executeQuery<R>({ ...query, parameters });
  };
  return {
    rows: async (q, params) => (await execute(q, params)).rows,
    changes: async (q, params) => Number((await execute(q, params)).numAffectedRows ?? 0n),
  };
}
