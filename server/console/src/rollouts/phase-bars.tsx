/**
 * A rollout's progress as bars: each of a phase's devices (or the whole rollout's) in one of
 * five parts, succeeded, failed (refused and expired too), canceled, in flight (queued, sent,
 * accepted) and not released yet. The bar is a progressbar of the finished share; its text
 * equivalent is the counts beside it.
 */
import { formatCount, formatDateTime, plural } from "../format";
import type { CommandState, Rollout, RolloutPhase } from "../types";
import { Badge, Link, type Tone } from "../ui";
import {
  gateWords,
  PHASE_STATE_LABELS,
  PHASE_STATE_TONES,
  phaseTitle,
  problemsOf,
  sizeWords,
} from "./rollout-words";

type Part = "succeeded" | "failed" | "canceled" | "inFlight" | "pending";

const PARTS: readonly { part: Part; label: string; tone: Tone | "pending" }[] = [
  { part: "succeeded", label: "succeeded", tone: "green" },
  { part: "failed", label: "failed", tone: "red" },
  { part: "canceled", label: "canceled", tone: "neutral" },
  { part: "inFlight", label: "in flight", tone: "blue" },
  { part: "pending", label: "not released", tone: "pending" },
];

export type Segments = Record<Part, number>;

export function segmentsOf(counts: Record<CommandState, number>, pending: number): Segments {
  return {
    succeeded: counts.succeeded ?? 0,
    failed: problemsOf(counts),
    canceled: counts.canceled ?? 0,
    inFlight: (counts.queued ?? 0) + (counts.sent ?? 0) + (counts.accepted ?? 0),
    pending: Math.max(0, pending),
  };
}

const totalOf = (s: Segments) => s.succeeded + s.failed + s.canceled + s.inFlight + s.pending;

/** "2 succeeded, 1 failed, 1 in flight, 4 not released" (the parts that are not empty). */
export function segmentWords(s: Segments): string {
  const parts = PARTS.filter(({ part }) => s[part] > 0).map(
    ({ part, label }) => `${formatCount(s[part])} ${label}`,
  );
  return parts.length > 0 ? parts.join(", ") : "no devices";
}

/** The stacked bar; with `legend`, the counts of its parts under it. */
export function SegmentBar(props: { segments: Segments; label: string; legend?: boolean; testId?: string }) {
  const { segments } = props;
  const total = totalOf(segments);
  const finished = segments.succeeded + segments.failed + segments.canceled;
  const percent = total === 0 ? 0 : Math.round((finished / total) * 100);
  return (
    <div class="rollout-bar" data-testid={props.testId}>
      <div
        class="progress"
        role="progressbar"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}% finished: ${segmentWords(segments)}`}
        data-succeeded={segments.succeeded}
        data-failed={segments.failed}
        data-canceled={segments.canceled}
        data-in-flight={segments.inFlight}
        data-pending={segments.pending}
      >
        {total > 0 &&
          PARTS.map(({ part, tone }) =>
            segments[part] > 0 ? (
              <span
                key={part}
                class={`progress-part ${tone === "pending" ? "rollout-part-pending" : `tone-${tone}`}`}
                style={{ width: `${(segments[part] / total) * 100}%` }}
              />
            ) : null,
          )}
      </div>
      {props.legend && (
        <ul class="legend">
          {PARTS.map(({ part, label, tone }) => (
            <li key={part} class={segments[part] ? "" : "is-zero"} data-part={part}>
              <span
                class={`swatch ${tone === "pending" ? "rollout-part-pending" : `tone-${tone}`}`}
                aria-hidden="true"
              />
              {label} <strong>{formatCount(segments[part])}</strong>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The whole rollout's bar, as the list shows it. */
export function RolloutBar(props: { rollout: Rollout; legend?: boolean }) {
  const { rollout } = props;
  return (
    <SegmentBar
      segments={segmentsOf(rollout.counts, rollout.counts.pending ?? 0)}
      label={`Progress of ${rollout.name}`}
      legend={props.legend}
      testId="rollout-bar"
    />
  );
}

/** One phase: its title, state, share and gate, its bar with the counts, its fleet action. */
export function PhaseBar(props: {
  phase: RolloutPhase;
  last: boolean;
  mayOpenFleet: boolean;
  /** A targeted phase's target in words: "group Lobby screens". */
  targetText?: string;
}) {
  const { phase } = props;
  const segments = segmentsOf(phase.counts, phase.pending);
  const title = phaseTitle(phase);
  const share = phase.target ? (props.targetText ?? null) : sizeWords(phase.size);
  return (
    <li
      class={`rollout-phase is-${phase.state}`}
      data-testid="rollout-phase"
      data-phase={phase.index}
      data-state={phase.state}
      aria-label={title}
    >
      <div class="rollout-phase-head">
        <strong>{title}</strong>
        <Badge tone={PHASE_STATE_TONES[phase.state]}>{PHASE_STATE_LABELS[phase.state]}</Badge>
        <span class="muted small">
          {plural(phase.devices, "device")}
          {share ? ` · ${share}` : ""}
          {!props.last ? ` · ${gateWords(phase.gate)}` : ""}
          {phase.skipped > 0 ? ` · ${formatCount(phase.skipped)} skipped (not managed)` : ""}
        </span>
        <span class="rollout-phase-when muted small">
          {phase.finishedAt
            ? `Finished ${formatDateTime(phase.finishedAt)}`
            : phase.startedAt
              ? `Started ${formatDateTime(phase.startedAt)}`
              : ""}
        </span>
      </div>
      <SegmentBar segments={segments} label={`Progress of ${title}`} legend testId="phase-bar" />
      {phase.batchId && props.mayOpenFleet && (
        <p class="rollout-phase-link small">
          <Link
            href={`/fleet/${encodeURIComponent(phase.batchId)}`}
            aria-label={`Show the fleet action of ${title}`}
          >
            Show the fleet action
          </Link>
        </p>
      )}
    </li>
  );
}
