/**
 * Devices: their records, credentials, desired configuration, online flag and reported state.
 * The store is the source of truth; the gateway is told about changes a device must see.
 */
import type { DeviceState, TimeSettings } from "../../proto/wire.js";
import type { DeviceGateway } from "../broker/device-gateway.js";
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { hashSecret, newDeviceId, newSecret, secretMatchesHash } from "../ids.js";
import type { Logger } from "../logger.js";
import { namesOfZone } from "../settings/time-zones.js";
import { batchedLookup } from "../store/batched-lookup.js";
import type { Database, SqlValue, WriteContext } from "../store/database.js";
import { KeyedBatchWriter } from "../store/keyed-batch-writer.js";
import { isoOrNull as iso } from "../time-format.js";
import { CLOCK_OFFSET_EXCEEDS_SQL, ClockDriftTracker } from "./clock-drift.js";
import {
  type DeviceRow,
  type DeviceStatus,
  type DeviceView,
  deviceViewFromRow,
  reportedFromState,
} from "./device.js";

export interface DeviceFilter {
  online?: boolean;
  status?: DeviceStatus;
  model?: string;
  /** Substring of name or serial, case-insensitive. */
  q?: string;
  /** The screen lock the device last reported. */
  locked?: boolean;
  /** Whether the clock offset last measured exceeds the drift threshold. */
  clockDrift?: boolean;
  /** Whether the device has not applied its desired config: an older version reported, or no report. */
  configPending?: boolean;
  /** Offline and not seen for at least this many days (a device never seen counts). */
  notSeenForDays?: number;
  /** The agent version last reported, exactly. */
  agentVersion?: string;
  /** The time zone last reported, under any of its names (`Asia/Kolkata` matches `Asia/Calcutta`). */
  timezone?: string;
}

/** Managed devices per tile of the console's devices page, counted in one query. */
export interface DeviceCounts {
  total: number;
  online: number;
  offline: number;
  locked: number;
  clockDrift: number;
  configPending: number;
}

/** A device whose reported applied config version is below the desired one, or that never reported. */
const CONFIG_PENDING_SQL = "coalesce(reported_json ->> '$.appliedConfigVersion', -1) < desired_version";

const DAY_MS = 86_400_000;

/** Columns the device list can be sorted by, and the SQL that orders them (never null, so
 * that a keyset cursor can compare them). The clock offset sorts by size, either way off. */
export const DEVICE_SORT_KEYS = {
  name: "lower(name)",
  serial: "serial",
  model: "model",
  status: "status",
  online: "online",
  lastSeenAt: "coalesce(last_seen_at, 0)",
  enrolledAt: "enrolled_at",
  locked: "coalesce(reported_json ->> '$.locked', 0)",
  timezone: "coalesce(reported_json ->> '$.timezone', '')",
  clockOffsetMs: "coalesce(abs(reported_json ->> '$.clockOffsetMs'), -1)",
  agentVersion: "coalesce(reported_json ->> '$.agentVersion', '')",
} as const;
export type DeviceSortKey = keyof typeof DEVICE_SORT_KEYS;

export interface DeviceSort {
  by: DeviceSortKey;
  descending: boolean;
}

export interface DeviceListPage {
  items: DeviceView[];
  nextCursor: string | null;
  total: number;
}

export interface EnrolledDevice {
  deviceId: string;
  secret: string;
  name: string;
}

export interface DeviceServiceDeps {
  db: Database;
  gateway: () => DeviceGateway;
  events: EventBus<ServerEvents>;
  logger: Logger;
  clock: () => number;
  /** How much state history one device may leave: rows per clock hour, and rows in all. */
  stateHistory: { rowsPerHour: number; maxRowsPerDevice: number };
}

const HOUR_MS = 3_600_000;

/** Fields of a reported state whose change is worth a row in the state history. */
function historyKey(state: DeviceState): string {
  return JSON.stringify([
    state.name,
    state.locked,
    state.timezone,
    state.ntpServer,
    state.bootTimeMs,
    state.appliedConfigVersion,
    state.signingKeysVersion,
    state.timeSyncError,
    state.agentVersion,
    state.configError ?? null,
  ]);
}

