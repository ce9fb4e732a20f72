/**
 * Rollouts: a command sent to a target in phases, at a rate, with a gate between phases (a
 * success rate or an admin's approval) and an abort threshold. The list shows each one's state
 * and progress; a rollout's page shows one bar per phase, live from the event stream, and
 * pauses, resumes, cancels, approves the next phase or retries the failed ones. Reading needs
 * what reading fleet actions does; acting needs the right of the command's type.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api";
import { commandWords, targetWords, useCommandTypes, useTargetNames } from "../command-form";
import { IRREVERSIBLE, RIGHT_OF } from "../device-actions";
import { formatCount, formatDateTime, plural } from "../format";
import { useResync, useServerEvents, useThrottled, useTitle } from "../hooks";
import { NewRolloutDialog } from "../rollouts/new-rollout-dialog";
import { PhaseBar, RolloutBar, segmentsOf, segmentWords } from "../rollouts/phase-bars";
import {
  abortWords,
  FINISHED_STATES,
  phaseTitle,
  problemsOf,
  ROLLOUT_STATE_LABELS,
  ROLLOUT_STATE_TONES,
  rateWords,
  reasonWords,
} from "../rollouts/rollout-words";
import { navigate } from "../router";
import { sinceServerTime, useServerNow } from "../server-clock";
import { useSession } from "../session";
import type { Page, Rollout, RolloutPhase, RolloutState } from "../types";
import { Badge, Card, ConfirmDialog, EmptyState, ErrorNote, Link, PageHeader, Spinner } from "../ui";
import { Fact } from "./device-details";
import "../styles/rollouts.css";

const rolloutHref = (rollout: Pick<Rollout, "id">) => `/rollouts/${encodeURIComponent(rollout.id)}`;

const PAGE_SIZE = 50;

export function RolloutStateBadge(props: { state: RolloutState }) {
  return <Badge tone={ROLLOUT_STATE_TONES[props.state]}>{ROLLOUT_STATE_LABELS[props.state]}</Badge>;
}

/** A rollout's event: the view it carries, if it is one. */
const rolloutOf = (data: Record<string, unknown>) => (data as { rollout?: Rollout }).rollout ?? null;

export function RolloutsPage(props: { rolloutId: string | null }) {
  return props.rolloutId ? <RolloutDetails rolloutId={props.rolloutId} /> : <RolloutList />;
}

