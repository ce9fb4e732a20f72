/**
 * Staged rollouts: one fleet command in phases (cut from one target by percentage or count, or
 * each phase its own target), released at a rate, with a gate before each next phase (its
 * commands ended, a share of them succeeded, or an admin's approval) and an abort threshold
 * over the whole rollout. Pause, resume, cancel, approve; the failed devices again as a new
 * rollout.
 *
 * Everything is in the store, nothing in timers: who belongs to which phase is written when the
 * rollout is created, and a runner (one node, every few seconds) moves each open rollout on in
 * one unit that locks its row: counts, abort check, release, gate, next phase, completion. A
 * device's release and its command commit together, a phase starts only from `pending`, so a
 * kill at any moment leaves nothing commanded twice and the next step goes on from the store.
 */
import { SERVER_COMMAND_CODE } from "../../proto/result-codes.js";
import type { CommandType } from "../../proto/wire.js";
import type { AuditItem, AuditLog } from "../admins/audit-log.js";
import { RETRYABLE_STATES } from "../commands/batch-service.js";
import { actionParams, COMMAND_STATES, type CommandState } from "../commands/command.js";
import { type CommandService, Consequences } from "../commands/command-service.js";
import type { DeviceService } from "../devices/device-service.js";
import {
  type DeviceTarget,
  type RecordedTarget,
  resolveTarget,
  type SavedGroups,
} from "../devices/device-target.js";
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { newTimeOrderedId } from "../ids.js";
import type { Logger } from "../logger.js";
import { normalizeName } from "../names.js";
import { pageFrom } from "../paging.js";
import type { CommandRepository } from "../store/repositories/command-repository.js";
import {
  OPEN_ROLLOUT_STATES,
  type PhaseRecord,
  type PhaseState,
  type RolloutRecord,
  type RolloutRepository,
  type RolloutState,
} from "../store/repositories/rollout-repository.js";
import type { Queryable, Store } from "../store/store.js";
import { isoOrNull } from "../time-format.js";
import {
  type AbortRule,
  abortReason,
  firstPhaseWins,
  gateVerdict,
  MAX_ROLLOUT_NAME_LENGTH,
  openOf,
  type PhaseGate,
  type PhaseInput,
  type PhasePlan,
  type PhaseSize,
  parsePlan,
  percentText,
  phaseCounts,
  type RateInput,
  type RatePlan,
  rateAllowance,
  releaseOrder,
  type StateCounts,
  successNeeded,
} from "./rollout-plan.js";

/** At most this many rollouts are open (running, paused or waiting) at once. */
export const MAX_OPEN_ROLLOUTS = 100;
/** The longest message a canceled command keeps (as a device's result message). */
const MAX_CANCEL_MESSAGE_LENGTH = 1024;

/** The command as the API takes it: its type, its fields, an optional ttlSeconds (and window). */
export type RolloutCommand = { type: CommandType; ttlSeconds?: number } & Record<string, unknown>;

export interface RolloutInput {
  name: string;
  command: RolloutCommand;
  target?: DeviceTarget;
  phases: PhaseInput<DeviceTarget>[];
  rate?: RateInput;
  abort?: AbortRule;
}

/** What `plan_json` holds: the command as given and the plan with its defaults. */
interface StoredPlan {
  command: RolloutCommand;
  kind: "sized" | "targeted";
  phases: PhasePlan<DeviceTarget>[];
  rate: RatePlan | null;
  abort: AbortRule | null;
}

/** What `target_json` holds: the targets as they resolved at creation. */
interface StoredTarget {
  /** Sized plans: the target as given (a group with its name and filter then). */
  target: RecordedTarget | null;
  /** Targeted plans: each phase's target, recorded likewise. */
  phaseTargets: RecordedTarget[] | null;
  /** Devices the targets named that were not active at creation: never part of the rollout. */
  skipped: number;
}

export type RolloutCounts = StateCounts & {
  /** Devices not released yet. */
  pending: number;
};

