/**
 * Sites: devices grouped by place, each with a date & time of its own or the global one. The
 * list shows each site's date & time and how many of its devices run it; a site's page shows
 * its devices and those that have not applied it yet. A site's maintenance window (when
 * commands sent "in window" reach its devices) is shown open or closed with its next change.
 * Creating, editing and deleting a site needs settings:manage; all of it is live. A site's page
 * adds devices to it by serial number (devices/bulk-serials.tsx) for holders of devices:organize.
 */
import { useEffect, useId, useState } from "preact/hooks";
import { ApiError, query } from "../api";
import { ImportSerialsDialog } from "../devices/bulk-serials";
import { timeSettingWords, useSites } from "../devices/organize";
import { errorOfField, formError } from "../form-errors";
import { formatCount, formatDateTime, plural } from "../format";
import { useResync, useServerEvents, useThrottled, useTitle } from "../hooks";
import { navigate } from "../router";
import { useServerNow } from "../server-clock";
import { useSession } from "../session";
import {
  type Device,
  type MaintenanceWindow,
  type Page,
  type Site,
  type TimeSetting,
  WEEKDAYS,
  type Weekday,
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
  OnlineBadge,
  PageHeader,
  Spinner,
} from "../ui";
import { AppliedProgress, Choice, NtpField, useTimeZones, ZonePicker } from "./time-settings";
import "../styles/devices.css";
import "../styles/sites.css";

const devicesOf = (site: Pick<Site, "id">) => `/devices${query({ site: site.id })}`;
const siteHref = (site: Pick<Site, "id">) => `/sites/${encodeURIComponent(site.id)}`;

const DAY_NAMES: Record<Weekday, string> = {
  mon: "Mon",
  tue: "Tue",
  wed: "Wed",
  thu: "Thu",
  fri: "Fri",
  sat: "Sat",
  sun: "Sun",
};

/** A maintenance window in a few words: "01:00–05:00 daily, Europe/Berlin". */
export function windowWords(window: MaintenanceWindow): string {
  const days = window.days.length === 0 ? "daily" : window.days.map((d) => DAY_NAMES[d]).join(", ");
  return `${window.start}–${window.end} ${days}, ${window.timezone}`;
}

/** A moment as the window's own clock reads it: "Mon 01:00". */
function windowTime(iso: string, timezone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(iso));
}

/** Open or closed now, and when that changes: "Open · until Tue 05:00". */
function WindowState(props: { site: Site }) {
  const { window, windowState } = props.site;
  if (!window) return <span class="muted">None</span>;
  const next = windowState.open ? windowState.closesAt : windowState.opensAt;
  return (
    <span class="window-state" data-testid="site-window">
      <span>{windowWords(window)}</span>{" "}
      <Badge tone={windowState.open ? "green" : "neutral"}>{windowState.open ? "Open" : "Closed"}</Badge>{" "}
      {next && (
        <span class="small muted">
          {windowState.open ? "until" : "opens"} {windowTime(next, window.timezone)}
        </span>
      )}
    </span>
  );
}

/** The earliest next change of these sites' windows, to reload the list then. */
function nextWindowChange(sites: readonly Site[]): string | null {
  const times = sites
    .flatMap((s) => (s.window ? [s.windowState.opensAt ?? s.windowState.closesAt] : []))
    .filter((t): t is string => t !== null)
    .sort();
  return times[0] ?? null;
}

/** Reloads when the earliest window shown opens or closes (on the server's clock). */
function useReloadAtWindowChange(sites: readonly Site[] | null, reload: () => void): void {
  const { api } = useSession();
  const next = sites ? nextWindowChange(sites) : null;
  useEffect(() => {
    if (!next) return;
    // A second after the change; timers hold at most about 24 days.
    const waitMs = Math.min(Math.max(1000, Date.parse(next) - api.serverClock.now() + 1000), 2 ** 31 - 1);
    const timer = window.setTimeout(reload, waitMs);
    return () => window.clearTimeout(timer);
  }, [next]);
}

/** A site's date & time in a few words: its own, or "Global: Asia/Tokyo". */
function siteTimeWords(site: Site): string {
  return site.time ? timeSettingWords(site.time) : `Global: ${timeSettingWords(site.effectiveTime)}`;
}

