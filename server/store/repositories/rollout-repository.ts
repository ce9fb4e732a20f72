/**
 * Staged rollouts: the only code that writes `rollouts`, `rollout_phases` and `rollout_devices`.
 * A rollout's runner step locks its row (PostgreSQL; SQLite units run one at a time) and moves
 * it on with conditional updates: a phase starts only from `pending`, and a device is released
 * only while its `released_at` is empty, in the unit that inserts its command, so no restart,
 * crash or second node can start a phase twice or command a device twice.
 *
 * Commands are the command repository's; the counts read here only join them to the phases'
 * fleet commands (`batch_id`).
 */
import type { Selectable } from "kysely";
import { sql } from "kysely";
import type { CommandState } from "../../commands/command.js";
import { among, lockForInsert, type SqlDialect } from "../dialect.js";
import type { RolloutPhasesTable, RolloutsTable } from "../schema.js";
import type { Queryable } from "../store.js";

export type RolloutState = RolloutsTable["state"];
export type PhaseState = RolloutPhasesTable["state"];

/** The states a rollout's runner still steps. */
export const OPEN_ROLLOUT_STATES = [
  "running",
  "paused",
  "waiting_approval",
] as const satisfies readonly RolloutState[];

export interface RolloutRecord {
  id: string;
  name: string;
  type: string;
  params: Record<string, unknown>;
  /** What the service recorded about the target (`target_json`), parsed. */
  target: unknown;
  /** The plan as the service recorded it (`plan_json`), parsed. */
  plan: unknown;
  state: RolloutState;
  currentPhase: number;
  rateSinceMs: number | null;
  rateBase: number;
  reasonCode: string | null;
  reason: string | null;
  retryOf: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  finishedAtMs: number | null;
  createdBy: string | null;
}

export interface PhaseRecord {
  index: number;
  state: PhaseState;
  batchId: string | null;
  devices: number;
  released: number;
  skipped: number;
  startedAtMs: number | null;
  finishedAtMs: number | null;
}

export interface NewRollout {
  id: string;
  name: string;
  type: string;
  paramsJson: string;
  targetJson: string;
  planJson: string;
  retryOf: string | null;
  createdAtMs: number;
  createdBy: string | null;
}

/** A change of a rollout's own row; fields left out stay. */
export interface RolloutChange {
  state?: RolloutState;
  currentPhase?: number;
  rateSinceMs?: number | null;
  rateBase?: number;
  reasonCode?: string | null;
  reason?: string | null;
  finishedAtMs?: number | null;
}

/** Rows per INSERT of a rollout's devices: one statement each, one JSON parameter. */
const DEVICE_ROWS_PER_STATEMENT = 5_000;

const num = (v: number | null) => (v === null ? null : Number(v));

function rolloutRecord(row: Selectable<RolloutsTable>): RolloutRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    params: JSON.parse(row.params_json) as Record<string, unknown>,
    target: JSON.parse(row.target_json) as unknown,
    plan: JSON.parse(row.plan_json) as unknown,
    state: row.state,
    currentPhase: Number(row.current_phase),
    rateSinceMs: num(row.rate_since),
    rateBase: Number(row.rate_base),
    reasonCode: row.reason_code,
    reason: row.reason,
    retryOf: row.retry_of,
    createdAtMs: Number(row.created_at),
    updatedAtMs: Number(row.updated_at),
    finishedAtMs: num(row.finished_at),
    createdBy: row.created_by,
  };
}

function phaseRecord(row: Selectable<RolloutPhasesTable>): PhaseRecord {
  return {
    index: Number(row.idx),
    state: row.state,
    batchId: row.batch_id,
    devices: Number(row.devices),
    released: Number(row.released),
    skipped: Number(row.skipped),
    startedAtMs: num(row.started_at),
    finishedAtMs: num(row.finished_at),
  };
}

export class RolloutRepository {
  constructor(readonly dialect: SqlDialect) {}

  // ---- creation -------------------------------------------------------------------------------

  /** Inside a unit, before counting the open rollouts to add one (see {@link lockForInsert}). */
  async lockForInsert(q: Queryable): Promise<void> {
    await lockForInsert(q, this.dialect, "rollouts");
  }