export interface RolloutPhaseView {
  index: number;
  name: string | null;
  size: PhaseSize | null;
  target: RecordedTarget | null;
  gate: PhaseGate | null;
  state: PhaseState;
  /** The fleet command holding the phase's commands, from the phase's start. */
  batchId: string | null;
  devices: number;
  /** Devices released and commanded. */
  released: number;
  /** Devices released but no longer active then: not commanded. */
  skipped: number;
  pending: number;
  counts: StateCounts;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RolloutView {
  id: string;
  name: string;
  type: string;
  params: Record<string, unknown>;
  command: Record<string, unknown>;
  target: RecordedTarget | null;
  state: RolloutState;
  currentPhase: number;
  reason: { code: string; message: string } | null;
  rate: RatePlan | null;
  abort: AbortRule | null;
  retryOf: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  createdBy: string | null;
  /** Devices in the rollout: those its targets named that were active at creation. */
  devices: number;
  /** Not commanded: inactive at creation, or at their release. */
  skipped: number;
  counts: RolloutCounts;
  phases: RolloutPhaseView[];
}

export interface RolloutsDeps {
  store: Store;
  repository: RolloutRepository;
  /** Where each phase's fleet command row goes (its commands go through `commands`). */
  commandRepository: CommandRepository;
  devices: DeviceService;
  groups: SavedGroups;
  commands: CommandService;
  audit: AuditLog;
  events: EventBus<ServerEvents>;
  logger: Logger;
  clock: () => number;
}

/** A rollout as one unit reads it, and what the unit changes. */
interface Step {
  record: RolloutRecord;
  plan: StoredPlan;
  phases: PhaseRecord[];
  counts: Map<number, StateCounts>;
  consequences: Consequences;
  audits: AuditItem[];
  changed: boolean;
}

const FINISHED: ReadonlySet<RolloutState> = new Set(["completed", "aborted", "canceled"]);

function zeroCounts(): StateCounts {
  return Object.fromEntries(COMMAND_STATES.map((s) => [s, 0])) as StateCounts;
}

function countsOf(stored: Map<CommandState, number> | undefined): StateCounts {
  const counts = zeroCounts();
  for (const [state, n] of stored ?? []) counts[state] = n;
  return counts;
}

function sumCounts(all: Iterable<StateCounts>): StateCounts {
  const total = zeroCounts();
  for (const counts of all) for (const s of COMMAND_STATES) total[s] += counts[s];
  return total;
}

function notFound(id: string): MdmError {
  return new MdmError("rollout_not_found", `no rollout has the id '${id}'`, { rolloutId: id });
}

function finishedError(record: RolloutRecord): MdmError {
  return new MdmError("rollout_finished", `rollout '${record.name}' has ended: it is ${record.state}`, {
    state: record.state,
  });
}

/** "phase 2", "phase 2 (Canary)": a phase for a message. */
function phaseLabel(plan: StoredPlan, index: number): string {
  const name = plan.phases[index]?.name;
  return name ? `phase ${index + 1} (${name})` : `phase ${index + 1}`;
}

/** The input that makes a plan again, for a retry. */
function phaseInputOf(p: PhasePlan<DeviceTarget>): PhaseInput<DeviceTarget> {
  return {
    ...(p.name !== null ? { name: p.name } : {}),
    ...(p.size !== null ? { size: p.size } : {}),
    ...(p.target !== null ? { target: p.target } : {}),
    ...(p.gate !== null ? { gate: p.gate } : {}),
  };
}

export class Rollouts {
  /**
   * What was last announced of each open rollout (its state, phases and counts), so that the
   * runner announces a rollout only when something about it moved: idle rollouts cost a read.
   */
  private readonly lastAnnounced = new Map<string, string>();
  /**
   * Each rollout's step in progress here: this node's steps of one rollout take turns, each to
   * its announcement, so a slower step can never announce what a later one moved past.
   */
  private readonly stepping = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: RolloutsDeps) {}

  private get repo(): RolloutRepository {
    return this.deps.repository;
  }

  // ---- creation -------------------------------------------------------------------------------

