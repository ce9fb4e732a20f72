/**
 * Scheduled fleet commands and their runs: the only code that writes `schedules` and
 * `schedule_runs`. A run is taken by moving the schedule's `next_run_at` on from the due time it
 * read, in the unit that creates the run's fleet command: of two nodes (or a node and its own
 * restart) only one moves it, and a run is recorded once per due time (a unique key).
 */
import type { Selectable } from "kysely";
import { lockForInsert, type SqlDialect } from "../dialect.js";
import type { ScheduleRunsTable, SchedulesTable } from "../schema.js";
import type { Queryable } from "../store.js";

export type ScheduleState = SchedulesTable["state"];
export type MissedRunsRule = SchedulesTable["missed_runs"];
export type ScheduleRunOutcome = ScheduleRunsTable["outcome"];

export interface ScheduleRecord {
  id: string;
  name: string;
  /** The command as the API took it. */
  command: Record<string, unknown>;
  /** The device target, as the API took it. */
  target: unknown;
  cron: string | null;
  timezone: string;
  startsAtMs: number | null;
  endsAtMs: number | null;
  missedRuns: MissedRunsRule;
  state: ScheduleState;
  nextRunAtMs: number | null;
  lastRunAtMs: number | null;
  runs: number;
  createdAtMs: number;
  updatedAtMs: number;
  createdBy: string | null;
}

export interface ScheduleRunRecord {
  dueAtMs: number;
  ranAtMs: number;
  outcome: ScheduleRunOutcome;
  batchId: string | null;
  message: string | null;
}

/** What a schedule's definition holds (everything but its progress). */
export type ScheduleDefinition = Pick<
  ScheduleRecord,
  "name" | "command" | "target" | "cron" | "timezone" | "startsAtMs" | "endsAtMs" | "missedRuns"
>;

const num = (v: number | null) => (v === null ? null : Number(v));

function scheduleRecord(row: Selectable<SchedulesTable>): ScheduleRecord {
  return {
    id: row.id,
    name: row.name,
    command: JSON.parse(row.command_json) as Record<string, unknown>,
    target: JSON.parse(row.target_json) as unknown,
    cron: row.cron,
    timezone: row.timezone,
    startsAtMs: num(row.starts_at),
    endsAtMs: num(row.ends_at),
    missedRuns: row.missed_runs,
    state: row.state,
    nextRunAtMs: num(row.next_run_at),
    lastRunAtMs: num(row.last_run_at),
    runs: Number(row.runs),
    createdAtMs: Number(row.created_at),
    updatedAtMs: Number(row.updated_at),
    createdBy: row.created_by,
  };
}

function definitionColumns(d: ScheduleDefinition) {
  return {
    name: d.name,
    command_json: JSON.stringify(d.command),
    target_json: JSON.stringify(d.target),
    cron: d.cron,
    timezone: d.timezone,
    starts_at: d.startsAtMs,
    ends_at: d.endsAtMs,
    missed_runs: d.missedRuns,
  };
}

export class ScheduleRepository {
  constructor(readonly dialect: SqlDialect) {}

  async insert(q: Queryable, schedule: ScheduleRecord): Promise<void> {
    await q
      .insertInto("schedules")
      .values({
        id: schedule.id,
        ...definitionColumns(schedule),
        state: schedule.state,
        next_run_at: schedule.nextRunAtMs,
        last_run_at: null,
        created_at: schedule.createdAtMs,
        updated_at: schedule.updatedAtMs,
        created_by: schedule.createdBy,
      })
      .execute();
  }

  /** Inside a unit, before counting the schedules to add one (see {@link lockForInsert}). */
  async lockForInsert(q: Queryable): Promise<void> {
    await lockForInsert(q, this.dialect, "schedules");
  }

