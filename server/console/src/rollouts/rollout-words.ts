/** A rollout and its phases in words: states, sizes, gates, rate, abort threshold, why it stopped. */
import { formatCount, plural } from "../format";
import type {
  CommandState,
  Rollout,
  RolloutAbort,
  RolloutGate,
  RolloutPhase,
  RolloutPhaseState,
  RolloutRate,
  RolloutSize,
  RolloutState,
} from "../types";
import type { Tone } from "../ui";

export const ROLLOUT_STATE_LABELS: Record<RolloutState, string> = {
  running: "Running",
  paused: "Paused",
  waiting_approval: "Waiting for approval",
  completed: "Completed",
  aborted: "Aborted",
  canceled: "Canceled",
};

export const ROLLOUT_STATE_TONES: Record<RolloutState, Tone> = {
  running: "blue",
  paused: "amber",
  waiting_approval: "violet",
  completed: "green",
  aborted: "red",
  canceled: "neutral",
};

export const PHASE_STATE_LABELS: Record<RolloutPhaseState, string> = {
  pending: "Not started",
  running: "Running",
  waiting_approval: "Waiting for approval",
  done: "Done",
  stopped: "Stopped",
};

export const PHASE_STATE_TONES: Record<RolloutPhaseState, Tone> = {
  pending: "neutral",
  running: "blue",
  waiting_approval: "violet",
  done: "green",
  stopped: "amber",
};

/** The states a rollout does nothing more in. */
export const FINISHED_STATES: ReadonlySet<RolloutState> = new Set(["completed", "aborted", "canceled"]);

/** Commands that ended without the device doing them: what a retry sends again. */
export const PROBLEM_STATES = ["failed", "rejected", "expired"] as const;

export function problemsOf(counts: Record<CommandState, number>): number {
  return PROBLEM_STATES.reduce((n, state) => n + (counts[state] ?? 0), 0);
}

/** "Phase 2", or "Phase 2 · Berlin office" when it has a name. */
export function phaseTitle(phase: Pick<RolloutPhase, "index" | "name">): string {
  return phase.name ? `Phase ${phase.index + 1} · ${phase.name}` : `Phase ${phase.index + 1}`;
}

/** "10 %", "25 devices", "the rest". */
export function sizeWords(size: RolloutSize | null): string {
  if (!size) return "the rest";
  return "percent" in size ? `${size.percent} %` : plural(size.count, "device");
}

/** "then waits for approval", "then goes on at 95 % success", "". */
export function gateWords(gate: RolloutGate | null): string {
  if (!gate) return "no gate";
  return "approval" in gate ? "waits for approval" : `goes on at ${gate.successPercent} % succeeded`;
}

/** "10 a minute", "10 a minute, ×2 every 5 min". */
export function rateWords(rate: RolloutRate | null): string {
  if (!rate) return "As fast as the devices take them";
  const base = `${formatCount(rate.perMinute)} a minute`;
  if (!rate.growthFactor || rate.growthFactor === 1) return base;
  return `${base}, ×${rate.growthFactor} every ${rate.growEveryMinutes ?? 1} min`;
}

/** "When 10 % have failed, after 20 executed". */
export function abortWords(abort: RolloutAbort | null): string {
  if (!abort) return "Never: it runs to the end";
  return `When ${abort.failurePercent} % of the executed commands failed, once ${formatCount(abort.minExecuted)} executed`;
}

/**
 * Why a rollout stopped, for its header: "Aborted: 3 of 20 executed commands (15 %) failed …",
 * "Canceled by an admin."; null for a rollout that has not stopped early.
 */
export function reasonWords(rollout: Pick<Rollout, "state" | "reason">): string | null {
  if (rollout.state !== "aborted" && rollout.state !== "canceled") return null;
  const label = ROLLOUT_STATE_LABELS[rollout.state];
  const message = rollout.reason?.message?.trim();
  if (!message) return rollout.state === "canceled" ? "Canceled by an admin." : `${label}.`;
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  const stop = /[.!?…]$/.test(sentence) ? "" : ".";
  // "canceled by robin@example.com" says it already: "Canceled by robin@example.com."
  if (message.toLowerCase().startsWith(label.toLowerCase())) return `${sentence}${stop}`;
  return `${label}: ${sentence}${stop}`;
}