  /**
   * Checks the request, resolves its targets once (who is in which phase is written now), and
   * starts the first phase at once. `retryOf`: the rollout whose failed devices this one retries.
   */
  async create(
    input: RolloutInput,
    createdBy: string | null,
    retryOf: string | null = null,
  ): Promise<RolloutView> {
    const name = normalizeName(input.name, MAX_ROLLOUT_NAME_LENGTH, "a rollout's");
    const { action } = this.deps.commands.parseRequest(input.command);
    const plan = parsePlan<DeviceTarget>({
      phases: input.phases,
      target: input.target,
      rate: input.rate,
      abort: input.abort,
    });
    const now = this.deps.clock();
    const id = newTimeOrderedId("rlt", now);
    const stored: StoredPlan = { command: input.command, ...plan };
    await this.deps.store.unit(async (tx) => {
      await this.repo.lockForInsert(tx);
      if ((await this.repo.countOpen(tx)) >= MAX_OPEN_ROLLOUTS) {
        throw new MdmError(
          "too_many_rollouts",
          `at most ${MAX_OPEN_ROLLOUTS} rollouts are open at once; let one end or cancel it`,
          { max: MAX_OPEN_ROLLOUTS },
        );
      }
      const { phaseDevices, target } = await this.membership(tx, id, plan.kind, input.target, plan.phases);
      await this.repo.insert(
        tx,
        {
          id,
          name,
          type: action.type,
          paramsJson: JSON.stringify(actionParams(action)),
          targetJson: JSON.stringify(target),
          planJson: JSON.stringify(stored),
          retryOf,
          createdAtMs: now,
          createdBy,
        },
        phaseDevices,
      );
    });
    return this.viewAfter(id, await this.runStep(id, (tx, step) => this.moveOn(tx, step)));
  }

  /**
   * Who is in which phase, in release order, from targets resolved now: sized phases cut one
   * ordered target by their cumulative sizes; targeted phases take their own devices, a device
   * named twice in the first phase naming it. Devices not active now are left out (skipped).
   */
  private async membership(
    tx: Queryable,
    rolloutId: string,
    kind: StoredPlan["kind"],
    target: DeviceTarget | undefined,
    phases: readonly PhasePlan<DeviceTarget>[],
  ): Promise<{ phaseDevices: string[][]; target: StoredTarget }> {
    const { devices, groups } = this.deps;
    const active = new Set(await devices.idsMatching({ status: "active" }, tx));
    if (kind === "sized") {
      const resolved = await resolveTarget(devices, target!, tx, groups);
      const eligible = releaseOrder(
        rolloutId,
        resolved.deviceIds.filter((d) => active.has(d)),
      );
      const phaseDevices: string[][] = [];
      let start = 0;
      for (const count of phaseCounts(
        eligible.length,
        phases.map((p) => p.size),
      )) {
        phaseDevices.push(eligible.slice(start, start + count));
        start += count;
      }
      return {
        phaseDevices,
        target: {
          target: resolved.recorded,
          phaseTargets: null,
          skipped: resolved.deviceIds.length - eligible.length,
        },
      };
    }
    const resolved = [];
    for (const phase of phases) resolved.push(await resolveTarget(devices, phase.target!, tx, groups));
    const named = firstPhaseWins(resolved.map((r) => r.deviceIds));
    const phaseDevices = named.map((ids) =>
      releaseOrder(
        rolloutId,
        ids.filter((d) => active.has(d)),
      ),
    );
    const namedCount = named.reduce((n, ids) => n + ids.length, 0);
    const eligibleCount = phaseDevices.reduce((n, ids) => n + ids.length, 0);
    return {
      phaseDevices,
      target: {
        target: null,
        phaseTargets: resolved.map((r) => r.recorded),
        skipped: namedCount - eligibleCount,
      },
    };
  }