type Editing = { kind: "new" } | { kind: "edit"; site: Site } | { kind: "delete"; site: Site } | null;

export function SitesPage() {
  useTitle("Sites");
  const session = useSession();
  const sites = useSites({ withCounts: true });
  const [editing, setEditing] = useState<Editing>(null);
  const mayManage = session.can("settings:manage");
  useReloadAtWindowChange(sites.items, () => void sites.reload());

  return (
    <>
      <PageHeader
        title="Sites"
        subtitle="Places devices belong to, each with a date & time of its own or the global one"
        actions={
          mayManage && (
            <button type="button" class="button button-primary" onClick={() => setEditing({ kind: "new" })}>
              Create site
            </button>
          )
        }
      />
      <ErrorNote error={sites.error} />
      {!sites.items ? (
        !sites.error && <Spinner label="Loading sites" />
      ) : sites.items.length === 0 ? (
        <EmptyState title="No sites yet">
          {mayManage
            ? "Create one, then move devices into it from the devices page."
            : "An admin with the settings:manage right can create them."}
        </EmptyState>
      ) : (
        <div class="table-card">
          <div class="table-scroll">
            <table class="table" aria-label="Sites">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Date and time</th>
                  <th scope="col">Maintenance window</th>
                  <th scope="col" class="num">
                    Devices
                  </th>
                  <th scope="col">Applied</th>
                  <th scope="col">Changed</th>
                  {mayManage && (
                    <th scope="col" class="col-menu">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {sites.items.map((site) => (
                  <tr key={site.id} data-site-id={site.id}>
                    <td>
                      <Link href={siteHref(site)}>
                        <strong>{site.name}</strong>
                      </Link>
                    </td>
                    <td>
                      {site.time ? (
                        timeSettingWords(site.time)
                      ) : (
                        <span class="muted">{siteTimeWords(site)}</span>
                      )}
                    </td>
                    <td>
                      <WindowState site={site} />
                    </td>
                    <td class="num" data-testid="site-devices">
                      <Link
                        href={devicesOf(site)}
                        aria-label={`${plural(site.devices, "device")} in ${site.name}`}
                      >
                        {formatCount(site.devices)}
                      </Link>
                    </td>
                    <td>
                      <SiteProgress site={site} />
                    </td>
                    <td>{formatDateTime(site.updatedAt)}</td>
                    {mayManage && (
                      <td class="col-menu">
                        <Menu
                          label={`Actions for ${site.name}`}
                          items={[
                            {
                              label: "Edit name, date & time and window",
                              onSelect: () => setEditing({ kind: "edit", site }),
                            },
                            "separator",
                            {
                              label: "Delete",
                              danger: true,
                              onSelect: () => setEditing({ kind: "delete", site }),
                            },
                          ]}
                        />
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {editing?.kind === "new" && (
        <SiteDialog
          onClose={() => setEditing(null)}
          onSaved={(site) => {
            setEditing(null);
            void sites.reload();
            session.toast(`Site ${site.name} created`, "success");
          }}
        />
      )}
      {editing?.kind === "edit" && (
        <SiteDialog
          site={editing.site}
          onClose={() => setEditing(null)}
          onSaved={(site) => {
            setEditing(null);
            void sites.reload();
            session.toast(`Site ${site.name} saved`, "success");
          }}
        />
      )}
      {editing?.kind === "delete" && (
        <DeleteSiteDialog
          site={editing.site}
          onClose={() => setEditing(null)}
          onDeleted={() => void sites.reload()}
        />
      )}
    </>
  );
}

/** How many of the site's devices run its date & time: a bar and the counts. */
function SiteProgress(props: { site: Site }) {
  const { devices, applied, pending } = props.site;
  if (devices === 0) return <span class="muted">No devices</span>;
  const percent = Math.round((applied / devices) * 100);
  return (
    <div class="site-progress">
      <div
        class="progress"
        role="progressbar"
        aria-label={`Devices of ${props.site.name} that run its date & time`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <span class="progress-part tone-green" style={{ width: `${percent}%` }} />
      </div>
      <span class="small">
        {formatCount(applied)} applied
        {pending > 0 && <span class="text-warn"> · {formatCount(pending)} pending</span>}
      </span>
    </div>
  );
}

export function SiteDetailsPage(props: { siteId: string }) {
  const session = useSession();
  const { api } = session;
  const path = `/sites/${encodeURIComponent(props.siteId)}`;
  const [site, setSite] = useState<Site | null>(null);
  const [pending, setPending] = useState<Page<Device> | null>(null);
  const [devices, setDevices] = useState<(Page<Device> & { total: number }) | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [deleted, setDeleted] = useState(false);
  const [editing, setEditing] = useState<"edit" | "delete" | "import" | null>(null);
  const mayManage = session.can("settings:manage");
  const mayOrganize = session.can("devices:organize");
  const now = useServerNow();
  useTitle(site?.name ?? "Site");
  useReloadAtWindowChange(site ? [site] : null, () => void load());

  const load = async () => {
    try {
      const [s, p, d] = await Promise.all([
        api.get<Site>(path),
        api.get<Page<Device>>(`${path}/time/pending?limit=50`),
        api.get<Page<Device> & { total: number }>(
          `/devices${query({ site: props.siteId, sort: "name", limit: 10 })}`,
        ),
      ]);
      setSite(s);
      setPending(p);
      setDevices(d);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    setSite(null);
    setDeleted(false);
    void load();
  }, [props.siteId]);
  const reload = useThrottled(() => void load(), 1000);
  useResync(reload);
  useServerEvents(["site.updated", "site.deleted", "device.updated", "device.state"], (event) => {
    const data = event.data as { site?: Site; siteId?: string };
    if (event.type === "site.deleted") {
      if (data.siteId === props.siteId) setDeleted(true);
      return;
    }
    if (event.type === "site.updated" && data.site?.id === props.siteId) setSite(data.site);
    reload();
  });

  if (deleted || (error instanceof ApiError && error.status === 404)) {
    return (
      <EmptyState title={deleted ? "This site was deleted" : "This site does not exist"}>
        Its devices follow the global date & time. <Link href="/sites">Back to sites</Link>
      </EmptyState>
    );
  }
  if (!site) return error ? <ErrorNote error={error} /> : <Spinner label="Loading the site" />;

  return (
    <>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <Link href="/sites">Sites</Link> <span aria-hidden="true">/</span> <span>{site.name}</span>
      </nav>
      <PageHeader
        title={site.name}
        subtitle={`${plural(site.devices, "device")} · date and time: ${siteTimeWords(site)}`}
        actions={
          (mayOrganize || mayManage) && (
            <>
              {mayOrganize && (
                <button
                  type="button"
                  class="button"
                  title="Move devices into this site by a CSV or list of serial numbers"
                  onClick={() => setEditing("import")}
                >
                  Add devices by serial…
                </button>
              )}
              {mayManage && (
                <>
                  <button type="button" class="button" onClick={() => setEditing("edit")}>
                    Edit site
                  </button>
                  <button
                    type="button"
                    class="button button-danger-outline"
                    onClick={() => setEditing("delete")}
                  >
                    Delete site
                  </button>
                </>
              )}
            </>
          )
        }
      />
      <ErrorNote error={error} />
      <div class="grid-2">
        <Card
          title="Devices"
          actions={
            <Link href={devicesOf(site)} class="button button-small">
              Show on the devices page
            </Link>
          }
        >
          <p class="big-number" data-testid="site-device-count">
            {formatCount(site.devices)} <span class="muted">{site.devices === 1 ? "device" : "devices"}</span>
          </p>
          {devices && devices.items.length > 0 ? (
            <ul class="plain-list" aria-label={`Devices of ${site.name}`}>
              {devices.items.map((d) => (
                <li key={d.id}>
                  <Link href={`/devices/${encodeURIComponent(d.id)}`}>{d.name}</Link>{" "}
                  <OnlineBadge online={d.online} />
                </li>
              ))}
              {devices.total > devices.items.length && (
                <li>
                  <Link href={devicesOf(site)}>
                    and {formatCount(devices.total - devices.items.length)} more
                  </Link>
                </li>
              )}
            </ul>
          ) : (
            <EmptyState title="No devices in this site">
              Select devices on the devices page and choose “Move to site…”.
            </EmptyState>
          )}
        </Card>
        <Card title="Date and time">
          <p>
            <strong>{timeSettingWords(site.effectiveTime)}</strong>{" "}
            <span class="muted">{site.time ? "· the site's own" : "· follows the global setting"}</span>
          </p>
          {!site.time && (
            <p class="muted small">
              <Link href="/settings/time">Global date and time</Link>
            </p>
          )}
          <AppliedProgress
            applied={site.applied}
            total={site.devices}
            pending={site.pending}
            pendingPage={pending}
            now={now}
            testId="site-applied"
            what="the site's date and time"
            allApplied="Every device of this site runs it"
            suffix="applied"
          />
        </Card>
        <Card title="Maintenance window">
          {site.window ? (
            <>
              <p>
                <WindowState site={site} />
              </p>
              <p class="muted small">
                Commands sent “only in the maintenance window” wait, queued, until it opens; a window closing
                stops what its devices have not received yet. Other commands go at once.
              </p>
            </>
          ) : (
            <p class="muted">
              None: commands sent “only in the maintenance window” reach its devices at once.
            </p>
          )}
        </Card>
      </div>
      {editing === "edit" && (
        <SiteDialog
          site={site}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setSite(saved);
            void load();
            session.toast(`Site ${saved.name} saved`, "success");
          }}
        />
      )}
      {editing === "import" && (
        <ImportSerialsDialog initialSiteId={site.id} onClose={() => setEditing(null)} onDone={reload} />
      )}
      {editing === "delete" && (
        <DeleteSiteDialog site={site} onClose={() => setEditing(null)} onDeleted={() => navigate("/sites")} />
      )}
    </>
  );
}

type SiteTimeMode = "global" | "auto" | "region" | "ntp";

function modeOf(time: TimeSetting | null): SiteTimeMode {
  if (!time) return "global";
  if (time.timezone !== "auto") return "region";
  return time.ntpServer ? "ntp" : "auto";
}

/** The form's fields, as the API names them in a refusal. */
const SITE_FORM_FIELDS = ["name", "window.start", "window.end", "window.days", "window.timezone"];

/** The window as the form holds it: times, days (none: every day), zone ("": the site's own). */
interface WindowForm {
  enabled: boolean;
  start: string;
  end: string;
  days: ReadonlySet<Weekday>;
  timezone: string;
}

function windowFormOf(window: MaintenanceWindow | null): WindowForm {
  return {
    enabled: window !== null,
    start: window?.start ?? "01:00",
    end: window?.end ?? "05:00",
    days: new Set(window?.days ?? []),
    timezone: window?.timezone ?? "",
  };
}

/** What the API takes for the form's window; null: none. */
function windowBody(form: WindowForm) {
  if (!form.enabled) return null;
  return {
    start: form.start,
    end: form.end,
    days: WEEKDAYS.filter((d) => form.days.has(d)),
    ...(form.timezone ? { timezone: form.timezone } : {}),
  };
}

function windowFormChanged(form: WindowForm, existing: MaintenanceWindow | null): boolean {
  if (!form.enabled || existing === null) return form.enabled !== (existing !== null);
  const body = windowBody(form)!;
  return (
    body.start !== existing.start ||
    body.end !== existing.end ||
    body.days.join() !== existing.days.join() ||
    (form.timezone || null) !== existing.timezone
  );
}

/** Creates a site, or edits one's name and date & time (only what changed is sent). */
function SiteDialog(props: { site?: Site; onClose: () => void; onSaved: (site: Site) => void }) {
  const session = useSession();
  const existing = props.site;
  const [name, setName] = useState(existing?.name ?? "");
  const [mode, setMode] = useState<SiteTimeMode>(modeOf(existing?.time ?? null));
  const [zone, setZone] = useState(
    existing?.time && existing.time.timezone !== "auto" ? existing.time.timezone : "",
  );
  const [ntp, setNtp] = useState(existing?.time?.ntpServer ?? "");
  const [windowForm, setWindowForm] = useState<WindowForm>(windowFormOf(existing?.window ?? null));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const zones = useTimeZones(setError);
  const global = useGlobalTime();

  const time: TimeSetting | null =
    mode === "global"
      ? null
      : { timezone: mode === "region" ? zone : "auto", ntpServer: mode === "ntp" ? ntp.trim() : null };
  const windowInvalid =
    windowForm.enabled && (!windowForm.start || !windowForm.end || windowForm.start === windowForm.end);
  const invalid =
    !name.trim() || (mode === "region" && !zone) || (mode === "ntp" && !ntp.trim()) || windowInvalid;
  const windowChanged = windowFormChanged(windowForm, existing?.window ?? null);
  const timeChanged =
    !existing ||
    (existing.time === null) !== (time === null) ||
    (time !== null &&
      existing.time !== null &&
      (time.timezone !== existing.time.timezone || time.ntpServer !== (existing.time.ntpServer ?? null)));
  const nameChanged = !existing || name.trim() !== existing.name;

  const save = async () => {
    if (invalid || busy) return;
    setBusy(true);
    setError(null);
    try {
      const saved = existing
        ? await session.api.patch<Site>(`/sites/${encodeURIComponent(existing.id)}`, {
            ...(nameChanged ? { name: name.trim() } : {}),
            ...(timeChanged ? { time } : {}),
            ...(windowChanged ? { window: windowBody(windowForm) } : {}),
          })
        : await session.api.post<Site>("/sites", {
            name: name.trim(),
            time,
            window: windowBody(windowForm),
          });
      props.onSaved(saved);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={existing ? `Edit ${existing.name}` : "Create site"}
      wide
      onClose={props.onClose}
      onSubmit={() => void save()}
      footer={
        <>
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            class="button button-primary"
            disabled={
              busy || invalid || (existing !== undefined && !nameChanged && !timeChanged && !windowChanged)
            }
          >
            {busy ? "Saving…" : existing ? "Save site" : "Create site"}
          </button>
        </>
      }
    >
      <Field label="Site name" error={errorOfField(error, "name")}>
        {(id) => (
          <input
            id={id}
            class="input"
            maxLength={80}
            placeholder="e.g. Berlin office"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <fieldset class="choices">
        <legend class="field-label">Date and time of its devices</legend>
        <Choice
          name="site-time"
          mode="global"
          current={mode}
          onSelect={setMode}
          title="Follow the global setting"
          text={global ? `Now ${timeSettingWords(global)}; changes with it.` : "Changes with it."}
        />
        <Choice
          name="site-time"
          mode="region"
          current={mode}
          onSelect={setMode}
          title="A time zone of its own"
          text="A fixed time zone; time from the network."
        >
          {mode === "region" && <ZonePicker zones={zones} value={zone} onChange={setZone} />}
        </Choice>
        <Choice
          name="site-time"
          mode="auto"
          current={mode}
          onSelect={setMode}
          title="Automatic"
          text="Time zone and time from the network."
        />
        <Choice
          name="site-time"
          mode="ntp"
          current={mode}
          onSelect={setMode}
          title="Automatic, with an NTP server"
          text="Time zone from the network; time from your NTP server."
        >
          {mode === "ntp" && <NtpField value={ntp} onChange={setNtp} />}
        </Choice>
      </fieldset>
      {existing && timeChanged && existing.devices > 0 && (
        <p class="hint">
          Its {plural(existing.devices, "device")} change to it; online devices at once, the others when they
          connect.
        </p>
      )}
      <WindowFields
        form={windowForm}
        onChange={setWindowForm}
        zones={zones}
        siteZone={mode === "region" ? zone : null}
        error={error}
      />
      <ErrorNote error={formError(error, SITE_FORM_FIELDS)} />
    </Dialog>
  );
}

/** The site dialog's maintenance window: on or off, start and end, days, zone. */
function WindowFields(props: {
  form: WindowForm;
  onChange: (form: WindowForm) => void;
  zones: readonly { name: string }[] | null;
  /** The site's own fixed zone, which a window without one is read in. */
  siteZone: string | null;
  error: unknown;
}) {
  const { form } = props;
  const set = (patch: Partial<WindowForm>) => props.onChange({ ...form, ...patch });
  const ids = useId();
  /** A time of day, in a Field. */
  const timeInput = (value: string, onInput: (value: string) => void) => (id: string) => (
    <input
      id={id}
      class="input"
      type="time"
      required
      value={value}
      onInput={(e) => onInput(e.currentTarget.value)}
    />
  );
  return (
    <fieldset class="choices window-fields">
      <legend class="field-label">Maintenance window</legend>
      <div class="check">
        <input
          type="checkbox"
          id={`${ids}-on`}
          checked={form.enabled}
          onChange={(e) => set({ enabled: e.currentTarget.checked })}
        />
        <label for={`${ids}-on`}>
          Commands sent “only in the maintenance window” wait for it{" "}
          <span class="muted small">(others go at any time)</span>
        </label>
      </div>
      {form.enabled && (
        <>
          <div class="window-times">
            <Field label="Opens at" error={errorOfField(props.error, "window.start")}>
              {timeInput(form.start, (start) => set({ start }))}
            </Field>
            <Field
              label="Closes at"
              hint={form.end && form.start && form.end < form.start ? "The next day" : undefined}
              error={
                errorOfField(props.error, "window.end") ??
                (form.start && form.start === form.end ? "Must differ from the opening time" : undefined)
              }
            >
              {timeInput(form.end, (end) => set({ end }))}
            </Field>
          </div>
          <fieldset class="window-days">
            <legend class="small">Opens on (none checked: every day)</legend>
            {WEEKDAYS.map((day) => (
              <span key={day} class="check">
                <input
                  type="checkbox"
                  id={`${ids}-${day}`}
                  checked={form.days.has(day)}
                  onChange={(e) => {
                    const days = new Set(form.days);
                    if (e.currentTarget.checked) days.add(day);
                    else days.delete(day);
                    set({ days });
                  }}
                />
                <label for={`${ids}-${day}`}>{DAY_NAMES[day]}</label>
              </span>
            ))}
          </fieldset>
          <Field label="Time zone of the window" error={errorOfField(props.error, "window.timezone")}>
            {(id) => (
              <select
                id={id}
                class="input"
                value={form.timezone}
                onChange={(e) => set({ timezone: e.currentTarget.value })}
              >
                <option value="">
                  {props.siteZone ? `The site's time zone (${props.siteZone})` : "Choose a time zone"}
                </option>
                {(props.zones ?? []).map((z) => (
                  <option key={z.name} value={z.name}>
                    {z.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </>
      )}
    </fieldset>
  );
}

/** The global date & time, for "follow the global setting" in words. */
function useGlobalTime(): TimeSetting | null {
  const { api } = useSession();
  const [setting, setSetting] = useState<TimeSetting | null>(null);
  useEffect(() => {
    api.get<TimeSetting>("/settings/time").then(setSetting, () => undefined);
  }, []);
  return setting;
}

function DeleteSiteDialog(props: { site: Site; onClose: () => void; onDeleted: () => void }) {
  const session = useSession();
  const { site } = props;
  return (
    <ConfirmDialog
      title={`Delete ${site.name}?`}
      confirmLabel="Delete site"
      danger
      onClose={props.onClose}
      onConfirm={async () => {
        const result = await session.api.delete<{ devicesMoved: number }>(
          `/sites/${encodeURIComponent(site.id)}`,
        );
        session.toast(
          `Site ${site.name} deleted; ${plural(result.devicesMoved, "device")} now follow the global setting`,
          "success",
        );
        props.onDeleted();
      }}
    >
      <p>
        {site.devices === 0 ? (
          "It has no devices."
        ) : (
          <>
            Its <strong>{plural(site.devices, "device")}</strong> will belong to no site and follow the global
            date & time
            {site.time ? ` instead of ${timeSettingWords(site.time)}` : ""}.
          </>
        )}{" "}
        Enrollment tokens that name it enroll into no site from then on.
      </p>
    </ConfirmDialog>
  );
}