interface StoredReport {
  reportedJson: string;
  atMs: number;
  /** Also append this to the state history (something worth keeping changed): the state without its telemetry. */
  historyJson: string | null;
}

export class DeviceService {
  private readonly lastHistoryKeyByDevice = new Map<string, string>();
  /** History rows written per device in the current clock hour. */
  private readonly historyRowsThisHourByDevice = new Map<string, { hour: number; rows: number }>();
  /** Reported states: the latest per device per tick, written in one statement. */
  private readonly reportWriter: KeyedBatchWriter<string, StoredReport>;
  /** Online flags and last-seen times, likewise. */
  private readonly presenceWriter: KeyedBatchWriter<string, { online: boolean; atMs: number }>;

  /** Credential hashes and device rows by id, one query per event-loop turn (reconnect storms). */
  private readonly secretHashOf: (deviceId: string) => Promise<string | null>;
  private readonly rowForConfig: (deviceId: string) => Promise<DeviceRow | null>;
  /** Which devices' clocks are off by more than the threshold (a setting; see clock-drift.ts). */
  readonly clockDrift: ClockDriftTracker;

  constructor(private readonly deps: DeviceServiceDeps) {
    this.clockDrift = new ClockDriftTracker(deps.events);
    this.reportWriter = new KeyedBatchWriter(deps.db, { apply: (tx, batch) => this.writeReports(tx, batch) });
    this.presenceWriter = new KeyedBatchWriter(deps.db, {
      apply: (tx, batch) => this.writePresence(tx, batch),
    });
    this.secretHashOf = batchedLookup(async (ids) => {
      const rows = await deps.db.all<{ device_id: string; secret_hash: string }>(
        `SELECT device_id, secret_hash FROM device_credentials
         WHERE device_id IN (SELECT value FROM json_each(?))`,
        [JSON.stringify(ids)],
      );
      return new Map(rows.map((r) => [r.device_id, r.secret_hash]));
    }, null);
    this.rowForConfig = batchedLookup(async (ids) => {
      const rows = await deps.db.all<DeviceRow>(
        "SELECT * FROM devices WHERE id IN (SELECT value FROM json_each(?))",
        [JSON.stringify(ids)],
      );
      return new Map(rows.map((r) => [r.id, r]));
    }, null);
  }

  async get(deviceId: string): Promise<DeviceView> {
    return deviceViewFromRow(await this.getRow(deviceId), false, this.clockDrift.thresholdMs);
  }

  async getRow(
    deviceId: string,
    tx: Pick<WriteContext, "get"> = this.deps.db,
  ): Promise<DeviceRow & { onlineFlag: boolean }> {
    const row = await tx.get<DeviceRow>("SELECT * FROM devices WHERE id = ?", [deviceId]);
    if (!row) throw new MdmError("device_not_found", `device '${deviceId}' does not exist`);
    return { ...row, onlineFlag: row.online === 1 };
  }

  view(row: DeviceRow): DeviceView {
    return deviceViewFromRow(row, row.online === 1, this.clockDrift.thresholdMs);
  }

  /**
   * One page of devices. Without a sort they come in id order and the cursor is the last id;
   * with one, the cursor holds the last row's sort value and id (keyset paging, so a page
   * deep in 50 000 devices costs the same as the first).
   */
  async list(
    filter: DeviceFilter,
    limit: number,
    cursor: string | null,
    sort: DeviceSort | null = null,
  ): Promise<DeviceListPage> {
    const { where, params } = this.whereClause(filter);
    const page = await this.page(filter, limit, cursor, sort);
    const total =
      (await this.deps.db.get<{ n: number }>(`SELECT count(*) AS n FROM devices ${where}`, params))?.n ?? 0;
    return { ...page, total };
  }

  /**
   * Every device matching the filter, in the sort's order, a page at a time: a fleet of 50 000
   * is read in pages of `pageSize`, never held at once.
   */
  async *pagesMatching(
    filter: DeviceFilter,
    sort: DeviceSort | null,
    pageSize: number,
  ): AsyncGenerator<DeviceView[], void, undefined> {
    let cursor: string | null = null;
    do {
      const page = await this.page(filter, pageSize, cursor, sort);
      if (page.items.length > 0) yield page.items;
      cursor = page.nextCursor;
    } while (cursor !== null);
  }

