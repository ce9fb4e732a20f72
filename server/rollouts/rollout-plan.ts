/**
 * The pure part of staged rollouts: a plan as the API gives it, checked and completed with its
 * defaults; how a resolved target is ordered and cut into phases; how many devices the rate lets
 * a phase release by a given time; and the abort threshold and success gates as predicates over
 * command counts. Nothing here reads the store or the clock, so all of it is unit-tested alone.
 */
import { createHash } from "node:crypto";
import type { CommandState } from "../commands/command.js";
import { MdmError } from "../errors.js";
import { normalizeName } from "../names.js";

/** A rollout has at most this many phases. */
export const MAX_PHASES = 20;
export const MAX_ROLLOUT_NAME_LENGTH = 80;
export const MAX_PHASE_NAME_LENGTH = 80;
/** The highest rate an admin may set, and the highest growth factor. */
export const MAX_RATE_PER_MINUTE = 100_000;
export const MAX_GROWTH_FACTOR = 10;
export const MAX_GROW_EVERY_MINUTES = 1440;
/**
 * A growing rate stops growing here: factor 10 every minute would pass any number a store holds
 * within minutes, and no fleet takes commands faster than this anyway.
 */
export const RATE_CAP_PER_MINUTE = 10_000_000;

export type PhaseSize = { percent: number } | { count: number };
export type PhaseGate = { successPercent: number } | { approval: true };

export interface PhaseInput<T> {
  name?: string;
  size?: PhaseSize;
  target?: T;
  gate?: PhaseGate;
}

export interface RateInput {
  perMinute: number;
  growthFactor?: number;
  growEveryMinutes?: number;
}

export interface AbortRule {
  failurePercent: number;
  minExecuted: number;
}

export interface PlanInput<T> {
  phases: readonly PhaseInput<T>[];
  target?: T;
  rate?: RateInput;
  abort?: AbortRule;
}

export interface RatePlan {
  perMinute: number;
  growthFactor: number;
  growEveryMinutes: number;
}

export interface PhasePlan<T> {
  name: string | null;
  /** Sized plans: the share of the target; null for the last phase, which takes the rest. */
  size: PhaseSize | null;
  /** Targeted plans: the phase's own devices. */
  target: T | null;
  /** What must hold before the next phase starts; null: every command of the phase has ended. */
  gate: PhaseGate | null;
}

export interface RolloutPlan<T> {
  /** `sized`: phases cut from one target; `targeted`: each phase names its devices. */
  kind: "sized" | "targeted";
  phases: PhasePlan<T>[];
  rate: RatePlan | null;
  abort: AbortRule | null;
}

function invalid(field: string, message: string): MdmError {
  return new MdmError("validation_failed", `${field}: ${message}`, { field });
}

function checkNumber(value: number, field: string, test: (v: number) => boolean, rule: string): void {
  if (!Number.isFinite(value) || !test(value)) throw invalid(field, rule);
}

function checkedSize(size: PhaseSize, field: string): PhaseSize {
  if ("percent" in size) {
    checkNumber(size.percent, `${field}.percent`, (v) => v > 0 && v <= 100, "more than 0 and at most 100");
    return { percent: size.percent };
  }
  checkNumber(size.count, `${field}.count`, (v) => Number.isInteger(v) && v >= 1, "a whole number from 1");
  return { count: size.count };
}

function checkedGate(gate: PhaseGate, field: string): PhaseGate {
  if ("approval" in gate) {
    if (gate.approval !== true) throw invalid(`${field}.approval`, "is true when given");
    return { approval: true };
  }
  checkNumber(
    gate.successPercent,
    `${field}.successPercent`,
    (v) => v > 0 && v <= 100,
    "more than 0 and at most 100",
  );
  return { successPercent: gate.successPercent };
}

/**
 * The plan checked against every rule that the request's schema cannot say (all phases sized or
 * all targeted, the last sized phase without a size, no gate on the last phase, the sizes within
 * the target), with its defaults filled in. Throws `validation_failed` naming the field.
 */
