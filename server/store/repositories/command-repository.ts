/**
 * Commands and fleet commands (batches), one aggregate: the only code that writes `commands` and
 * `batches`. Methods take the root store (reads outside a unit) or a unit's transaction.
 *
 * Other units may be writing at the same time (PostgreSQL): every transition is one conditional
 * UPDATE on the states it may leave, so a late or duplicated report, a sweep and an admin racing
 * each other never move a command backwards, and each transition is returned to exactly one
 * writer. Writes for many commands (a fleet's inserts, a tick of `sent` marks or device results)
 * are single statements over one JSON parameter (see `server/store/dialect.ts`).
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from "kysely";
import { SERVER_COMMAND_CODE, SIGNATURE_REFUSAL_CODES } from "../../../proto/result-codes.js";
import type { CommandType } from "../../../proto/wire.js";
import type { CommandRow, CommandState, WindowHold } from "../../commands/command.js";
import { among, amongParam, encodeRows, listParam, type SqlDialect } from "../dialect.js";
import { prepared } from "../prepared.js";
import type { StoreSchema } from "../schema.js";
import type { Queryable } from "../store.js";

const COMMAND_COLUMNS = [
  "id",
  "device_id",
  "batch_id",
  "seq",
  "type",
  "params_json",
  "state",
  "error_code",
  "error_message",
  "created_at",
  "expires_at",
  "updated_at",
  "sent_at",
  "accepted_at",
  "finished_at",
  "created_by",
  "window_hold",
] as const;

/** The columns qualified, for RETURNING in an UPDATE … FROM (which would return the FROM's too). */
const RETURNED = COMMAND_COLUMNS.map((c) => `commands.${c}` as const);

const OPEN_STATES = ["queued", "sent", "accepted"] as const satisfies readonly CommandState[];
/** Why a command expired that never left: its device's maintenance window did not open in time. */
const WAITED_FOR_WINDOW = "its TTL passed while it waited for its device's maintenance window";
const UNDELIVERED_STATES = ["queued", "sent"] as const satisfies readonly CommandState[];

export interface NewCommand {
  id: string;
  deviceId: string;
  seq: number;
  batchId: string | null;
  type: CommandType;
  paramsJson: string;
  createdAtMs: number;
  expiresAtMs: number;
  createdBy: string | null;
  /** Sent "in window": held for its device's maintenance window, or released; absent: neither. */
  windowHold?: WindowHold | null;
}

/** How a fleet command's commands stand: per state, and those waiting for a maintenance window. */
export interface BatchProgress {
  /** States without any command are absent. */
  byState: Map<CommandState, number>;
  /** Queued commands held for their device's maintenance window. */
  waitingForWindow: number;
  /** Its commands were sent to wait for their devices' windows. */
  inWindow: boolean;
}

/** A held command given the seq it is delivered with once released. */
export interface CommandRelease {
  commandId: string;
  seq: number;
}

/** A device's word about one of its commands. */
export interface CommandReport {
  commandId: string;
  deviceId: string;
  state: CommandState;
  atMs: number;
  errorCode: string | null;
  message: string | null;
  /** A refusal of a copy whose signature did not hold: it never replaces what the command became. */
  signatureRefusal: boolean;
}

export interface OpenCommandsToEnd {
  deviceIds: readonly string[];
  states: readonly CommandState[];
  exceptCommandIds: readonly string[];
  code: string;
  message: string;
  messageIfRunning: string;
  atMs: number;
}

/** How long a type of command may take at a step, for the deadline sweep. */
export type BoundsByType = ReadonlyMap<string, number>;

export interface BatchRow {
  id: string;
  type: CommandType;
  params_json: string;
  target_json: string;
  total: number;
  created_at: number;
  created_by: string | null;
}

export interface NewBatch {
  id: string;
  type: CommandType;
  paramsJson: string;
  targetJson: string;
  total: number;
  createdAtMs: number;
  createdBy: string | null;
}

type CommandsEb = ExpressionBuilder<StoreSchema, "commands">;

/**
 * Final states the server decided without the device's word: the TTL passed, the device ran
 * past its type's bound, an admin ended it while it ran, or the device refused a copy whose
 * signature did not hold (a forgery, or damage on the way). What the device then reports of the
 * genuine command is what really happened, and replaces them.
 */
