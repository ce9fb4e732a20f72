/**
 * Scheduled fleet commands: a command for a target (one device, a list, a site, a label, a
 * group, a filter, all) that starts at a time (one-off) or recurs (a cron expression read in an
 * IANA zone), until an optional end. Each run is a fleet command like any other, its target
 * resolved when it runs. Schedules live in the store, not in timers: a node's runner looks for
 * those due every few seconds, and a run is taken in the unit that creates its fleet command, so
 * it happens once whatever restarts or nodes there are.
 *
 * Missed runs (no server was up at the time, or the schedule was more than
 * {@link MISSED_AFTER_MS} late): `skip` records the run as skipped and waits for the next one
 * (the default of recurring schedules: a Sunday 03:00 reboot does not run on Monday morning);
 * `run_late` runs once, however many were missed (the default of one-off schedules). A paused
 * schedule runs nothing; resumed, it goes on from its next time after now.
 */
import type { CommandType } from "../../proto/wire.js";
import type { BatchService, BatchTarget } from "../commands/batch-service.js";
import { type CommandService, Consequences } from "../commands/command-service.js";
import { isMdmError, MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { newTimeOrderedId } from "../ids.js";
import type { Logger } from "../logger.js";
import { normalizeName } from "../names.js";
import { pageFrom } from "../paging.js";
import { normalizeTimezone } from "../settings/time-validation.js";
import type {
  MissedRunsRule,
  ScheduleDefinition,
  ScheduleRecord,
  ScheduleRepository,
  ScheduleRunRecord,
  ScheduleState,
} from "../store/repositories/schedule-repository.js";
import type { Queryable, Store } from "../store/store.js";
import { isoOrNull } from "../time-format.js";
import { nextOccurrence, normalizeCron } from "./recurrence.js";

/** A run this late is missed: its schedule's rule says whether it still runs. */
export const MISSED_AFTER_MS = 10 * 60_000;
/** At most this many schedules exist at once. */
export const MAX_SCHEDULES = 500;
export const MAX_SCHEDULE_NAME_LENGTH = 80;
/** Schedules taken per look for due runs. */
const DUE_PER_LOOK = 20;
/** How many coming run times a view shows. */
const UPCOMING = 3;
/** A one-off time this far in the past is refused (a clock a little behind is not). */
const PAST_TOLERANCE_MS = 60_000;

/** The command as the API takes it: its type, its fields, an optional ttlSeconds and inWindow. */
export type ScheduledCommand = { type: CommandType; ttlSeconds?: number; inWindow?: boolean } & Record<
  string,
  unknown
>;

export interface ScheduleInput {
  name: string;
  command: ScheduledCommand;
  target: BatchTarget;
  /** One-off: when it runs (ISO 8601). */
  at?: string;
  /** Recurring: five cron fields read in `timezone`. */
  cron?: string;
  timezone?: string;
  /** Recurring: no run before this. */
  startsAt?: string | null;
  /** No run after this. */
  endsAt?: string | null;
  missedRuns?: MissedRunsRule;
}

export type SchedulePatch = Partial<ScheduleInput>;

export interface ScheduleView {
  id: string;
  name: string;
  command: Record<string, unknown>;
  target: unknown;
  /** `once` (at `at`) or `cron` (the expression, read in `timezone`). */
  kind: "once" | "cron";
  at: string | null;
  cron: string | null;
  timezone: string;
  startsAt: string | null;
  endsAt: string | null;
  missedRuns: MissedRunsRule;
  state: ScheduleState;
  nextRunAt: string | null;
  /** The next few run times (recurring and active). */
  upcoming: string[];
  lastRunAt: string | null;
  runs: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string | null;
}

export interface ScheduleRunView {
  dueAt: string;
  ranAt: string;
  outcome: ScheduleRunRecord["outcome"];
  batchId: string | null;
  message: string | null;
}

export interface SchedulesDeps {
  store: Store;
  repository: ScheduleRepository;
  batches: BatchService;
  commands: CommandService;
  events: EventBus<ServerEvents>;
  logger: Logger;
  clock: () => number;
}

function parseTime(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || !/[zZ]|[+-]\d{2}:?\d{2}$/.test(value)) {
    throw new MdmError("validation_failed", `${field}: '${value}' is not a time with its offset (ISO 8601)`, {
      field,
    });
  }
  return ms;
}