export function parsePlan<T>(input: PlanInput<T>): RolloutPlan<T> {
  const phases = input.phases;
  if (phases.length < 1 || phases.length > MAX_PHASES) {
    throw invalid("phases", `1 to ${MAX_PHASES} phases`);
  }
  const targeted = phases.some((p) => p.target !== undefined);
  if (targeted) {
    if (input.target !== undefined) {
      throw invalid("target", "phases that name their own targets take no rollout target");
    }
    phases.forEach((p, i) => {
      if (p.target === undefined)
        throw invalid(`phases[${i}].target`, "every phase names its target, or none");
      if (p.size !== undefined) throw invalid(`phases[${i}].size`, "a phase with a target takes no size");
    });
  } else {
    if (input.target === undefined) throw invalid("target", "sized phases are cut from the rollout's target");
    phases.forEach((p, i) => {
      const last = i === phases.length - 1;
      if (last && p.size !== undefined) {
        throw invalid(`phases[${i}].size`, "the last phase takes every remaining device and has no size");
      }
      if (!last && p.size === undefined)
        throw invalid(`phases[${i}].size`, "every phase but the last has a size");
    });
    const percent = phases.reduce((sum, p) => sum + (p.size && "percent" in p.size ? p.size.percent : 0), 0);
    if (percent > 100) throw invalid("phases", `the phases' sizes add up to ${percent} % of the target`);
  }
  const lastGate = phases.at(-1)?.gate;
  if (lastGate !== undefined) {
    throw invalid(`phases[${phases.length - 1}].gate`, "a gate holds the next phase back; the last has none");
  }
  const plan: RolloutPlan<T> = {
    kind: targeted ? "targeted" : "sized",
    phases: phases.map((p, i) => ({
      name:
        p.name === undefined || p.name.trim() === ""
          ? null
          : normalizeName(p.name, MAX_PHASE_NAME_LENGTH, "a phase's", `phases[${i}].name`),
      size: p.size === undefined ? null : checkedSize(p.size, `phases[${i}].size`),
      target: p.target ?? null,
      gate: p.gate === undefined ? null : checkedGate(p.gate, `phases[${i}].gate`),
    })),
    rate: null,
    abort: null,
  };
  if (input.rate) {
    const { perMinute, growthFactor = 1, growEveryMinutes = 1 } = input.rate;
    checkNumber(
      perMinute,
      "rate.perMinute",
      (v) => Number.isInteger(v) && v >= 1 && v <= MAX_RATE_PER_MINUTE,
      `a whole number from 1 to ${MAX_RATE_PER_MINUTE}`,
    );
    checkNumber(
      growthFactor,
      "rate.growthFactor",
      (v) => v >= 1 && v <= MAX_GROWTH_FACTOR,
      `from 1 to ${MAX_GROWTH_FACTOR}`,
    );
    checkNumber(
      growEveryMinutes,
      "rate.growEveryMinutes",
      (v) => Number.isInteger(v) && v >= 1 && v <= MAX_GROW_EVERY_MINUTES,
      `a whole number from 1 to ${MAX_GROW_EVERY_MINUTES}`,
    );
    plan.rate = { perMinute, growthFactor, growEveryMinutes };
  }
  if (input.abort) {
    const { failurePercent, minExecuted } = input.abort;
    checkNumber(failurePercent, "abort.failurePercent", (v) => v >= 0 && v <= 100, "from 0 to 100");
    checkNumber(
      minExecuted,
      "abort.minExecuted",
      (v) => Number.isInteger(v) && v >= 1,
      "a whole number from 1",
    );
    plan.abort = { failurePercent, minExecuted };
  }
  return plan;
}

// ---- who is in which phase ------------------------------------------------------------------

/**
 * How many of `total` ordered devices each sized phase takes: each phase ends at its cumulative
 * size (percentages of `total` and counts added up, rounded once at each boundary so that the
 * rounding never accumulates), and the last phase (size null) takes the rest. A boundary past
 * the end leaves the later phases empty.
 */
export function phaseCounts(total: number, sizes: readonly (PhaseSize | null)[]): number[] {
  const counts: number[] = [];
  let cumulative = 0;
  let start = 0;
  sizes.forEach((size, i) => {
    let end: number;
    if (size === null || i === sizes.length - 1) {
      end = total;
    } else {
      cumulative += "percent" in size ? (total * size.percent) / 100 : size.count;
      // Cut float noise (10 % of 30 is 3.0000000000000004) before rounding half up.
      end = Math.min(total, Math.round(Math.round(cumulative * 1e6) / 1e6));
    }
    end = Math.max(end, start);
    counts.push(end - start);
    start = end;
  });
  return counts;
}

/** A device's place in a rollout's order: the first 48 bits of sha256(rollout id, device id). */
function orderKey(rolloutId: string, deviceId: string): number {
  return createHash("sha256").update(`${rolloutId}\n${deviceId}`).digest().readUIntBE(0, 6);
}

/**
 * The devices in the rollout's own stable order: by a hash of the rollout's and the device's id,
 * so that each phase is a spread over the fleet (not the oldest devices, nor one site), another
 * rollout cuts the fleet differently, and the same rollout always gets the same order.
 */