function revisableByDevice(eb: CommandsEb): Expression<SqlBool> {
  return eb.or([
    eb("commands.state", "=", "expired"),
    eb.and([
      eb("commands.state", "=", "rejected"),
      eb("commands.error_code", "in", [...SIGNATURE_REFUSAL_CODES]),
    ]),
    eb.and([
      eb("commands.state", "=", "failed"),
      eb("commands.error_code", "=", SERVER_COMMAND_CODE.timed_out),
    ]),
    eb.and([
      eb("commands.state", "=", "canceled"),
      eb("commands.error_code", "=", SERVER_COMMAND_CODE.ended_by_admin),
    ]),
  ]);
}

/** `CASE type WHEN 'lock' THEN 60000 … END`: each type's bound, for a deadline sweep. */
function boundOfType(bounds: BoundsByType) {
  return sql<number>`(CASE ${sql.ref("type")} ${sql.join(
    [...bounds].map(([type, ms]) => sql`WHEN ${sql.lit(type)} THEN ${sql.lit(ms)}`),
    sql` `,
  )} END)`;
}

function reportRows(reports: readonly CommandReport[]): string {
  return encodeRows(
    reports.map((r) => [
      r.commandId,
      r.deviceId,
      r.state,
      r.atMs,
      r.errorCode,
      r.message,
      r.signatureRefusal,
    ]),
  );
}

function reportIds(dialect: SqlDialect, reports: readonly CommandReport[]): unknown {
  return listParam(
    dialect,
    reports.map((r) => r.commandId),
  );
}

export class CommandRepository {
  constructor(private readonly dialect: SqlDialect) {}

  /** The statements of every command's life, built once (see prepared.ts). */
  private readonly byIdStatement = prepared<{ id: string }, CommandRow>(["id"], (q, p) =>
    q.selectFrom("commands").select(COMMAND_COLUMNS).where("id", "=", p.id),
  );

  private readonly insertStatement = prepared<{ rows: string }, CommandRow>(["rows"], (q, p) => {
    const d = this.dialect;
    return q
      .insertInto("commands")
      .columns([
        "id",
        "device_id",
        "batch_id",
        "seq",
        "type",
        "params_json",
        "state",
        "created_at",
        "expires_at",
        "updated_at",
        "created_by",
        "window_hold",
      ])
      .expression((eb) =>
        eb
          .selectFrom(d.rowsOf(p.rows).as("u"))
          .select([
            d.rowText("u", 0).as("id"),
            d.rowText("u", 1).as("device_id"),
            d.rowText("u", 2).as("batch_id"),
            d.rowNumber("u", 3).as("seq"),
            d.rowText("u", 4).as("type"),
            d.rowText("u", 5).as("params_json"),
            sql.lit("queued").as("state"),
            d.rowNumber("u", 6).as("created_at"),
            d.rowNumber("u", 7).as("expires_at"),
            d.rowNumber("u", 6).as("updated_at"),
            d.rowText("u", 8).as("created_by"),
            d.rowText("u", 9).$castTo<WindowHold | null>().as("window_hold"),
          ]),
      )
      .returning(COMMAND_COLUMNS);
  });

  private readonly markSentStatement = prepared<{ rows: string; ids: unknown }, CommandRow>(
    ["rows", "ids"],
    (q, p) => {
      const d = this.dialect;
      return q
        .updateTable("commands")
        .from(d.rowsOf(p.rows).as("u"))
        .where(amongParam(d, "commands.id", p.ids))
        .set({
          state: "sent",
          sent_at: d.rowNumber("u", 1),
          updated_at: d.rowNumber("u", 1).$castTo<number>(),
          // One held again as its window closed while on its way: delivered all the same.
          window_hold: sql<WindowHold | null>`CASE WHEN commands.window_hold IS NULL THEN NULL ELSE 'released' END`,
        })
        .where("commands.id", "=", d.rowText("u", 0))
        .where("commands.state", "=", "queued")
        .returning(RETURNED);
    },
  );

  private readonly applyReportsStatement = prepared<{ rows: string; ids: unknown }, CommandRow>(
    ["rows", "ids"],
    (q, p) => this.applyReportsUpdate(q, p.rows, p.ids),
  );