  async count(q: Queryable): Promise<number> {
    const row = await q
      .selectFrom("schedules")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async get(q: Queryable, id: string): Promise<ScheduleRecord | null> {
    const row = await q.selectFrom("schedules").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? scheduleRecord(row) : null;
  }

  /** Inside a unit: the schedule, its row locked until the unit ends (PostgreSQL). */
  async getForUpdate(q: Queryable, id: string): Promise<ScheduleRecord | null> {
    let select = q.selectFrom("schedules").selectAll().where("id", "=", id);
    if (this.dialect.name === "postgres") select = select.forUpdate();
    const row = await select.executeTakeFirst();
    return row ? scheduleRecord(row) : null;
  }

  /** Newest first (ids are time-ordered), after `cursor`. */
  async list(q: Queryable, page: { limit: number; cursor: string | null }): Promise<ScheduleRecord[]> {
    let select = q.selectFrom("schedules").selectAll();
    if (page.cursor !== null) select = select.where("id", "<", page.cursor);
    const rows = await select.orderBy("id", "desc").limit(page.limit).execute();
    return rows.map(scheduleRecord);
  }

  /** Active schedules due at `nowMs`, the longest due first. */
  async due(q: Queryable, nowMs: number, limit: number): Promise<ScheduleRecord[]> {
    const rows = await q
      .selectFrom("schedules")
      .selectAll()
      .where("state", "=", "active")
      .where("next_run_at", "<=", nowMs)
      .orderBy("next_run_at")
      .limit(limit)
      .execute();
    return rows.map(scheduleRecord);
  }

  /** A new definition, state and next run (an edit, a pause, a resume). */
  async update(
    q: Queryable,
    id: string,
    change: { definition?: ScheduleDefinition; state: ScheduleState; nextRunAtMs: number | null },
    atMs: number,
  ): Promise<void> {
    await q
      .updateTable("schedules")
      .set({
        ...(change.definition ? definitionColumns(change.definition) : {}),
        state: change.state,
        next_run_at: change.nextRunAtMs,
        updated_at: atMs,
      })
      .where("id", "=", id)
      .execute();
  }

  /**
   * Takes the run due at `dueAtMs`: moves the schedule on to `next` (null: it is finished) and
   * records the run. False, and nothing written, when the schedule is no longer active at that
   * due time (another node took the run, or an admin changed the schedule meanwhile).
   */
  async takeRun(
    q: Queryable,
    id: string,
    dueAtMs: number,
    next: number | null,
    run: { ranAtMs: number; started: boolean },
  ): Promise<boolean> {
    const result = await q
      .updateTable("schedules")
      .set((eb) => ({
        next_run_at: next,
        state: next === null ? "finished" : "active",
        ...(run.started ? { last_run_at: run.ranAtMs, runs: eb("runs", "+", 1) } : {}),
        updated_at: run.ranAtMs,
      }))
      .where("id", "=", id)
      .where("state", "=", "active")
      .where("next_run_at", "=", dueAtMs)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async recordRun(q: Queryable, scheduleId: string, run: ScheduleRunRecord): Promise<void> {
    await q
      .insertInto("schedule_runs")
      .values({
        schedule_id: scheduleId,
        due_at: run.dueAtMs,
        ran_at: run.ranAtMs,
        outcome: run.outcome,
        batch_id: run.batchId,
        message: run.message,
      })
      .execute();
  }

  /** The schedule's runs, newest first. */
  async runs(q: Queryable, scheduleId: string, limit: number): Promise<ScheduleRunRecord[]> {
    const rows = await q
      .selectFrom("schedule_runs")
      .select(["due_at", "ran_at", "outcome", "batch_id", "message"])
      .where("schedule_id", "=", scheduleId)
      .orderBy("due_at", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      dueAtMs: Number(r.due_at),
      ranAtMs: Number(r.ran_at),
      outcome: r.outcome,
      batchId: r.batch_id,
      message: r.message,
    }));
  }

  async delete(q: Queryable, id: string): Promise<boolean> {
    const result = await q.deleteFrom("schedules").where("id", "=", id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
