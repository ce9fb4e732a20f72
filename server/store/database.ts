/**
 * A small promise layer over one `sqlite3` connection.
 *
 * sqlite3 runs every statement of a connection on one queue, so an `await` inside a
 * transaction would let unrelated statements slip into it. All writes therefore go through
 * {@link Database.write}, which runs one write unit at a time inside BEGIN IMMEDIATE … COMMIT.
 *
 * A unit's statements go through the context it is handed. Statements from anywhere else wait
 * while a unit's transaction is open: on the shared connection they would otherwise read the
 * unit's changes before it commits (a fleet command seen done while its results could still
 * roll back). So a read sees committed data only. Inside a unit, use its context, never the
 * Database itself: a unit that waits for its own end never ends.
 */
import sqlite3 from "sqlite3";
import { privateDatabaseFiles } from "./private-files.js";

export type SqlValue = string | number | bigint | null | Buffer;
export type SqlParams = readonly SqlValue[] | Record<string, SqlValue>;

export interface OpenOptions {
  /**
   * Reads only, and changes nothing about the file (its mode, its journal mode): for checking a
   * copy, which may sit on read-only media. Default false.
   */
  readOnly?: boolean;
}

/** The backup handle of node-sqlite3 (its typings leave it out). */
interface SqliteBackup {
  step(pages: number, callback: (err: Error | null) => void): void;
  finish(callback?: (err: Error | null) => void): void;
  readonly completed: boolean;
}

type BackupCapable = sqlite3.Database & {
  backup(file: string, callback: (err: Error | null) => void): SqliteBackup;
};

export interface RunResult {
  changes: number;
  lastId: number;
}

/** A write unit begun with {@link Database.beginUnit}: its statements, and how it ends. */
export interface OpenUnit {
  context: WriteContext;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** The statements a write unit may use: the same connection, inside the open transaction. */
export interface WriteContext {
  exec(sql: string): Promise<void>;
  run(sql: string, params?: SqlParams): Promise<RunResult>;
  get<T>(sql: string, params?: SqlParams): Promise<T | undefined>;
  all<T>(sql: string, params?: SqlParams): Promise<T[]>;
}

export class Database implements WriteContext {
  private writeChain: Promise<unknown> = Promise.resolve();
  /** A write unit's transaction is open: statements from outside it wait for its end. */
  private unitOpen = false;
  /** Statements from outside the open unit, submitted in order when it ends. */
  private waiting: (() => void)[] = [];
  /** What a write unit uses: straight to the connection, inside its transaction. */
  private readonly unitContext: WriteContext = {
    exec: (sql) => this.execNow(sql),
    run: (sql, params) => this.runNow(sql, params),
    get: (sql, params) => this.getNow(sql, params),
    all: (sql, params) => this.allNow(sql, params),
  };

  private constructor(
    private readonly db: sqlite3.Database,
    readonly file: string,
  ) {}

