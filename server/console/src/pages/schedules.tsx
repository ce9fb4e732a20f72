/**
 * Scheduled commands: a command for a target that runs once at a time or recurs (a cron
 * expression read in an IANA zone). The list shows when each runs next and how it went; a
 * schedule's page shows its runs, each with the fleet command it started. Creating, editing,
 * pausing, resuming and deleting one needs the right of its command's type; all of it is live.
 * One dialog creates a schedule and edits one (PATCH /schedules/:id, with what changed).
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api";
import {
  commandWords,
  type TargetNames,
  targetWords,
  useCommandPicker,
  useCommandTypes,
  useTargetNames,
  useTargetPicker,
} from "../command-form";
import { RIGHT_OF } from "../device-actions";
import { errorOfField, fieldOfError, formError } from "../form-errors";
import { formatCount, formatDateTime, plural } from "../format";
import { useResync, useServerEvents, useThrottled, useTitle } from "../hooks";
import { navigate } from "../router";
import { useSession } from "../session";
import { zoneLabel, zoneNamed } from "../time-zones";
import type { MissedRuns, Schedule, ScheduleRun, ScheduleState, TimeZone } from "../types";
import {
  Badge,
  Card,
  ConfirmDialog,
  Dialog,
  EmptyState,
  ErrorNote,
  Field,
  Link,
  Menu,
  type MenuItem,
  PageHeader,
  Spinner,
  type Tone,
} from "../ui";
import { useList } from "./admins";
import { Fact } from "./device-details";
import { Choice } from "./time-settings";
import "../styles/schedules.css";

const scheduleHref = (schedule: Pick<Schedule, "id">) => `/schedules/${encodeURIComponent(schedule.id)}`;

const STATE_TONES: Record<ScheduleState, Tone> = { active: "green", paused: "amber", finished: "neutral" };

const MISSED_WORDS: Record<MissedRuns, string> = {
  skip: "Skip it and wait for the next run",
  run_late: "Run it late, once",
};

/** What the API does with a missed run when the schedule does not say. */
const DEFAULT_MISSED: Record<Schedule["kind"], MissedRuns> = { once: "run_late", cron: "skip" };

/** The zone the browser runs in: what a recurring schedule is read in unless another is picked. */
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

function ScheduleStateBadge(props: { state: ScheduleState }) {
  return <Badge tone={STATE_TONES[props.state]}>{props.state}</Badge>;
}

/** "Once at 3 Dec 2026, 18:00:00" or "cron `0 3 * * 0` in Europe/Berlin". */
function WhenWords(props: { schedule: Schedule }) {
  const { schedule } = props;
  if (schedule.kind === "once") return <>Once at {formatDateTime(schedule.at)}</>;
  return (
    <>
      cron <code class="mono">{schedule.cron}</code> in {schedule.timezone}
    </>
  );
}

/** Editing, pausing, resuming and deleting a schedule, and the dialogs they open. */
function useScheduleActions(names: TargetNames, onChanged: () => void, onDeleted: () => void) {
  const session = useSession();
  const [deleting, setDeleting] = useState<Schedule | null>(null);
  const [editing, setEditing] = useState<Schedule | null>(null);

  const setPaused = async (schedule: Schedule, paused: boolean) => {
    try {
      await session.api.post<Schedule>(`${scheduleHref(schedule)}/${paused ? "pause" : "resume"}`);
      session.toast(`Schedule ${schedule.name} ${paused ? "paused" : "resumed"}`, "success");
      onChanged();
    } catch (err) {
      session.toast(err instanceof Error ? err.message : String(err), "error");
    }
  };

  const items = (schedule: Schedule): (MenuItem | "separator")[] => {
    const right = RIGHT_OF[schedule.command.type];
    const allowed = session.can(right);
    const reason = `Needs the ${right} right`;
    const toggle: MenuItem =
      schedule.state === "paused"
        ? { label: "Resume", onSelect: () => void setPaused(schedule, false) }
        : { label: "Pause", onSelect: () => void setPaused(schedule, true) };
    return [
      { label: "Edit…", disabled: !allowed, reason, onSelect: () => setEditing(schedule) },
      {
        ...toggle,
        disabled: !allowed || schedule.state === "finished",
        reason: allowed ? "It has no run left" : reason,
      },
      "separator",
      { label: "Delete", danger: true, disabled: !allowed, reason, onSelect: () => setDeleting(schedule) },
    ];
  };

  const editDialog = editing && (
    <ScheduleDialog
      schedule={editing}
      targetText={targetWords(editing.target, names)}
      onClose={() => setEditing(null)}
      onSaved={(saved) => {
        setEditing(null);
        session.toast(`Schedule ${saved.name} saved · ${nextRunWords(saved)}`, "success");
        onChanged();
      }}
    />
  );

  const deleteDialog = deleting && (
    <ConfirmDialog
      title={`Delete the schedule ${deleting.name}?`}
      confirmLabel="Delete schedule"
      danger
      onClose={() => setDeleting(null)}
      onConfirm={async () => {
        await session.api.delete(scheduleHref(deleting));
        session.toast(`Schedule ${deleting.name} deleted`, "success");
        onDeleted();
      }}
    >
      <p>
        It runs nothing from now on.{" "}
        {deleting.runs > 0 && `The fleet actions it started (${formatCount(deleting.runs)}) stay.`}
      </p>
    </ConfirmDialog>
  );

  const dialog = (
    <>
      {editDialog}
      {deleteDialog}
    </>
  );

  return { items, setPaused, setDeleting, setEditing, dialog };
}