  /**
   * A new rollout of the same command and plan for the devices whose command failed, was
   * rejected or expired. A sized plan keeps its phases over those devices; a targeted plan keeps
   * each phase with its own failed devices (phases without any are left out, and the last one
   * left loses its gate, since a last phase has none).
   */
  async retry(id: string, createdBy: string | null, name?: string): Promise<RolloutView> {
    const record = await this.getRecord(id);
    const plan = record.plan as StoredPlan;
    const failed = await this.repo.devicesIn(this.deps.store.db, id, RETRYABLE_STATES);
    if (failed.length === 0) {
      throw new MdmError(
        "rollout_nothing_to_retry",
        `rollout '${record.name}' has no command that failed, was rejected or expired`,
      );
    }
    const retryName = name ?? `${record.name.slice(0, MAX_ROLLOUT_NAME_LENGTH - " (retry)".length)} (retry)`;
    const common = { name: retryName, command: plan.command, ...this.rateAndAbort(plan) };
    if (plan.kind === "sized") {
      return this.create(
        {
          ...common,
          target: { deviceIds: [...new Set(failed.map((f) => f.deviceId))] },
          phases: plan.phases.map(phaseInputOf),
        },
        createdBy,
        id,
      );
    }
    const phases: PhaseInput<DeviceTarget>[] = [];
    plan.phases.forEach((p, index) => {
      const deviceIds = failed.filter((f) => f.phase === index).map((f) => f.deviceId);
      if (deviceIds.length > 0) phases.push({ ...phaseInputOf(p), target: { deviceIds } });
    });
    const { gate: _lastGate, ...last } = phases.pop()!;
    return this.create({ ...common, phases: [...phases, last] }, createdBy, id);
  }

  private rateAndAbort(plan: StoredPlan): { rate?: RateInput; abort?: AbortRule } {
    return {
      ...(plan.rate ? { rate: plan.rate } : {}),
      ...(plan.abort ? { abort: plan.abort } : {}),
    };
  }

  // ---- admins' actions --------------------------------------------------------------------------

  /** A running (or waiting) rollout releases nothing more until resumed; what it sent runs on. */
  async pause(id: string): Promise<RolloutView> {
    const stepped = await this.runStep(id, async (tx, step) => {
      const { record } = step;
      if (FINISHED.has(record.state)) throw finishedError(record);
      if (record.state === "paused") {
        throw new MdmError("rollout_not_running", `rollout '${record.name}' is paused already`, {
          state: record.state,
        });
      }
      await this.setState(tx, step, { state: "paused" });
    });
    return this.viewAfter(id, stepped);
  }

  /**
   * Goes on where it was: waiting for approval again if it was, else running, with the phase's
   * rate counted again from now (what it released before counts as released).
   */
  async resume(id: string): Promise<RolloutView> {
    const stepped = await this.runStep(id, async (tx, step) => {
      const { record } = step;
      if (FINISHED.has(record.state)) throw finishedError(record);
      if (record.state !== "paused") {
        throw new MdmError("rollout_not_paused", `rollout '${record.name}' is ${record.state}, not paused`, {
          state: record.state,
        });
      }
      const phase = step.phases[record.currentPhase]!;
      if (phase.state === "waiting_approval") {
        await this.setState(tx, step, { state: "waiting_approval" });
      } else {
        await this.setState(tx, step, {
          state: "running",
          rateSinceMs: this.deps.clock(),
          rateBase: phase.released + phase.skipped,
        });
      }
      await this.moveOn(tx, step);
    });
    return this.viewAfter(id, stepped);
  }

  /** The next phase starts: the current one waited for this approval. */
  async approve(id: string): Promise<RolloutView> {
    const stepped = await this.runStep(id, async (tx, step) => {
      const { record } = step;
      if (FINISHED.has(record.state)) throw finishedError(record);
      if (record.state !== "waiting_approval") {
        const hint = record.state === "paused" ? "; resume it first" : "";
        throw new MdmError(
          "rollout_not_waiting_approval",
          `rollout '${record.name}' is ${record.state}, not waiting for an approval${hint}`,
          { state: record.state },
        );
      }
      await this.endPhase(tx, step, step.phases[record.currentPhase]!, "waiting_approval");
      await this.moveOn(tx, step);
    });
    return this.viewAfter(id, stepped);
  }