  /** Likewise, only where the report does not end the command or its type is among `types`. */
  private readonly applyPlainReportsStatement = prepared<
    { rows: string; ids: unknown; types: unknown },
    CommandRow
  >(["rows", "ids", "types"], (q, p) =>
    this.applyReportsUpdate(q, p.rows, p.ids).where((eb) =>
      eb.or([
        eb(this.dialect.rowText("u", 2), "=", "accepted"),
        amongParam(this.dialect, "commands.type", p.types),
      ]),
    ),
  );

  /**
   * The commands are found by their ids as a list too: the join alone leaves PostgreSQL to
   * guess how many rows the JSON holds, and with a guess of 100 it scans the whole table.
   */
  private applyReportsUpdate(q: Queryable, rowsParam: string, idsParam: unknown) {
    const d = this.dialect;
    const state = d.rowText("u", 2);
    const at = d.rowNumber("u", 3).$castTo<number>();
    return q
      .updateTable("commands")
      .from(d.rowsOf(rowsParam).as("u"))
      .where(amongParam(d, "commands.id", idsParam))
      .set({
        state: sql<CommandState>`${state}`,
        updated_at: at,
        accepted_at: sql<number | null>`CASE WHEN ${state} = 'rejected' THEN commands.accepted_at
                                              ELSE coalesce(commands.accepted_at, ${at}) END`,
        finished_at: sql<number | null>`CASE WHEN ${state} = 'accepted' THEN NULL ELSE ${at} END`,
        error_code: d.rowText("u", 4),
        error_message: d.rowText("u", 5),
      })
      .where("commands.id", "=", d.rowText("u", 0))
      .where("commands.device_id", "=", d.rowText("u", 1))
      .where((eb) =>
        eb.or([
          eb("commands.state", "in", UNDELIVERED_STATES),
          eb.and([
            sql<SqlBool>`NOT ${d.rowFlag("u", 6)}`,
            eb.or([
              eb.and([eb("commands.state", "=", "accepted"), eb(state, "<>", "accepted")]),
              revisableByDevice(eb),
            ]),
          ]),
        ]),
      )
      .returning(RETURNED);
  }

  // ---- reads ---------------------------------------------------------------------------------

  async byId(q: Queryable, id: string): Promise<CommandRow | null> {
    const [row] = await this.byIdStatement.rows(q, { id });
    return row ?? null;
  }

  /** A device's commands, newest first, from before `beforeSeq` (exclusive) when given. */
  async pageOfDevice(
    q: Queryable,
    deviceId: string,
    limit: number,
    beforeSeq: number | null,
  ): Promise<CommandRow[]> {
    let query = q.selectFrom("commands").select(COMMAND_COLUMNS).where("device_id", "=", deviceId);
    if (beforeSeq !== null) query = query.where("seq", "<", beforeSeq);
    return (await query.orderBy("seq", "desc").limit(limit).execute()) as CommandRow[];
  }

  /**
   * The open commands of each of these devices that may be delivered, in seq order, in one
   * query: those held for a maintenance window wait.
   */
  async openOfDevices(q: Queryable, deviceIds: readonly string[]): Promise<Map<string, CommandRow[]>> {
    const byDevice = new Map<string, CommandRow[]>();
    if (deviceIds.length === 0) return byDevice;
    const rows = (await q
      .selectFrom("commands")
      .select(COMMAND_COLUMNS)
      .where(among(this.dialect, "device_id", deviceIds))
      .where("state", "in", OPEN_STATES)
      .where((eb) => eb.or([eb("window_hold", "is", null), eb("window_hold", "<>", "held")]))
      .orderBy("device_id")
      .orderBy("seq")
      .execute()) as CommandRow[];
    for (const row of rows) {
      const list = byDevice.get(row.device_id);
      if (list) list.push(row);
      else byDevice.set(row.device_id, [row]);
    }
    return byDevice;
  }

  /** A fleet command's commands that may still be taken back: not delivered, or not yet answered. */
  async undeliveredOfBatch(
    q: Queryable,
    batchId: string,
  ): Promise<{ id: string; deviceId: string; state: CommandState }[]> {
    const rows = await q
      .selectFrom("commands")
      .select(["id", "device_id", "state"])
      .where("batch_id", "=", batchId)
      .where("state", "in", UNDELIVERED_STATES)
      .execute();
    return rows.map((r) => ({ id: r.id, deviceId: r.device_id, state: r.state }));
  }