/** A stored schedule as the API would have given it. */
function inputOf(r: ScheduleRecord): ScheduleInput {
  const base = {
    name: r.name,
    command: r.command as ScheduledCommand,
    target: r.target as BatchTarget,
    timezone: r.timezone,
    missedRuns: r.missedRuns,
    endsAt: isoOrNull(r.endsAtMs),
  };
  return r.cron === null
    ? { ...base, at: new Date(r.startsAtMs!).toISOString() }
    : { ...base, cron: r.cron, startsAt: isoOrNull(r.startsAtMs) };
}

function notFound(id: string): MdmError {
  return new MdmError("schedule_not_found", `no schedule has the id '${id}'`, { scheduleId: id });
}

export class Schedules {
  constructor(private readonly deps: SchedulesDeps) {}

  private get repo(): ScheduleRepository {
    return this.deps.repository;
  }

  // ---- definitions --------------------------------------------------------------------------

  /** Checks everything an admin gives: the command, the target (resolvable now), the times. */
  private async definition(input: ScheduleInput, q: Queryable): Promise<ScheduleDefinition> {
    const name = normalizeName(input.name, MAX_SCHEDULE_NAME_LENGTH, "a schedule's");
    this.deps.commands.parseRequest(input.command);
    await this.deps.batches.targetSize(input.target, q);
    if ((input.at === undefined) === (input.cron === undefined)) {
      throw new MdmError("validation_failed", "give either `at` (one run) or `cron` (recurring)", {
        field: "at",
      });
    }
    const endsAtMs = input.endsAt ? parseTime(input.endsAt, "endsAt") : null;
    if (input.at !== undefined) {
      return {
        name,
        command: input.command,
        target: input.target,
        cron: null,
        timezone: input.timezone ? this.zone(input.timezone) : "UTC",
        startsAtMs: parseTime(input.at, "at"),
        endsAtMs: null,
        missedRuns: input.missedRuns ?? "run_late",
      };
    }
    if (!input.timezone) {
      throw new MdmError("validation_failed", "a recurring schedule states its IANA time zone (`timezone`)", {
        field: "timezone",
      });
    }
    const timezone = this.zone(input.timezone);
    return {
      name,
      command: input.command,
      target: input.target,
      cron: normalizeCron(input.cron!, timezone),
      timezone,
      startsAtMs: input.startsAt ? parseTime(input.startsAt, "startsAt") : null,
      endsAtMs,
      missedRuns: input.missedRuns ?? "skip",
    };
  }

  private zone(input: string): string {
    const zone = normalizeTimezone(input);
    if (zone === "auto") {
      throw new MdmError("invalid_timezone", "a schedule's time zone is an IANA zone, not 'auto'", {
        field: "timezone",
      });
    }
    return zone;
  }

  /** The first run time after `afterMs` (inclusive for a one-off); null: none is left. */
  private nextRun(d: ScheduleDefinition, afterMs: number): number | null {
    if (d.cron === null) return d.startsAtMs !== null && d.startsAtMs > afterMs - 1 ? d.startsAtMs : null;
    const from = d.startsAtMs !== null ? Math.max(afterMs, d.startsAtMs - 1) : afterMs;
    const next = nextOccurrence(d.cron, d.timezone, from);
    return next !== null && (d.endsAtMs === null || next <= d.endsAtMs) ? next : null;
  }

  async create(input: ScheduleInput, createdBy: string | null): Promise<ScheduleView> {
    const definition = await this.definition(input, this.deps.store.db);
    const now = this.deps.clock();
    if (definition.cron === null && definition.startsAtMs! < now - PAST_TOLERANCE_MS) {
      throw new MdmError("validation_failed", "`at` is in the past", { field: "at" });
    }
    const next =
      definition.cron === null ? Math.max(definition.startsAtMs!, now) : this.nextRun(definition, now);
    if (next === null) {
      throw new MdmError(
        "validation_failed",
        "the schedule would never run (its end comes before its first run)",
        {
          field: "endsAt",
        },
      );
    }
    const record: ScheduleRecord = {
      id: newTimeOrderedId("sch", now),
      ...definition,
      state: "active",
      nextRunAtMs: next,
      lastRunAtMs: null,
      runs: 0,
      createdAtMs: now,
      updatedAtMs: now,
      createdBy,
    };
    await this.deps.store.unit(async (tx) => {
      await this.repo.lockForInsert(tx);
      if ((await this.repo.count(tx)) >= MAX_SCHEDULES) {
        throw new MdmError(
          "too_many_schedules",
          `at most ${MAX_SCHEDULES} schedules exist at once; delete one`,
          {
            max: MAX_SCHEDULES,
          },
        );
      }
      await this.repo.insert(tx, record);
    });
    return this.announce(record.id);
  }