  /**
   * Stops the rollout for good: devices not released are never commanded, and what its phases
   * have not delivered (queued, or sent to a device that is offline) is canceled.
   */
  async cancel(id: string, by: string | null): Promise<RolloutView> {
    const stepped = await this.runStep(id, async (tx, step) => {
      if (FINISHED.has(step.record.state)) throw finishedError(step.record);
      await this.stop(tx, step, {
        state: "canceled",
        code: "canceled",
        message: `canceled by ${by ?? "an admin"}`,
        system: false,
      });
    });
    return this.viewAfter(id, stepped);
  }

  // ---- reads ------------------------------------------------------------------------------------

  async get(id: string): Promise<RolloutView> {
    const record = await this.getRecord(id);
    const db = this.deps.store.db;
    const phases = (await this.repo.phasesOf(db, [id])).get(id) ?? [];
    const counts = (await this.repo.countsOf(db, [id])).get(id);
    return this.view(record, phases, this.phaseCountsOf(phases, counts));
  }

  /** The type of the rollout's command, for the right its actions need. */
  async commandTypeOf(id: string): Promise<CommandType> {
    return (await this.getRecord(id)).type as CommandType;
  }

  /** Rollouts, newest first; each page's phases and counts in one read each. */
  async list(
    limit: number,
    cursor: string | null,
  ): Promise<{ items: RolloutView[]; nextCursor: string | null }> {
    const db = this.deps.store.db;
    const records = await this.repo.list(db, { limit: limit + 1, cursor });
    const shown = records.slice(0, limit).map((r) => r.id);
    const phases = await this.repo.phasesOf(db, shown);
    const counts = await this.repo.countsOf(db, shown);
    return pageFrom(
      records,
      limit,
      (r) => r.id,
      (r) => {
        const own = phases.get(r.id) ?? [];
        return this.view(r, own, this.phaseCountsOf(own, counts.get(r.id)));
      },
    );
  }

  private async getRecord(id: string): Promise<RolloutRecord> {
    const record = await this.repo.get(this.deps.store.db, id);
    if (!record) throw notFound(id);
    return record;
  }

  // ---- the runner -------------------------------------------------------------------------------

  /** One step of every open rollout (called every few seconds by one node); how many moved. */
  async runDue(): Promise<number> {
    const open = await this.repo.openIds(this.deps.store.db, MAX_OPEN_ROLLOUTS);
    // Rollouts that ended elsewhere (an admin on another node) need no memory here.
    const still = new Set(open);
    for (const id of this.lastAnnounced.keys()) if (!still.has(id)) this.lastAnnounced.delete(id);
    let moved = 0;
    for (const id of open) {
      try {
        if ((await this.runStep(id, (tx, step) => this.moveOn(tx, step))).changed) moved++;
      } catch (err) {
        this.deps.logger.error({ err, rollout: id }, "a rollout step failed");
      }
    }
    return moved;
  }

  /**
   * Runs `work` on the rollout in one unit that locks its row, reading its phases and their
   * counts first; after the commit, settles the commands it issued or canceled, announces its
   * audit rows and the rollout (when it changed, or its counts did). Whether it changed, and
   * the view it announced.
   */
  private async runStep(
    id: string,
    work: (tx: Queryable, step: Step) => Promise<void>,
  ): Promise<{ changed: boolean; view: RolloutView | null }> {
    const previous = this.stepping.get(id) ?? Promise.resolve();
    const turn = previous.catch(() => undefined).then(() => this.stepNow(id, work));
    this.stepping.set(id, turn);
    try {
      return await turn;
    } finally {
      if (this.stepping.get(id) === turn) this.stepping.delete(id);
    }
  }