  /** The devices whose command of this fleet command ended in one of `states`, by id. */
  async devicesOfBatchIn(q: Queryable, batchId: string, states: readonly CommandState[]): Promise<string[]> {
    const rows = await q
      .selectFrom("commands")
      .select("device_id")
      .distinct()
      .where("batch_id", "=", batchId)
      .where("state", "in", [...states])
      .orderBy("device_id")
      .execute();
    return rows.map((r) => r.device_id);
  }

  /** How many of the fleet command's commands are in each state (states without any are absent). */
  async countsOfBatch(q: Queryable, batchId: string): Promise<Map<CommandState, number>> {
    return (await this.progressOfBatch(q, batchId)).byState;
  }

  /** {@link countsOfBatch} with those waiting for a maintenance window, in the same one scan. */
  async progressOfBatch(q: Queryable, batchId: string): Promise<BatchProgress> {
    const rows = await q
      .selectFrom("commands")
      .select(["state", "window_hold", (eb) => eb.fn.countAll<number>().as("n")])
      .where("batch_id", "=", batchId)
      .groupBy(["state", "window_hold"])
      .execute();
    const byState = new Map<CommandState, number>();
    let waitingForWindow = 0;
    for (const r of rows) {
      byState.set(r.state, (byState.get(r.state) ?? 0) + Number(r.n));
      if (r.state === "queued" && r.window_hold === "held") waitingForWindow += Number(r.n);
    }
    return { byState, waitingForWindow, inWindow: rows.some((r) => r.window_hold !== null) };
  }

  /** A fleet command's commands in one of `states`, by command id, after `afterId`, with device names. */
  async pageOfBatch(
    q: Queryable,
    query: { batchId: string; states: readonly CommandState[]; afterId: string | null; limit: number },
  ): Promise<(CommandRow & { device_name: string })[]> {
    let select = q
      .selectFrom("commands as c")
      .innerJoin("devices as d", "d.id", "c.device_id")
      .select([...COMMAND_COLUMNS.map((col) => `c.${col}` as const), "d.name as device_name"])
      .where("c.batch_id", "=", query.batchId)
      .where("c.state", "in", [...query.states]);
    if (query.afterId !== null) select = select.where("c.id", ">", query.afterId);
    return (await select.orderBy("c.id").limit(query.limit).execute()) as (CommandRow & {
      device_name: string;
    })[];
  }

  async batchById(q: Queryable, id: string): Promise<BatchRow | null> {
    const row = await q.selectFrom("batches").selectAll().where("id", "=", id).executeTakeFirst();
    return (row as BatchRow | undefined) ?? null;
  }

  /** Fleet commands, newest first, from before `beforeId` (exclusive) when given. */
  async pageOfBatches(q: Queryable, limit: number, beforeId: string | null): Promise<BatchRow[]> {
    let query = q.selectFrom("batches").selectAll();
    if (beforeId !== null) query = query.where("id", "<", beforeId);
    return (await query.orderBy("id", "desc").limit(limit).execute()) as BatchRow[];
  }

  // ---- writes --------------------------------------------------------------------------------

  async insertBatch(q: Queryable, batch: NewBatch): Promise<void> {
    await q
      .insertInto("batches")
      .values({
        id: batch.id,
        type: batch.type,
        params_json: batch.paramsJson,
        target_json: batch.targetJson,
        total: batch.total,
        created_at: batch.createdAtMs,
        created_by: batch.createdBy,
      })
      .execute();
  }

  /** New queued commands, in one statement whatever their number; returns their rows. */
  async insertCommands(q: Queryable, commands: readonly NewCommand[]): Promise<CommandRow[]> {
    if (commands.length === 0) return [];
    const rows = commands.map((c) => [
      c.id,
      c.deviceId,
      c.batchId,
      c.seq,
      c.type,
      c.paramsJson,
      c.createdAtMs,
      c.expiresAtMs,
      c.createdBy,
      c.windowHold ?? null,
    ]);
    return this.insertStatement.rows(q, { rows: encodeRows(rows) });
  }