  /** One page of {@link list} without the total. */
  private async page(
    filter: DeviceFilter,
    limit: number,
    cursor: string | null,
    sort: DeviceSort | null,
  ): Promise<{ items: DeviceView[]; nextCursor: string | null }> {
    const { where, params } = this.whereClause(filter);
    const expr = sort ? DEVICE_SORT_KEYS[sort.by] : null;
    const direction = sort?.descending ? "DESC" : "ASC";
    const pageClauses: string[] = [];
    const pageParams: SqlValue[] = [...params];
    if (cursor && expr) {
      const [value, id] = decodeSortCursor(cursor);
      const beyond = sort?.descending ? "<" : ">";
      pageClauses.push(`(${expr} ${beyond} ? OR (${expr} = ? AND id ${beyond} ?))`);
      pageParams.push(value, value, id);
    } else if (cursor) {
      pageClauses.push("id > ?");
      pageParams.push(cursor);
    }
    const pageWhere = pageClauses.length
      ? `${where ? `${where} AND` : "WHERE"} ${pageClauses.join(" AND ")}`
      : where;
    const order = expr ? `${expr} ${direction}, id ${direction}` : "id";
    const rows = await this.deps.db.all<DeviceRow & { sort_value?: SqlValue }>(
      `SELECT *${expr ? `, ${expr} AS sort_value` : ""} FROM devices ${pageWhere} ORDER BY ${order} LIMIT ?`,
      [...pageParams, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    let nextCursor: string | null = null;
    if (rows.length > limit && last) {
      nextCursor = expr ? encodeSortCursor(last.sort_value ?? null, last.id) : last.id;
    }
    return { items: page.map((r) => this.view(r)), nextCursor };
  }

  /** How many managed devices are online, offline, locked, drifting and behind on config: one scan. */
  async counts(): Promise<DeviceCounts> {
    const row = await this.deps.db.get<DeviceCounts>(
      `SELECT count(*) AS total,
         coalesce(sum(online = 1), 0) AS online,
         coalesce(sum(online = 0), 0) AS offline,
         coalesce(sum(${DEVICE_SORT_KEYS.locked} = 1), 0) AS locked,
         coalesce(sum(coalesce(${CLOCK_OFFSET_EXCEEDS_SQL}, 0)), 0) AS clockDrift,
         coalesce(sum(${CONFIG_PENDING_SQL}), 0) AS configPending
       FROM devices WHERE status = 'active'`,
      [this.clockDrift.thresholdMs],
    );
    return row ?? { total: 0, online: 0, offline: 0, locked: 0, clockDrift: 0, configPending: 0 };
  }

  /** Ids of the devices matching a filter, for fleet commands. */
  async idsMatching(filter: DeviceFilter, tx: Pick<WriteContext, "all"> = this.deps.db): Promise<string[]> {
    const { where, params } = this.whereClause(filter);
    const rows = await tx.all<{ id: string }>(`SELECT id FROM devices ${where} ORDER BY id`, params);
    return rows.map((r) => r.id);
  }

  private whereClause(filter: DeviceFilter): { where: string; params: SqlValue[] } {
    const clauses: string[] = [];
    const params: SqlValue[] = [];
    if (filter.online !== undefined) {
      clauses.push("online = ?");
      params.push(filter.online ? 1 : 0);
    }
    if (filter.status) {
      clauses.push("status = ?");
      params.push(filter.status);
    }
    if (filter.model) {
      clauses.push("model = ?");
      params.push(filter.model);
    }
    if (filter.locked !== undefined) {
      clauses.push(`${DEVICE_SORT_KEYS.locked} = ?`);
      params.push(filter.locked ? 1 : 0);
    }
    if (filter.clockDrift !== undefined) {
      clauses.push(
        filter.clockDrift ? CLOCK_OFFSET_EXCEEDS_SQL : `NOT coalesce(${CLOCK_OFFSET_EXCEEDS_SQL}, 0)`,
      );
      params.push(this.clockDrift.thresholdMs);
    }
    if (filter.configPending !== undefined) {
      clauses.push(filter.configPending ? CONFIG_PENDING_SQL : `NOT (${CONFIG_PENDING_SQL})`);
    }
    if (filter.notSeenForDays !== undefined) {
      clauses.push("online = 0 AND coalesce(last_seen_at, 0) <= ?");
      params.push(this.deps.clock() - filter.notSeenForDays * DAY_MS);
    }
    if (filter.agentVersion) {
      clauses.push(`${DEVICE_SORT_KEYS.agentVersion} = ?`);
      params.push(filter.agentVersion);
    }
    if (filter.timezone) {
      clauses.push(`${DEVICE_SORT_KEYS.timezone} IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(namesOfZone(filter.timezone)));
    }
    if (filter.q) {
      clauses.push("(name LIKE ? ESCAPE '\\' OR serial LIKE ? ESCAPE '\\')");
      const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      params.push(like, like);
    }
    return { where: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
  }

  // ---- enrollment and credentials -----------------------------------------------------------

  /**
   * Creates the device for a serial, or brings back the existing record (after a factory reset,
   * stop managing or removal), and issues a fresh credential. Refused inside the same
   * transaction as the check: a deactivated serial, and the serial of a managed device unless
   * `replacing` names that device (an admin approved the takeover).
   */
  async enroll(
    tx: WriteContext,
    input: {
      serial: string;
      model: string;
      /** Desired time of a new device: the global setting. */
      time: TimeSettings;
      /** The managed device with this serial that this enrollment replaces. */
      replacing?: string;
    },
  ): Promise<EnrolledDevice & { created: boolean }> {
    await this.assertSerialAllowed(tx, input.serial);
    const now = this.deps.clock();
    const existing = await tx.get<DeviceRow>("SELECT * FROM devices WHERE serial = ?", [input.serial]);
    if (existing?.status === "active" && existing.id !== input.replacing) {
      throw this.alreadyEnrolled(existing, "token");
    }
    let deviceId: string;
    let name: string;
    if (existing) {
      deviceId = existing.id;
      name = existing.name;
      await tx.run("UPDATE devices SET status = 'active', model = ?, enrolled_at = ? WHERE id = ?", [
        input.model,
        now,
        deviceId,
      ]);
    } else {
      deviceId = newDeviceId();
      name = `${input.model} ${input.serial.slice(-4).toUpperCase()}`;
      const { time } = input;
      await tx.run(
        `INSERT INTO devices (id, serial, model, name, status, enrolled_at, created_at,
           desired_name, desired_timezone, desired_ntp_server)
         VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?, ?)`,
        [deviceId, input.serial, input.model, name, now, now, name, time.timezone, time.ntpServer],
      );
    }
    const secret = newSecret("pds_");
    await tx.run(
      `INSERT INTO device_credentials (device_id, secret_hash, created_at) VALUES (?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET secret_hash = excluded.secret_hash, created_at = excluded.created_at`,
      [deviceId, hashSecret(secret), now],
    );
    return { deviceId, secret, name, created: !existing };
  }

  async assertSerialAllowed(tx: Pick<WriteContext, "get">, serial: string): Promise<void> {
    const denied = await tx.get<{ device_id: string }>(
      "SELECT device_id FROM denied_serials WHERE serial = ?",
      [serial],
    );
    if (denied) {
      throw new MdmError(
        "device_deactivated",
        `device with serial '${serial}' was permanently deactivated and can never be enrolled again`,
      );
    }
  }

  /**
   * The managed (active) device that has this serial, when `replaceDeviceId` names it; null when
   * no managed device has it. Throws `device_already_enrolled` for one that `replaceDeviceId`
   * does not name, saying which device it is and whether it is online now.
   */
  async managedDeviceWithSerial(
    reader: Pick<WriteContext, "get">,
    serial: string,
    replaceDeviceId?: string,
  ): Promise<DeviceRow | null> {
    const row = await reader.get<DeviceRow>("SELECT * FROM devices WHERE serial = ? AND status = 'active'", [
      serial,
    ]);
    if (!row) return null;
    if (row.id !== replaceDeviceId)
      throw this.alreadyEnrolled(row, replaceDeviceId ? "claim-mismatch" : "claim");
    return row;
  }

  private alreadyEnrolled(row: DeviceRow, path: "token" | "claim" | "claim-mismatch"): MdmError {
    const online = this.deps.gateway().isOnline(row.id);
    const where = online
      ? "which is online now"
      : `which was last seen ${row.last_seen_at ? new Date(row.last_seen_at).toISOString() : "never"}`;
    const hint =
      path === "token"
        ? "remove that device first (POST /devices/:id/remove), or enroll by code and approve the replacement"
        : `to replace it with the device showing this code, claim again with replaceDeviceId '${row.id}'`;
    return new MdmError(
      "device_already_enrolled",
      `serial '${row.serial}' belongs to managed device '${row.name}' (${row.id}), ${where}; ${hint}`,
      {
        deviceId: row.id,
        name: row.name,
        serial: row.serial,
        online,
        lastSeenAt: iso(row.last_seen_at),
      },
    );
  }

  /** A new secret for the device's credential (the old one stops working); returns it once. */
  async renewSecret(tx: WriteContext, deviceId: string): Promise<string> {
    const secret = newSecret("pds_");
    await tx.run("UPDATE device_credentials SET secret_hash = ?, created_at = ? WHERE device_id = ?", [
      hashSecret(secret),
      this.deps.clock(),
      deviceId,
    ]);
    return secret;
  }

  async verifyCredential(deviceId: string, secret: string): Promise<boolean> {
    const secretHash = await this.secretHashOf(deviceId);
    return secretHash !== null && secretMatchesHash(secret, secretHash);
  }

  /** Removes the credential and closes the device's connection. */
  async revokeCredential(tx: WriteContext, deviceId: string): Promise<void> {
    await tx.run("DELETE FROM device_credentials WHERE device_id = ?", [deviceId]);
  }

  async setStatus(tx: WriteContext, deviceIds: readonly string[], status: DeviceStatus): Promise<void> {
    await tx.run("UPDATE devices SET status = ? WHERE id IN (SELECT value FROM json_each(?))", [
      status,
      JSON.stringify(deviceIds),
    ]);
  }

  /** Puts the devices' serials on the deny list for good. */
  async denySerials(tx: WriteContext, deviceIds: readonly string[]): Promise<void> {
    await tx.run(
      `INSERT OR IGNORE INTO denied_serials (serial, device_id, denied_at)
       SELECT serial, id, ? FROM devices WHERE id IN (SELECT value FROM json_each(?))`,
      [this.deps.clock(), JSON.stringify(deviceIds)],
    );
  }

  /** The device's status as stored now (null: no such device); batched across a reconnect storm. */
  async statusOf(deviceId: string): Promise<DeviceStatus | null> {
    return (await this.rowForConfig(deviceId))?.status ?? null;
  }

  async emitUpdated(deviceId: string): Promise<DeviceView> {
    const view = this.view(await this.getRow(deviceId));
    this.deps.events.emit("device.updated", { device: view });
    return view;
  }

  // ---- desired configuration ----------------------------------------------------------------

  async setDesiredName(tx: WriteContext, deviceId: string, name: string): Promise<void> {
    await tx.run(
      "UPDATE devices SET desired_name = ?, name = ?, desired_version = desired_version + 1 WHERE id = ?",
      [name, name, deviceId],
    );
  }

  async setDesiredTime(tx: WriteContext, deviceId: string, time: TimeSettings): Promise<void> {
    await tx.run(
      `UPDATE devices SET desired_timezone = ?, desired_ntp_server = ?, desired_version = desired_version + 1
       WHERE id = ?`,
      [time.timezone, time.ntpServer, deviceId],
    );
  }

  /** Applies global time settings to every device that is still managed. */
  async setDesiredTimeForAll(tx: WriteContext, time: TimeSettings): Promise<void> {
    await tx.run(
      `UPDATE devices SET desired_timezone = ?, desired_ntp_server = ?, desired_version = desired_version + 1
       WHERE status IN ('active', 'reset', 'unmanaged')`,
      [time.timezone, time.ntpServer],
    );
  }

  /** Sends the stored desired config to the device, if it is online. */
  async pushDesiredConfig(deviceId: string): Promise<void> {
    const gateway = this.deps.gateway();
    if (!gateway.isOnline(deviceId)) return;
    const row = await this.rowForConfig(deviceId);
    if (!row) return;
    if (row.status !== "active" && row.status !== "deactivated") return;
    await gateway.publishConfig(deviceId, {
      version: row.desired_version,
      name: row.desired_name,
      time: { timezone: row.desired_timezone, ntpServer: row.desired_ntp_server },
    });
  }

  /**
   * Sends the stored desired config again now, for a device stuck applying it. Refused for a
   * device that is not managed, and for one that is offline (it gets the config when it
   * connects; nothing can reach it before).
   */
  async resendDesiredConfig(deviceId: string): Promise<DeviceView> {
    const row = await this.getRow(deviceId);
    if (row.status !== "active") {
      throw new MdmError("device_not_managed", `device '${deviceId}' is ${row.status}`, {
        status: row.status,
      });
    }
    if (!this.deps.gateway().isOnline(deviceId)) {
      throw new MdmError(
        "device_offline",
        `device '${row.name}' (${deviceId}) is offline; it receives its desired config when it connects`,
      );
    }
    await this.pushDesiredConfig(deviceId);
    return this.view(row);
  }

  /**
   * When the device's desired config took its current version. No column holds it; it is the
   * latest of what changes the version: the enrollment (a device enrolls with the global time,
   * and a returning one starts applying again), a change of the global date & time (every
   * device's version moves), and a succeeded rename or set_time command of this device.
   */
  async desiredChangedAt(row: Pick<DeviceRow, "id" | "enrolled_at">): Promise<number> {
    const found = await this.deps.db.get<{ at: number | null }>(
      `SELECT max(
         coalesce((SELECT updated_at FROM settings WHERE key = 'time'), 0),
         coalesce((SELECT max(finished_at) FROM commands
                   WHERE device_id = ? AND type IN ('rename', 'set_time') AND state = 'succeeded'), 0)
       ) AS at`,
      [row.id],
    );
    return Math.max(row.enrolled_at, found?.at ?? 0);
  }

  // ---- presence and reported state ----------------------------------------------------------

  async markAllOffline(): Promise<void> {
    await this.deps.db.write((tx) =>
      tx.run("UPDATE devices SET online = 0 WHERE online = 1").then(() => undefined),
    );
  }

  async recordPresence(deviceId: string, online: boolean): Promise<void> {
    const now = this.deps.clock();
    await this.presenceWriter.enqueue(deviceId, { online, atMs: now });
    this.deps.events.emit(online ? "device.online" : "device.offline", { deviceId, atMs: now });
  }

  private async writePresence(
    tx: WriteContext,
    batch: ReadonlyMap<string, { online: boolean; atMs: number }>,
  ): Promise<void> {
    const rows = [...batch].map(([id, p]) => [id, p.online ? 1 : 0, p.atMs]);
    await tx.run(
      `UPDATE devices SET online = u.value ->> 1, last_seen_at = u.value ->> 2
       FROM json_each(?) AS u WHERE devices.id = u.value ->> 0`,
      [JSON.stringify(rows)],
    );
  }

  async recordState(deviceId: string, state: DeviceState): Promise<void> {
    const now = this.deps.clock();
    const reported = reportedFromState(state, now);
    const key = historyKey(state);
    const previous = this.reportWriter.pendingValue(deviceId);
    // A change superseded within the same tick still belongs in the history.
    const historyRow =
      this.lastHistoryKeyByDevice.get(deviceId) !== key && this.takeHistoryRow(deviceId, now)
        ? JSON.stringify({ ...reported, telemetry: null })
        : null;
    if (historyRow !== null) this.lastHistoryKeyByDevice.set(deviceId, key);
    await this.reportWriter.enqueue(deviceId, {
      reportedJson: JSON.stringify(reported),
      atMs: now,
      historyJson: historyRow ?? previous?.historyJson ?? null,
    });
    this.deps.events.emit("device.state", { deviceId, reported });
    this.clockDrift.observe(deviceId, reported);
  }

  /**
   * Whether the device may add a history row now: at most `rowsPerHour` per clock hour. A
   * change refused here is not lost for good: the next report after the hour turns is compared
   * with the last state recorded, so the history catches up with where the device is.
   */
  private takeHistoryRow(deviceId: string, nowMs: number): boolean {
    const hour = Math.floor(nowMs / HOUR_MS);
    const window = this.historyRowsThisHourByDevice.get(deviceId);
    if (!window || window.hour !== hour) {
      this.historyRowsThisHourByDevice.set(deviceId, { hour, rows: 1 });
      return true;
    }
    if (window.rows >= this.deps.stateHistory.rowsPerHour) return false;
    window.rows++;
    return true;
  }

  /**
   * A new clock drift threshold: the devices over it are found in the store (after the
   * reports still being written), and each one that starts or stops exceeding it is announced.
   */
  async applyClockDriftThreshold(thresholdMs: number): Promise<void> {
    await this.reportWriter.drain();
    const rows = await this.deps.db.all<{ id: string; offset: number }>(
      `SELECT id, reported_json ->> '$.clockOffsetMs' AS offset FROM devices WHERE ${CLOCK_OFFSET_EXCEEDS_SQL}`,
      [thresholdMs],
    );
    this.clockDrift.reset(thresholdMs, new Map(rows.map((r) => [r.id, r.offset])));
  }

  private async writeReports(tx: WriteContext, batch: ReadonlyMap<string, StoredReport>): Promise<void> {
    const rows = [...batch].map(([id, r]) => [id, r.atMs, r.reportedJson]);
    await tx.run(
      `UPDATE devices SET reported_json = u.value ->> 2, reported_at = u.value ->> 1, last_seen_at = u.value ->> 1
       FROM json_each(?) AS u WHERE devices.id = u.value ->> 0`,
      [JSON.stringify(rows)],
    );
    const history = [...batch]
      .filter(([, r]) => r.historyJson !== null)
      .map(([id, r]) => [id, r.atMs, r.historyJson]);
    if (history.length > 0) {
      await tx.run(
        `INSERT INTO state_history (device_id, at, state_json)
         SELECT h.value ->> 0, h.value ->> 1, h.value ->> 2 FROM json_each(?) AS h
         WHERE EXISTS (SELECT 1 FROM devices WHERE id = h.value ->> 0)`,
        [JSON.stringify(history)],
      );
      // Each device keeps its newest rows only; one statement for every device written here.
      await tx.run(
        `DELETE FROM state_history WHERE id IN (
           SELECT h.id FROM json_each(?) AS d JOIN state_history AS h ON h.device_id = d.value
           WHERE h.id <= (SELECT id FROM state_history WHERE device_id = d.value
                          ORDER BY id DESC LIMIT 1 OFFSET ?))`,
        [JSON.stringify(history.map(([id]) => id)), this.deps.stateHistory.maxRowsPerDevice],
      );
    }
  }

  /** Resolves once every presence and state write so far is stored. */
  async drainWrites(): Promise<void> {
    await this.presenceWriter.drain();
    await this.reportWriter.drain();
  }

  async stateHistory(deviceId: string, limit: number): Promise<{ at: string; reported: unknown }[]> {
    await this.getRow(deviceId);
    const rows = await this.deps.db.all<{ at: number; state_json: string }>(
      "SELECT at, state_json FROM state_history WHERE device_id = ? ORDER BY id DESC LIMIT ?",
      [deviceId, limit],
    );
    return rows.map((r) => ({ at: new Date(r.at).toISOString(), reported: JSON.parse(r.state_json) }));
  }

  async pruneStateHistory(olderThanMs: number): Promise<number> {
    const result = await this.deps.db.write((tx) =>
      tx.run("DELETE FROM state_history WHERE at < ?", [olderThanMs]),
    );
    return result.changes;
  }

  forget(deviceId: string): void {
    this.lastHistoryKeyByDevice.delete(deviceId);
    this.historyRowsThisHourByDevice.delete(deviceId);
  }
}

function encodeSortCursor(value: SqlValue, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString("base64url");
}

function decodeSortCursor(cursor: string): [SqlValue, string] {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (
      Array.isArray(decoded) &&
      decoded.length === 2 &&
      (typeof decoded[0] === "string" || typeof decoded[0] === "number") &&
      typeof decoded[1] === "string"
    ) {
      return [decoded[0], decoded[1]];
    }
  } catch {
    // Falls through to the error below.
  }
  throw new MdmError("validation_failed", "cursor is not one this list issued with this sort", {
    field: "cursor",
  });
}