  private async stepNow(
    id: string,
    work: (tx: Queryable, step: Step) => Promise<void>,
  ): Promise<{ changed: boolean; view: RolloutView | null }> {
    const step = await this.deps.store.unit(async (tx) => {
      const record = await this.repo.getForUpdate(tx, id);
      if (!record) throw notFound(id);
      const phases = (await this.repo.phasesOf(tx, [id])).get(id) ?? [];
      const stored = (await this.repo.countsOf(tx, [id])).get(id);
      const current: Step = {
        record,
        plan: record.plan as StoredPlan,
        phases,
        counts: this.phaseCountsOf(phases, stored),
        // A unit that runs again (PostgreSQL, after a deadlock) starts from nothing.
        consequences: new Consequences(),
        audits: [],
        changed: false,
      };
      await work(tx, current);
      return current;
    });
    await this.deps.commands.settle(step.consequences);
    for (const item of step.audits) this.deps.audit.announce(item);
    if (step.changed) return { changed: true, view: await this.announce(id) };
    // Nothing written: the view from what the unit read, announced only if its counts moved.
    const view = this.view(step.record, step.phases, step.counts);
    if (this.fingerprint(view) === this.lastAnnounced.get(id)) return { changed: false, view: null };
    this.emit(view);
    return { changed: false, view };
  }

  /** The view an action answers with: the one its step announced, else as it is now. */
  private async viewAfter(id: string, stepped: { view: RolloutView | null }): Promise<RolloutView> {
    return stepped.view ?? this.get(id);
  }

  /**
   * The runner's work on an open rollout, in its unit: the abort threshold first; then, while
   * running, the current phase starts if pending, releases what its rate allows, and once every
   * device is released passes its gate (or waits, or asks for approval, or fails it), the next
   * phase starting in the same unit; the last phase's commands all ended complete the rollout.
   */
  private async moveOn(tx: Queryable, step: Step): Promise<void> {
    const { record, plan, phases } = step;
    if (!OPEN_ROLLOUT_STATES.some((s) => s === record.state)) return;
    const tripped = abortReason(sumCounts(step.counts.values()), plan.abort);
    if (tripped !== null) {
      await this.stop(tx, step, {
        state: "aborted",
        code: "abort_threshold",
        message: tripped,
        system: true,
      });
      return;
    }
    // Each pass starts or ends a phase; a plan's phases bound them.
    for (let pass = 0; pass <= phases.length && record.state === "running"; pass++) {
      const phase = phases[record.currentPhase]!;
      if (phase.state === "pending") await this.startPhase(tx, step, phase);
      if (phase.state !== "running") return;
      await this.release(tx, step, phase);
      if (phase.released + phase.skipped < phase.devices) return;
      const counts = step.counts.get(phase.index)!;
      if (phase.index === phases.length - 1) {
        if (openOf(counts) > 0) return;
        await this.endPhase(tx, step, phase, "running");
        await this.setState(tx, step, { state: "completed", finishedAtMs: this.deps.clock() });
        return;
      }
      const gate = plan.phases[phase.index]!.gate;
      switch (gateVerdict(gate, counts, phase.released)) {
        case "wait":
          return;
        case "failed": {
          const needed = gate && "successPercent" in gate ? gate.successPercent : 100;
          const message =
            `${phaseLabel(plan, phase.index)}: ${counts.succeeded} of ${phase.released} commands succeeded ` +
            `(${percentText(phase.released === 0 ? 0 : (counts.succeeded / phase.released) * 100)}), ` +
            `${successNeeded(needed, phase.released)} (${percentText(needed)}) were needed for the next phase`;
          await this.stop(tx, step, { state: "aborted", code: "gate_not_met", message, system: true });
          return;
        }
        case "approval":
          await this.repo.movePhase(
            tx,
            record.id,
            phase.index,
            ["running"],
            "waiting_approval",
            this.deps.clock(),
          );
          phase.state = "waiting_approval";
          await this.setState(tx, step, { state: "waiting_approval" });
          return;
        case "open":
          await this.endPhase(tx, step, phase, "running");
      }
    }
  }

  /** The phase is done; the next one becomes current (it starts on the next pass). */
  private async endPhase(tx: Queryable, step: Step, phase: PhaseRecord, from: PhaseState): Promise<void> {
    const now = this.deps.clock();
    await this.repo.movePhase(tx, step.record.id, phase.index, [from], "done", now);
    phase.state = "done";
    phase.finishedAtMs = now;
    const last = phase.index === step.phases.length - 1;
    await this.setState(
      tx,
      step,
      last ? {} : { state: "running", currentPhase: phase.index + 1, rateSinceMs: null, rateBase: 0 },
    );
  }

