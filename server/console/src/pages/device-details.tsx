/** One device: desired against reported, telemetry, and its command history, all live. */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api";
import { RIGHT_OF, useDeviceActions } from "../device-actions";
import { DeviceSiteCard } from "../devices/organize";
import {
  COMMAND_LABELS,
  formatBytes,
  formatDateTime,
  formatDuration,
  formatOffset,
  formatTime,
  timezoneLabel,
} from "../format";
import { useResync, useServerEvents, useTitle } from "../hooks";
import { sinceServerTime, useServerNow } from "../server-clock";
import { useSession } from "../session";
import type { Command, Device, Page, Reported } from "../types";
import {
  Badge,
  Card,
  CommandReason,
  CommandStateBadge,
  ConfirmDialog,
  DeviceStatusBadge,
  EmptyState,
  ErrorNote,
  Link,
  Menu,
  OnlineBadge,
  Spinner,
} from "../ui";
import "../styles/devices.css";

export function DeviceDetailsPage(props: { deviceId: string }) {
  const session = useSession();
  const { api } = session;
  const path = `/devices/${encodeURIComponent(props.deviceId)}`;
  const [device, setDevice] = useState<Device | null>(null);
  const [commands, setCommands] = useState<Command[]>([]);
  const [moreCursor, setMoreCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  /** An accepted command whose ending awaits the admin's confirmation. */
  const [ending, setEnding] = useState<Command | null>(null);
  const now = useServerNow(5000);
  const actions = useDeviceActions();
  useTitle(device?.name ?? "Device");

  const load = async () => {
    try {
      const [d, history] = await Promise.all([
        api.get<Device>(path),
        api.get<Page<Command>>(`${path}/commands?limit=50`),
      ]);
      setDevice(d);
      setCommands(history.items);
      setMoreCursor(history.nextCursor);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    setDevice(null);
    void load();
  }, [props.deviceId]);
  useResync(() => void load());

  useServerEvents(
    [
      "device.online",
      "device.offline",
      "device.state",
      "device.updated",
      "device.clock_drift",
      "command.updated",
    ],
    (event) => {
      const data = event.data as {
        deviceId?: string;
        reported?: Reported;
        device?: Device;
        command?: Command;
        atMs?: number;
        exceeded?: boolean;
      };
      if (event.type === "command.updated" && data.command?.deviceId === props.deviceId) {
        const command = data.command;
        setCommands((list) => {
          const index = list.findIndex((c) => c.id === command.id);
          if (index === -1) return [command, ...list].sort((a, b) => b.seq - a.seq);
          const next = [...list];
          next[index] = command;
          return next;
        });
        return;
      }
      if (event.type === "device.updated" && data.device?.id === props.deviceId) {
        const updated = data.device;
        // The event's view lacks when the desired config changed; a new version asks again.
        setDevice((d) =>
          d && d.desired.version === updated.desired.version
            ? { ...updated, desiredChangedAt: d.desiredChangedAt }
            : updated,
        );
        if (device?.desired.version !== updated.desired.version) void load();
        return;
      }
      if (data.deviceId !== props.deviceId) return;
      if (event.type === "device.clock_drift") {
        setDevice((d) => d && { ...d, clockOffsetExceeded: data.exceeded ?? false });
      } else if (event.type === "device.state" && data.reported) {
        const reported = data.reported;
        setDevice((d) => d && { ...d, reported, lastSeenAt: reported.reportedAt });
      } else if (event.type === "device.online" || event.type === "device.offline") {
        setDevice(
          (d) =>
            d && {
              ...d,
              online: event.type === "device.online",
              lastSeenAt: new Date(data.atMs ?? Date.now()).toISOString(),
            },
        );
      }
    },
  );

  if (error instanceof ApiError && error.status === 404) {
    return (
      <EmptyState title="This device does not exist">
        <Link href="/devices">Back to devices</Link>
      </EmptyState>
    );
  }
  if (!device) {
    return error ? <ErrorNote error={error} /> : <Spinner label="Loading the device" />;
  }
  const r = device.reported;
  const drifting = device.clockOffsetExceeded;
  // The same request cancels an undelivered command and ends one the device is running.
  const cancel = (command: Command) =>
    api.post<Command>(`/commands/${encodeURIComponent(command.id)}/cancel`);
  const cancelUndelivered = async (command: Command) => {
    try {
      await cancel(command);
      session.toast(`${COMMAND_LABELS[command.type]} canceled`, "success");
    } catch (err) {
      session.toast(err instanceof Error ? err.message : String(err), "error");
    }
  };

  return (
    <>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <Link href="/devices">Devices</Link> <span aria-hidden="true">/</span> <span>{device.name}</span>
      </nav>
      <header class="page-header">
        <div>
          <h1>{device.name}</h1>
          <p class="subtitle device-meta">
            <OnlineBadge online={device.online} />
            <DeviceStatusBadge status={device.status} />
            {r?.locked && <Badge tone="blue">Screen locked</Badge>}
            {drifting && (
              <Badge tone="amber" title="The clock offset exceeds the clock drift threshold">
                Clock drift
              </Badge>
            )}
            <span class="muted">
              {device.model} · <span class="mono">{device.serial}</span> · last seen{" "}
              {sinceServerTime(device.lastSeenAt, now)}
            </span>
          </p>
        </div>
        <div class="page-actions">
          <Menu
            label={`Actions for ${device.name}`}
            buttonLabel={<span class="menu-button-text">Actions ▾</span>}
            items={actions.items(device)}
          />
        </div>
      </header>

      <div class="grid-2">
        <Card title="Desired and reported">
          <table class="table table-compact compare-table" aria-label="Desired and reported configuration">
            <thead>
              <tr>
                <th scope="col" class="col-setting">
                  Setting
                </th>
                <th scope="col">Desired</th>
                <th scope="col">Reported</th>
                <th scope="col" class="col-match">
                  <span class="visually-hidden">Match</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <CompareRow label="Name" desired={device.desired.name} reported={r?.name} />
              <CompareRow
                label="Time zone"
                desired={timezoneLabel(device.desired.timezone)}
                reported={r ? reportedZone(r) : undefined}
                match={r ? zoneMatches(device, r) : undefined}
              />
              <CompareRow
                label="NTP server"
                desired={device.desired.ntpServer ?? "Automatic"}
                reported={r ? (r.ntpServer ?? "Automatic") : undefined}
                match={r ? (device.desired.ntpServer ?? null) === (r.ntpServer ?? null) : undefined}
              />
              <tr>
                <th scope="row">Clock offset</th>
                <td class="muted">in sync</td>
                <td class={drifting ? "text-warn" : ""}>{formatOffset(r?.clockOffsetMs)}</td>
                <td />
              </tr>
              <tr>
                <th scope="row">Config version</th>
                <td>{device.desired.version}</td>
                <td>{r?.appliedConfigVersion ?? "—"}</td>
                <td>{r && <MatchMark ok={r.appliedConfigVersion >= device.desired.version} />}</td>
              </tr>
            </tbody>
          </table>
          <ConfigStatus device={device} nowMs={now} />
          {r?.timeSyncError && (
            <p class="error-note" role="status">
              Time sync problem: {r.timeSyncError}
            </p>
          )}
          <p class="muted small">
            Last time sync {r?.lastTimeSyncAt ? sinceServerTime(r.lastTimeSyncAt, now) : "never"} · state
            reported {r ? sinceServerTime(r.reportedAt, now) : "never"}
          </p>
        </Card>

        <Card title="Telemetry">
          {r?.telemetry ? (
            <TelemetryList reported={r} />
          ) : (
            <p class="muted">The device has not sent telemetry yet.</p>
          )}
        </Card>
      </div>

      <DeviceSiteCard device={device} onChanged={setDevice} />

      <Card title="Command history" class="card-flush">
        {commands.length === 0 ? (
          <EmptyState title="No commands yet" />
        ) : (
          <div class="table-scroll">
            <table class="table" aria-label="Command history">
              <thead>
                <tr>
                  <th scope="col">Command</th>
                  <th scope="col">State</th>
                  <th scope="col">Created</th>
                  <th scope="col">Sent</th>
                  <th scope="col">Accepted</th>
                  <th scope="col">Finished</th>
                  <th scope="col">By</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {commands.map((c) => (
                  <tr key={c.id} data-command-id={c.id}>
                    <td>
                      <strong>{COMMAND_LABELS[c.type] ?? c.type}</strong>
                      <CommandParams command={c} />
                      {c.batchId && (
                        <Link class="small" href={`/fleet/${encodeURIComponent(c.batchId)}`}>
                          {" "}
                          fleet
                        </Link>
                      )}
                      <CommandReason command={c} />
                    </td>
                    <td>
                      <CommandStateBadge state={c.state} />
                      {c.waitingForWindow && (
                        <span class="small muted command-window">waiting for the maintenance window</span>
                      )}
                    </td>
                    <td title={formatDateTime(c.createdAt)}>{formatTime(c.createdAt)}</td>
                    <td>{formatTime(c.sentAt)}</td>
                    <td>{formatTime(c.acceptedAt)}</td>
                    <td>{formatTime(c.finishedAt)}</td>
                    <td>{c.createdBy ?? "—"}</td>
                    <td>
                      {session.can(RIGHT_OF[c.type]) &&
                        (c.state === "queued" || (c.state === "sent" && !device.online) ? (
                          <button
                            type="button"
                            class="button button-small"
                            onClick={() => void cancelUndelivered(c)}
                          >
                            Cancel
                          </button>
                        ) : c.state === "accepted" ? (
                          <button type="button" class="button button-small" onClick={() => setEnding(c)}>
                            End
                          </button>
                        ) : null)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {moreCursor && (
          <div class="card-body">
            <button
              type="button"
              class="button button-small"
              onClick={async () => {
                const more = await api.get<Page<Command>>(
                  `${path}/commands?limit=50&cursor=${encodeURIComponent(moreCursor)}`,
                );
                setCommands((list) => [...list, ...more.items]);
                setMoreCursor(more.nextCursor);
              }}
            >
              Show older commands
            </button>
          </div>
        )}
      </Card>

      <Card title="Device">
        <dl class="facts">
          <Fact label="Device id" value={<span class="mono">{device.id}</span>} />
          <Fact label="Enrolled" value={formatDateTime(device.enrolledAt)} />
          {device.connectedNode && (
            <Fact label="Server node" value={<span class="mono">{device.connectedNode}</span>} />
          )}
          <Fact label="Agent version" value={r?.agentVersion ?? "—"} />
          <Fact label="Booted" value={r ? formatDateTime(r.bootTime) : "—"} />
        </dl>
      </Card>
      {actions.dialog}
      {ending && (
        <ConfirmDialog
          title={`End the ${(COMMAND_LABELS[ending.type] ?? ending.type).toLowerCase()} command?`}
          confirmLabel="End command"
          onClose={() => setEnding(null)}
          onConfirm={async () => {
            await cancel(ending);
            session.toast(`${COMMAND_LABELS[ending.type] ?? ending.type} ended`, "success");
          }}
        >
          <p>
            The device is running this command. Ending it marks it canceled here; the device may still finish
            it, and then its result is recorded.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

/**
 * A device that has not applied its desired config: since when, why (when the device says),
 * and a way to send it again.
 */
function ConfigStatus(props: { device: Device; nowMs: number }) {
  const session = useSession();
  const { device } = props;
  const [busy, setBusy] = useState(false);
  const r = device.reported;
  const version = device.desired.version;
  if (r && r.appliedConfigVersion >= version) return null;
  const reason = r?.configError ?? null;
  const canResend = session.can("devices:command");
  const managed = device.status === "active";
  const disabledReason = !canResend
    ? "Needs the devices:command right"
    : !managed
      ? `The device is ${device.status}`
      : !device.online
        ? "The device is offline; it gets the config when it connects"
        : undefined;
  const resend = async () => {
    setBusy(true);
    try {
      await session.api.post(`/devices/${encodeURIComponent(device.id)}/config/resend`);
      session.toast(`Config v${version} sent to ${device.name} again`, "success");
    } catch (err) {
      session.toast(err instanceof Error ? err.message : String(err), "error");
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="config-status" role="status" data-testid="config-status">
      <p>
        <strong>
          {r ? `Applying v${version}` : `Waiting for v${version}`}
          {device.desiredChangedAt && ` since ${formatTime(device.desiredChangedAt)}`}
        </strong>{" "}
        <span class="muted">
          {device.desiredChangedAt && `(${sinceServerTime(device.desiredChangedAt, props.nowMs)}) `}
          {r ? `· the device runs v${r.appliedConfigVersion}` : "· the device has not reported yet"}
        </span>
      </p>
      <button
        type="button"
        class="button button-small"
        disabled={busy || disabledReason !== undefined}
        title={disabledReason}
        onClick={() => void resend()}
      >
        {busy ? "Sending…" : "Re-send"}
      </button>
      {reason && (
        <p class="config-reason text-error">
          The device could not apply v{reason.version}: {reason.message}
        </p>
      )}
      {disabledReason && canResend && managed && <p class="config-reason muted small">{disabledReason}.</p>}
    </div>
  );
}

function reportedZone(r: Reported): string {
  return r.timezoneAutomatic ? `Automatic (${r.timezone})` : r.timezone;
}

function zoneMatches(device: Device, r: Reported): boolean {
  return device.desired.timezone === "auto"
    ? r.timezoneAutomatic
    : !r.timezoneAutomatic && r.timezone === device.desired.timezone;
}

function MatchMark(props: { ok: boolean }) {
  return props.ok ? (
    <span class="text-ok" title="Applied">
      ✓<span class="visually-hidden">applied</span>
    </span>
  ) : (
    <span class="text-warn" title="Not applied yet">
      ●<span class="visually-hidden">not applied yet</span>
    </span>
  );
}

function CompareRow(props: {
  label: string;
  desired: string;
  reported: string | undefined;
  match?: boolean;
}) {
  const match = props.match ?? (props.reported === undefined ? undefined : props.desired === props.reported);
  return (
    <tr>
      <th scope="row">{props.label}</th>
      <td>{props.desired}</td>
      <td>{props.reported ?? <span class="muted">—</span>}</td>
      <td>{match !== undefined && <MatchMark ok={match} />}</td>
    </tr>
  );
}

function CommandParams(props: { command: Command }) {
  const p = props.command.params;
  const parts: string[] = [];
  if (typeof p.name === "string") parts.push(`“${p.name}”`);
  if (typeof p.timezone === "string") parts.push(timezoneLabel(p.timezone));
  if (typeof p.ntpServer === "string") parts.push(`NTP ${p.ntpServer}`);
  return parts.length ? <span class="muted"> {parts.join(", ")}</span> : null;
}

export function Fact(props: { label: string; value: preact.ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{props.label}</dt>
      <dd>{props.value}</dd>
    </div>
  );
}

function Meter(props: { label: string; used: number; total: number; text: string }) {
  const percent = props.total > 0 ? Math.round((props.used / props.total) * 100) : 0;
  return (
    <div class="meter">
      <div class="meter-head">
        <span>{props.label}</span>
        <span class="muted">{props.text}</span>
      </div>
      {/* The text above says the same for screen readers. */}
      <div class="meter-bar" aria-hidden="true">
        <span
          class={percent >= 90 ? "tone-red" : percent >= 75 ? "tone-amber" : "tone-blue"}
          style={{ width: `${percent}%` }}
        />
      </div>
    </div>
  );
}

function TelemetryList(props: { reported: Reported }) {
  const t = props.reported.telemetry!;
  return (
    <>
      <Meter label="CPU" used={t.cpuLoadPercent} total={100} text={`${Math.round(t.cpuLoadPercent)} %`} />
      <Meter
        label="Memory"
        used={t.memoryUsedBytes}
        total={t.memoryTotalBytes}
        text={`${formatBytes(t.memoryUsedBytes)} of ${formatBytes(t.memoryTotalBytes)}`}
      />
      <Meter
        label="Storage"
        used={t.diskUsedBytes}
        total={t.diskTotalBytes}
        text={`${formatBytes(t.diskUsedBytes)} of ${formatBytes(t.diskTotalBytes)}`}
      />
      <dl class="facts">
        <Fact label="System" value={`${t.os} ${t.osVersion}`} />
        <Fact label="Uptime" value={formatDuration(t.uptimeSeconds)} />
        <Fact
          label="Battery"
          value={t.batteryPercent < 0 ? "No battery" : `${Math.round(t.batteryPercent)} %`}
        />
        <Fact
          label="Network"
          value={
            t.interfaces.length === 0
              ? "—"
              : t.interfaces.map((i) => (
                  <div key={i.name}>
                    <span class="mono">{i.name}</span> {i.addresses.join(", ")}
                  </div>
                ))
          }
        />
      </dl>
    </>
  );
}
