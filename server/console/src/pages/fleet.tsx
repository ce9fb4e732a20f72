/** Fleet actions: recent batches, and one batch's live progress with cancel and the result. */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api";
import { IRREVERSIBLE, RIGHT_OF } from "../device-actions";
import { COMMAND_LABELS, formatCount, formatDateTime, plural } from "../format";
import { useResync, useServerEvents, useThrottled, useTitle } from "../hooks";
import { navigate } from "../router";
import { sinceServerTime, useServerNow } from "../server-clock";
import { useSession } from "../session";
import type { Batch, BatchCommand, Command, Page } from "../types";
import {
  Badge,
  BatchProgress,
  Card,
  CommandReason,
  CommandStateBadge,
  ConfirmDialog,
  EmptyState,
  ErrorNote,
  Link,
  PageHeader,
  Spinner,
} from "../ui";
import "../styles/devices.css";

/** What a retry sends again: the commands that ended without the device doing them. */
const RETRYABLE_STATES = ["failed", "rejected", "expired"] as const;

export function FleetPage(props: { batchId: string | null }) {
  return props.batchId ? <BatchDetails batchId={props.batchId} /> : <BatchList />;
}

function BatchList() {
  useTitle("Fleet actions");
  const { api } = useSession();
  const [batches, setBatches] = useState<Batch[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const now = useServerNow();
  const load = async () => {
    try {
      setBatches((await api.get<Page<Batch>>("/batches?limit=30")).items);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => void load(), []);
  const reload = useThrottled(() => void load(), 1000);
  useResync(reload);
  useServerEvents(["command.updated"], (event) => {
    if ((event.data as { command?: Command }).command?.batchId) reload();
  });
  return (
    <>
      <PageHeader
        title="Fleet actions"
        subtitle="Commands sent to many devices at once. Start one by selecting devices in the devices table."
        actions={
          <Link href="/devices" class="button">
            Select devices
          </Link>
        }
      />
      <ErrorNote error={error} />
      {!batches ? (
        <Spinner />
      ) : batches.length === 0 ? (
        <EmptyState title="No fleet actions yet">
          Select devices in the devices table, then choose an action.
        </EmptyState>
      ) : (
        <div class="batch-list">
          {batches.map((b) => (
            <Link key={b.id} href={`/fleet/${encodeURIComponent(b.id)}`} class="batch-row card">
              <div class="batch-row-head">
                <strong>{COMMAND_LABELS[b.type] ?? b.type}</strong>
                <span class="muted">{plural(b.total, "device")}</span>
                <BatchOutcome batch={b} />
                {b.waitingForWindow > 0 && (
                  <span class="muted small">
                    {formatCount(b.waitingForWindow)} waiting for the maintenance window
                  </span>
                )}
                <span class="muted small batch-when">
                  {sinceServerTime(b.createdAt, now)}
                  {b.createdBy ? ` by ${b.createdBy}` : ""}
                </span>
              </div>
              <BatchProgress
                counts={b.counts}
                total={b.total}
                label={`Progress of ${COMMAND_LABELS[b.type] ?? b.type}`}
              />
            </Link>
          ))}
        </div>
      )}
    </>
  );
}

function BatchOutcome(props: { batch: Batch }) {
  const { counts, done } = props.batch;
  if (!done) return <Badge tone="blue">In progress</Badge>;
  const problems = counts.failed + counts.rejected + counts.expired;
  if (counts.canceled > 0 && problems === 0) return <Badge tone="neutral">Canceled</Badge>;
  return problems > 0 ? <Badge tone="amber">Finished with problems</Badge> : <Badge tone="green">Done</Badge>;
}

function BatchDetails(props: { batchId: string }) {
  const session = useSession();
  const { api } = session;
  const path = `/batches/${encodeURIComponent(props.batchId)}`;
  const [batch, setBatch] = useState<Batch | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [confirmRetry, setConfirmRetry] = useState(false);
  useTitle(batch ? `${COMMAND_LABELS[batch.type]} on ${batch.total} devices` : "Fleet action");

  const load = async () => {
    try {
      setBatch(await api.get<Batch>(path));
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => void load(), [props.batchId]);
  const reload = useThrottled(() => void load(), 250);
  useResync(reload);
  useServerEvents(["command.updated"], (event) => {
    if ((event.data as { command?: Command }).command?.batchId === props.batchId) reload();
  });
  // Events drive the bar; a slow poll covers a stream that is down.
  useEffect(() => {
    if (!batch || batch.done) return;
    const timer = window.setInterval(() => void load(), 3000);
    return () => window.clearInterval(timer);
  }, [batch?.done]);

  if (error instanceof ApiError && error.status === 404) {
    return (
      <EmptyState title="This fleet action does not exist">
        <Link href="/fleet">All fleet actions</Link>
      </EmptyState>
    );
  }
  if (!batch) return error ? <ErrorNote error={error} /> : <Spinner label="Loading the fleet action" />;
  const { counts } = batch;
  const finished = batch.total - counts.queued - counts.sent - counts.accepted;
  const percent = batch.total === 0 ? 100 : Math.round((finished / batch.total) * 100);
  const label = COMMAND_LABELS[batch.type] ?? batch.type;
  const cancelable = counts.queued + counts.sent > 0;
  const retryable = RETRYABLE_STATES.reduce((n, state) => n + counts[state], 0);
  const mayAct = session.can(RIGHT_OF[batch.type]);

  return (
    <>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <Link href="/fleet">Fleet actions</Link> <span aria-hidden="true">/</span> <span>{label}</span>
      </nav>
      <PageHeader
        title={`${label} on ${plural(batch.total, "device")}`}
        subtitle={`Started ${formatDateTime(batch.createdAt)}${batch.createdBy ? ` by ${batch.createdBy}` : ""}${batch.inWindow ? " · only in the maintenance window" : ""}${batch.skipped ? ` · ${plural(batch.skipped, "device")} skipped (not managed)` : ""}`}
        actions={
          mayAct && (
            <>
              {retryable > 0 && (
                <button type="button" class="button" onClick={() => setConfirmRetry(true)}>
                  Retry the failed ones ({formatCount(retryable)})
                </button>
              )}
              {!batch.done && (
                <button
                  type="button"
                  class="button button-danger-outline"
                  disabled={!cancelable}
                  onClick={() => setConfirmCancel(true)}
                >
                  Cancel remaining
                </button>
              )}
            </>
          )
        }
      />
      <Card>
        <div class="batch-summary">
          <p class="big-number" aria-live="polite" data-testid="batch-percent">
            {percent}%{" "}
            <span class="muted">
              finished · {formatCount(finished)} of {formatCount(batch.total)}
            </span>
          </p>
          <BatchOutcome batch={batch} />
        </div>
        <BatchProgress counts={counts} total={batch.total} label={`Progress of ${label}`} />
        <dl class="state-counts">
          {(
            ["queued", "sent", "accepted", "succeeded", "failed", "rejected", "expired", "canceled"] as const
          ).map((state) => (
            <div key={state} class={`state-count ${counts[state] ? "" : "is-zero"}`} data-state={state}>
              <dt>{state}</dt>
              <dd>{formatCount(counts[state])}</dd>
            </div>
          ))}
        </dl>
        {batch.waitingForWindow > 0 && (
          <p class="window-note" role="status" data-testid="batch-waiting-for-window">
            {formatCount(batch.waitingForWindow)} waiting for the maintenance window{" "}
            <span class="muted small">
              (queued until their site's window opens; a window closing stops what has not been received yet)
            </span>
          </p>
        )}
        {batch.done && (
          <p class="result" role="status">
            {resultSentence(batch)}
          </p>
        )}
      </Card>
      {unsuccessfulCount(batch) > 0 && <UnsuccessfulDevices batch={batch} />}
      {confirmRetry && (
        <ConfirmDialog
          title={`Retry ${label.toLowerCase()} on ${plural(retryable, "device")}?`}
          confirmLabel={`Retry on ${plural(retryable, "device")}`}
          danger={IRREVERSIBLE.has(batch.type)}
          typeToConfirm={IRREVERSIBLE.has(batch.type) ? String(retryable) : undefined}
          onClose={() => setConfirmRetry(false)}
          onConfirm={async () => {
            const retry = await api.post<Batch>(`${path}/retry`);
            session.toast(`${label} sent again to ${plural(retry.total, "device")}`, "success");
            navigate(`/fleet/${encodeURIComponent(retry.id)}`);
          }}
        >
          <p>
            A new fleet action sends the same command to the devices where this one failed, was rejected or
            expired. Devices no longer managed are skipped.
          </p>
        </ConfirmDialog>
      )}
      {confirmCancel && (
        <ConfirmDialog
          title="Cancel the rest of this fleet action?"
          confirmLabel="Cancel remaining"
          danger
          onClose={() => setConfirmCancel(false)}
          onConfirm={async () => {
            const result = await api.post<{ canceled: number; batch: Batch }>(`${path}/cancel`);
            setBatch(result.batch);
            session.toast(`${plural(result.canceled, "command")} canceled`, "success");
          }}
        >
          <p>
            Devices that have not received the command yet will not get it. Commands already on their way to
            online devices still run.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

const UNSUCCESSFUL_STATES = ["failed", "rejected", "expired", "canceled"] as const;

function unsuccessfulCount(batch: Batch): number {
  return UNSUCCESSFUL_STATES.reduce((n, state) => n + batch.counts[state], 0);
}

/** The devices where the fleet action failed, was refused, expired or was canceled, and why. */
function UnsuccessfulDevices(props: { batch: Batch }) {
  const { api } = useSession();
  const { batch } = props;
  const count = unsuccessfulCount(batch);
  const [page, setPage] = useState<Page<BatchCommand> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const path = `/batches/${encodeURIComponent(batch.id)}/commands?state=${UNSUCCESSFUL_STATES.join(",")}`;
  // Reloaded as the count grows; a page of 100 shows the first ones, the rest come on request.
  useEffect(() => {
    api.get<Page<BatchCommand>>(`${path}&limit=100`).then(setPage, setError);
  }, [batch.id, count]);
  const more = async () => {
    if (!page?.nextCursor) return;
    try {
      const next = await api.get<Page<BatchCommand>>(
        `${path}&limit=100&cursor=${encodeURIComponent(page.nextCursor)}`,
      );
      setPage({ items: [...page.items, ...next.items], nextCursor: next.nextCursor });
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Card title={`Devices that did not succeed (${formatCount(count)})`} class="card-flush">
      <ErrorNote error={error} />
      {!page ? (
        <Spinner label="Loading the devices that did not succeed" />
      ) : (
        <div class="table-scroll">
          <table class="table" aria-label="Devices that did not succeed">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">State</th>
                <th scope="col">Reason</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((c) => (
                <tr key={c.id} data-device-id={c.deviceId}>
                  <td>
                    <Link href={`/devices/${encodeURIComponent(c.deviceId)}`}>{c.deviceName}</Link>
                  </td>
                  <td>
                    <CommandStateBadge state={c.state} />
                  </td>
                  <td>
                    {c.errorCode || c.errorMessage ? (
                      <CommandReason command={c} />
                    ) : c.state === "canceled" ? (
                      "Canceled by an admin"
                    ) : (
                      "—"
                    )}
                  </td>
                  <td class="muted">{formatDateTime(c.finishedAt ?? c.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.nextCursor && (
            <div class="card-body">
              <button type="button" class="button button-small" onClick={() => void more()}>
                Show more devices
              </button>
            </div>
          )}
        </div>
      )}
    </Card>
  );
}

function resultSentence(batch: Batch): string {
  const c = batch.counts;
  const parts = [`${formatCount(c.succeeded)} succeeded`];
  if (c.failed) parts.push(`${formatCount(c.failed)} failed`);
  if (c.rejected) parts.push(`${formatCount(c.rejected)} rejected`);
  if (c.expired) parts.push(`${formatCount(c.expired)} expired`);
  if (c.canceled) parts.push(`${formatCount(c.canceled)} canceled`);
  return `Finished: ${parts.join(", ")}.`;
}
