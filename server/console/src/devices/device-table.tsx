/**
 * The devices table: one row per device, server-side sorting by column header, selection
 * checkboxes and each row's menu. Long names, serials, models and zones are cut to their
 * column's width with the whole text as a tooltip, so every column fits a 1280 px screen.
 */
import { formatOffset, timezoneLabel } from "../format";
import { sinceServerTime } from "../server-clock";
import type { Device } from "../types";
import { Badge, DeviceStatusBadge, Link, OnlineBadge } from "../ui";
import { SiteAndLabels } from "./organize";

interface Column {
  key: string;
  label: string;
  sort: string;
  class?: string;
}

const COLUMNS: Column[] = [
  { key: "name", label: "Name", sort: "name", class: "col-name" },
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

/** Columns whose largest value comes first on the first click. */
const DESCENDING_FIRST = new Set(["lastSeenAt", "clockOffsetMs"]);

export function DeviceTable(props: {
  devices: Device[];
  busy: boolean;
  sort: string;
  order: "asc" | "desc";
  onSort: (sort: string, order: "asc" | "desc") => void;
  isSelected: (id: string) => boolean;
  allOnPageSelected: boolean;
  onToggle: (id: string) => void;
  onTogglePage: () => void;
  menu: (device: Device) => preact.ComponentChildren;
  serverNowMs: number;
}) {
  const { sort, order } = props;
  const sortBy = (key: string) => {
    if (sort === key) props.onSort(key, order === "asc" ? "desc" : "asc");
    else props.onSort(key, DESCENDING_FIRST.has(key) ? "desc" : "asc");
  };
  return (
    <table class="table device-table" aria-label="Devices" aria-busy={props.busy}>
      <thead>
        <tr>
          <th class="col-check">
            <input
              type="checkbox"
              aria-label="Select all devices on this page"
              checked={props.allOnPageSelected}
              onChange={props.onTogglePage}
            />
          </th>
          {COLUMNS.map((col) => (
            <th
              key={col.key}
              class={col.class}
              aria-sort={sort === col.sort ? (order === "asc" ? "ascending" : "descending") : undefined}
            >
              <button type="button" class="sort-button" onClick={() => sortBy(col.sort)}>
                {col.label}
                <span class="sort-arrow" aria-hidden="true">
                  {sort === col.sort ? (order === "asc" ? "▲" : "▼") : "↕"}
                </span>
              </button>
            </th>
          ))}
          <th class="col-menu">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.devices.map((device) => (
          <DeviceRow
            key={device.id}
            device={device}
            serverNowMs={props.serverNowMs}
            selected={props.isSelected(device.id)}
            onToggle={() => props.onToggle(device.id)}
            menu={props.menu(device)}
          />
        ))}
      </tbody>
    </table>
  );
}

/** Text cut to the column's width; the tooltip has all of it. */
function Cut(props: { text: string; class?: string }) {
  return (
    <span class={`cell-cut ${props.class ?? ""}`} title={props.text}>
      {props.text}
    </span>
  );
}

function DeviceRow(props: {
  device: Device;
  serverNowMs: number;
  selected: boolean;
  onToggle: () => void;
  menu: preact.ComponentChildren;
}) {
  const { device } = props;
  const r = device.reported;
  const configPending = r === null || r.appliedConfigVersion < device.desired.version;
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
        <span class="name-cell">
          <Link href={`/devices/${encodeURIComponent(device.id)}`} class="cell-cut" title={device.name}>
            {device.name}
          </Link>
          {configPending && r !== null && (
            <span class="pending-mark" title="Has not applied its latest settings yet">
              <span class="visually-hidden">(settings pending)</span>●
            </span>
          )}
        </span>
        <SiteAndLabels device={device} />
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
      <td>
        <Cut text={device.model} class="cut-model" />
      </td>
      <td class="mono">
        <Cut text={device.serial} class="cut-serial" />
      </td>
      <td>{r ? <Cut text={timezoneLabel(r.timezone)} class="cut-zone" /> : "—"}</td>
      <td class={`num ${device.clockOffsetExceeded ? "text-warn" : ""}`}>{formatOffset(r?.clockOffsetMs)}</td>
      <td title={device.lastSeenAt ?? undefined}>{sinceServerTime(device.lastSeenAt, props.serverNowMs)}</td>
      <td class="mono">{r ? <Cut text={r.agentVersion} class="cut-agent" /> : "—"}</td>
      <td class="col-menu">{props.menu}</td>
    </tr>
  );
}