/** "next run 3 Dec 2026, 03:00:00", or that none is left. */
function nextRunWords(schedule: Schedule): string {
  if (schedule.state === "finished" || !schedule.nextRunAt) return "it has no run left";
  return `next run ${formatDateTime(schedule.nextRunAt)}${schedule.state === "paused" ? " (paused)" : ""}`;
}

export function SchedulesPage() {
  useTitle("Schedules");
  const session = useSession();
  const schedules = useList<Schedule>("/schedules?limit=500");
  const names = useTargetNames();
  const [creating, setCreating] = useState(false);
  const reload = useThrottled(() => void schedules.reload(), 1000);
  useServerEvents(["schedule.updated", "schedule.deleted"], reload);
  useResync(reload);
  const actions = useScheduleActions(names, reload, reload);
  const mayCreate = useCommandTypes().length > 0;

  return (
    <>
      <PageHeader
        title="Schedules"
        subtitle="Commands that run at a time or recur, each run a fleet action to its target as it is then"
        actions={
          mayCreate && (
            <button type="button" class="button button-primary" onClick={() => setCreating(true)}>
              New schedule
            </button>
          )
        }
      />
      <ErrorNote error={schedules.error} />
      {!schedules.items ? (
        !schedules.error && <Spinner label="Loading schedules" />
      ) : schedules.items.length === 0 ? (
        <EmptyState title="No schedules yet">
          {mayCreate
            ? "Create one to lock, reboot or refresh devices at a time, once or on a recurring schedule."
            : "An admin with the right of a command can schedule it."}
        </EmptyState>
      ) : (
        <div class="table-card">
          <div class="table-scroll">
            <table class="table" aria-label="Schedules">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Command</th>
                  <th scope="col">Target</th>
                  <th scope="col">When</th>
                  <th scope="col">Next run</th>
                  <th scope="col">State</th>
                  <th scope="col" class="num">
                    Runs
                  </th>
                  <th scope="col">Last run</th>
                  <th scope="col" class="col-menu">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {schedules.items.map((schedule) => (
                  <tr key={schedule.id} data-schedule-id={schedule.id}>
                    <td>
                      <Link href={scheduleHref(schedule)}>
                        <strong>{schedule.name}</strong>
                      </Link>
                    </td>
                    <td>{commandWords(schedule.command)}</td>
                    <td class="small">{targetWords(schedule.target, names)}</td>
                    <td class="small">
                      <WhenWords schedule={schedule} />
                    </td>
                    <td data-testid="schedule-next-run">
                      {schedule.nextRunAt ? formatDateTime(schedule.nextRunAt) : <span class="muted">—</span>}
                    </td>
                    <td>
                      <ScheduleStateBadge state={schedule.state} />
                    </td>
                    <td class="num">
                      <Link
                        href={scheduleHref(schedule)}
                        aria-label={`${plural(schedule.runs, "run")} of ${schedule.name}`}
                      >
                        {formatCount(schedule.runs)}
                      </Link>
                    </td>
                    <td>
                      {schedule.lastRunAt ? (
                        formatDateTime(schedule.lastRunAt)
                      ) : (
                        <span class="muted">never</span>
                      )}
                    </td>
                    <td class="col-menu">
                      <Menu label={`Actions for ${schedule.name}`} items={actions.items(schedule)} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {creating && (
        <ScheduleDialog
          onClose={() => setCreating(false)}
          onSaved={(schedule) => {
            setCreating(false);
            void schedules.reload();
            session.toast(`Schedule ${schedule.name} created`, "success");
          }}
        />
      )}
      {actions.dialog}
    </>
  );
}

const RUN_TONES: Record<ScheduleRun["outcome"], Tone> = { started: "green", skipped: "amber", failed: "red" };

export function ScheduleDetailsPage(props: { scheduleId: string }) {
  const session = useSession();
  const { api } = session;
  const path = `/schedules/${encodeURIComponent(props.scheduleId)}`;
  const [schedule, setSchedule] = useState<Schedule | null>(null);
  const [runs, setRuns] = useState<ScheduleRun[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [deleted, setDeleted] = useState(false);
  const names = useTargetNames();
  useTitle(schedule?.name ?? "Schedule");

  const load = async () => {
    try {
      const [s, r] = await Promise.all([
        api.get<Schedule>(path),
        api.get<{ items: ScheduleRun[] }>(`${path}/runs?limit=100`),
      ]);
      setSchedule(s);
      setRuns(r.items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    setSchedule(null);
    setRuns(null);
    setDeleted(false);
    void load();
  }, [props.scheduleId]);
  const reload = useThrottled(() => void load(), 1000);
  useResync(reload);
  useServerEvents(["schedule.updated", "schedule.deleted"], (event) => {
    const data = event.data as { schedule?: Schedule; scheduleId?: string };
    if (event.type === "schedule.deleted") {
      if (data.scheduleId === props.scheduleId) setDeleted(true);
      return;
    }
    if (data.schedule?.id !== props.scheduleId) return;
    setSchedule(data.schedule);
    reload();
  });
  const actions = useScheduleActions(names, reload, () => navigate("/schedules"));

  if (deleted || (error instanceof ApiError && error.status === 404)) {
    return (
      <EmptyState title={deleted ? "This schedule was deleted" : "This schedule does not exist"}>
        Fleet actions it started stay. <Link href="/schedules">Back to schedules</Link>
      </EmptyState>
    );
  }
  if (!schedule) return error ? <ErrorNote error={error} /> : <Spinner label="Loading the schedule" />;
  const right = RIGHT_OF[schedule.command.type];
  const mayChange = session.can(right);

  return (
    <>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <Link href="/schedules">Schedules</Link> <span aria-hidden="true">/</span>{" "}
        <span>{schedule.name}</span>
      </nav>
      <PageHeader
        title={schedule.name}
        subtitle={
          <>
            {commandWords(schedule.command)} · {targetWords(schedule.target, names)} ·{" "}
            <WhenWords schedule={schedule} />
          </>
        }
        actions={
          mayChange && (
            <>
              <button type="button" class="button" onClick={() => actions.setEditing(schedule)}>
                Edit schedule
              </button>
              {schedule.state !== "finished" && (
                <button
                  type="button"
                  class="button"
                  onClick={() => void actions.setPaused(schedule, schedule.state !== "paused")}
                >
                  {schedule.state === "paused" ? "Resume" : "Pause"}
                </button>
              )}
              <button
                type="button"
                class="button button-danger-outline"
                onClick={() => actions.setDeleting(schedule)}
              >
                Delete schedule
              </button>
            </>
          )
        }
      />
      <ErrorNote error={error} />
      <Card title="Schedule">
        <dl class="facts">
          <Fact label="State" value={<ScheduleStateBadge state={schedule.state} />} />
          <Fact
            label="Next run"
            value={<span data-testid="schedule-next-run">{formatDateTime(schedule.nextRunAt)}</span>}
          />
          {schedule.upcoming.length > 1 && (
            <Fact
              label="Then"
              value={schedule.upcoming
                .slice(1)
                .map((at) => formatDateTime(at))
                .join(" · ")}
            />
          )}
          {schedule.startsAt && <Fact label="Not before" value={formatDateTime(schedule.startsAt)} />}
          {schedule.endsAt && <Fact label="Not after" value={formatDateTime(schedule.endsAt)} />}
          <Fact label="A missed run" value={MISSED_WORDS[schedule.missedRuns]} />
          <Fact label="Runs" value={formatCount(schedule.runs)} />
          <Fact
            label="Created"
            value={`${formatDateTime(schedule.createdAt)} by ${schedule.createdBy ?? "—"}`}
          />
        </dl>
      </Card>
      <Card title="Runs">
        {!runs ? (
          <Spinner label="Loading the runs" />
        ) : runs.length === 0 ? (
          <EmptyState title="No runs yet">
            {schedule.nextRunAt ? `The first is due ${formatDateTime(schedule.nextRunAt)}.` : "None is due."}
          </EmptyState>
        ) : (
          <div class="table-scroll">
            <table class="table" aria-label="Runs">
              <thead>
                <tr>
                  <th scope="col">Due at</th>
                  <th scope="col">Ran at</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Fleet action</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((run) => (
                  <tr key={run.dueAt}>
                    <td>{formatDateTime(run.dueAt)}</td>
                    <td>{formatDateTime(run.ranAt)}</td>
                    <td>
                      <Badge tone={RUN_TONES[run.outcome]}>{run.outcome}</Badge>
                    </td>
                    <td>
                      {run.batchId ? (
                        <Link href={`/fleet/${encodeURIComponent(run.batchId)}`}>Show the fleet action</Link>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                    <td class="small">{run.message ?? <span class="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {actions.dialog}
    </>
  );
}

/** `YYYY-MM-DDTHH:mm` of a datetime-local input: this time in the browser's zone. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The next full hour, for a new one-off schedule. */
function nextHourLocal(): string {
  const d = new Date();
  d.setHours(d.getHours() + 1, 0, 0, 0);
  return localInput(d.getTime());
}

/** A datetime-local value as an ISO time; null when empty, NaN-free only when it is a time. */
const isoOf = (local: string) => (local ? new Date(local).toISOString() : null);
const isTime = (local: string) => !Number.isNaN(new Date(local).getTime());

/** A select of the server's zones, by name; the value may be an old name of one. */
function ZoneSelect(props: {
  id: string;
  zones: readonly TimeZone[] | null;
  value: string;
  onChange: (zone: string) => void;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
}) {
  const current = props.zones ? zoneNamed(props.zones, props.value) : undefined;
  const value = current?.name ?? props.value;
  return (
    <select
      id={props.id}
      class="input"
      value={value}
      aria-describedby={props["aria-describedby"]}
      aria-invalid={props["aria-invalid"]}
      onChange={(e) => props.onChange(e.currentTarget.value)}
    >
      {!current && <option value={value}>{props.zones ? value : "Loading…"}</option>}
      {props.zones?.map((z) => (
        <option key={z.name} value={z.name}>
          {zoneLabel(z)}
        </option>
      ))}
    </select>
  );
}

/** A schedule's timing as the form holds it; a new schedule's defaults without one. */
function formOf(schedule: Schedule | undefined) {
  const form = {
    name: "",
    kind: "once" as Schedule["kind"],
    at: nextHourLocal(),
    cron: "",
    zone: browserZone(),
    startsAt: "",
    endsAt: "",
    missed: null as MissedRuns | null,
  };
  if (!schedule) return form;
  form.name = schedule.name;
  form.kind = schedule.kind;
  if (schedule.at) form.at = localInput(Date.parse(schedule.at));
  form.cron = schedule.cron ?? "";
  // A one-off schedule's zone is UTC unless given: a new cron is read in the browser's by default.
  if (schedule.kind === "cron") form.zone = schedule.timezone;
  if (schedule.startsAt) form.startsAt = localInput(Date.parse(schedule.startsAt));
  if (schedule.endsAt) form.endsAt = localInput(Date.parse(schedule.endsAt));
  form.missed = schedule.missedRuns;
  return form;
}

/** A datetime-local input with a button that empties it. */
function OptionalTime(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
}) {
  return (
    <span class="optional-time">
      <input
        id={props.id}
        class="input"
        type="datetime-local"
        value={props.value}
        aria-describedby={props["aria-describedby"]}
        aria-invalid={props["aria-invalid"]}
        onInput={(e) => props.onChange(e.currentTarget.value)}
      />
      {props.value && (
        <button
          type="button"
          class="button button-small button-ghost"
          aria-label={`Clear ${props.label}`}
          onClick={() => props.onChange("")}
        >
          Clear
        </button>
      )}
    </span>
  );
}

/**
 * A new schedule, or (with `schedule`) one edited: the same fields, the command's type fixed.
 * An edit sends only what changed (PATCH /schedules/:id); the server works the next run out again.
 */
function ScheduleDialog(props: {
  /** The schedule edited; none for a new one. */
  schedule?: Schedule;
  /** The edited schedule's target in words, for one the form cannot show as a choice. */
  targetText?: string;
  onClose: () => void;
  onSaved: (schedule: Schedule) => void;
}) {
  const session = useSession();
  const editing = props.schedule;
  const [initial] = useState(() => formOf(editing));
  const [name, setName] = useState(initial.name);
  const [kind, setKind] = useState<Schedule["kind"]>(initial.kind);
  const [at, setAt] = useState(initial.at);
  const [cron, setCron] = useState(initial.cron);
  const [zone, setZone] = useState(initial.zone);
  const [startsAt, setStartsAt] = useState(initial.startsAt);
  const [endsAt, setEndsAt] = useState(initial.endsAt);
  const [missed, setMissed] = useState<MissedRuns | null>(initial.missed);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const picked = useCommandPicker({
    name: "schedule",
    error,
    onError: setError,
    initial: editing?.command,
    typeHint: editing ? "A schedule keeps its command; create another schedule for another one." : undefined,
    windowNote: "each run waits for each device's site's window",
  });
  const target = useTargetPicker({
    name: "schedule",
    legend: "Devices it goes to when it runs",
    when: "at the time",
    error,
    initial: editing?.target,
    keptText: props.targetText ?? "The target the schedule has now.",
  });
  const { zones } = picked;
  // A refusal about a field no longer holds once the form changes.
  const picks = [JSON.stringify(picked.command), JSON.stringify(target.target), target.fields.join()];
  useEffect(
    () => setError((current: unknown) => (fieldOfError(current) !== null ? null : current)),
    [name, ...picks, kind, at, cron, zone, startsAt, endsAt, missed],
  );

  const missedRuns = missed ?? DEFAULT_MISSED[kind];
  // Kept with the command: its TTL.
  const command = picked.command && {
    ...picked.command,
    ...(editing?.command.ttlSeconds !== undefined ? { ttlSeconds: editing.command.ttlSeconds } : {}),
  };
  const endsBeforeStart =
    kind === "cron" && startsAt && endsAt && isTime(startsAt) && isTime(endsAt) && endsAt <= startsAt;
  const invalid =
    !name.trim() ||
    !target.target ||
    !command ||
    (kind === "once"
      ? !at || !isTime(at)
      : !cron.trim() ||
        !zone ||
        (startsAt !== "" && !isTime(startsAt)) ||
        (endsAt !== "" && !isTime(endsAt)) ||
        Boolean(endsBeforeStart));

  /** What an edit changes, as PATCH /schedules/:id takes it. */
  const changes = (schedule: Schedule): Record<string, unknown> => {
    const patch: Record<string, unknown> = {};
    if (name.trim() !== schedule.name) patch.name = name.trim();
    if (picked.changed) patch.command = command;
    if (target.changed) patch.target = target.target;
    if (kind === "once") {
      if (kind !== schedule.kind || at !== initial.at) patch.at = isoOf(at);
    } else {
      if (kind !== schedule.kind || cron.trim() !== initial.cron) {
        patch.cron = cron.trim();
        patch.timezone = zone;
      } else if (zone !== initial.zone) patch.timezone = zone;
      if (startsAt !== initial.startsAt) patch.startsAt = isoOf(startsAt);
      if (endsAt !== initial.endsAt) patch.endsAt = isoOf(endsAt);
    }
    if (missedRuns !== schedule.missedRuns) patch.missedRuns = missedRuns;
    return patch;
  };
  const patch = editing ? changes(editing) : null;
  const unchanged = patch !== null && Object.keys(patch).length === 0;

  const save = async () => {
    if (invalid || busy || unchanged) return;
    setBusy(true);
    setError(null);
    try {
      const saved = editing
        ? await session.api.patch<Schedule>(scheduleHref(editing), patch)
        : await session.api.post<Schedule>("/schedules", {
            name: name.trim(),
            command,
            target: target.target,
            ...(kind === "once"
              ? { at: isoOf(at) }
              : {
                  cron: cron.trim(),
                  timezone: zone,
                  ...(startsAt ? { startsAt: isoOf(startsAt) } : {}),
                  ...(endsAt ? { endsAt: isoOf(endsAt) } : {}),
                }),
            missedRuns,
          });
      props.onSaved(saved);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  /** The fields this form shows now, as the API names them in a refusal. */
  const shownFields = [
    "name",
    ...picked.fields,
    "missedRuns",
    ...target.fields,
    ...(kind === "once" ? ["at"] : ["cron", "timezone", "startsAt", "endsAt"]),
  ];
  const inYourZone = `In your browser's time zone, ${browserZone()}.`;

  return (
    <Dialog
      title={editing ? `Edit schedule ${editing.name}` : "New schedule"}
      wide
      onClose={props.onClose}
      onSubmit={() => void save()}
      footer={
        <>
          {unchanged && <span class="muted small">Nothing changed yet</span>}
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy || invalid || unchanged}>
            {busy ? "Saving…" : editing ? "Save changes" : "Create schedule"}
          </button>
        </>
      }
    >
      <div class="schedule-form">
        <Field label="Schedule name" error={errorOfField(error, "name")}>
          {(id) => (
            <input
              id={id}
              class="input"
              maxLength={80}
              placeholder="e.g. Reboot the lobby on Sundays"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          )}
        </Field>
        {picked.view}
        {target.view}
        <fieldset class="choices">
          <legend class="field-label">When it runs</legend>
          <Choice
            name="schedule-when"
            mode="once"
            current={kind}
            onSelect={setKind}
            title="Once"
            text="At a date and time."
          >
            {kind === "once" && (
              <Field label="Date and time" hint={inYourZone} error={errorOfField(error, "at")}>
                {(id) => (
                  <input
                    id={id}
                    class="input"
                    type="datetime-local"
                    value={at}
                    onInput={(e) => setAt(e.currentTarget.value)}
                  />
                )}
              </Field>
            )}
          </Choice>
          <Choice
            name="schedule-when"
            mode="cron"
            current={kind}
            onSelect={setKind}
            title="Recurring"
            text="Minute, hour, day, month and weekday, read in a zone of your choice."
          >
            {kind === "cron" && (
              <>
                <Field
                  label="Cron expression"
                  hint="minute hour day-of-month month day-of-week, e.g. 0 3 * * 0 for Sundays at 03:00"
                  error={errorOfField(error, "cron")}
                >
                  {(id) => (
                    <input
                      id={id}
                      class="input mono"
                      maxLength={120}
                      placeholder="0 3 * * 0"
                      spellcheck={false}
                      value={cron}
                      onInput={(e) => setCron(e.currentTarget.value)}
                    />
                  )}
                </Field>
                <Field label="Time zone" error={errorOfField(error, "timezone")}>
                  {(id) => <ZoneSelect id={id} zones={zones} value={zone} onChange={setZone} />}
                </Field>
                <div class="schedule-span">
                  <Field
                    label="Not before"
                    hint={`Optional: no run before this. ${inYourZone}`}
                    error={errorOfField(error, "startsAt")}
                  >
                    {(id) => (
                      <OptionalTime id={id} label="Not before" value={startsAt} onChange={setStartsAt} />
                    )}
                  </Field>
                  <Field
                    label="Not after"
                    hint={`Optional: no run after this. ${inYourZone}`}
                    error={endsBeforeStart ? "It ends before it starts." : errorOfField(error, "endsAt")}
                  >
                    {(id) => <OptionalTime id={id} label="Not after" value={endsAt} onChange={setEndsAt} />}
                  </Field>
                </div>
              </>
            )}
          </Choice>
        </fieldset>
        <Field
          label="A missed run"
          hint={`Late by more than 10 minutes, as when no server was up. Default for ${
            kind === "once" ? "a one-off schedule" : "a recurring schedule"
          }: ${MISSED_WORDS[DEFAULT_MISSED[kind]].toLowerCase()}.`}
          error={errorOfField(error, "missedRuns")}
        >
          {(id) => (
            <select
              id={id}
              class="input"
              value={missedRuns}
              onChange={(e) => setMissed(e.currentTarget.value as MissedRuns)}
            >
              <option value="skip">{MISSED_WORDS.skip}</option>
              <option value="run_late">{MISSED_WORDS.run_late}</option>
            </select>
          )}
        </Field>
      </div>
      <ErrorNote error={formError(error, shownFields)} />
    </Dialog>
  );
}