  /** Queued commands handed to their devices, each at its own time; returns those that moved. */
  async markSent(q: Queryable, sentAtById: ReadonlyMap<string, number>): Promise<CommandRow[]> {
    if (sentAtById.size === 0) return [];
    return this.markSentStatement.rows(q, {
      rows: encodeRows([...sentAtById]),
      ids: listParam(this.dialect, [...sentAtById.keys()]),
    });
  }

  /**
   * Device reports, in one conditional UPDATE, only for each reporting device's own commands and
   * only forward: an open command takes any report; an accepted one only a final one; a final
   * state the server decided without the device's word yields to what the device reports of the
   * genuine command. A signature refusal never replaces anything but an undelivered state.
   */
  async applyReports(q: Queryable, reports: readonly CommandReport[]): Promise<CommandRow[]> {
    if (reports.length === 0) return [];
    return this.applyReportsStatement.rows(q, {
      rows: reportRows(reports),
      ids: reportIds(this.dialect, reports),
    });
  }

  /**
   * As {@link applyReports}, only where the report does not end the command, or the command is
   * of one of `withoutEndEffects`: the types whose end changes nothing else, so that the
   * statement alone records it. The other reports are left as they were, for a unit that runs
   * their types' effects with them.
   */
  async applyPlainReports(
    q: Queryable,
    reports: readonly CommandReport[],
    withoutEndEffects: readonly CommandType[],
  ): Promise<CommandRow[]> {
    if (reports.length === 0) return [];
    return this.applyPlainReportsStatement.rows(q, {
      rows: reportRows(reports),
      ids: reportIds(this.dialect, reports),
      types: listParam(this.dialect, withoutEndEffects),
    });
  }

  /** Ends the open commands of some devices with a reason; returns those that ended. */
  async endOpenOfDevices(q: Queryable, request: OpenCommandsToEnd): Promise<CommandRow[]> {
    if (request.deviceIds.length === 0 || request.states.length === 0) return [];
    let update = q
      .updateTable("commands")
      .set({
        state: "canceled",
        updated_at: request.atMs,
        finished_at: request.atMs,
        error_code: request.code,
        error_message: sql<string>`CASE state WHEN 'accepted' THEN CAST(${request.messageIfRunning} AS TEXT)
                                         ELSE CAST(${request.message} AS TEXT) END`,
      })
      .where(among(this.dialect, "device_id", request.deviceIds))
      .where("state", "in", [...request.states]);
    if (request.exceptCommandIds.length > 0)
      update = update.where("id", "not in", [...request.exceptCommandIds]);
    return (await update.returning(COMMAND_COLUMNS).execute()) as CommandRow[];
  }

  /** Cancels these commands where they are still in one of `from`; returns those that moved. */
  async cancel(
    q: Queryable,
    request: {
      ids: readonly string[];
      from: readonly CommandState[];
      atMs: number;
      errorCode?: string;
      message?: string;
    },
  ): Promise<CommandRow[]> {
    if (request.ids.length === 0) return [];
    return (await q
      .updateTable("commands")
      .set({
        state: "canceled",
        updated_at: request.atMs,
        finished_at: request.atMs,
        ...(request.errorCode !== undefined ? { error_code: request.errorCode } : {}),
        ...(request.message !== undefined ? { error_message: request.message } : {}),
      })
      .where(among(this.dialect, "id", request.ids))
      .where("state", "in", [...request.from])
      .returning(COMMAND_COLUMNS)
      .execute()) as CommandRow[];
  }

  /**
   * Undelivered commands past their TTL (or these ones, when `ids` is given) expire; one still
   * held for its maintenance window says so.
   */
  async expire(q: Queryable, atMs: number, ids?: readonly string[]): Promise<CommandRow[]> {
    let update = q
      .updateTable("commands")
      .set({
        state: "expired",
        updated_at: atMs,
        finished_at: atMs,
        error_message: sql<string | null>`CASE WHEN state = 'queued' AND window_hold = 'held'
          THEN CAST(${WAITED_FOR_WINDOW} AS TEXT) ELSE error_message END`,
      })
      .where("state", "in", UNDELIVERED_STATES);
    update =
      ids === undefined
        ? update.where("expires_at", "<=", atMs)
        : update.where(among(this.dialect, "id", ids));
    return (await update.returning(COMMAND_COLUMNS).execute()) as CommandRow[];
  }

