/**
 * Scheduled commands: a command for a target that runs once at a time or recurs (a cron
 * expression read in an IANA zone). The list shows when each runs next and how it went; a
 * schedule's page shows its runs, each with the fleet command it started. Creating, pausing,
 * resuming and deleting one needs the right of its command's type; all of it is live.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api";
import { RIGHT_OF } from "../device-actions";
import { filterSummary } from "../devices/device-query";
import { NO_SITE, SiteSelect, timeSettingWords, useLabels, useSites } from "../devices/organize";
import { errorOfField, formError } from "../form-errors";
import { COMMAND_LABELS, formatCount, formatDateTime, plural } from "../format";
import { useResync, useServerEvents, useThrottled, useTitle } from "../hooks";
import { navigate } from "../router";
import { useSession } from "../session";
import { zoneLabel, zoneNamed } from "../time-zones";
import type {
  CommandType,
  DeviceGroup,
  MissedRuns,
  Schedule,
  ScheduleRun,
  ScheduleState,
  Site,
  TimeZone,
} from "../types";
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
import { Choice, NtpField, useTimeZones, ZonePicker } from "./time-settings";
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

/** "Reboot", "Rename to “Lobby”", "Set date & time: Europe/Berlin". */
function commandWords(command: Schedule["command"]): string {
  const label = COMMAND_LABELS[command.type] ?? command.type;
  if (command.type === "rename" && typeof command.name === "string") return `${label} to “${command.name}”`;
  if (command.type === "set_time" && typeof command.timezone === "string") {
    const ntp = typeof command.ntpServer === "string" ? command.ntpServer : null;
    return `${label}: ${timeSettingWords({ timezone: command.timezone, ntpServer: ntp })}`;
  }
  return label;
}

/** The sites and groups a target may name, so it reads with their names rather than ids. */
interface TargetNames {
  sites: readonly Site[] | null;
  groups: readonly DeviceGroup[] | null;
}

function useTargetNames(): TargetNames {
  const sites = useSites();
  const groups = useList<DeviceGroup>("/groups");
  useServerEvents(["group.created", "group.updated", "group.deleted"], () => void groups.reload());
  return { sites: sites.items, groups: groups.items };
}

