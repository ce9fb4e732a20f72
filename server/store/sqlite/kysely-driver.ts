/**
 * The query builder (Kysely) over the server's one node-sqlite3 connection ({@link Database}).
 * Kysely's own SQLite dialect needs a synchronous driver (better-sqlite3); this one keeps the
 * store's rules: transactions are the Database's write units (BEGIN IMMEDIATE, one at a time,
 * in order), and a statement from outside the open unit waits until it has ended, so a read
 * sees committed data only. Inside a transaction, use its handle, never the root: a unit that
 * waits for its own end never ends.
 */
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";
import type { Database, OpenUnit, SqlValue, WriteContext } from "../database.js";

/** Statements that answer rows: everything else is run for its change count. */
const ANSWERS_ROWS = /^\s*(select|with|pragma|values|explain)\b|\breturning\b/i;

class Sqlite3Connection implements DatabaseConnection {
  /** The write unit this connection's transaction holds, if it is in one. */
  unit: OpenUnit | null = null;

  /** `target`: where statements go outside a transaction (the Database, or one open unit). */
  constructor(private readonly target: WriteContext) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const target: WriteContext = this.unit?.context ?? this.target;
    const params = compiled.parameters as SqlValue[];
    if (ANSWERS_ROWS.test(compiled.sql)) return { rows: await target.all<R>(compiled.sql, params) };
    const result = await target.run(compiled.sql, params);
    return {
      rows: [],
      numAffectedRows: BigInt(result.changes),
      insertId: result.lastId ? BigInt(result.lastId) : undefined,
    };
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered; the method must exist
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming queries are not supported on SQLite: page with a cursor instead");
  }
}

class Sqlite3Driver implements Driver {
  constructor(private readonly database: Database) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Sqlite3Connection(this.database);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as Sqlite3Connection).unit = await this.database.beginUnit();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = connection as Sqlite3Connection;
    const unit = conn.unit;
    conn.unit = null;
    await unit?.commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = connection as Sqlite3Connection;
    const unit = conn.unit;
    conn.unit = null;
    await unit?.rollback();
  }

  async releaseConnection(): Promise<void> {}

  /** The Database belongs to whoever opened it and is closed there. */
  async destroy(): Promise<void> {}
}

function sqlite3Dialect(database: Database): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new Sqlite3Driver(database),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}

/** A Kysely instance over the given connection, with its write-unit rules. */
export function kyselyOverSqlite<Schema>(database: Database): Kysely<Schema> {
  return new Kysely<Schema>({ dialect: sqlite3Dialect(database) });
}