  /**
   * A new name, command (of the same type), target or timing; the next run is worked out again
   * from now. A finished schedule whose new timing has a run left is active again.
   */
  async update(id: string, patch: SchedulePatch): Promise<ScheduleView> {
    await this.deps.store.unit(async (tx) => {
      const current = await this.repo.getForUpdate(tx, id);
      if (!current) throw notFound(id);
      if (patch.command && patch.command.type !== current.command.type) {
        throw new MdmError(
          "validation_failed",
          `a schedule keeps its command type ('${String(current.command.type)}'); create another schedule for '${patch.command.type}'`,
          { field: "command.type" },
        );
      }
      // The patch over the schedule as given; new timing (at or cron) replaces the old whole.
      const given = inputOf(current);
      const timingGiven = patch.at !== undefined || patch.cron !== undefined;
      const merged: ScheduleInput = {
        ...given,
        ...patch,
        at: timingGiven ? patch.at : given.at,
        cron: timingGiven ? patch.cron : given.cron,
      };
      const definition = await this.definition(merged, tx);
      const now = this.deps.clock();
      if (patch.at !== undefined && definition.startsAtMs! < now - PAST_TOLERANCE_MS) {
        throw new MdmError("validation_failed", "`at` is in the past", { field: "at" });
      }
      let next: number | null;
      if (definition.cron !== null) next = this.nextRun(definition, now);
      else if (patch.at !== undefined || current.state !== "finished")
        next = Math.max(definition.startsAtMs!, now);
      else next = null; // a one-off that ran stays finished unless given a new time
      const state: ScheduleState =
        next === null ? "finished" : current.state === "paused" ? "paused" : "active";
      await this.repo.update(tx, id, { definition, state, nextRunAtMs: next }, now);
    });
    return this.announce(id);
  }

  async pause(id: string): Promise<ScheduleView> {
    await this.deps.store.unit(async (tx) => {
      const current = await this.repo.getForUpdate(tx, id);
      if (!current) throw notFound(id);
      if (current.state === "finished") {
        throw new MdmError("schedule_finished", `schedule '${current.name}' has no run left`);
      }
      await this.repo.update(
        tx,
        id,
        { state: "paused", nextRunAtMs: current.nextRunAtMs },
        this.deps.clock(),
      );
    });
    return this.announce(id);
  }

  /** Goes on from the next run time after now (runs missed while paused do not run). */
  async resume(id: string): Promise<ScheduleView> {
    await this.deps.store.unit(async (tx) => {
      const current = await this.repo.getForUpdate(tx, id);
      if (!current) throw notFound(id);
      if (current.state !== "paused") return;
      const now = this.deps.clock();
      const next =
        current.cron === null
          ? current.missedRuns === "run_late" || current.startsAtMs! >= now
            ? Math.max(current.startsAtMs!, now)
            : null
          : this.nextRun(current, now);
      await this.repo.update(
        tx,
        id,
        { state: next === null ? "finished" : "active", nextRunAtMs: next },
        now,
      );
    });
    return this.announce(id);
  }

  async delete(id: string): Promise<{ name: string }> {
    const name = await this.deps.store.unit(async (tx) => {
      const current = await this.repo.getForUpdate(tx, id);
      if (!current) throw notFound(id);
      await this.repo.delete(tx, id);
      return current.name;
    });
    this.deps.events.emit("schedule.deleted", { scheduleId: id });
    return { name };
  }

  async get(id: string): Promise<ScheduleView> {
    const record = await this.repo.get(this.deps.store.db, id);
    if (!record) throw notFound(id);
    return this.view(record);
  }

  /** The type of the schedule's command, for the right its changes need. */
  async commandTypeOf(id: string): Promise<CommandType> {
    return (await this.get(id)).command.type as CommandType;
  }

  async list(
    limit: number,
    cursor: string | null,
  ): Promise<{ items: ScheduleView[]; nextCursor: string | null }> {
    const records = await this.repo.list(this.deps.store.db, { limit: limit + 1, cursor });
    return pageFrom(
      records,
      limit,
      (r) => r.id,
      (r) => this.view(r),
    );
  }

  async runs(id: string, limit: number): Promise<ScheduleRunView[]> {
    await this.get(id);
    const runs = await this.repo.runs(this.deps.store.db, id, limit);
    return runs.map((r) => ({
      dueAt: new Date(r.dueAtMs).toISOString(),
      ranAt: new Date(r.ranAtMs).toISOString(),
      outcome: r.outcome,
      batchId: r.batchId,
      message: r.message,
    }));
  }

  // ---- the runner ---------------------------------------------------------------------------