function RolloutList() {
  useTitle("Rollouts");
  const session = useSession();
  const { api } = session;
  const [items, setItems] = useState<Rollout[] | null>(null);
  const shown = useRef(items);
  shown.current = items;
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const now = useServerNow();
  const mayCreate = useCommandTypes().length > 0;

  const load = async () => {
    try {
      const page = await api.get<Page<Rollout>>(`/rollouts?limit=${PAGE_SIZE}`);
      setItems(page.items);
      setNextCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => void load(), []);
  const reload = useThrottled(() => void load(), 1000);
  useResync(reload);
  // An update of a listed rollout replaces it in place; a new one reloads the first page.
  useServerEvents(["rollout.updated"], (event) => {
    const rollout = rolloutOf(event.data);
    if (!rollout) return;
    if (!shown.current?.some((r) => r.id === rollout.id)) {
      reload();
      return;
    }
    setItems((list) => list?.map((r) => (r.id === rollout.id ? rollout : r)) ?? list);
  });
  const more = async () => {
    if (!nextCursor) return;
    try {
      const page = await api.get<Page<Rollout>>(
        `/rollouts?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(nextCursor)}`,
      );
      setItems((list) => [...(list ?? []), ...page.items.filter((r) => !list?.some((o) => o.id === r.id))]);
      setNextCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <PageHeader
        title="Rollouts"
        subtitle="A command sent in phases, at a pace, stopping at a gate or when too many fail"
        actions={
          mayCreate && (
            <button type="button" class="button button-primary" onClick={() => setCreating(true)}>
              New rollout
            </button>
          )
        }
      />
      <ErrorNote error={error} />
      {!items ? (
        !error && <Spinner label="Loading rollouts" />
      ) : items.length === 0 ? (
        <EmptyState title="No rollouts yet">
          {mayCreate
            ? "Start one to send a command to a few devices first, then to the rest once it works."
            : "An admin with the right of a command can roll it out."}
        </EmptyState>
      ) : (
        <div class="table-card">
          <div class="table-scroll">
            <table class="table" aria-label="Rollouts">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Command</th>
                  <th scope="col">State</th>
                  <th scope="col" class="rollout-col-progress">
                    Progress
                  </th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {items.map((rollout) => (
                  <tr key={rollout.id} data-rollout-id={rollout.id}>
                    <td>
                      <Link href={rolloutHref(rollout)}>
                        <strong>{rollout.name}</strong>
                      </Link>
                    </td>
                    <td>{commandWords(rollout.command)}</td>
                    <td>
                      <RolloutStateBadge state={rollout.state} />
                      {rollout.state !== "completed" && rollout.phases.length > 1 && (
                        <span class="muted small rollout-list-phase">
                          {" "}
                          phase {Math.min(rollout.currentPhase + 1, rollout.phases.length)} of{" "}
                          {rollout.phases.length}
                        </span>
                      )}
                    </td>
                    <td class="rollout-col-progress">
                      <RolloutBar rollout={rollout} />
                      <span class="muted small">
                        {formatCount(rollout.counts.succeeded)} of {plural(rollout.devices, "device")}{" "}
                        succeeded
                      </span>
                    </td>
                    <td class="small">
                      {sinceServerTime(rollout.createdAt, now)}
                      {rollout.createdBy ? ` by ${rollout.createdBy}` : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {nextCursor && (
            <div class="card-body">
              <button type="button" class="button button-small" onClick={() => void more()}>
                Show more rollouts
              </button>
            </div>
          )}
        </div>
      )}
      {creating && (
        <NewRolloutDialog
          onClose={() => setCreating(false)}
          onSaved={(rollout) => {
            setCreating(false);
            session.toast(`Rollout ${rollout.name} started`, "success");
            navigate(rolloutHref(rollout));
          }}
        />
      )}
    </>
  );
}

type Confirming = "cancel" | "retry" | null;

/**
 * A phase waiting for approval, as far as it got: an approval gate holds the next phase from
 * the moment the phase has released every device, so its commands may still be running.
 */
function waitingWords(phase: RolloutPhase): string {
  const segments = segmentsOf(phase.counts, phase.pending);
  const title = phaseTitle(phase);
  return segments.inFlight > 0
    ? `${title} has sent every command: ${segmentWords(segments)}.`
    : `${title} is done: ${segmentWords(segments)}.`;
}

function RolloutDetails(props: { rolloutId: string }) {
  const session = useSession();
  const { api } = session;
  const path = `/rollouts/${encodeURIComponent(props.rolloutId)}`;
  const [rollout, setRollout] = useState<Rollout | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const names = useTargetNames();
  useTitle(rollout?.name ?? "Rollout");

  const load = async () => {
    try {
      setRollout(await api.get<Rollout>(path));
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    setRollout(null);
    void load();
  }, [props.rolloutId]);
  // The events carry the whole view: the bars follow them; a reconnect reloads what was missed.
  useResync(() => void load());
  useServerEvents(["rollout.updated"], (event) => {
    const next = rolloutOf(event.data);
    if (next?.id !== props.rolloutId) return;
    setRollout((shown) => (shown && shown.updatedAt > next.updatedAt ? shown : next));
  });

  if (error instanceof ApiError && error.status === 404) {
    return (
      <EmptyState title="This rollout does not exist">
        <Link href="/rollouts">All rollouts</Link>
      </EmptyState>
    );
  }
  if (!rollout) return error ? <ErrorNote error={error} /> : <Spinner label="Loading the rollout" />;

  const act = async (verb: "pause" | "resume" | "approve", done: string) => {
    if (busy) return;
    setBusy(true);
    try {
      setRollout(await api.post<Rollout>(`${path}/${verb}`));
      session.toast(done, "success");
    } catch (err) {
      session.toast(err instanceof Error ? err.message : String(err), "error");
      void load();
    } finally {
      setBusy(false);
    }
  };

  const mayAct = session.can(RIGHT_OF[rollout.type]);
  const finished = FINISHED_STATES.has(rollout.state);
  const retryable = problemsOf(rollout.counts);
  const reason = reasonWords(rollout);
  const waiting = rollout.phases.find((p) => p.state === "waiting_approval");
  const next = waiting ? rollout.phases[waiting.index + 1] : undefined;
  const label = commandWords(rollout.command);
  const mayOpenFleet = session.mayOpen("/fleet");

  return (
    <>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <Link href="/rollouts">Rollouts</Link> <span aria-hidden="true">/</span> <span>{rollout.name}</span>
      </nav>
      <PageHeader
        title={rollout.name}
        subtitle={
          <>
            {label} · {rollout.target ? `${targetWords(rollout.target, names)} · ` : ""}
            {plural(rollout.devices, "device")}
            {rollout.skipped ? ` (${formatCount(rollout.skipped)} skipped, not managed)` : ""} · started{" "}
            {formatDateTime(rollout.createdAt)}
            {rollout.createdBy ? ` by ${rollout.createdBy}` : ""}
          </>
        }
        actions={
          mayAct && (
            <>
              {rollout.state === "waiting_approval" && (
                <button
                  type="button"
                  class="button button-primary"
                  disabled={busy}
                  onClick={() =>
                    void act("approve", next ? `${phaseTitle(next)} of ${rollout.name} started` : "Approved")
                  }
                >
                  Approve next phase
                </button>
              )}
              {(rollout.state === "running" || rollout.state === "waiting_approval") && (
                <button
                  type="button"
                  class="button"
                  disabled={busy}
                  onClick={() => void act("pause", `Rollout ${rollout.name} paused`)}
                >
                  Pause
                </button>
              )}
              {rollout.state === "paused" && (
                <button
                  type="button"
                  class="button"
                  disabled={busy}
                  onClick={() => void act("resume", `Rollout ${rollout.name} resumed`)}
                >
                  Resume
                </button>
              )}
              {finished && retryable > 0 && (
                <button type="button" class="button" onClick={() => setConfirming("retry")}>
                  Retry failed ({formatCount(retryable)})
                </button>
              )}
              {!finished && (
                <button
                  type="button"
                  class="button button-danger-outline"
                  onClick={() => setConfirming("cancel")}
                >
                  Cancel rollout
                </button>
              )}
            </>
          )
        }
      />
      <Card>
        <div class="batch-summary">
          <p class="big-number" aria-live="polite" data-testid="rollout-summary">
            {formatCount(rollout.counts.succeeded)}{" "}
            <span class="muted">of {plural(rollout.devices, "device")} succeeded</span>
          </p>
          <span data-testid="rollout-state">
            <RolloutStateBadge state={rollout.state} />
          </span>
        </div>
        {reason && (
          <p class={`rollout-reason ${rollout.state === "aborted" ? "is-aborted" : ""}`} role="status">
            {reason}
          </p>
        )}
        {waiting && (
          <p class="rollout-reason is-waiting" role="status">
            {waitingWords(waiting)} {next ? `${phaseTitle(next)} starts once an admin approves it.` : ""}
          </p>
        )}
        {rollout.state === "paused" && (
          <p class="rollout-reason" role="status">
            Paused: no command goes out until it is resumed. Those already sent still run.
          </p>
        )}
        <RolloutBar rollout={rollout} legend />
      </Card>
      <Card title="Phases">
        <ol class="rollout-phases-list" aria-label="Phases">
          {rollout.phases.map((phase) => (
            <PhaseBar
              key={phase.index}
              phase={phase}
              last={phase.index === rollout.phases.length - 1}
              mayOpenFleet={mayOpenFleet}
              targetText={phase.target ? targetWords(phase.target, names) : undefined}
            />
          ))}
        </ol>
      </Card>
      <Card title="Settings">
        <dl class="facts">
          <Fact label="Command" value={label} />
          {rollout.target !== null && <Fact label="Target" value={targetWords(rollout.target, names)} />}
          <Fact label="Pace" value={rateWords(rollout.rate)} />
          <Fact label="Aborts" value={abortWords(rollout.abort)} />
          {rollout.retryOf && (
            <Fact
              label="Retry of"
              value={<Link href={rolloutHref({ id: rollout.retryOf })}>the rollout it retries</Link>}
            />
          )}
          {rollout.finishedAt && <Fact label="Finished" value={formatDateTime(rollout.finishedAt)} />}
        </dl>
      </Card>
      {confirming === "cancel" && (
        <ConfirmDialog
          title={`Cancel the rollout ${rollout.name}?`}
          confirmLabel="Cancel rollout"
          danger
          onClose={() => setConfirming(null)}
          onConfirm={async () => {
            setRollout(await api.post<Rollout>(`${path}/cancel`));
            session.toast(`Rollout ${rollout.name} canceled`, "success");
          }}
        >
          <p>
            No further phase starts, and devices that have not received the command yet will not get it.
            Commands already on their way to online devices still run.
          </p>
        </ConfirmDialog>
      )}
      {confirming === "retry" && (
        <ConfirmDialog
          title={`Retry ${rollout.name} on ${plural(retryable, "device")}?`}
          confirmLabel={`Retry on ${plural(retryable, "device")}`}
          danger={IRREVERSIBLE.has(rollout.type)}
          typeToConfirm={IRREVERSIBLE.has(rollout.type) ? String(retryable) : undefined}
          onClose={() => setConfirming(null)}
          onConfirm={async () => {
            const retry = await api.post<Rollout>(`${path}/retry`);
            session.toast(`Rollout ${retry.name} started`, "success");
            navigate(rolloutHref(retry));
          }}
        >
          <p>
            A new rollout, with the same phases, gates, pace and abort threshold, sends the command again to
            the devices where it failed, was rejected or expired. Devices no longer managed are skipped.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
