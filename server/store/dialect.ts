/**
 * The few SQL idioms that SQLite and PostgreSQL spell differently, as query-builder fragments.
 * Everything else the repositories write once: RETURNING, UPDATE … FROM, INSERT … ON CONFLICT,
 * keyset paging and CTEs read the same in both.
 *
 * Set-based statements take their rows as one JSON parameter, so a fleet of rows is one
 * statement with one parameter on either store (SQLite `json_each`, PostgreSQL
 * `jsonb_array_elements`). Each row is a JSON array; `rowText(alias, i)` and `rowNumber(...)`
 * read its fields.
 */
import { type RawBuilder, type SqlBool, sql } from "kysely";
import type { StoreSchema } from "./schema.js";
import type { Queryable, StoreDialect } from "./store.js";

export interface SqlDialect {
  readonly name: StoreDialect;
  /** A table of the JSON array's elements, one column `value` (text for strings). */
  values(json: unknown[]): RawBuilder<unknown>;
  /** A table of rows, each a JSON array, one column `value` to read with rowText/rowNumber. */
  rows(rows: unknown[][]): RawBuilder<unknown>;
  /** {@link rows} from a parameter holding them already encoded ({@link encodeRows}): for prepared statements. */
  rowsOf(param: unknown): RawBuilder<unknown>;
  /** Field `index` of a row of {@link rows}, as text (null stays null). */
  rowText(alias: string, index: number): RawBuilder<string | null>;
  /** Field `index` of a row of {@link rows}, as a 64-bit integer (null stays null). */
  rowNumber(alias: string, index: number): RawBuilder<number | null>;
  /** Field `index` of a row of {@link rows} holding a JSON boolean, as a flag (null stays null). */
  rowFlag(alias: string, index: number): RawBuilder<SqlBool | null>;
  /** A case-insensitive substring match with LIKE's wildcards escaped. */
  containsInsensitive(column: RawBuilder<unknown> | string, needle: string): RawBuilder<boolean>;
  /** Top-level field `key` of a JSON object kept as text, as a 64-bit integer (null when absent). */
  jsonInteger(column: string, key: string): RawBuilder<number | null>;
  /**
   * A text column compared byte by byte (SQLite's BINARY, PostgreSQL's "C" collation), so that
   * both stores sort it the same whatever the database's locale. An index serves the order only
   * when it is built on the same expression.
   */
  byteOrder(column: string): RawBuilder<string>;
  /** An aggregate of a text column's values as a JSON array in text (`[]` for no rows). */
  jsonTextArray(column: string): RawBuilder<string>;
}

const escapeLike = (needle: string) => `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const ref = (column: RawBuilder<unknown> | string) => (typeof column === "string" ? sql.ref(column) : column);

export const SQLITE_DIALECT: SqlDialect = {
  name: "sqlite",
  jsonTextArray: (column) => sql`json_group_array(${sql.ref(column)})`,
  values: (json) => sql`json_each(${JSON.stringify(json)})`,
  rows: (rows) => sql`json_each(${JSON.stringify(rows)})`,
  rowsOf: (param) => sql`json_each(${param})`,
  rowText: (alias, index) => sql`${sql.ref(`${alias}.value`)} ->> ${sql.lit(index)}`,
  rowNumber: (alias, index) => sql`CAST(${sql.ref(`${alias}.value`)} ->> ${sql.lit(index)} AS INTEGER)`,
  // SQLite's ->> reads JSON true and false as 1 and 0, its flags.
  rowFlag: (alias, index) => sql`${sql.ref(`${alias}.value`)} ->> ${sql.lit(index)}`,
  // SQLite's LIKE ignores ASCII case already.
  containsInsensitive: (column, needle) => sql`${ref(column)} LIKE ${escapeLike(needle)} ESCAPE '\\'`,
  jsonInteger: (column, key) => sql`CAST(${sql.ref(column)} ->> ${sql.lit(`$.${key}`)} AS INTEGER)`,
  byteOrder: (column) => sql`${sql.ref(column)}`,
};

export const POSTGRES_DIALECT: SqlDialect = {
  name: "postgres",
  jsonTextArray: (column) => sql`coalesce(json_agg(${sql.ref(column)}), '[]'::json)::text`,
  values: (json) => sql`jsonb_array_elements_text(${JSON.stringify(json)}::jsonb)`,
  rows: (rows) => sql`jsonb_array_elements(${JSON.stringify(rows)}::jsonb)`,
  rowsOf: (param) => sql`jsonb_array_elements(${param}::jsonb)`,
  rowText: (alias, index) => sql`${sql.ref(`${alias}.value`)} ->> ${sql.lit(index)}`,
  rowNumber: (alias, index) => sql`CAST(${sql.ref(`${alias}.value`)} ->> ${sql.lit(index)} AS BIGINT)`,
  rowFlag: (alias, index) => sql`CAST(${sql.ref(`${alias}.value`)} ->> ${sql.lit(index)} AS BOOLEAN)`,
  containsInsensitive: (column, needle) => sql`${ref(column)} ILIKE ${escapeLike(needle)} ESCAPE '\\'`,
  // The column is text: its JSON operators need it as jsonb.
  jsonInteger: (column, key) => sql`CAST(CAST(${sql.ref(column)} AS jsonb) ->> ${sql.lit(key)} AS BIGINT)`,
  byteOrder: (column) => sql`${sql.ref(column)} COLLATE "C"`,
};

export function dialectOf(name: StoreDialect): SqlDialect {
  return name === "sqlite" ? SQLITE_DIALECT : POSTGRES_DIALECT;
}

/**
 * `column IN (the values)`, as one parameter whatever their number. On PostgreSQL an array
 * (`= ANY($1)`): the planner sees its length, where a set-returning function over JSON is taken
 * for 100 rows whatever it holds (a fleet's open-command lookup got a nested loop over every
 * command: 213 ms against 0.7 ms).
 */
export function among(dialect: SqlDialect, column: string, values: readonly unknown[]): RawBuilder<SqlBool> {
  return amongParam(dialect, column, listParam(dialect, values));
}

/** The values of {@link among} as its one parameter: for prepared statements. */
export function listParam(dialect: SqlDialect, values: readonly unknown[]): unknown {
  return dialect.name === "postgres" ? [...values] : JSON.stringify(values);
}

/** {@link among} over a parameter made by {@link listParam}. */
export function amongParam(dialect: SqlDialect, column: string, param: unknown): RawBuilder<SqlBool> {
  if (dialect.name === "postgres") return sql<SqlBool>`${sql.ref(column)} = ANY(${param})`;
  return sql<SqlBool>`${sql.ref(column)} IN (SELECT value FROM json_each(${param}) AS listed)`;
}

/**
 * Inside a unit, before counting a table's rows to add one under a limit: on PostgreSQL, units
 * that add rows to `table` take turns until each ends, so two at once cannot both pass the
 * limit. On SQLite units run one at a time, so there is nothing to lock against.
 */
export async function lockForInsert(
  q: Queryable,
  dialect: SqlDialect,
  table: keyof StoreSchema,
): Promise<void> {
  if (dialect.name !== "postgres") return;
  await sql`LOCK TABLE ${sql.table(table)} IN SHARE ROW EXCLUSIVE MODE`.execute(q);
}

/** Rows for {@link SqlDialect.rowsOf}: the same encoding on both stores. */
export function encodeRows(rows: unknown[][]): string {
  return JSON.stringify(rows);
}
