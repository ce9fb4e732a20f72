/**
 * The devices table: status at a glance, search, filters, server-side sorting and cursor
 * paging (so 50 000 devices cost one page at a time), live updates, a row menu, and a fleet
 * action on a selection or on everything that matches the filters.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { query } from "../api";
import { useDeviceActions } from "../device-actions";
import { formatCount, formatOffset, plural, timeAgo, timezoneLabel } from "../format";
import { useNow, useResync, useServerEvents, useThrottled, useTitle } from "../hooks";
import { navigate, useLocation } from "../router";
import { useSession } from "../session";
import type { Batch, CommandType, Device, Page, Reported, Right, TimeSettingsView } from "../types";
import {
  Badge,
  ConfirmDialog,
  DeviceStatusBadge,
  EmptyState,
  ErrorNote,
  Link,
  Menu,
  OnlineBadge,
  PageHeader,
  Spinner,
} from "../ui";

const PAGE_SIZES = [25, 50, 100, 200];
const FILTER_KEYS = ["q", "online", "status", "model", "locked", "clockDrift"] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

interface Column {
  key: string;
  label: string;
  sort?: string;
  class?: string;
}

const COLUMNS: Column[] = [
  { key: "name", label: "Name", sort: "name" },
  { key: "online", label: "Connection", sort: "online" },
  { key: "locked", label: "Screen", sort: "locked" },
  { key: "status", label: "Status", sort: "status" },
  { key: "model", label: "Model", sort: "model" },
  { key: "serial", label: "Serial", sort: "serial" },
  { key: "timezone", label: "Time zone", sort: "timezone" },
  { key: "offset", label: "Clock offset", sort: "clockOffsetMs", class: "num" },
  { key: "lastSeen", label: "Last seen", sort: "lastSeenAt" },
  { key: "agent", label: "Agent", sort: "agentVersion" },
];

interface Summary {
  total: number;
  online: number;
  offline: number;
  locked: number;
  drifting: number;
  timePending: number | null;
}

export function DevicesPage() {
  useTitle("Devices");
  const session = useSession();
  const { api } = session;
  const location = useLocation();
  const params = location.search;
  const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? ""])) as Record<
    FilterKey,
    string
  >;
  const sort = params.get("sort") ?? "name";
  const order = params.get("order") === "desc" ? "desc" : "asc";
  const pageSize = Number(params.get("size")) || 50;
  const listKey = `${FILTER_KEYS.map((k) => filters[k]).join("|")}|${sort}|${order}|${pageSize}`;

  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<(Page<Device> & { total: number }) | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [fleetAction, setFleetAction] = useState<CommandType | null>(null);
  const [search, setSearch] = useState(filters.q);
  const now = useNow();
  const actions = useDeviceActions({ withDetails: true });
  const requestSeq = useRef(0);
  /** Changes announced since the current page request started, by device. */
  const patchesSinceLoad = useRef(new Map<string, ((d: Device) => Device)[]>());
  const searchRef = useRef<HTMLInputElement>(null);

  const setParams = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "") next.delete(key);
      else next.set(key, value);
    }
    const text = next.toString();
    navigate(`/devices${text ? `?${text}` : ""}`, { replace: true });
  };

  const filterQuery = {
    q: filters.q,
    online: filters.online,
    status: filters.status,
    model: filters.model,
    locked: filters.locked,
    clockDrift: filters.clockDrift,
  };

  const load = async (cursor: string | null) => {
    const seq = ++requestSeq.current;
    patchesSinceLoad.current = new Map();
    setLoading(true);
    try {
      const result = await api.get<Page<Device> & { total: number }>(
        `/devices${query({ ...filterQuery, sort, order, limit: pageSize, cursor })}`,
      );
      if (seq !== requestSeq.current) return;
      // Events that arrived while the page was on its way are newer than what it holds.
      const late = patchesSinceLoad.current;
      setPage({
        ...result,
        items: result.items.map((d) => (late.get(d.id) ?? []).reduce((device, change) => change(device), d)),
      });
      setError(null);
    } catch (err) {
      if (seq === requestSeq.current) setError(err);
    } finally {
      if (seq === requestSeq.current) setLoading(false);
    }
  };

  const loadSummary = async () => {
    const count = async (q: Record<string, string>) =>
      (await api.get<{ total: number }>(`/devices${query({ ...q, limit: 1 })}`)).total;
    try {
      const [total, online, offline, locked, drifting, time] = await Promise.all([
        count({ status: "active" }),
        count({ status: "active", online: "true" }),
        count({ status: "active", online: "false" }),
        count({ status: "active", locked: "true" }),
        count({ status: "active", clockDrift: "true" }),
        api.get<TimeSettingsView>("/settings/time").catch(() => null),
      ]);
      setSummary({ total, online, offline, locked, drifting, timePending: time?.pending ?? null });
    } catch {
      // The table shows the error; the tiles just stay as they were.
    }
  };

  // A new filter or sort starts from the first page and clears the selection.
  useEffect(() => {
    setCursors([null]);
    setSelected(new Set());
    setAllMatching(false);
    void load(null);
  }, [listKey]);
  useEffect(() => void loadSummary(), []);
  useEffect(() => setSearch(filters.q), [filters.q]);

  const currentCursor = cursors.at(-1) ?? null;
  const reloadPage = useThrottled(() => void load(currentCursor), 1000);
  const reloadSummary = useThrottled(() => void loadSummary(), 2000);
  useResync(() => {
    reloadPage();
    reloadSummary();
  });

  const patch = (deviceId: string, change: (d: Device) => Device) => {
    const late = patchesSinceLoad.current;
    if (late.size < 10_000) late.set(deviceId, [...(late.get(deviceId) ?? []), change]);
    setPage((current) => {
      if (!current?.items.some((d) => d.id === deviceId)) return current;
      return { ...current, items: current.items.map((d) => (d.id === deviceId ? change(d) : d)) };
    });
  };
  const visibleIds = useRef(new Set<string>());
  visibleIds.current = new Set(page?.items.map((d) => d.id));

  useServerEvents(
    ["device.online", "device.offline", "device.state", "device.updated", "device.clock_drift"],
    (event) => {
      const data = event.data as {
        deviceId?: string;
        reported?: Reported;
        device?: Device;
        atMs?: number;
        exceeded?: boolean;
      };
      if (event.type === "device.clock_drift" && data.deviceId) {
        patch(data.deviceId, (d) => ({ ...d, clockOffsetExceeded: data.exceeded ?? false }));
        reloadSummary();
        return;
      }
      if (event.type === "device.updated" && data.device) {
        const device = data.device;
        if (visibleIds.current.has(device.id)) patch(device.id, () => device);
        else reloadPage();
        reloadSummary();
        return;
      }
      const id = data.deviceId;
      if (!id) return;
      if (event.type === "device.state" && data.reported) {
        const reported = data.reported;
        patch(id, (d) => ({ ...d, reported, lastSeenAt: reported.reportedAt }));
        reloadSummary();
      } else {
        const online = event.type === "device.online";
        patch(id, (d) => ({ ...d, online, lastSeenAt: new Date(data.atMs ?? Date.now()).toISOString() }));
        reloadSummary();
      }
    },
  );

  const items = page?.items ?? [];
  const pageIds = items.map((d) => d.id);
  const allOnPageSelected = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
  const selectionCount = allMatching ? (page?.total ?? 0) : selected.size;
  const models = useMemo(() => [...new Set(items.map((d) => d.model))].sort(), [items]);
  const firstIndex = (cursors.length - 1) * pageSize;

  const toggle = (id: string) => {
    setAllMatching(false);
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  };
  const togglePage = () => {
    setAllMatching(false);
    setSelected((current) => {
      const next = new Set(current);
      for (const id of pageIds) {
        if (allOnPageSelected) next.delete(id);
        else next.add(id);
      }
      return next;
    });
  };

  const sortBy = (key: string) => {
    if (sort === key) setParams({ order: order === "asc" ? "desc" : "asc" });
    else setParams({ sort: key, order: key === "lastSeenAt" || key === "clockOffsetMs" ? "desc" : "asc" });
  };

  const fleetTarget = () => {
    if (!allMatching) return { deviceIds: [...selected] };
    const filter: Record<string, string | boolean> = {};
    if (filters.q) filter.q = filters.q;
    if (filters.model) filter.model = filters.model;
    if (filters.status) filter.status = filters.status;
    if (filters.online) filter.online = filters.online === "true";
    if (filters.locked) filter.locked = filters.locked === "true";
    if (filters.clockDrift) filter.clockDrift = filters.clockDrift === "true";
    return Object.keys(filter).length > 0 ? { filter } : { all: true };
  };

  const fleetItems: { type: CommandType; label: string; right: Right; danger?: boolean }[] = [
    { type: "lock", label: "Lock screen", right: "devices:command" },
    { type: "reboot", label: "Reboot", right: "devices:command" },
    { type: "refresh_state", label: "Refresh state", right: "devices:command" },
    { type: "factory_reset", label: "Factory reset", right: "devices:wipe", danger: true },
    { type: "stop_managing", label: "Stop managing", right: "devices:unenroll", danger: true },
  ];
  const canFleet = fleetItems.some((f) => session.can(f.right));
  const activeFilters = FILTER_KEYS.filter((k) => filters[k]).length;

  return (
    <>
      <PageHeader
        title="Devices"
        subtitle={
          summary ? `${plural(summary.total, "managed device")}` : "Every display this server manages"
        }
        actions={
          session.can("enrollment:manage") && (
            <Link href="/connect" class="button button-primary">
              Connect a device
            </Link>
          )
        }
      />

      <section class="tiles" aria-label="Fleet status">
        <Tile
          label="Online"
          value={summary?.online}
          tone="green"
          active={filters.online === "true"}
          onClick={() => setParams({ online: filters.online === "true" ? null : "true", status: "active" })}
        />
        <Tile
          label="Offline"
          value={summary?.offline}
          tone="neutral"
          active={filters.online === "false"}
          onClick={() => setParams({ online: filters.online === "false" ? null : "false", status: "active" })}
        />
        <Tile
          label="Clock drift"
          value={summary?.drifting}
          tone={summary?.drifting ? "red" : "neutral"}
          active={filters.clockDrift === "true"}
          onClick={() =>
            setParams({ clockDrift: filters.clockDrift === "true" ? null : "true", status: "active" })
          }
        />
        <Tile
          label="Locked"
          value={summary?.locked}
          tone="blue"
          active={filters.locked === "true"}
          onClick={() => setParams({ locked: filters.locked === "true" ? null : "true" })}
        />
        <Tile
          label="Date & time not applied"
          value={summary?.timePending ?? undefined}
          tone={summary?.timePending ? "amber" : "neutral"}
          href="/settings/time"
        />
      </section>

      <search class="toolbar">
        <form
          class="search"
          onSubmit={(e) => {
            e.preventDefault();
            // The field's own value: the state may lag a keystroke behind the Enter key.
            setParams({ q: searchRef.current?.value.trim() ?? search.trim() });
          }}
        >
          <label class="visually-hidden" for="device-search">
            Search devices by name or serial
          </label>
          <input
            ref={searchRef}
            id="device-search"
            class="input"
            type="search"
            placeholder="Search name or serial…"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
            onBlur={(e) =>
              e.currentTarget.value.trim() !== filters.q && setParams({ q: e.currentTarget.value.trim() })
            }
          />
        </form>
        <FilterSelect
          label="Connection"
          value={filters.online}
          onChange={(v) => setParams({ online: v })}
          options={[
            ["", "Any connection"],
            ["true", "Online"],
            ["false", "Offline"],
          ]}
        />
        <FilterSelect
          label="Status"
          value={filters.status}
          onChange={(v) => setParams({ status: v })}
          options={[
            ["", "Any status"],
            ["active", "Managed"],
            ["reset", "Factory reset"],
            ["unmanaged", "Not managed"],
            ["deactivated", "Deactivated"],
          ]}
        />
        <FilterSelect
          label="Screen"
          value={filters.locked}
          onChange={(v) => setParams({ locked: v })}
          options={[
            ["", "Locked or not"],
            ["true", "Locked"],
            ["false", "Unlocked"],
          ]}
        />
        <FilterSelect
          label="Clock"
          value={filters.clockDrift}
          onChange={(v) => setParams({ clockDrift: v })}
          options={[
            ["", "Any clock"],
            ["true", "Clock drifting"],
            ["false", "Clock in sync"],
          ]}
        />
        <div class="filter">
          <label class="visually-hidden" for="model-filter">
            Model
          </label>
          <input
            id="model-filter"
            class="input input-narrow"
            list="model-options"
            placeholder="Any model"
            value={filters.model}
            onChange={(e) => setParams({ model: e.currentTarget.value.trim() })}
          />
          <datalist id="model-options">
            {models.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </div>
        {activeFilters > 0 && (
          <button
            type="button"
            class="button button-ghost"
            onClick={() => setParams(Object.fromEntries(FILTER_KEYS.map((k) => [k, null])))}
          >
            Clear filters
          </button>
        )}
      </search>

      {selectionCount > 0 && (
        <section class="selection-bar" aria-label="Selection">
          <span>
            <strong>{formatCount(selectionCount)}</strong> {selectionCount === 1 ? "device" : "devices"}{" "}
            selected
            {!allMatching && allOnPageSelected && page && page.total > selected.size && (
              <button type="button" class="link-button" onClick={() => setAllMatching(true)}>
                Select all {formatCount(page.total)} matching devices
              </button>
            )}
          </span>
          <span class="selection-actions">
            {canFleet &&
              fleetItems.map((f) => (
                <button
                  key={f.type}
                  type="button"
                  class={`button button-small ${f.danger ? "button-danger-outline" : ""}`}
                  disabled={!session.can(f.right)}
                  title={session.can(f.right) ? undefined : `Needs the ${f.right} right`}
                  onClick={() => setFleetAction(f.type)}
                >
                  {f.label}
                </button>
              ))}
            <button
              type="button"
              class="button button-small button-ghost"
              onClick={() => {
                setSelected(new Set());
                setAllMatching(false);
              }}
            >
              Clear selection
            </button>
          </span>
        </section>
      )}

      <div class="table-card">
        <div class="table-scroll">
          <table class="table" aria-label="Devices" aria-busy={loading}>
            <thead>
              <tr>
                <th class="col-check">
                  <input
                    type="checkbox"
                    aria-label="Select all devices on this page"
                    checked={allOnPageSelected}
                    onChange={togglePage}
                  />
                </th>
                {COLUMNS.map((col) => (
                  <th
                    key={col.key}
                    class={col.class}
                    aria-sort={sort === col.sort ? (order === "asc" ? "ascending" : "descending") : undefined}
                  >
                    {col.sort ? (
                      <button type="button" class="sort-button" onClick={() => sortBy(col.sort!)}>
                        {col.label}
                        <span class="sort-arrow" aria-hidden="true">
                          {sort === col.sort ? (order === "asc" ? "▲" : "▼") : "↕"}
                        </span>
                      </button>
                    ) : (
                      col.label
                    )}
                  </th>
                ))}
                <th class="col-menu">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((device) => (
                <DeviceRow
                  key={device.id}
                  device={device}
                  now={now}
                  selected={allMatching || selected.has(device.id)}
                  onToggle={() => toggle(device.id)}
                  menu={<Menu label={`Actions for ${device.name}`} items={actions.items(device)} />}
                />
              ))}
            </tbody>
          </table>
          {!loading && items.length === 0 && !error && (
            <EmptyState title={activeFilters ? "No device matches these filters" : "No devices yet"}>
              {activeFilters
                ? "Change or clear the filters."
                : "Connect a display by typing the code it shows."}
            </EmptyState>
          )}
          {loading && items.length === 0 && (
            <div class="empty">
              <Spinner label="Loading devices" />
            </div>
          )}
          <ErrorNote error={error} />
        </div>
        <footer class="table-footer">
          <span class="muted" aria-live="polite">
            {page && page.total > 0
              ? `${formatCount(firstIndex + 1)}–${formatCount(firstIndex + items.length)} of ${formatCount(page.total)}`
              : ""}
          </span>
          <span class="pager">
            <label class="muted" for="page-size">
              Rows
            </label>
            <select
              id="page-size"
              class="input input-small"
              value={String(pageSize)}
              onChange={(e) => setParams({ size: e.currentTarget.value })}
            >
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
            <button
              type="button"
              class="button button-small"
              disabled={cursors.length <= 1 || loading}
              onClick={() => {
                const previous = cursors.slice(0, -1);
                setCursors(previous);
                void load(previous.at(-1) ?? null);
              }}
            >
              ‹ Previous
            </button>
            <button
              type="button"
              class="button button-small"
              disabled={!page?.nextCursor || loading}
              onClick={() => {
                const next = page!.nextCursor!;
                setCursors([...cursors, next]);
                void load(next);
              }}
            >
              Next ›
            </button>
          </span>
        </footer>
      </div>
      {actions.dialog}
      {fleetAction && (
        <ConfirmDialog
          title={`${FLEET_LABELS[fleetAction]} ${plural(selectionCount, "device")}?`}
          confirmLabel={`${FLEET_LABELS[fleetAction]} ${plural(selectionCount, "device")}`}
          danger={
            fleetAction === "factory_reset" || fleetAction === "stop_managing" || fleetAction === "reboot"
          }
          onClose={() => setFleetAction(null)}
          onConfirm={async () => {
            const batch = await api.post<Batch>("/batches", {
              target: fleetTarget(),
              command: { type: fleetAction },
            });
            setSelected(new Set());
            setAllMatching(false);
            navigate(`/fleet/${encodeURIComponent(batch.id)}`);
          }}
        >
          <p>{FLEET_COPY[fleetAction]}</p>
          <p class="muted">
            Only managed devices receive it. Progress is shown live on the next page, where it can also be
            canceled.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

const FLEET_LABELS: Partial<Record<CommandType, string>> = {
  lock: "Lock",
  reboot: "Reboot",
  refresh_state: "Refresh",
  factory_reset: "Factory reset",
  stop_managing: "Stop managing",
};
const FLEET_COPY: Partial<Record<CommandType, string>> = {
  lock: "Each screen locks until someone unlocks it on the device.",
  reboot: "Each display restarts and is unavailable for a minute. Anyone using one is interrupted.",
  refresh_state: "Each device reports its state again.",
  factory_reset:
    "Everything on each device is erased and it leaves management. This cannot be undone from here.",
  stop_managing: "Each device keeps working but no longer takes commands or settings from this console.",
};

function DeviceRow(props: {
  device: Device;
  now: number;
  selected: boolean;
  onToggle: () => void;
  menu: preact.ComponentChildren;
}) {
  const { device } = props;
  const r = device.reported;
  const offset = r?.clockOffsetMs;
  const offsetWarn = device.clockOffsetExceeded;
  const timePending = r !== null && r.appliedConfigVersion < device.desired.version;
  return (
    <tr class={props.selected ? "is-selected" : undefined} data-device-id={device.id}>
      <td class="col-check">
        <input
          type="checkbox"
          aria-label={`Select ${device.name}`}
          checked={props.selected}
          onChange={props.onToggle}
        />
      </td>
      <td class="col-name">
        <Link href={`/devices/${encodeURIComponent(device.id)}`}>{device.name}</Link>
        {timePending && (
          <span class="pending-mark" title="Has not applied its latest settings yet">
            <span class="visually-hidden">(settings pending)</span>●
          </span>
        )}
      </td>
      <td>
        <OnlineBadge online={device.online} />
      </td>
      <td>
        {r ? (
          r.locked ? (
            <Badge tone="blue">Locked</Badge>
          ) : (
            <span class="muted">Unlocked</span>
          )
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td>
        <DeviceStatusBadge status={device.status} />
      </td>
      <td>{device.model}</td>
      <td class="mono">{device.serial}</td>
      <td>{r ? timezoneLabel(r.timezone) : "—"}</td>
      <td class={`num ${offsetWarn ? "text-warn" : ""}`}>{formatOffset(offset)}</td>
      <td title={device.lastSeenAt ?? undefined}>{timeAgo(device.lastSeenAt, props.now)}</td>
      <td class="mono">{r?.agentVersion ?? "—"}</td>
      <td class="col-menu">{props.menu}</td>
    </tr>
  );
}

function Tile(props: {
  label: string;
  value: number | undefined;
  tone: string;
  active?: boolean;
  onClick?: () => void;
  href?: string;
}) {
  const body = (
    <>
      <span class="tile-value">{props.value === undefined ? "…" : formatCount(props.value)}</span>
      <span class="tile-label">
        <span class={`dot tone-${props.tone}`} aria-hidden="true" />
        {props.label}
      </span>
    </>
  );
  if (props.href) {
    return (
      <Link href={props.href} class="tile">
        {body}
      </Link>
    );
  }
  return (
    <button
      type="button"
      class={`tile ${props.active ? "is-active" : ""}`}
      aria-pressed={props.active}
      onClick={props.onClick}
    >
      {body}
    </button>
  );
}

function FilterSelect(props: {
  label: string;
  value: string;
  options: [string, string][];
  onChange: (value: string) => void;
}) {
  const id = `filter-${props.label.toLowerCase()}`;
  return (
    <div class="filter">
      <label class="visually-hidden" for={id}>
        {props.label}
      </label>
      <select
        id={id}
        class="input"
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}
