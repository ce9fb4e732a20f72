/**
 * The devices page: status tiles, search and filters, the table with server-side sorting and
 * cursor paging (so 50 000 devices cost one page at a time), live updates, a row menu, a fleet
 * action on a selection or on everything that matches, and a CSV export of what matches.
 * Filters and order live in the address: a reload keeps them, Back steps back through them.
 * A dynamic group (`?group=<id>`) narrows the list to its saved filter; the filters shown can
 * be saved as a new group. *Import serials…* moves the devices of a CSV or list of serial
 * numbers to a site, or changes their labels (devices/bulk-serials.tsx).
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { query } from "../api";
import { useDeviceActions } from "../device-actions";
import { ImportSerialsDialog } from "../devices/bulk-serials";
import { DeviceFilterBar } from "../devices/device-filters";
import {
  activeFilterCount,
  type DeviceQuery,
  deviceQueryFrom,
  type FilterKey,
  type Filters,
  filterSummary,
  filtersOfSaved,
  fleetFilterOf,
  listKeyOf,
  PAGE_SIZES,
} from "../devices/device-query";
import { DeviceTable } from "../devices/device-table";
import { Tile, useDeviceCounts } from "../devices/device-tiles";
import { downloadCsv } from "../devices/download";
import { FLEET_ACTIONS, type FleetAction, FleetActionDialog } from "../devices/fleet-action-dialog";
import { OrganizeActions } from "../devices/organize";
import { formatCount, plural } from "../format";
import { useResync, useServerEvents, useThrottled, useTitle } from "../hooks";
import { navigate, useLocation } from "../router";
import { useServerNow } from "../server-clock";
import { useSession } from "../session";
import type { Batch, Device, DeviceGroup, Page, Reported } from "../types";
import { EmptyState, ErrorNote, Link, Menu, PageHeader, Spinner } from "../ui";
import { SaveGroupDialog } from "./groups";
import "../styles/devices.css";

type ListPage = Page<Device> & { total: number };

export function DevicesPage() {
  useTitle("Devices");
  const session = useSession();
  const { api } = session;
  const location = useLocation();
  const deviceQuery = deviceQueryFrom(location.search);
  const { group, sort, order, pageSize } = deviceQuery;
  const listKey = listKeyOf(deviceQuery);
  const [groupView, setGroupView] = useState<DeviceGroup | null>(null);
  const [groupError, setGroupError] = useState<unknown>(null);
  const [savingGroup, setSavingGroup] = useState(false);
  const [importing, setImporting] = useState(false);
  useEffect(() => {
    setGroupView(null);
    setGroupError(null);
    if (!group) return;
    let current = true;
    api
      .get<DeviceGroup>(`/groups/${encodeURIComponent(group)}`)
      .then((g) => current && setGroupView(g))
      .catch((err: unknown) => current && setGroupError(err));
    return () => {
      current = false;
    };
  }, [group]);
  const ownFilters = deviceQuery.filters;
  /** The group's saved fields the page shows, fixed while it is shown. */
  const groupFields = groupView ? filtersOfSaved(groupView.filter) : {};
  const fixed = new Set(Object.keys(groupFields) as FilterKey[]);
  const filters: Filters = { ...ownFilters, ...groupFields };

  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<ListPage | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [fleetAction, setFleetAction] = useState<FleetAction | null>(null);
  const [exporting, setExporting] = useState(false);
  const serverNow = useServerNow();
  const { counts, reload: reloadCounts } = useDeviceCounts();
  const actions = useDeviceActions({ withDetails: true });
  const requestSeq = useRef(0);
  /** Changes announced since the current page request started, by device. */
  const patchesSinceLoad = useRef(new Map<string, ((d: Device) => Device)[]>());

  /** A new address for the page: each change is a step Back returns to, unless `replace`. */
  const setParams = (changes: Record<string, string | null>, replace = false) => {
    const next = new URLSearchParams(location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "") next.delete(key);
      else next.set(key, value);
    }
    const text = next.toString();
    navigate(`/devices${text ? `?${text}` : ""}`, { replace });
  };

  const listQuery = (q: DeviceQuery) => ({ ...q.filters, group: q.group, sort: q.sort, order: q.order });

  const load = async (cursor: string | null) => {
    const seq = ++requestSeq.current;
    patchesSinceLoad.current = new Map();
    setLoading(true);
    try {
      const result = await api.get<ListPage>(
        `/devices${query({ ...listQuery(deviceQuery), limit: pageSize, cursor })}`,
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

  // A new filter or sort starts from the first page and clears the selection.
  useEffect(() => {
    setCursors([null]);
    setSelected(new Set());
    setAllMatching(false);
    void load(null);
  }, [listKey]);

  const currentCursor = cursors.at(-1) ?? null;
  const reloadPage = useThrottled(() => void load(currentCursor), 1000);
  useResync(reloadPage);

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
        return;
      }
      if (event.type === "device.updated" && data.device) {
        const device = data.device;
        if (visibleIds.current.has(device.id)) patch(device.id, () => device);
        else reloadPage();
        return;
      }
      const id = data.deviceId;
      if (!id) return;
      if (event.type === "device.state" && data.reported) {
        const reported = data.reported;
        patch(id, (d) => ({ ...d, reported, lastSeenAt: reported.reportedAt }));
      } else if (data.atMs !== undefined) {
        const online = event.type === "device.online";
        const atMs = data.atMs;
        patch(id, (d) => ({ ...d, online, lastSeenAt: new Date(atMs).toISOString() }));
      }
    },
  );

  const items = page?.items ?? [];
  const pageIds = items.map((d) => d.id);
  const allOnPageSelected = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
  const selectionCount = allMatching ? (page?.total ?? 0) : selected.size;
  const suggestions = useMemo(() => {
    const distinct = (values: (string | undefined)[]) =>
      [...new Set(values.filter((v): v is string => Boolean(v)))].sort();
    return {
      models: distinct(items.map((d) => d.model)),
      agentVersions: distinct(items.map((d) => d.reported?.agentVersion)),
      timezones: distinct(items.map((d) => d.reported?.timezone)),
    };
  }, [items]);
  const firstIndex = (cursors.length - 1) * pageSize;
  const filterCount = activeFilterCount(filters) + (group ? 1 : 0);
  /** The filters the page applies as one saved filter: the group's and the page's own. */
  const ownFilter = fleetFilterOf(ownFilters);
  const appliedFilter = {
    ...(groupView?.filter ?? {}),
    ...("filter" in ownFilter ? ownFilter.filter : {}),
  };
  /** Everything matching, as the group itself while only the group filters. */
  const targetsGroup = Boolean(group && activeFilterCount(ownFilters) === 0);
  /** The group's filter is not known yet: nothing can be sent to, or saved from, what it shows. */
  const groupPending = Boolean(group && !groupView);

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

  const fleetTarget = () => {
    if (!allMatching) return { deviceIds: [...selected] };
    if (targetsGroup) return { group };
    if (groupPending) throw new Error("The group has not loaded yet. Try again in a moment.");
    return Object.keys(appliedFilter).length > 0 ? { filter: appliedFilter } : { all: true as const };
  };
  const canFleet = FLEET_ACTIONS.some((f) => session.can(f.right));

  /** A tile narrows the list to its managed devices; clicked again it lets go. */
  const tileFilter = (key: keyof Filters, value: string) => ({
    active: filters[key] === value && filters.status === "active",
    onClick: () =>
      setParams(
        filters[key] === value && filters.status === "active"
          ? { [key]: null }
          : { [key]: value, status: "active" },
      ),
  });

  const exportCsv = async () => {
    setExporting(true);
    try {
      await downloadCsv(api, `/devices/export.csv${query(listQuery(deviceQuery))}`);
    } catch (err) {
      session.toast(err instanceof Error ? err.message : String(err), "error");
    } finally {
      setExporting(false);
    }
  };

  return (
    <>
      <PageHeader
        title="Devices"
        subtitle={counts ? plural(counts.total, "managed device") : "Every display this server manages"}
        actions={
          session.can("enrollment:manage") && (
            <Link href="/connect" class="button button-primary">
              Connect a device
            </Link>
          )
        }
      />

      <section class="tiles" aria-label="Fleet status">
        <Tile label="Online" value={counts?.online} tone="green" {...tileFilter("online", "true")} />
        <Tile label="Offline" value={counts?.offline} tone="neutral" {...tileFilter("online", "false")} />
        <Tile
          label="Clock drift"
          value={counts?.clockDrift}
          tone={counts?.clockDrift ? "amber" : "neutral"}
          {...tileFilter("clockDrift", "true")}
        />
        <Tile label="Locked" value={counts?.locked} tone="blue" {...tileFilter("locked", "true")} />
        <Tile
          label="Settings not applied"
          value={counts?.configPending}
          tone={counts?.configPending ? "amber" : "neutral"}
          {...tileFilter("configPending", "true")}
        />
      </section>

      {group && (
        <section class="selection-bar" aria-label="Group">
          <span>
            Group <strong>{groupView?.name ?? "…"}</strong>
            {groupView && <span class="muted"> · {filterSummary(groupView.filter)}</span>}
          </span>
          <span class="selection-actions">
            <Link href={`/groups?group=${encodeURIComponent(group)}`} class="button button-small">
              Groups
            </Link>
            <button
              type="button"
              class="button button-small button-ghost"
              onClick={() => setParams({ group: null })}
            >
              Show all devices
            </button>
          </span>
        </section>
      )}
      <ErrorNote error={groupError} />

      <DeviceFilterBar
        filters={filters}
        fixed={fixed}
        suggestions={suggestions}
        onChange={(changes, options) => setParams(changes, options?.typing)}
        actions={
          <>
            {session.can("devices:organize") && (
              <button
                type="button"
                class="button"
                disabled={groupPending || Object.keys(appliedFilter).length === 0}
                title={
                  Object.keys(appliedFilter).length === 0
                    ? "Set a filter first"
                    : "A group holds whatever devices match these filters, now and later"
                }
                onClick={() => setSavingGroup(true)}
              >
                Save as group
              </button>
            )}
            {session.can("devices:organize") && (
              <button
                type="button"
                class="button"
                title="Move devices to a site or change their labels by a CSV or list of serial numbers"
                onClick={() => setImporting(true)}
              >
                Import serials…
              </button>
            )}
            <button
              type="button"
              class="button export-button"
              disabled={exporting}
              title="Every device matching the filters, in this order"
              onClick={() => void exportCsv()}
            >
              {exporting ? "Exporting…" : "Export CSV"}
            </button>
          </>
        }
      />

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
              FLEET_ACTIONS.map((f) => (
                <button
                  key={f.type}
                  type="button"
                  class={`button button-small ${f.danger && f.type !== "reboot" ? "button-danger-outline" : ""}`}
                  disabled={!session.can(f.right)}
                  title={session.can(f.right) ? undefined : `Needs the ${f.right} right`}
                  onClick={() => setFleetAction(f)}
                >
                  {f.label}
                </button>
              ))}
            <OrganizeActions
              count={selectionCount}
              target={fleetTarget}
              onDone={() => {
                setSelected(new Set());
                setAllMatching(false);
                reloadPage();
              }}
            />
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
          <DeviceTable
            devices={items}
            busy={loading}
            sort={sort}
            order={order}
            onSort={(key, direction) => setParams({ sort: key, order: direction })}
            isSelected={(id) => allMatching || selected.has(id)}
            allOnPageSelected={allOnPageSelected}
            onToggle={toggle}
            onTogglePage={togglePage}
            menu={(device) => <Menu label={`Actions for ${device.name}`} items={actions.items(device)} />}
            serverNowMs={serverNow}
          />
          {!loading && items.length === 0 && !error && (
            <EmptyState title={filterCount ? "No device matches these filters" : "No devices yet"}>
              {filterCount
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
      {savingGroup && (
        <SaveGroupDialog
          filter={appliedFilter}
          onClose={() => setSavingGroup(false)}
          onSaved={(saved) => {
            setSavingGroup(false);
            session.toast(`Group ${saved.name} saved`, "success");
            navigate(`/devices${query({ group: saved.id, sort, order })}`);
          }}
        />
      )}
      {importing && (
        <ImportSerialsDialog
          onClose={() => setImporting(false)}
          onDone={() => {
            reloadPage();
            reloadCounts();
          }}
        />
      )}
      {fleetAction && (
        <FleetActionDialog
          action={fleetAction}
          count={selectionCount}
          groupName={allMatching && targetsGroup ? (groupView?.name ?? group) : undefined}
          onClose={() => setFleetAction(null)}
          onConfirm={async ({ inWindow }) => {
            const batch = await api.post<Batch>("/batches", {
              target: fleetTarget(),
              command: { type: fleetAction.type, ...(inWindow ? { inWindow: true } : {}) },
            });
            setSelected(new Set());
            setAllMatching(false);
            reloadCounts();
            navigate(`/fleet/${encodeURIComponent(batch.id)}`);
          }}
        />
      )}
    </>
  );
}
