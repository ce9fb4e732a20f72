/**
 * Global settings → Date and time: automatic, a fixed region picked from the IANA list, or
 * automatic time from a given NTP server. Shows how many devices have applied it, and which
 * have not, live.
 */
import { useEffect, useId, useMemo, useState } from "preact/hooks";
import { formatCount, formatDateTime, plural, timezoneLabel } from "../format";
import { useResync, useServerEvents, useThrottled, useTitle } from "../hooks";
import { sinceServerTime, useServerNow } from "../server-clock";
import { useSession } from "../session";
import { filterZones, zoneLabel, zoneNamed } from "../time-zones";
import type { ClockDriftView, Device, Page, TimeSettingsView, TimeZone } from "../types";
import { Card, ConfirmDialog, EmptyState, ErrorNote, Link, OnlineBadge, PageHeader, Spinner } from "../ui";
import "../styles/devices.css";

type Mode = "auto" | "region" | "ntp";

export function TimeSettingsPage() {
  useTitle("Date and time");
  const session = useSession();
  const { api } = session;
  const canEdit = session.can("settings:manage");
  const [view, setView] = useState<TimeSettingsView | null>(null);
  const [pending, setPending] = useState<Page<Device> | null>(null);
  const [mode, setMode] = useState<Mode>("auto");
  const [zone, setZone] = useState("");
  const [ntp, setNtp] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const allZones = useTimeZones(setError);
  const now = useServerNow();

  const adopt = (v: TimeSettingsView) => {
    setView(v);
    if (v.timezone !== "auto") {
      setMode("region");
      setZone(v.timezone);
    } else setMode(v.ntpServer ? "ntp" : "auto");
    setConfirming(false);
    setNtp(v.ntpServer ?? "");
  };
  const loadCounts = async () => {
    const [v, p] = await Promise.all([
      api.get<TimeSettingsView>("/settings/time"),
      api.get<Page<Device>>("/settings/time/pending?limit=100"),
    ]);
    setView((current) => (current ? { ...current, applied: v.applied, pending: v.pending } : v));
    setPending(p);
    return v;
  };
  useEffect(() => {
    loadCounts().then(adopt).catch(setError);
  }, []);
  const reloadCounts = useThrottled(() => void loadCounts().catch(() => undefined), 1000);
  useResync(reloadCounts);
  useServerEvents(
    ["device.state", "device.updated", "device.online", "device.offline", "settings.time.updated"],
    reloadCounts,
  );

  // A setting stored under an old name (Asia/Calcutta) is the zone listed under its new one.
  const selectedZone = allZones ? zoneNamed(allZones, zone) : undefined;
  const zoneValue = selectedZone?.name ?? zone;

  const desired = {
    timezone: mode === "region" ? zoneValue : "auto",
    ntpServer: mode === "ntp" ? ntp.trim() : null,
  };
  const unchanged =
    view !== null &&
    desired.timezone === view.timezone &&
    (desired.ntpServer ?? null) === (view.ntpServer ?? null);
  const invalid = (mode === "region" && !zone) || (mode === "ntp" && !ntp.trim());

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const saved = await api.put<TimeSettingsView>("/settings/time", desired);
      adopt(saved);
      void loadCounts();
      session.toast("Date and time saved; devices are applying it", "success");
    } finally {
      setBusy(false);
    }
  };

  if (!view) return error ? <ErrorNote error={error} /> : <Spinner label="Loading date and time" />;
  const total = view.applied + view.pending;
  const newSetting =
    desired.timezone === "auto"
      ? desired.ntpServer
        ? `automatic, with the NTP server ${desired.ntpServer}`
        : "automatic"
      : `the time zone ${desired.timezone}`;

  return (
    <>
      <PageHeader
        title="Date and time"
        subtitle="For every managed display. Devices enrolled later start with it too."
      />
      <div class="grid-2 grid-settings">
        <Card title="Setting">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (!invalid && !busy && !unchanged) setConfirming(true);
            }}
          >
            <fieldset class="choices" disabled={!canEdit}>
              <legend class="visually-hidden">Time zone and time source</legend>
              <Choice
                mode="auto"
                current={mode}
                onSelect={setMode}
                title="Automatic"
                text="Time zone and time from the network."
              />
              <Choice
                mode="region"
                current={mode}
                onSelect={setMode}
                title="A specific region"
                text="A fixed time zone; time from the network."
              >
                {mode === "region" && <ZonePicker zones={allZones} value={zone} onChange={setZone} />}
              </Choice>
              <Choice
                mode="ntp"
                current={mode}
                onSelect={setMode}
                title="Automatic, with an NTP server"
                text="Time zone from the network; time from your NTP server."
              >
                {mode === "ntp" && <NtpField value={ntp} onChange={setNtp} />}
              </Choice>
            </fieldset>
            <ErrorNote error={error} />
            <div class="form-actions">
              {canEdit ? (
                <button type="submit" class="button button-primary" disabled={busy || invalid || unchanged}>
                  {busy ? "Saving…" : "Save and apply to all devices"}
                </button>
              ) : (
                <p class="muted">
                  You can see this setting but not change it (needs the settings:manage right).
                </p>
              )}
              <span class="muted small">
                Now: <strong>{timezoneLabel(view.timezone)}</strong>
                {view.ntpServer ? `, NTP ${view.ntpServer}` : ""} · changed{" "}
                {view.updatedAt ? formatDateTime(view.updatedAt) : "never"}
              </span>
            </div>
          </form>
        </Card>

        <div class="stack">
          <Card title="Applied">
            <AppliedProgress
              applied={view.applied}
              total={total}
              pending={view.pending}
              pendingPage={pending}
              now={now}
              testId="time-applied"
              what="the setting"
              allApplied="Every device runs this setting"
            />
          </Card>
          <ClockDriftCard />
        </div>
      </div>
      {confirming && (
        <ConfirmDialog
          title={`Change date & time on ${plural(total, "device")}?`}
          confirmLabel={`Apply to ${plural(total, "device")}`}
          onClose={() => setConfirming(false)}
          onConfirm={save}
        >
          <p>
            Every managed device, <strong>{plural(total, "device")}</strong> now, changes to {newSetting}.
            Devices that are offline apply it when they connect, and devices enrolled later start with it.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

/** The clock offset beyond which a device is flagged, and how many are flagged now. */
function ClockDriftCard() {
  const session = useSession();
  const { api } = session;
  const canEdit = session.can("settings:manage");
  const [view, setView] = useState<ClockDriftView | null>(null);
  const [seconds, setSeconds] = useState("");
  const [error, setError] = useState<unknown>(null);
  const load = async (adopt = false) => {
    try {
      const v = await api.get<ClockDriftView>("/settings/clock-drift");
      setView(v);
      if (adopt) setSeconds(String(v.thresholdMs / 1000));
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => void load(true), []);
  const reload = useThrottled(() => void load(), 2000);
  useServerEvents(["device.clock_drift"], reload);
  if (!view) return error ? <ErrorNote error={error} /> : null;
  const thresholdMs = Math.round(Number(seconds) * 1000);
  const valid = Number.isFinite(thresholdMs) && thresholdMs >= 1;
  return (
    <Card title="Clock drift">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (!valid) return;
          setError(null);
          try {
            setView(await api.put<ClockDriftView>("/settings/clock-drift", { thresholdMs }));
            session.toast("Clock drift threshold saved", "success");
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label for="drift-threshold" class="field-label">
          Flag a device whose clock is off by more than (seconds)
        </label>
        <div class="inline-form">
          <input
            id="drift-threshold"
            class="input input-narrow"
            type="number"
            min={0.001}
            step={0.1}
            disabled={!canEdit}
            value={seconds}
            onInput={(e) => setSeconds(e.currentTarget.value)}
          />
          {canEdit && (
            <button type="submit" class="button" disabled={!valid || thresholdMs === view.thresholdMs}>
              Save threshold
            </button>
          )}
        </div>
        <p class="drift-count">
          <Link href="/devices?clockDrift=true&status=active">
            {plural(view.exceeding, "device")} beyond it now
          </Link>
        </p>
      </form>
      <ErrorNote error={error} />
    </Card>
  );
}

/**
 * One option of a radio group of choices, with what it needs once chosen (`children`, shown
 * while it is selected). `name` is the radio group's; the page's own is `time-mode`.
 */
export function Choice<M extends string>(props: {
  mode: M;
  current: M;
  onSelect: (mode: M) => void;
  title: string;
  text: string;
  name?: string;
  children?: preact.ComponentChildren;
}) {
  const name = props.name ?? "time-mode";
  const id = `${name}-${props.mode}`;
  return (
    <div class={`choice ${props.current === props.mode ? "is-selected" : ""}`}>
      <input
        type="radio"
        id={id}
        name={name}
        value={props.mode}
        checked={props.current === props.mode}
        onChange={() => props.onSelect(props.mode)}
      />
      <label for={id}>
        <strong>{props.title}</strong>
        <span class="muted">{props.text}</span>
      </label>
      {props.children && <div class="choice-body">{props.children}</div>}
    </div>
  );
}

/** The zones the server accepts (GET /settings/timezones), with aliases and offsets; null until loaded. */
export function useTimeZones(onError: (err: unknown) => void): TimeZone[] | null {
  const { api } = useSession();
  const [zones, setZones] = useState<TimeZone[] | null>(null);
  useEffect(() => {
    api.get<{ zones: TimeZone[] }>("/settings/timezones").then((list) => setZones(list.zones), onError);
  }, []);
  return zones;
}

/**
 * A region picked from the server's zone list: a search box (city, name, old name, offset) over
 * a list. `value` may be a zone's old name; the list shows it under its current one.
 */
export function ZonePicker(props: {
  zones: readonly TimeZone[] | null;
  value: string;
  onChange: (zone: string) => void;
}) {
  const [zoneQuery, setZoneQuery] = useState("");
  const ids = useId();
  const filteredZones = useMemo(() => filterZones(props.zones ?? [], zoneQuery), [zoneQuery, props.zones]);
  const zone = props.value;
  const selectedZone = props.zones ? zoneNamed(props.zones, zone) : undefined;
  const zoneValue = selectedZone?.name ?? zone;
  return (
    <div class="zone-picker">
      <label for={`${ids}-search`} class="visually-hidden">
        Search regions
      </label>
      <input
        id={`${ids}-search`}
        class="input"
        type="search"
        placeholder="Search regions, e.g. Paris"
        value={zoneQuery}
        onInput={(e) => setZoneQuery(e.currentTarget.value)}
      />
      <label for={`${ids}-list`} class="visually-hidden">
        Region
      </label>
      <select
        id={`${ids}-list`}
        class="input zone-list"
        size={8}
        value={zoneValue}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {filteredZones.map((z) => (
          <option key={z.name} value={z.name}>
            {zoneLabel(z)}
          </option>
        ))}
      </select>
      <p class="hint" aria-live="polite">
        {!props.zones
          ? "Loading the regions…"
          : zone
            ? [
                "Selected: ",
                <strong key="zone">{zoneValue}</strong>,
                selectedZone ? ` (${zoneLabel(selectedZone, false)})` : "",
                ` · ${plural(filteredZones.length, "region")} match`,
              ]
            : `${plural(filteredZones.length, "region")}; search by city, region, old name or offset (+05:30)`}
      </p>
    </div>
  );
}

/** The NTP server of "automatic, with an NTP server": a host, with a port if it is not 123. */
export function NtpField(props: { value: string; onChange: (value: string) => void }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>NTP server</label>
      <input
        id={id}
        class="input mono"
        placeholder="ntp.example.com or ntp.example.com:123"
        value={props.value}
        onInput={(e) => props.onChange(e.currentTarget.value)}
      />
    </div>
  );
}

/**
 * How many devices run a date & time setting, as a number and a bar, and the first of those
 * that do not (yet): the global setting's and each site's.
 */
export function AppliedProgress(props: {
  applied: number;
  total: number;
  pending: number;
  pendingPage: { items: Device[]; nextCursor: string | null } | null;
  now: number;
  testId: string;
  /** "the setting", "the site's date and time". */
  what: string;
  allApplied: string;
  /** After "N of M devices", e.g. "applied". */
  suffix?: string;
}) {
  const { applied, total, pending, pendingPage, now } = props;
  const percent = total === 0 ? 100 : Math.round((applied / total) * 100);
  return (
    <>
      <p class="big-number" data-testid={props.testId}>
        {formatCount(applied)}{" "}
        <span class="muted">
          of {plural(total, "device")}
          {props.suffix ? ` ${props.suffix}` : ""}
        </span>
      </p>
      <div
        class="progress"
        role="progressbar"
        aria-label={`Devices that applied ${props.what}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <span class="progress-part tone-green" style={{ width: `${percent}%` }} />
      </div>
      <h3 class="subheading">Not applied yet ({formatCount(pending)})</h3>
      {pendingPage && pendingPage.items.length > 0 ? (
        <ul class="plain-list" aria-label={`Devices that have not applied ${props.what}`}>
          {pendingPage.items.map((d) => (
            <li key={d.id}>
              <Link href={`/devices/${encodeURIComponent(d.id)}`}>{d.name}</Link>
              <OnlineBadge online={d.online} />
              <span class="muted small">
                {d.online ? "applying…" : `last seen ${sinceServerTime(d.lastSeenAt, now)}`}
              </span>
            </li>
          ))}
          {pendingPage.nextCursor && (
            <li class="muted">and {formatCount(pending - pendingPage.items.length)} more</li>
          )}
        </ul>
      ) : (
        <EmptyState title={props.allApplied} />
      )}
    </>
  );
}