  /** The phase's fleet command row, and the phase running from now (its rate clock too). */
  private async startPhase(tx: Queryable, step: Step, phase: PhaseRecord): Promise<void> {
    const { record } = step;
    const now = this.deps.clock();
    const batchId = newTimeOrderedId("bat", now);
    await this.deps.commandRepository.insertBatch(tx, {
      id: batchId,
      type: record.type as CommandType,
      paramsJson: JSON.stringify(record.params),
      // What the fleet command list shows as its target: the rollout and the phase.
      targetJson: JSON.stringify({
        target: { rollout: { id: record.id, name: record.name, phase: phase.index } },
        skipped: 0,
      }),
      total: phase.devices,
      createdAtMs: now,
      createdBy: record.createdBy,
    });
    if (!(await this.repo.startPhase(tx, record.id, phase.index, batchId, now))) {
      // Under the rollout's lock no other step runs; should one have, nothing of this unit stays.
      throw new Error(`rollout ${record.id}: phase ${phase.index} was started already`);
    }
    phase.state = "running";
    phase.batchId = batchId;
    phase.startedAtMs = now;
    await this.setState(tx, step, { rateSinceMs: now, rateBase: 0 });
  }

  /**
   * Releases the devices the phase's rate allows by now (all of them without a rate), in the
   * release order: each marked released and commanded in this unit; those no longer active get
   * no command and count as skipped.
   */
  private async release(tx: Queryable, step: Step, phase: PhaseRecord): Promise<void> {
    const { record, plan } = step;
    const now = this.deps.clock();
    const taken = phase.released + phase.skipped;
    const allowed =
      plan.rate === null
        ? phase.devices
        : record.rateBase +
          rateAllowance(plan.rate, now - (record.rateSinceMs ?? now), phase.devices - record.rateBase);
    const wanted = Math.min(phase.devices, allowed) - taken;
    if (wanted <= 0) return;
    const deviceIds = await this.repo.releaseNext(tx, record.id, phase.index, wanted, now);
    if (deviceIds.length === 0) return;
    const { action, ...issue } = this.deps.commands.parseRequest(plan.command);
    const before = step.consequences.issued.length;
    await this.deps.commands.issueInUnit(
      tx,
      deviceIds,
      action,
      { ...issue, actor: record.createdBy, batchId: phase.batchId },
      step.consequences,
      { onlyActive: true },
    );
    const commanded = step.consequences.issued.length - before;
    const skipped = deviceIds.length - commanded;
    await this.repo.addReleased(tx, record.id, phase.index, { commanded, skipped });
    phase.released += commanded;
    phase.skipped += skipped;
    step.counts.get(phase.index)!.queued += commanded;
    step.changed = true;
  }

  /**
   * Ends the rollout (aborted or canceled) with its reason: phases not done are stopped, devices
   * not released never will be, and what the phases have not delivered is canceled with
   * `rollout_stopped` and a message naming the rollout and why. The runner's own stops are
   * audited as the system's.
   */
  private async stop(
    tx: Queryable,
    step: Step,
    why: { state: "aborted" | "canceled"; code: string; message: string; system: boolean },
  ): Promise<void> {
    const { record } = step;
    const now = this.deps.clock();
    await this.setState(tx, step, {
      state: why.state,
      reasonCode: why.code,
      reason: why.message,
      finishedAtMs: now,
    });
    await this.repo.stopOpenPhases(tx, record.id, now);
    for (const phase of step.phases) {
      if (phase.state !== "done") {
        phase.state = "stopped";
        phase.finishedAtMs = now;
      }
    }
    const what = why.state === "aborted" ? `was aborted (${why.message})` : `was ${why.message}`;
    const message = `rollout '${record.name}' (${record.id}) ${what} before this command was delivered`;
    await this.deps.commands.cancelUndeliveredInUnit(
      tx,
      step.phases.flatMap((p) => (p.batchId === null ? [] : [p.batchId])),
      { code: SERVER_COMMAND_CODE.rollout_stopped, message: message.slice(0, MAX_CANCEL_MESSAGE_LENGTH) },
      step.consequences,
    );
    if (why.system) {
      step.audits.push(
        await this.deps.audit.append(tx, {
          actor: null,
          action: "rollout.abort",
          target: record.id,
          params: { name: record.name, reasonCode: why.code, reason: why.message },
          outcome: "success",
          sourceAddress: null,
        }),
      );
    }
  }