  /**
   * Opens (creating it if needed) the database in `file`. The file and its WAL and shared
   * memory are owner-only (0600), whatever the umask: they hold password hashes, emails and
   * the audit log. Read-only (see {@link OpenOptions}), it opens an existing file as it is.
   */
  static async open(file: string, options: OpenOptions = {}): Promise<Database> {
    if (options.readOnly) {
      const handle = await new Promise<sqlite3.Database>((resolve, reject) => {
        const opened = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) =>
          err ? reject(err) : resolve(opened),
        );
      });
      return new Database(handle, file);
    }
    await privateDatabaseFiles(file);
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const handle = new sqlite3.Database(file, (err) => (err ? reject(err) : resolve(handle)));
    });
    const database = new Database(db, file);
    // WAL: readers never block the writer, and a crash at any point leaves the last committed
    // state. synchronous=FULL syncs the WAL at every commit, so a command the API has answered
    // for, or a result the server has taken, survives a power cut too; NORMAL would survive a
    // process kill only. Measured (`npm run bench:sqlite`): about 0.3 ms more per small
    // commit and nothing visible per batch, and the store's writers batch under load.
    await database.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      PRAGMA foreign_keys = ON;
      PRAGMA busy_timeout = 5000;
      PRAGMA temp_store = MEMORY;
    `);
    return database;
  }

  exec(sql: string): Promise<void> {
    return this.outsideUnit(() => this.execNow(sql));
  }

  run(sql: string, params: SqlParams = []): Promise<RunResult> {
    return this.outsideUnit(() => this.runNow(sql, params));
  }

  get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return this.outsideUnit(() => this.getNow<T>(sql, params));
  }

  all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return this.outsideUnit(() => this.allNow<T>(sql, params));
  }

  private outsideUnit<T>(submit: () => Promise<T>): Promise<T> {
    if (!this.unitOpen) return submit();
    return new Promise((resolve, reject) => this.waiting.push(() => void submit().then(resolve, reject)));
  }

  private execNow(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  private runNow(sql: string, params: SqlParams = []): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastId: this.lastID });
      });
    });
  }

  private getNow<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return new Promise((resolve, reject) =>
      this.db.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined))),
    );
  }

  private allNow<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return new Promise((resolve, reject) =>
      this.db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))),
    );
  }

  /**
   * Runs `unit` in its own transaction, after every write unit queued before it. A throw rolls
   * the whole unit back and rejects with the same error.
   */
  async write<T>(unit: (tx: WriteContext) => Promise<T>): Promise<T> {
    const open = await this.beginUnit();
    let value: T;
    try {
      value = await unit(open.context);
    } catch (err) {
      await open.rollback();
      throw err;
    }
    await open.commit();
    return value;
  }

  /**
   * Opens a write unit once every unit begun before it has ended: BEGIN IMMEDIATE has run when
   * this resolves. The caller must end it with exactly one `commit` or `rollback` (a failed
   * commit rolls back); until then statements from outside it wait.
   */
  beginUnit(): Promise<OpenUnit> {
    let release!: () => void;
    const ended = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.writeChain;
    this.writeChain = ended;
    return previous.then(async () => {
      this.unitOpen = true;
      try {
        await this.execNow("BEGIN IMMEDIATE");
      } catch (err) {
        this.endUnit(release);
        throw err;
      }
      let ending = false;
      const end = async (statement: "COMMIT" | "ROLLBACK") => {
        if (ending) throw new Error("this write unit has already ended");
        ending = true;
        try {
          await this.execNow(statement);
        } catch (err) {
          if (statement === "COMMIT") await this.execNow("ROLLBACK").catch(() => undefined);
          throw err;
        } finally {
          this.endUnit(release);
        }
      };
      return {
        context: this.unitContext,
        commit: () => end("COMMIT"),
        rollback: () => end("ROLLBACK").catch(() => undefined),
      };
    });
  }

  private endUnit(release: () => void): void {
    this.unitOpen = false;
    // Submitted now, before the next unit can begin.
    const released = this.waiting;
    this.waiting = [];
    for (const submit of released) submit();
    release();
  }

  /**
   * Copies the whole database into the file `target` with SQLite's online backup API, every
   * page in one step: one read transaction, so the copy is a consistent snapshot while other
   * connections keep writing. Like any statement from outside a write unit, it waits while one
   * is open on this connection. The copy has this database's journal mode.
   */
  backupTo(target: string): Promise<void> {
    return this.outsideUnit(
      () =>
        new Promise<void>((resolve, reject) => {
          const backup = (this.db as BackupCapable).backup(target, (openErr) => {
            if (openErr) return reject(openErr);
            // -1: every page in one step.
            backup.step(-1, (stepErr) => {
              backup.finish();
              if (stepErr) reject(stepErr);
              else if (!backup.completed) reject(new Error("the online backup did not complete"));
              else resolve();
            });
          });
        }),
    );
  }

  /** Resolves once every write queued so far has finished. */
  async drainWrites(): Promise<void> {
    await this.writeChain;
  }

  async close(): Promise<void> {
    await this.drainWrites();
    await new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }
}