  async countOpen(q: Queryable): Promise<number> {
    const row = await q
      .selectFrom("rollouts")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("state", "in", OPEN_ROLLOUT_STATES)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The rollout (running, its first phase current), its phases (pending) and their devices. */
  async insert(
    q: Queryable,
    rollout: NewRollout,
    phaseDevices: readonly (readonly string[])[],
  ): Promise<void> {
    await q
      .insertInto("rollouts")
      .values({
        id: rollout.id,
        name: rollout.name,
        type: rollout.type,
        params_json: rollout.paramsJson,
        target_json: rollout.targetJson,
        plan_json: rollout.planJson,
        state: "running",
        current_phase: 0,
        rate_since: null,
        reason_code: null,
        reason: null,
        retry_of: rollout.retryOf,
        created_at: rollout.createdAtMs,
        updated_at: rollout.createdAtMs,
        finished_at: null,
        created_by: rollout.createdBy,
      })
      .execute();
    await q
      .insertInto("rollout_phases")
      .values(
        phaseDevices.map((ids, idx) => ({
          rollout_id: rollout.id,
          idx,
          state: "pending" as const,
          batch_id: null,
          devices: ids.length,
          started_at: null,
          finished_at: null,
        })),
      )
      .execute();
    // Each device's place in the whole rollout's release order; a phase releases by it.
    const rows: [string, number, number][] = [];
    phaseDevices.forEach((ids, phase) => {
      for (const id of ids) rows.push([id, phase, rows.length]);
    });
    const d = this.dialect;
    for (let from = 0; from < rows.length; from += DEVICE_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(from, from + DEVICE_ROWS_PER_STATEMENT);
      await q
        .insertInto("rollout_devices")
        .columns(["rollout_id", "device_id", "phase", "position"])
        .expression((eb) =>
          eb
            .selectFrom(d.rows(chunk).as("u"))
            .select([
              sql<string>`CAST(${rollout.id} AS TEXT)`.as("rollout_id"),
              d.rowText("u", 0).as("device_id"),
              d.rowNumber("u", 1).as("phase"),
              d.rowNumber("u", 2).as("position"),
            ]),
        )
        .execute();
    }
  }

  // ---- reads ----------------------------------------------------------------------------------

  async get(q: Queryable, id: string): Promise<RolloutRecord | null> {
    const row = await q.selectFrom("rollouts").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? rolloutRecord(row) : null;
  }

  /** Inside a unit: the rollout, its row locked until the unit ends (PostgreSQL). */
  async getForUpdate(q: Queryable, id: string): Promise<RolloutRecord | null> {
    let select = q.selectFrom("rollouts").selectAll().where("id", "=", id);
    if (this.dialect.name === "postgres") select = select.forUpdate();
    const row = await select.executeTakeFirst();
    return row ? rolloutRecord(row) : null;
  }

  /** Newest first (ids are time-ordered), after `cursor`. */
  async list(q: Queryable, page: { limit: number; cursor: string | null }): Promise<RolloutRecord[]> {
    let select = q.selectFrom("rollouts").selectAll();
    if (page.cursor !== null) select = select.where("id", "<", page.cursor);
    const rows = await select.orderBy("id", "desc").limit(page.limit).execute();
    return rows.map(rolloutRecord);
  }

  /** The ids of the rollouts still running, paused or waiting, oldest first. */
  async openIds(q: Queryable, limit: number): Promise<string[]> {
    const rows = await q
      .selectFrom("rollouts")
      .select("id")
      .where("state", "in", OPEN_ROLLOUT_STATES)
      .orderBy("id")
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /** The phases of these rollouts, each rollout's in order. */
  async phasesOf(q: Queryable, rolloutIds: readonly string[]): Promise<Map<string, PhaseRecord[]>> {
    const byRollout = new Map<string, PhaseRecord[]>();
    if (rolloutIds.length === 0) return byRollout;
    const rows = await q
      .selectFrom("rollout_phases")
      .selectAll()
      .where(among(this.dialect, "rollout_id", rolloutIds))
      .orderBy("rollout_id")
      .orderBy("idx")
      .execute();
    for (const row of rows) {
      const list = byRollout.get(row.rollout_id) ?? [];
      list.push(phaseRecord(row));
      byRollout.set(row.rollout_id, list);
    }
    return byRollout;
  }

  /**
   * How many of each phase's commands are in each state, for these rollouts: by rollout id,
   * then phase index, then state (states without commands absent). One grouped read over the
   * phases' fleet commands (an index-only count per fleet command).
   */
  async countsOf(
    q: Queryable,
    rolloutIds: readonly string[],
  ): Promise<Map<string, Map<number, Map<CommandState, number>>>> {
    const byRollout = new Map<string, Map<number, Map<CommandState, number>>>();
    if (rolloutIds.length === 0) return byRollout;
    const rows = await q
      .selectFrom("rollout_phases as p")
      .innerJoin("commands as c", "c.batch_id", "p.batch_id")
      .select(["p.rollout_id", "p.idx", "c.state", (eb) => eb.fn.countAll<number>().as("n")])
      .where(among(this.dialect, "p.rollout_id", rolloutIds))
      .groupBy(["p.rollout_id", "p.idx", "c.state"])
      .execute();
    for (const row of rows) {
      const phases = byRollout.get(row.rollout_id) ?? new Map<number, Map<CommandState, number>>();
      const states = phases.get(Number(row.idx)) ?? new Map<CommandState, number>();
      states.set(row.state, Number(row.n));
      phases.set(Number(row.idx), states);
      byRollout.set(row.rollout_id, phases);
    }
    return byRollout;
  }

  /** The devices whose command of this rollout ended in one of `states`, by phase, each phase's by id. */
  async devicesIn(
    q: Queryable,
    rolloutId: string,
    states: readonly CommandState[],
  ): Promise<{ phase: number; deviceId: string }[]> {
    const rows = await q
      .selectFrom("rollout_phases as p")
      .innerJoin("commands as c", "c.batch_id", "p.batch_id")
      .select(["p.idx", "c.device_id"])
      .where("p.rollout_id", "=", rolloutId)
      .where("c.state", "in", [...states])
      .orderBy("p.idx")
      .orderBy("c.device_id")
      .execute();
    return rows.map((r) => ({ phase: Number(r.idx), deviceId: r.device_id }));
  }

  // ---- the runner's writes ----------------------------------------------------------------------

  async update(q: Queryable, id: string, change: RolloutChange, atMs: number): Promise<void> {
    await q
      .updateTable("rollouts")
      .set({
        ...(change.state !== undefined ? { state: change.state } : {}),
        ...(change.currentPhase !== undefined ? { current_phase: change.currentPhase } : {}),
        ...(change.rateSinceMs !== undefined ? { rate_since: change.rateSinceMs } : {}),
        ...(change.rateBase !== undefined ? { rate_base: change.rateBase } : {}),
        ...(change.reasonCode !== undefined ? { reason_code: change.reasonCode } : {}),
        ...(change.reason !== undefined ? { reason: change.reason } : {}),
        ...(change.finishedAtMs !== undefined ? { finished_at: change.finishedAtMs } : {}),
        updated_at: atMs,
      })
      .where("id", "=", id)
      .execute();
  }

  /**
   * Starts a pending phase with its fleet command: false, and nothing written, when the phase is
   * not pending (started already), so a phase can never start twice.
   */
  async startPhase(
    q: Queryable,
    rolloutId: string,
    index: number,
    batchId: string,
    atMs: number,
  ): Promise<boolean> {
    const result = await q
      .updateTable("rollout_phases")
      .set({ state: "running", batch_id: batchId, started_at: atMs })
      .where("rollout_id", "=", rolloutId)
      .where("idx", "=", index)
      .where("state", "=", "pending")
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Moves a phase from one of `from` to `to`; false when it was in none of them. */
  async movePhase(
    q: Queryable,
    rolloutId: string,
    index: number,
    from: readonly PhaseState[],
    to: PhaseState,
    atMs: number,
  ): Promise<boolean> {
    const result = await q
      .updateTable("rollout_phases")
      .set({
        state: to,
        ...(to === "done" || to === "stopped" ? { finished_at: atMs } : {}),
      })
      .where("rollout_id", "=", rolloutId)
      .where("idx", "=", index)
      .where("state", "in", [...from])
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Every phase not done yet is stopped (an abort, a cancel). */
  async stopOpenPhases(q: Queryable, rolloutId: string, atMs: number): Promise<void> {
    await q
      .updateTable("rollout_phases")
      .set({ state: "stopped", finished_at: atMs })
      .where("rollout_id", "=", rolloutId)
      .where("state", "in", ["pending", "running", "waiting_approval"])
      .execute();
  }

  /**
   * Releases the phase's next `limit` devices in the release order: marks them released and
   * returns them (in that order). Only devices not released yet move, so two steps at once
   * could never both take a device; the caller commands exactly those returned, in its unit.
   */
  async releaseNext(
    q: Queryable,
    rolloutId: string,
    phase: number,
    limit: number,
    atMs: number,
  ): Promise<string[]> {
    if (limit <= 0) return [];
    const rows = await q
      .updateTable("rollout_devices")
      .set({ released_at: atMs })
      .where("id", "in", (eb) =>
        eb
          .selectFrom("rollout_devices")
          .select("id")
          .where("rollout_id", "=", rolloutId)
          .where("phase", "=", phase)
          .where("released_at", "is", null)
          .orderBy("position")
          .limit(limit),
      )
      .where("released_at", "is", null)
      .returning(["device_id", "position"])
      .execute();
    return rows.sort((a, b) => Number(a.position) - Number(b.position)).map((r) => r.device_id);
  }

  /** Adds a release's outcome to the phase's counters, in place. */
  async addReleased(
    q: Queryable,
    rolloutId: string,
    phase: number,
    counted: { commanded: number; skipped: number },
  ): Promise<void> {
    await q
      .updateTable("rollout_phases")
      .set((eb) => ({
        released: eb("released", "+", counted.commanded),
        skipped: eb("skipped", "+", counted.skipped),
      }))
      .where("rollout_id", "=", rolloutId)
      .where("idx", "=", phase)
      .execute();
  }
}