  // ---- maintenance windows ------------------------------------------------------------------

  /**
   * Queued commands held for a maintenance window whose device is of none of `closedSiteIds`
   * (its site's window is open, its site has none, or it is of no site): the first `limit`, by
   * device and seq, to be released.
   */
  async heldToRelease(
    q: Queryable,
    closedSiteIds: readonly string[],
    limit: number,
  ): Promise<{ id: string; deviceId: string }[]> {
    let select = q
      .selectFrom("commands as c")
      .innerJoin("devices as d", "d.id", "c.device_id")
      .select(["c.id", "c.device_id"])
      .where("c.window_hold", "=", "held")
      .where("c.state", "=", "queued");
    if (closedSiteIds.length > 0) {
      select = select.where((eb) =>
        eb.or([
          eb("d.site_id", "is", null),
          sql<SqlBool>`NOT (${among(this.dialect, "d.site_id", closedSiteIds)})`,
        ]),
      );
    }
    const rows = await select.orderBy("c.device_id").orderBy("c.seq").limit(limit).execute();
    return rows.map((r) => ({ id: r.id, deviceId: r.device_id }));
  }

  /**
   * Held commands released, each with its new seq, where they are still queued and held (one
   * canceled or expired meanwhile stays as it is); returns those released.
   */
  async release(q: Queryable, releases: readonly CommandRelease[], atMs: number): Promise<CommandRow[]> {
    if (releases.length === 0) return [];
    const d = this.dialect;
    return (await q
      .updateTable("commands")
      .from(d.rows(releases.map((r) => [r.commandId, r.seq])).as("u"))
      .where(
        among(
          d,
          "commands.id",
          releases.map((r) => r.commandId),
        ),
      )
      .set({ seq: d.rowNumber("u", 1).$castTo<number>(), window_hold: "released", updated_at: atMs })
      .where("commands.id", "=", d.rowText("u", 0))
      .where("commands.state", "=", "queued")
      .where("commands.window_hold", "=", "held")
      .returning(RETURNED)
      .execute()) as CommandRow[];
  }

  /**
   * Queued commands released for a maintenance window, of devices in `closedSiteIds` (whose
   * windows are closed now): held again until their windows open; returns them.
   */
  async holdAgain(q: Queryable, closedSiteIds: readonly string[], atMs: number): Promise<CommandRow[]> {
    if (closedSiteIds.length === 0) return [];
    return (await q
      .updateTable("commands")
      .set({ window_hold: "held", updated_at: atMs })
      .where("window_hold", "=", "released")
      .where("state", "=", "queued")
      .where("device_id", "in", (eb) =>
        eb
          .selectFrom("devices")
          .select("devices.id")
          .where(among(this.dialect, "devices.site_id", closedSiteIds)),
      )
      .returning(COMMAND_COLUMNS)
      .execute()) as CommandRow[];
  }

  /**
   * Commands in `state` for longer than their type's bound since `since` fail with
   * `timed_out`; the message says what the device did not do in how many seconds.
   */
  async failOverdue(
    q: Queryable,
    request: {
      state: "sent" | "accepted";
      since: "sent_at" | "accepted_at";
      bounds: BoundsByType;
      atMs: number;
      didNot: string;
    },
  ): Promise<CommandRow[]> {
    if (request.bounds.size === 0) return [];
    const bound = boundOfType(request.bounds);
    return (await q
      .updateTable("commands")
      .set({
        state: "failed",
        updated_at: request.atMs,
        finished_at: request.atMs,
        error_code: SERVER_COMMAND_CODE.timed_out,
        error_message: sql<string>`CAST(${`${request.didNot} within `} AS TEXT) || CAST(${bound} / 1000 AS TEXT) || ' s'`,
      })
      .where("state", "=", request.state)
      .where("type", "in", [...request.bounds.keys()])
      .where(request.since, "<=", sql<number>`${sql.lit(request.atMs)} - ${bound}`)
      .returning(COMMAND_COLUMNS)
      .execute()) as CommandRow[];
  }
}
