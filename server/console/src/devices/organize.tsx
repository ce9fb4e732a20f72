/**
 * Sites and labels of devices: the lists the pages pick from (kept current by the event
 * stream), how a device's date & time is told in words, label chips, and the dialogs that move
 * devices into a site or change their labels. A dialog takes a target as the fleet actions do:
 * the devices selected, or every device matching the filters.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { formatCount, plural, timezoneLabel } from "../format";
import { useResync, useServerEvents, useThrottled } from "../hooks";
import { useSession } from "../session";
import type { Device, EffectiveTime, LabelCount, Site, TimeSetting } from "../types";
import { Card, ConfirmDialog, Dialog, ErrorNote, Field, Link } from "../ui";
import "../styles/sites.css";

/** A target of POST /devices/labels and POST /sites/:id/devices, as the fleet actions take it. */
export type DeviceTarget =
  | { deviceIds: string[] }
  | { filter: Record<string, string | number | boolean> }
  | { group: string }
  | { all: true };

/** The select value meaning "in no site" (and the device filter's `site=none`). */
export const NO_SITE = "none";

/** Every site, by name; reloaded when one changes, and (throttled) when devices move. */
export function useSites(options: { enabled?: boolean; withCounts?: boolean } = {}) {
  const { api } = useSession();
  const enabled = options.enabled ?? true;
  const [items, setItems] = useState<Site[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const seq = useRef(0);
  const load = async () => {
    if (!enabled) return;
    const mine = ++seq.current;
    try {
      const list = await api.get<{ items: Site[] }>("/sites");
      if (mine !== seq.current) return;
      setItems(list.items);
      setError(null);
    } catch (err) {
      if (mine === seq.current) setError(err);
    }
  };
  useEffect(() => void load(), [enabled]);
  const reloadSoon = useThrottled(() => void load(), 1000);
  useServerEvents(["site.updated", "site.deleted"], reloadSoon);
  useServerEvents(options.withCounts ? ["device.updated", "device.state"] : [], reloadSoon);
  useResync(reloadSoon);
  return { items, error, reload: load };
}

/** Labels change with devices: the list reloads at most this often while they do. */
const LABELS_RELOAD_MS = 15_000;

/** Every label in use, with how many devices carry it; reloaded (throttled) as devices change. */
export function useLabels(options: { enabled?: boolean } = {}) {
  const { api } = useSession();
  const enabled = options.enabled ?? true;
  const [items, setItems] = useState<LabelCount[] | null>(null);
  const load = async () => {
    if (!enabled) return;
    try {
      setItems((await api.get<{ items: LabelCount[] }>("/labels")).items);
    } catch {
      // Suggestions only: a list that cannot load leaves the fields free text.
    }
  };
  useEffect(() => void load(), [enabled]);
  const reloadSoon = useThrottled(() => void load(), LABELS_RELOAD_MS);
  useServerEvents(["device.updated"], reloadSoon);
  useResync(reloadSoon);
  return { items, reload: load };
}

/** "Europe/Berlin", "Automatic", "Automatic, NTP server ntp.example.com". */
export function timeSettingWords(setting: TimeSetting): string {
  const zone = timezoneLabel(setting.timezone);
  return setting.ntpServer ? `${zone}, NTP server ${setting.ntpServer}` : zone;
}

/** A device's date & time and where it comes from: "Europe/Berlin, from site Berlin office". */
export function effectiveTimeWords(device: Pick<Device, "effectiveTime" | "site">): string {
  const time: EffectiveTime = device.effectiveTime;
  const setting = timeSettingWords(time);
  if (time.source === "device") return `${setting}, set for this device`;
  if (time.source === "site" && device.site) return `${setting}, from site ${device.site.name}`;
  return `${setting}, from the global setting`;
}

/** Labels as chips; with `onRemove`, each has a button that takes it off. */
export function LabelChips(props: {
  labels: readonly string[];
  onRemove?: (label: string) => void;
  busy?: boolean;
  class?: string;
}) {
  if (props.labels.length === 0) return null;
  return (
    <ul class={`chips ${props.class ?? ""}`} aria-label="Labels">
      {props.labels.map((label) => (
        <li key={label} class="chip" title={label}>
          <span class="chip-text">{label}</span>
          {props.onRemove && (
            <button
              type="button"
              class="chip-remove"
              aria-label={`Remove label ${label}`}
              disabled={props.busy}
              onClick={() => props.onRemove?.(label)}
            >
              ×
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

/** "lobby, Berlin ,, 3rd floor" → ["lobby", "Berlin", "3rd floor"]: trimmed, once each. */
export function parseLabels(text: string): string[] {
  return [
    ...new Set(
      text
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
}

/** What moving devices to `site` (null: out of any) does to their date & time, in a sentence. */
export function moveTimeWords(site: Site | null): string {
  if (!site) return "Each device belongs to no site and follows the global date & time.";
  return site.time
    ? `Each device takes the site's date & time, ${timeSettingWords(site.time)}.`
    : `Each device follows the global date & time (${timeSettingWords(site.effectiveTime)}), as the site does.`;
}

/**
 * Labels to add and to remove, typed in two fields that suggest the labels devices carry.
 * `body` is what POST /devices/labels takes besides the target; null while there is nothing
 * to change, or a label is both added and removed (said at the field).
 */
export function useLabelChange(): {
  body: { add?: string[]; remove?: string[] } | null;
  view: ComponentChildren;
} {
  const labels = useLabels();
  const listId = useId();
  const [add, setAdd] = useState("");
  const [remove, setRemove] = useState("");
  const adding = parseLabels(add);
  const removing = parseLabels(remove);
  const both = adding.filter((l) => removing.includes(l));
  const body =
    (adding.length === 0 && removing.length === 0) || both.length > 0
      ? null
      : { ...(adding.length ? { add: adding } : {}), ...(removing.length ? { remove: removing } : {}) };
  /** Labels typed, suggested from those devices carry. */
  const labelInput = (value: string, onInput: (value: string) => void) => (id: string) => (
    <input
      id={id}
      class="input"
      list={listId}
      autocomplete="off"
      value={value}
      onInput={(e) => onInput(e.currentTarget.value)}
    />
  );
  const view = (
    <>
      <Field label="Add labels" hint="Separated by commas, e.g. lobby, Berlin">
        {labelInput(add, setAdd)}
      </Field>
      <Field
        label="Remove labels"
        error={both.length > 0 ? `Added and removed at once: ${both.join(", ")}` : undefined}
      >
        {labelInput(remove, setRemove)}
      </Field>
      <datalist id={listId}>
        {labels.items?.map((l) => (
          <option key={l.label} value={l.label} />
        ))}
      </datalist>
    </>
  );
  return { body, view };
}

/** A select of sites, "No site" first (or, with `noneLabel` null, nothing to pick yet). */
export function SiteSelect(props: {
  id: string;
  sites: readonly Site[] | null;
  value: string;
  onChange: (value: string) => void;
  noneLabel?: string;
  disabled?: boolean;
  /** Set by Field, which links the control to its hint and error. */
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
}) {
  const known = props.sites?.some((s) => s.id === props.value) ?? false;
  return (
    <select
      id={props.id}
      class="input"
      value={props.value}
      disabled={props.disabled}
      aria-describedby={props["aria-describedby"]}
      aria-invalid={props["aria-invalid"]}
      onChange={(e) => props.onChange(e.currentTarget.value)}
    >
      <option value={NO_SITE}>{props.noneLabel ?? "No site"}</option>
      {props.sites?.map((site) => (
        <option key={site.id} value={site.id}>
          {site.name}
        </option>
      ))}
      {!known && props.value !== NO_SITE && <option value={props.value}>Loading…</option>}
    </select>
  );
}

/** Moves the target's devices into a site, or out of any (POST /sites/:id/devices). */
export function MoveToSiteDialog(props: {
  count: number;
  target: () => DeviceTarget;
  /** Preselected: the devices' site now, when they share one. */
  initialSiteId?: string | null;
  onClose: () => void;
  onDone?: (moved: number, siteName: string | null) => void;
}) {
  const session = useSession();
  const sites = useSites();
  const selectId = useId();
  const [siteId, setSiteId] = useState(props.initialSiteId ?? NO_SITE);
  const site = sites.items?.find((s) => s.id === siteId) ?? null;
  const devices = plural(props.count, "device");
  return (
    <ConfirmDialog
      title={`Move ${devices} to a site`}
      confirmLabel={site ? `Move to ${site.name}` : "Take out of their site"}
      onClose={props.onClose}
      onConfirm={async () => {
        const path = `/sites/${site ? encodeURIComponent(site.id) : NO_SITE}/devices`;
        const result = await session.api.post<{ targeted: number; moved: number }>(path, {
          target: props.target(),
        });
        session.toast(
          site
            ? `${plural(result.moved, "device")} moved to ${site.name}`
            : `${plural(result.moved, "device")} taken out of their site`,
          "success",
        );
        props.onDone?.(result.moved, site?.name ?? null);
      }}
    >
      <div class="field">
        <label for={selectId}>Site</label>
        <SiteSelect id={selectId} sites={sites.items} value={siteId} onChange={setSiteId} />
      </div>
      <ErrorNote error={sites.error} />
      <p>{moveTimeWords(site)} Online devices get it at once, the others when they connect.</p>
    </ConfirmDialog>
  );
}

/** Adds labels to, or removes them from, the target's devices (POST /devices/labels). */
export function LabelsDialog(props: {
  count: number;
  target: () => DeviceTarget;
  onClose: () => void;
  onDone?: () => void;
}) {
  const session = useSession();
  const change = useLabelChange();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const devices = plural(props.count, "device");
  const submit = async () => {
    if (busy || !change.body) return;
    setBusy(true);
    setError(null);
    try {
      const result = await session.api.post<{ targeted: number; changed: number }>("/devices/labels", {
        target: props.target(),
        ...change.body,
      });
      session.toast(`Labels changed on ${plural(result.changed, "device")}`, "success");
      props.onDone?.();
      props.onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={`Labels of ${devices}`}
      onClose={props.onClose}
      onSubmit={() => void submit()}
      footer={
        <>
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy || !change.body}>
            {busy ? "Working…" : `Change labels of ${devices}`}
          </button>
        </>
      }
    >
      {change.view}
      <p class="muted small">
        Labels are compared exactly (Lobby and lobby are two labels); a device carries at most 20.
      </p>
      <ErrorNote error={error} />
    </Dialog>
  );
}

/**
 * The selection bar's "Move to site…" and "Labels…" for holders of devices:organize, on the
 * selection or everything matching (`target`, as the fleet actions send it).
 */
export function OrganizeActions(props: { count: number; target: () => DeviceTarget; onDone: () => void }) {
  const session = useSession();
  const [open, setOpen] = useState<"site" | "labels" | null>(null);
  if (!session.can("devices:organize")) return null;
  return (
    <>
      <button type="button" class="button button-small" onClick={() => setOpen("site")}>
        Move to site…
      </button>
      <button type="button" class="button button-small" onClick={() => setOpen("labels")}>
        Labels…
      </button>
      {open === "site" && (
        <MoveToSiteDialog
          count={props.count}
          target={props.target}
          onClose={() => setOpen(null)}
          onDone={props.onDone}
        />
      )}
      {open === "labels" && (
        <LabelsDialog
          count={props.count}
          target={props.target}
          onClose={() => setOpen(null)}
          onDone={props.onDone}
        />
      )}
    </>
  );
}

/** Under a device's name in the table: its site and its labels, cut to the column. */
export function SiteAndLabels(props: { device: Pick<Device, "site" | "labels"> }) {
  const { site, labels } = props.device;
  if (!site && labels.length === 0) return null;
  return (
    <span class="site-line">
      {site && (
        <Link
          href={`/sites/${encodeURIComponent(site.id)}`}
          class="site-link cell-cut"
          title={`Site ${site.name}`}
        >
          {site.name}
        </Link>
      )}
      {labels.length > 0 && (
        <span class="chips chips-inline" title={labels.join(", ")}>
          {labels.slice(0, 2).map((l) => (
            <span key={l} class="chip">
              <span class="chip-text">{l}</span>
            </span>
          ))}
          {labels.length > 2 && <span class="muted small">+{formatCount(labels.length - 2)}</span>}
        </span>
      )}
    </span>
  );
}

/**
 * A device's site, the date & time it runs and whose that is, and its labels; holders of
 * devices:organize move it to another site and add or remove labels here.
 */
export function DeviceSiteCard(props: { device: Device; onChanged?: (device: Device) => void }) {
  const session = useSession();
  const { device } = props;
  const mayOrganize = session.can("devices:organize");
  const sites = useSites({ enabled: mayOrganize });
  const siteSelectId = useId();
  const labelInputId = useId();
  const labels = useLabels({ enabled: mayOrganize });
  const currentSite = device.site?.id ?? NO_SITE;
  const [siteId, setSiteId] = useState(currentSite);
  const [newLabels, setNewLabels] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // The device moved (here, or elsewhere and announced): the select follows it.
  useEffect(() => setSiteId(currentSite), [currentSite]);
  const target = { deviceIds: [device.id] };

  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      session.toast(await action(), "success");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const reloadDevice = async () => {
    const fresh = await session.api.get<Device>(`/devices/${encodeURIComponent(device.id)}`);
    props.onChanged?.(fresh);
  };
  const move = () =>
    run(async () => {
      const site = sites.items?.find((s) => s.id === siteId) ?? null;
      await session.api.post(`/sites/${site ? encodeURIComponent(site.id) : NO_SITE}/devices`, { target });
      await reloadDevice();
      return site ? `${device.name} moved to ${site.name}` : `${device.name} taken out of its site`;
    });
  const changeLabels = (change: { add?: string[]; remove?: string[] }) =>
    run(async () => {
      await session.api.post("/devices/labels", { target, ...change });
      await reloadDevice();
      if (change.add) setNewLabels("");
      return change.add
        ? `${change.add.length === 1 ? "Label" : "Labels"} ${change.add.join(", ")} added`
        : `Label ${change.remove?.join(", ")} removed`;
    });
  const adding = parseLabels(newLabels).filter((l) => !device.labels.includes(l));

  return (
    <Card title="Site and labels">
      <dl class="facts site-facts">
        <div class="fact">
          <dt>Site</dt>
          <dd data-testid="device-site">
            {device.site ? (
              <Link href={`/sites/${encodeURIComponent(device.site.id)}`}>{device.site.name}</Link>
            ) : (
              <span class="muted">No site</span>
            )}
          </dd>
        </div>
        <div class="fact">
          <dt>Date and time</dt>
          <dd data-testid="effective-time">{effectiveTimeWords(device)}</dd>
        </div>
        <div class="fact">
          <dt>Labels</dt>
          <dd>
            {device.labels.length > 0 ? (
              <LabelChips
                labels={device.labels}
                busy={busy}
                onRemove={mayOrganize ? (label) => void changeLabels({ remove: [label] }) : undefined}
              />
            ) : (
              <span class="muted">No labels</span>
            )}
          </dd>
        </div>
      </dl>
      {mayOrganize && (
        <>
          <div class="organize-forms">
            <form
              class="organize-form"
              onSubmit={(e) => {
                e.preventDefault();
                if (siteId !== currentSite && !busy) void move();
              }}
            >
              <div class="field">
                <label for={siteSelectId}>Move to site</label>
                <SiteSelect id={siteSelectId} sites={sites.items} value={siteId} onChange={setSiteId} />
              </div>
              <button type="submit" class="button" disabled={busy || siteId === currentSite}>
                Move
              </button>
            </form>
            <form
              class="organize-form"
              onSubmit={(e) => {
                e.preventDefault();
                if (adding.length > 0 && !busy) void changeLabels({ add: adding });
              }}
            >
              <div class="field">
                <label for={labelInputId}>Add labels</label>
                <input
                  id={labelInputId}
                  class="input"
                  list={`${labelInputId}-options`}
                  autocomplete="off"
                  placeholder="e.g. lobby, Berlin"
                  value={newLabels}
                  onInput={(e) => setNewLabels(e.currentTarget.value)}
                />
                <datalist id={`${labelInputId}-options`}>
                  {labels.items
                    ?.filter((l) => !device.labels.includes(l.label))
                    .map((l) => (
                      <option key={l.label} value={l.label} />
                    ))}
                </datalist>
              </div>
              <button type="submit" class="button" disabled={busy || adding.length === 0}>
                Add
              </button>
            </form>
          </div>
          <ErrorNote error={error} />
          <ErrorNote error={sites.error} />
        </>
      )}
    </Card>
  );
}