  /** Writes a change of the rollout's row and keeps the step's copy in line. */
  private async setState(
    tx: Queryable,
    step: Step,
    change: {
      state?: RolloutState;
      currentPhase?: number;
      rateSinceMs?: number | null;
      rateBase?: number;
      reasonCode?: string;
      reason?: string;
      finishedAtMs?: number;
    },
  ): Promise<void> {
    const now = this.deps.clock();
    await this.repo.update(tx, step.record.id, change, now);
    Object.assign(step.record, change, { updatedAtMs: now });
    step.changed = true;
  }

  // ---- views ------------------------------------------------------------------------------------

  private phaseCountsOf(
    phases: readonly PhaseRecord[],
    stored: Map<number, Map<CommandState, number>> | undefined,
  ): Map<number, StateCounts> {
    return new Map(phases.map((p) => [p.index, countsOf(stored?.get(p.index))]));
  }

  private async announce(id: string): Promise<RolloutView> {
    const view = await this.get(id);
    this.emit(view);
    return view;
  }

  private emit(view: RolloutView): void {
    if (FINISHED.has(view.state)) this.lastAnnounced.delete(view.id);
    else this.lastAnnounced.set(view.id, this.fingerprint(view));
    this.deps.events.emit("rollout.updated", { rollout: view });
  }

  /** What a rollout's announcement says that can move: its state and each phase's progress. */
  private fingerprint(view: RolloutView): string {
    return JSON.stringify([
      view.state,
      view.currentPhase,
      view.phases.map((p) => [p.state, p.released, p.skipped, COMMAND_STATES.map((s) => p.counts[s])]),
    ]);
  }

  private view(
    record: RolloutRecord,
    phases: readonly PhaseRecord[],
    counts: ReadonlyMap<number, StateCounts>,
  ): RolloutView {
    const plan = record.plan as StoredPlan;
    const target = record.target as StoredTarget;
    const phaseViews = phases.map((p): RolloutPhaseView => {
      const planned = plan.phases[p.index];
      return {
        index: p.index,
        name: planned?.name ?? null,
        size: planned?.size ?? null,
        target: target.phaseTargets?.[p.index] ?? null,
        gate: planned?.gate ?? null,
        state: p.state,
        batchId: p.batchId,
        devices: p.devices,
        released: p.released,
        skipped: p.skipped,
        pending: p.devices - p.released - p.skipped,
        counts: counts.get(p.index) ?? zeroCounts(),
        startedAt: isoOrNull(p.startedAtMs),
        finishedAt: isoOrNull(p.finishedAtMs),
      };
    });
    const total = sumCounts(phaseViews.map((p) => p.counts));
    return {
      id: record.id,
      name: record.name,
      type: record.type,
      params: record.params,
      command: plan.command,
      target: target.target,
      state: record.state,
      currentPhase: record.currentPhase,
      reason:
        record.reasonCode === null
          ? null
          : { code: record.reasonCode, message: record.reason ?? record.reasonCode },
      rate: plan.rate,
      abort: plan.abort,
      retryOf: record.retryOf,
      createdAt: new Date(record.createdAtMs).toISOString(),
      updatedAt: new Date(record.updatedAtMs).toISOString(),
      finishedAt: isoOrNull(record.finishedAtMs),
      createdBy: record.createdBy,
      devices: phaseViews.reduce((n, p) => n + p.devices, 0),
      skipped: target.skipped + phaseViews.reduce((n, p) => n + p.skipped, 0),
      counts: { ...total, pending: phaseViews.reduce((n, p) => n + p.pending, 0) },
      phases: phaseViews,
    };
  }
}