  /** Runs what is due now (called every few seconds by one node); how many runs it took. */
  async runDue(): Promise<number> {
    const now = this.deps.clock();
    const due = await this.repo.due(this.deps.store.db, now, DUE_PER_LOOK);
    let taken = 0;
    for (const schedule of due) {
      try {
        if (await this.runOne(schedule, now)) taken++;
      } catch (err) {
        this.deps.logger.error({ err, schedule: schedule.id }, "a scheduled run failed");
      }
    }
    return taken;
  }

  /** The run of `schedule` due at its next run time, taken once; false when another took it. */
  private async runOne(schedule: ScheduleRecord, now: number): Promise<boolean> {
    const dueAt = schedule.nextRunAtMs!;
    const next = schedule.cron === null ? null : this.nextRun(schedule, Math.max(now, dueAt));
    const missed = now - dueAt > MISSED_AFTER_MS;
    if (missed && schedule.missedRuns === "skip") {
      return this.endRun(schedule, dueAt, next, now, {
        outcome: "skipped",
        message: `missed: due at ${new Date(dueAt).toISOString()}, no server ran it until ${new Date(now).toISOString()}`,
      });
    }
    const consequences = new Consequences();
    let took = false;
    try {
      took = await this.deps.store.unit(async (tx) => {
        if (!(await this.repo.takeRun(tx, schedule.id, dueAt, next, { ranAtMs: now, started: true })))
          return false;
        const { action, ttlSeconds, inWindow } = this.deps.commands.parseRequest(
          schedule.command as ScheduledCommand,
        );
        const batchId = await this.deps.batches.createInUnit(
          tx,
          schedule.target as BatchTarget,
          action,
          { ttlSeconds, inWindow, actor: schedule.createdBy },
          consequences,
        );
        await this.repo.recordRun(tx, schedule.id, {
          dueAtMs: dueAt,
          ranAtMs: now,
          outcome: "started",
          batchId,
          message: missed ? `late: due at ${new Date(dueAt).toISOString()}` : null,
        });
        return true;
      });
    } catch (err) {
      // Its target no longer resolves (a group deleted, a device removed), or its command no
      // longer validates: the run is recorded as failed, and the schedule goes on.
      if (!isMdmError(err)) throw err;
      return this.endRun(schedule, dueAt, next, now, { outcome: "failed", message: err.message });
    }
    await this.deps.commands.settle(consequences);
    if (took) await this.announce(schedule.id).catch(() => undefined);
    return took;
  }

  /** A run that started no fleet command (skipped, failed), taken and recorded once. */
  private async endRun(
    schedule: ScheduleRecord,
    dueAt: number,
    next: number | null,
    now: number,
    run: { outcome: "skipped" | "failed"; message: string },
  ): Promise<boolean> {
    const took = await this.deps.store.unit(async (tx) => {
      if (!(await this.repo.takeRun(tx, schedule.id, dueAt, next, { ranAtMs: now, started: false })))
        return false;
      await this.repo.recordRun(tx, schedule.id, { dueAtMs: dueAt, ranAtMs: now, batchId: null, ...run });
      return true;
    });
    if (took) await this.announce(schedule.id).catch(() => undefined);
    return took;
  }

  // ---- views --------------------------------------------------------------------------------

  private async announce(id: string): Promise<ScheduleView> {
    const view = await this.get(id);
    this.deps.events.emit("schedule.updated", { schedule: view });
    return view;
  }

  private view(r: ScheduleRecord): ScheduleView {
    const upcoming: string[] = [];
    if (r.cron !== null && r.state === "active" && r.nextRunAtMs !== null) {
      let at: number | null = r.nextRunAtMs;
      while (at !== null && upcoming.length < UPCOMING) {
        upcoming.push(new Date(at).toISOString());
        at = this.nextRun(r, at);
      }
    }
    return {
      id: r.id,
      name: r.name,
      command: r.command,
      target: r.target,
      kind: r.cron === null ? "once" : "cron",
      at: r.cron === null ? isoOrNull(r.startsAtMs) : null,
      cron: r.cron,
      timezone: r.timezone,
      startsAt: r.cron === null ? null : isoOrNull(r.startsAtMs),
      endsAt: isoOrNull(r.endsAtMs),
      missedRuns: r.missedRuns,
      state: r.state,
      nextRunAt: r.state === "finished" ? null : isoOrNull(r.nextRunAtMs),
      upcoming,
      lastRunAt: isoOrNull(r.lastRunAtMs),
      runs: r.runs,
      createdAt: new Date(r.createdAtMs).toISOString(),
      updatedAt: new Date(r.updatedAtMs).toISOString(),
      createdBy: r.createdBy,
    };
  }
}