/** A target in words: "every device", "3 devices", "group Lobby screens", "site Berlin office". */
function targetWords(target: unknown, names: TargetNames): string {
  const t = (target ?? {}) as {
    all?: boolean;
    deviceIds?: string[];
    serials?: string[];
    group?: string;
    filter?: Record<string, string | number | boolean>;
  };
  if (t.all) return "every device";
  if (t.deviceIds) return plural(t.deviceIds.length, "device");
  if (t.serials) return `${plural(t.serials.length, "device")} by serial number`;
  if (t.group !== undefined) {
    const group = names.groups?.find((g) => g.id === t.group);
    return group ? `group ${group.name}` : `group ${t.group}`;
  }
  if (t.filter) {
    const site = names.sites?.find((s) => s.id === t.filter?.site);
    return filterSummary(site ? { ...t.filter, site: site.name } : t.filter);
  }
  return "—";
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

/** Pausing, resuming and deleting a schedule, and the dialog that confirms a deletion. */
function useScheduleActions(onChanged: () => void, onDeleted: () => void) {
  const session = useSession();
  const [deleting, setDeleting] = useState<Schedule | null>(null);

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
      {
        ...toggle,
        disabled: !allowed || schedule.state === "finished",
        reason: allowed ? "It has no run left" : reason,
      },
      "separator",
      { label: "Delete", danger: true, disabled: !allowed, reason, onSelect: () => setDeleting(schedule) },
    ];
  };

  const dialog = deleting && (
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

  return { items, setPaused, setDeleting, dialog };
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
  const actions = useScheduleActions(reload, reload);
  const mayCreate = Object.values(RIGHT_OF).some((right) => session.can(right));

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
        <NewScheduleDialog
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
  const actions = useScheduleActions(reload, () => navigate("/schedules"));

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

type TargetKind = "all" | "site" | "label" | "group" | "devices";
type TimeMode = "region" | "auto" | "ntp";

/** The form's fields, as the API names them in a refusal. */
const SCHEDULE_FORM_FIELDS = ["name", "at", "cron", "timezone"];

/** `YYYY-MM-DDTHH:mm` of a datetime-local input: the next full hour, in the browser's zone. */
function nextHourLocal(): string {
  const d = new Date();
  d.setHours(d.getHours() + 1, 0, 0, 0);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:00`;
}

/** "A1, A2\nA3" → ["A1", "A2", "A3"]. */
const listed = (text: string) => [...new Set(text.split(/[\s,;]+/).filter(Boolean))];

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

function NewScheduleDialog(props: { onClose: () => void; onSaved: (schedule: Schedule) => void }) {
  const session = useSession();
  const types = (Object.keys(RIGHT_OF) as CommandType[]).filter((type) => session.can(RIGHT_OF[type]));
  const [name, setName] = useState("");
  const [type, setType] = useState<CommandType>(types[0] ?? "lock");
  const [newName, setNewName] = useState("");
  const [timeMode, setTimeMode] = useState<TimeMode>("region");
  const [commandZone, setCommandZone] = useState("");
  const [ntp, setNtp] = useState("");
  const [targetKind, setTargetKind] = useState<TargetKind>("all");
  const [siteId, setSiteId] = useState("");
  const [label, setLabel] = useState("");
  const [groupId, setGroupId] = useState("");
  const [listedBy, setListedBy] = useState<"serials" | "deviceIds">("serials");
  const [devicesText, setDevicesText] = useState("");
  const [kind, setKind] = useState<Schedule["kind"]>("once");
  const [at, setAt] = useState(nextHourLocal);
  const [cron, setCron] = useState("");
  const [zone, setZone] = useState(browserZone);
  const [missed, setMissed] = useState<MissedRuns | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const zones = useTimeZones(setError);
  const sites = useSites({ enabled: targetKind === "site" });
  const labels = useLabels({ enabled: targetKind === "label" });
  const groups = useList<DeviceGroup>("/groups");

  const site = siteId || sites.items?.[0]?.id || NO_SITE;
  const labelValue = label || labels.items?.[0]?.label || "";
  const group = groupId || groups.items?.[0]?.id || "";
  const devices = listed(devicesText);
  const missedRuns = missed ?? DEFAULT_MISSED[kind];

  const target =
    targetKind === "all"
      ? { all: true }
      : targetKind === "site"
        ? { filter: { site } }
        : targetKind === "label"
          ? labelValue && { filter: { label: labelValue } }
          : targetKind === "group"
            ? group && { group }
            : devices.length > 0 && { [listedBy]: devices };
  const command =
    type === "rename"
      ? { type, name: newName.trim() }
      : type === "set_time"
        ? {
            type,
            timezone: timeMode === "region" ? commandZone : "auto",
            ntpServer: timeMode === "ntp" ? ntp.trim() : null,
          }
        : { type };
  const invalid =
    !name.trim() ||
    !target ||
    (type === "rename" && !newName.trim()) ||
    (type === "set_time" &&
      ((timeMode === "region" && !commandZone) || (timeMode === "ntp" && !ntp.trim()))) ||
    (kind === "once" ? !at || Number.isNaN(new Date(at).getTime()) : !cron.trim() || !zone);

  const save = async () => {
    if (invalid || busy) return;
    setBusy(true);
    setError(null);
    try {
      const saved = await session.api.post<Schedule>("/schedules", {
        name: name.trim(),
        command,
        target,
        ...(kind === "once" ? { at: new Date(at).toISOString() } : { cron: cron.trim(), timezone: zone }),
        missedRuns,
      });
      props.onSaved(saved);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="New schedule"
      wide
      onClose={props.onClose}
      onSubmit={() => void save()}
      footer={
        <>
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy || invalid}>
            {busy ? "Saving…" : "Create schedule"}
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
        <Field label="Command">
          {(id) => (
            <select
              id={id}
              class="input"
              value={type}
              onChange={(e) => setType(e.currentTarget.value as CommandType)}
            >
              {types.map((t) => (
                <option key={t} value={t}>
                  {COMMAND_LABELS[t] ?? t}
                </option>
              ))}
            </select>
          )}
        </Field>
        {type === "rename" && (
          <Field label="New device name" hint="Every device of the target gets this name.">
            {(id) => (
              <input
                id={id}
                class="input"
                maxLength={256}
                value={newName}
                onInput={(e) => setNewName(e.currentTarget.value)}
              />
            )}
          </Field>
        )}
        {type === "set_time" && (
          <fieldset class="choices">
            <legend class="field-label">Date and time to set</legend>
            <Choice
              name="schedule-time"
              mode="region"
              current={timeMode}
              onSelect={setTimeMode}
              title="A time zone"
              text="A fixed time zone; time from the network."
            >
              {timeMode === "region" && (
                <ZonePicker zones={zones} value={commandZone} onChange={setCommandZone} />
              )}
            </Choice>
            <Choice
              name="schedule-time"
              mode="auto"
              current={timeMode}
              onSelect={setTimeMode}
              title="Automatic"
              text="Time zone and time from the network."
            />
            <Choice
              name="schedule-time"
              mode="ntp"
              current={timeMode}
              onSelect={setTimeMode}
              title="Automatic, with an NTP server"
              text="Time zone from the network; time from your NTP server."
            >
              {timeMode === "ntp" && <NtpField value={ntp} onChange={setNtp} />}
            </Choice>
          </fieldset>
        )}
        <fieldset class="choices">
          <legend class="field-label">Devices it goes to when it runs</legend>
          <Choice
            name="schedule-target"
            mode="all"
            current={targetKind}
            onSelect={setTargetKind}
            title="All devices"
            text="Every managed device at the time."
          />
          <Choice
            name="schedule-target"
            mode="site"
            current={targetKind}
            onSelect={setTargetKind}
            title="A site"
            text="The devices in the site at the time."
          >
            {targetKind === "site" && (
              <Field label="Site">
                {(id) => (
                  <SiteSelect
                    id={id}
                    sites={sites.items}
                    value={site}
                    noneLabel="Devices in no site"
                    onChange={setSiteId}
                  />
                )}
              </Field>
            )}
          </Choice>
          <Choice
            name="schedule-target"
            mode="label"
            current={targetKind}
            onSelect={setTargetKind}
            title="A label"
            text="The devices carrying the label at the time."
          >
            {targetKind === "label" && (
              <Field
                label="Label"
                hint={labels.items?.length === 0 ? "No device carries a label yet." : undefined}
              >
                {(id) => (
                  <select
                    id={id}
                    class="input"
                    value={labelValue}
                    onChange={(e) => setLabel(e.currentTarget.value)}
                  >
                    {labels.items?.map((l) => (
                      <option key={l.label} value={l.label}>
                        {l.label} ({plural(l.devices, "device")})
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
          </Choice>
          <Choice
            name="schedule-target"
            mode="group"
            current={targetKind}
            onSelect={setTargetKind}
            title="A group"
            text="The devices its filter matches at the time."
          >
            {targetKind === "group" && (
              <Field label="Group" hint={groups.items?.length === 0 ? "There are no groups yet." : undefined}>
                {(id) => (
                  <select
                    id={id}
                    class="input"
                    value={group}
                    onChange={(e) => setGroupId(e.currentTarget.value)}
                  >
                    {groups.items?.map((g) => (
                      <option key={g.id} value={g.id}>
                        {g.name} ({plural(g.devices, "device")})
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
          </Choice>
          <Choice
            name="schedule-target"
            mode="devices"
            current={targetKind}
            onSelect={setTargetKind}
            title="Listed devices"
            text="Serial numbers or device ids, pasted."
          >
            {targetKind === "devices" && (
              <>
                <Field label="Listed by">
                  {(id) => (
                    <select
                      id={id}
                      class="input"
                      value={listedBy}
                      onChange={(e) => setListedBy(e.currentTarget.value as "serials" | "deviceIds")}
                    >
                      <option value="serials">Serial number</option>
                      <option value="deviceIds">Device id</option>
                    </select>
                  )}
                </Field>
                <Field
                  label="Devices"
                  hint={`One a line, or separated by commas${devices.length > 0 ? ` · ${plural(devices.length, "device")}` : ""}`}
                >
                  {(id) => (
                    <textarea
                      id={id}
                      class="input mono"
                      rows={4}
                      value={devicesText}
                      onInput={(e) => setDevicesText(e.currentTarget.value)}
                    />
                  )}
                </Field>
              </>
            )}
          </Choice>
        </fieldset>
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
              <Field
                label="Date and time"
                hint={`In your browser's time zone, ${browserZone()}.`}
                error={errorOfField(error, "at")}
              >
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
              </>
            )}
          </Choice>
        </fieldset>
        <Field
          label="A missed run"
          hint={`Late by more than 10 minutes, as when no server was up. Default for ${
            kind === "once" ? "a one-off schedule" : "a recurring schedule"
          }: ${MISSED_WORDS[DEFAULT_MISSED[kind]].toLowerCase()}.`}
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
      <ErrorNote error={formError(error, kind === "cron" ? SCHEDULE_FORM_FIELDS : ["name", "at"])} />
    </Dialog>
  );
}