export function releaseOrder(rolloutId: string, deviceIds: readonly string[]): string[] {
  return deviceIds
    .map((id) => ({ id, key: orderKey(rolloutId, id) }))
    .sort((a, b) => a.key - b.key || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((entry) => entry.id);
}

/** Each phase's devices without those an earlier phase named already: a device belongs to the first. */
export function firstPhaseWins(phaseDeviceIds: readonly (readonly string[])[]): string[][] {
  const taken = new Set<string>();
  return phaseDeviceIds.map((ids) =>
    ids.filter((id) => {
      if (taken.has(id)) return false;
      taken.add(id);
      return true;
    }),
  );
}

// ---- the rate ---------------------------------------------------------------------------------

const MINUTE_MS = 60_000;

/** Minute `k`'s rate (from 0): perMinute × growthFactor^⌊k / growEveryMinutes⌋, capped. */
export function rateAtMinute(rate: RatePlan, minute: number): number {
  const steps = Math.floor(minute / rate.growEveryMinutes);
  return Math.min(RATE_CAP_PER_MINUTE, rate.perMinute * rate.growthFactor ** steps);
}

/**
 * How many devices a phase may have released `elapsedMs` after its rate clock started (the
 * phase's start, or its last resume): one at once, then each minute's rate spread over that
 * minute, i.e. 1 + the sum of the per-minute rates so far (the current minute counted by the
 * share of it that has passed). Never more than `limit` (the phase's devices); the sum stops as
 * soon as it gets there, so a long-running phase costs no more to work out than a short one.
 */
export function rateAllowance(rate: RatePlan, elapsedMs: number, limit: number): number {
  if (limit <= 1) return Math.max(0, limit);
  const minutes = Math.max(0, elapsedMs) / MINUTE_MS;
  let sum = 0;
  if (rate.growthFactor === 1) {
    sum = Math.min(rate.perMinute, RATE_CAP_PER_MINUTE) * minutes;
  } else {
    // Growth steps of growEveryMinutes minutes each, at one rate within a step.
    for (let step = 0; step * rate.growEveryMinutes < minutes && sum < limit; step++) {
      const from = step * rate.growEveryMinutes;
      const perMinute = rateAtMinute(rate, from);
      if (perMinute >= RATE_CAP_PER_MINUTE) {
        sum += perMinute * (minutes - from);
        break;
      }
      sum += perMinute * Math.min(rate.growEveryMinutes, minutes - from);
    }
  }
  // Float noise must not hold back a device whose moment has come (1e-9 of one device).
  return Math.min(limit, 1 + Math.floor(sum + 1e-9));
}

// ---- counts, the abort threshold and the gates ------------------------------------------------

export type StateCounts = Record<CommandState, number>;

/** Commands the devices carried out, and of those, the ones that did not succeed. */
export function executedOf(counts: StateCounts): { executed: number; bad: number } {
  const bad = counts.failed + counts.rejected + counts.expired;
  return { executed: counts.succeeded + bad, bad };
}

/** Commands that have not ended yet. */
export function openOf(counts: StateCounts): number {
  return counts.queued + counts.sent + counts.accepted;
}

/** "15 %", "12.5 %": a share for a message. */
export function percentText(value: number): string {
  return `${Math.round(value * 10) / 10} %`;
}

/**
 * Null while the rollout is within its abort threshold; else why it stops: more than
 * `failurePercent` of the executed commands failed, were rejected or expired, once at least
 * `minExecuted` were executed.
 */
export function abortReason(counts: StateCounts, rule: AbortRule | null): string | null {
  if (rule === null) return null;
  const { executed, bad } = executedOf(counts);
  if (executed < rule.minExecuted || executed === 0) return null;
  const share = (bad / executed) * 100;
  if (share <= rule.failurePercent) return null;
  return (
    `${bad} of ${executed} executed commands (${percentText(share)}) failed, were rejected or expired: ` +
    `over the ${percentText(rule.failurePercent)} threshold`
  );
}

/** How many of a phase's commanded devices must succeed to pass a success gate. */
export function successNeeded(successPercent: number, commanded: number): number {
  // As above: 80 % of 10 is 8, not 8.000000000000002 rounded up to 9.
  return Math.ceil(Math.round(((successPercent * commanded) / 100) * 1e6) / 1e6);
}

/**
 * Whether a phase that has released every device lets the next one start: `open` (go on),
 * `wait` (not yet), `approval` (an admin decides) or `failed` (a success gate can no longer be
 * met: every command has ended below it).
 */
export function gateVerdict(
  gate: PhaseGate | null,
  counts: StateCounts,
  commanded: number,
): "open" | "wait" | "approval" | "failed" {
  const ended = openOf(counts) === 0;
  if (gate === null) return ended ? "open" : "wait";
  if ("approval" in gate) return "approval";
  if (counts.succeeded >= successNeeded(gate.successPercent, commanded)) return "open";
  return ended ? "failed" : "wait";
}
