/**
 * Devices: their records, credentials, desired configuration, online flag and reported state.
 * The store is the source of truth; the gateway is told about changes a device must see.
 */
import type { DeviceState, TimeSettings } from "../../proto/wire.js";
import type { DeviceGateway } from "../broker/device-gateway.js";
import type { ClusterLink } from "../cluster/cluster-link.js";
import { failoverOrder } from "../cluster/failover-order.js";
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { hashSecret, newDeviceId, newSecret, secretMatchesHash } from "../ids.js";
import type { Logger } from "../logger.js";
import { namesOfZone } from "../settings/time-zones.js";
import { batchedLookup } from "../store/batched-lookup.js";
import { KeyedBatchWriter, singleStatementUnits } from "../store/keyed-batch-writer.js";
import type {
  DeviceConfigRecord,
  DeviceCounts,
  DevicePresence,
  DeviceRecord,
  DeviceRecordFilter,
  DeviceReport,
  DeviceRepository,
} from "../store/repositories/device-repository.js";
import type { SettingsRepository } from "../store/repositories/settings-repository.js";
import type { StateHistoryRepository } from "../store/repositories/state-history-repository.js";
import type { Queryable, Store } from "../store/store.js";
import { isoOrNull as iso } from "../time-format.js";
import { ClockDriftTracker } from "./clock-drift.js";
import {
  type DeviceSort,
  type DeviceStatus,
  type DeviceView,
  deviceView,
  type ReportedView,
  reportedFromState,
} from "./device.js";

export type { DeviceCounts } from "../store/repositories/device-repository.js";
export { DEVICE_SORT_KEYS, type DeviceSort, type DeviceSortKey } from "./device.js";

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
  /** Carries this label. */
  label?: string;
  /** Belongs to the site with this id; `none`: to no site. */
  site?: string;
}

const DAY_MS = 86_400_000;
/** The `site` filter's value for devices that belong to no site. */
export const NO_SITE = "none";
/** Devices read per query when many are announced at once. */
const ANNOUNCE_PAGE_SIZE = 500;

/** Command types whose success changes a device's desired config. */
const DESIRED_CONFIG_COMMANDS = ["rename", "set_time"] as const;

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
  store: Store;
  /** This server node: presence is written as seen from it (see DeviceRepository.writePresence). */
  nodeId: string;
  repository: DeviceRepository;
  history: StateHistoryRepository;
  /** Read for when the global date & time last changed every device's desired config. */
  settings: SettingsRepository;
  gateway: () => DeviceGateway;
  /** The other server nodes: config pushes for devices they may hold go through it. */
  cluster?: ClusterLink;
  events: EventBus<ServerEvents>;
  logger: Logger;
  clock: () => number;
  /** How much state history one device may leave: rows per clock hour, and rows in all. */
  stateHistory: { rowsPerHour: number; maxRowsPerDevice: number };
  /**
   * The broker URLs every desired config carries, preferred first, so devices learn of nodes
   * added later. Without it the config carries none, and devices keep the ones they have.
   */
  mqttUrls?: () => string[];
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
  reported: ReportedView;
  atMs: number;
  /** Also append this to the state history (something worth keeping changed): the state without its telemetry. */
  historyJson: string | null;
}

/** What one tick writes to a device's row: its presence, its reported state, or both. */
interface DeviceRowWrite {
  presence?: { online: boolean; atMs: number };
  report?: StoredReport;
}

/** Whether writing the batch takes one statement: one device's report (without history) or presence. */
function isOneStatement(batch: ReadonlyMap<string, DeviceRowWrite>): boolean {
  const [only, ...others] = batch.values();
  if (!only || others.length > 0) return false;
  return only.report ? !only.presence && only.report.historyJson === null : only.presence !== undefined;
}

export class DeviceService {
  private readonly lastHistoryKeyByDevice = new Map<string, string>();
  /** History rows written per device in the current clock hour. */
  private readonly historyRowsThisHourByDevice = new Map<string, { hour: number; rows: number }>();
  /**
   * Reported states and online flags: the latest of each per device per tick, written in one
   * unit (one statement each). One writer for both, so a reconnecting device's presence and
   * first report never wait for each other's locks on its row.
   */
  private readonly rowWriter: KeyedBatchWriter<string, DeviceRowWrite, void, Queryable>;

  /** Credential hashes and desired configs by id, one query per event-loop turn (reconnect storms). */
  private readonly secretHashOf: (deviceId: string) => Promise<string | null>;
  private readonly configOf: (deviceId: string) => Promise<DeviceConfigRecord | null>;
  /** Which devices' clocks are off by more than the threshold (a setting; see clock-drift.ts). */
  readonly clockDrift: ClockDriftTracker;

  constructor(private readonly deps: DeviceServiceDeps) {
    this.clockDrift = new ClockDriftTracker(deps.events);
    this.rowWriter = new KeyedBatchWriter<string, DeviceRowWrite, void, Queryable>(
      singleStatementUnits(deps.store),
      {
        // One device's report or presence alone is one statement, which commits by itself (no
        // rows to lock in order, no history to add); anything more is a unit.
        apply: (q, batch) =>
          q.isTransaction || isOneStatement(batch)
            ? this.writeDeviceRows(q, batch)
            : deps.store.unit((tx) => this.writeDeviceRows(tx, batch)),
        merge: (previous, next) => ({
          presence: next.presence ?? previous.presence,
          report: next.report ?? previous.report,
        }),
      },
    );
    this.secretHashOf = batchedLookup((ids) => this.repo.credentialHashes(deps.store.db, ids), null);
    this.configOf = batchedLookup((ids) => this.repo.configsByIds(deps.store.db, ids), null);
  }

  private get repo(): DeviceRepository {
    return this.deps.repository;
  }

  private get db(): Queryable {
    return this.deps.store.db;
  }

  /** The device as answered once its connection was closed (removal, revocation): offline. */
  async get(deviceId: string): Promise<DeviceView> {
    return deviceView({ ...(await this.getRow(deviceId)), online: false }, this.clockDrift.thresholdMs);
  }

  /** The device's record; inside a unit, pass its transaction. */
  async getRow(deviceId: string, q: Queryable = this.db): Promise<DeviceRecord> {
    const record = await this.repo.deviceById(q, deviceId);
    if (!record) throw new MdmError("device_not_found", `device '${deviceId}' does not exist`);
    return record;
  }

  view(record: DeviceRecord): DeviceView {
    return deviceView(record, this.clockDrift.thresholdMs);
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
    const page = await this.page(filter, limit, cursor, sort);
    return { ...page, total: await this.count(filter) };
  }

  /** How many devices match the filter (one count query). */
  count(filter: DeviceFilter): Promise<number> {
    return this.repo.count(this.db, this.recordFilter(filter));
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
    let after = null;
    if (cursor && sort) {
      const [sortValue, id] = decodeSortCursor(cursor);
      after = { sortValue, id };
    } else if (cursor) {
      after = { sortValue: null, id: cursor };
    }
    const page = await this.repo.listPage(this.db, { filter: this.recordFilter(filter), sort, after, limit });
    let nextCursor: string | null = null;
    if (page.next) nextCursor = sort ? encodeSortCursor(page.next.sortValue, page.next.id) : page.next.id;
    return { items: page.records.map((r) => this.view(r)), nextCursor };
  }

  /** How many managed devices are online, offline, locked, drifting and behind on config: one scan. */
  async counts(): Promise<DeviceCounts> {
    return this.repo.countsOfManaged(this.db, this.clockDrift.thresholdMs);
  }

  /** Inside a unit: these devices' rows locked until it ends (see DeviceRepository.lockRows). */
  lockRows(tx: Queryable, deviceIds: readonly string[]): Promise<void> {
    return this.repo.lockRows(tx, deviceIds);
  }

  /** The ids of the devices with these serials, by serial; inside a unit, pass its transaction. */
  idsOfSerials(serials: readonly string[], q: Queryable = this.db): Promise<Map<string, string>> {
    return this.repo.idsOfSerials(q, serials);
  }

  /**
   * Announces these devices as they are now (after a change to many at once), reading them a
   * page at a time. Like {@link afterCommit}, a failure is logged, never the caller's error.
   */
  async announceMany(deviceIds: readonly string[]): Promise<void> {
    try {
      for (let i = 0; i < deviceIds.length; i += ANNOUNCE_PAGE_SIZE) {
        const records = await this.repo.recordsByIds(this.db, deviceIds.slice(i, i + ANNOUNCE_PAGE_SIZE));
        for (const record of records) this.deps.events.emit("device.updated", { device: this.view(record) });
      }
    } catch (err) {
      this.deps.logger.warn({ err, devices: deviceIds.length }, "announcing stored device changes failed");
    }
  }

  /** Ids of the devices matching a filter, for fleet commands; inside a unit, pass its transaction. */
  async idsMatching(filter: DeviceFilter, q: Queryable = this.db): Promise<string[]> {
    return this.repo.idsMatching(q, this.recordFilter(filter));
  }

  /** The filter as the store answers it: zone names, the drift threshold and times resolved. */
  private recordFilter(filter: DeviceFilter): DeviceRecordFilter {
    const out: DeviceRecordFilter = {};
    if (filter.online !== undefined) out.online = filter.online;
    if (filter.status) out.status = filter.status;
    if (filter.model) out.model = filter.model;
    if (filter.q) out.text = filter.q;
    if (filter.locked !== undefined) out.locked = filter.locked;
    if (filter.clockDrift !== undefined) {
      out.clockDrift = { exceeds: filter.clockDrift, thresholdMs: this.clockDrift.thresholdMs };
    }
    if (filter.configPending !== undefined) out.configPending = filter.configPending;
    if (filter.notSeenForDays !== undefined) {
      out.offlineAndNotSeenSinceMs = this.deps.clock() - filter.notSeenForDays * DAY_MS;
    }
    if (filter.agentVersion) out.agentVersion = filter.agentVersion;
    if (filter.timezone) out.timezones = namesOfZone(filter.timezone);
    if (filter.label !== undefined) out.label = filter.label;
    if (filter.site !== undefined) out.siteId = filter.site === NO_SITE ? null : filter.site;
    return out;
  }

  // ---- enrollment and credentials -----------------------------------------------------------

  /**
   * Creates the device for a serial, or brings back the existing record (after a factory reset,
   * stop managing or removal), and issues a fresh credential. Refused inside the same
   * transaction as the check: a deactivated serial, and the serial of a managed device unless
   * `replacing` names that device (an admin approved the takeover). A record another unit
   * changed or created meanwhile is refused the same way, never overwritten.
   */
  async enroll(
    q: Queryable,
    input: {
      serial: string;
      model: string;
      /** Desired time of a new device: the global setting. */
      time: TimeSettings;
      /** The managed device with this serial that this enrollment replaces. */
      replacing?: string;
    },
  ): Promise<EnrolledDevice & { created: boolean }> {
    await this.assertSerialAllowed(q, input.serial);
    const now = this.deps.clock();
    const existing = await this.repo.deviceBySerial(q, input.serial);
    if (existing?.status === "active" && existing.id !== input.replacing) {
      throw this.alreadyEnrolled(existing, "token");
    }
    let deviceId: string;
    let name: string;
    let taken: boolean;
    if (existing) {
      deviceId = existing.id;
      name = existing.name;
      taken = await this.repo.reenroll(q, existing, { model: input.model, atMs: now });
    } else {
      deviceId = newDeviceId();
      name = `${input.model} ${input.serial.slice(-4).toUpperCase()}`;
      taken = await this.repo.insertDevice(q, {
        id: deviceId,
        serial: input.serial,
        model: input.model,
        name,
        atMs: now,
        desiredTime: input.time,
      });
    }
    if (!taken) {
      // Another enrollment or a deactivation of this serial committed since the reads above.
      await this.assertSerialAllowed(q, input.serial);
      const current = await this.repo.deviceBySerial(q, input.serial);
      if (current) throw this.alreadyEnrolled(current, "token");
      throw new MdmError(
        "device_not_found",
        `the device with serial '${input.serial}' was removed meanwhile`,
      );
    }
    const secret = newSecret("pds_");
    await this.repo.setCredential(q, deviceId, hashSecret(secret), now);
    return { deviceId, secret, name, created: !existing };
  }

  async assertSerialAllowed(q: Queryable, serial: string): Promise<void> {
    if (await this.repo.isSerialDenied(q, serial)) {
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
    q: Queryable,
    serial: string,
    replaceDeviceId?: string,
  ): Promise<DeviceRecord | null> {
    const record = await this.repo.deviceBySerial(q, serial);
    if (record?.status !== "active") return null;
    if (record.id !== replaceDeviceId)
      throw this.alreadyEnrolled(record, replaceDeviceId ? "claim-mismatch" : "claim");
    return record;
  }

  /**
   * Which of these devices have a connection now: on this node (its broker knows), or on
   * another node (the store says which node holds it; that node's presence writes lag its
   * connections by a moment).
   */
  async connectedAnywhere(deviceIds: readonly string[]): Promise<Set<string>> {
    const gateway = this.deps.gateway();
    const connected = new Set<string>();
    const elsewhere: string[] = [];
    for (const id of deviceIds) {
      if (gateway.isOnline(id)) connected.add(id);
      else elsewhere.push(id);
    }
    if (elsewhere.length > 0 && this.deps.cluster?.shared) {
      for (const id of await this.repo.heldByOtherNodes(this.db, elsewhere, this.deps.nodeId)) {
        connected.add(id);
      }
    }
    return connected;
  }

  private alreadyEnrolled(device: DeviceRecord, path: "token" | "claim" | "claim-mismatch"): MdmError {
    const online =
      this.deps.gateway().isOnline(device.id) || (this.deps.cluster?.shared === true && device.online);
    const where = online
      ? "which is online now"
      : `which was last seen ${device.lastSeenAtMs ? new Date(device.lastSeenAtMs).toISOString() : "never"}`;
    const hint =
      path === "token"
        ? "remove that device first (POST /devices/:id/remove), or enroll by code and approve the replacement"
        : `to replace it with the device showing this code, claim again with replaceDeviceId '${device.id}'`;
    return new MdmError(
      "device_already_enrolled",
      `serial '${device.serial}' belongs to managed device '${device.name}' (${device.id}), ${where}; ${hint}`,
      {
        deviceId: device.id,
        name: device.name,
        serial: device.serial,
        online,
        lastSeenAt: iso(device.lastSeenAtMs),
      },
    );
  }

  /** A new secret for the device's credential (the old one stops working); returns it once. */
  async renewSecret(q: Queryable, deviceId: string): Promise<string> {
    const secret = newSecret("pds_");
    await this.repo.renewCredential(q, deviceId, hashSecret(secret), this.deps.clock());
    return secret;
  }

  async verifyCredential(deviceId: string, secret: string): Promise<boolean> {
    const secretHash = await this.secretHashOf(deviceId);
    return secretHash !== null && secretMatchesHash(secret, secretHash);
  }

  /** Removes the credential and closes the device's connection. */
  async revokeCredential(q: Queryable, deviceId: string): Promise<void> {
    await this.repo.deleteCredential(q, deviceId);
  }

  /** A deactivated device keeps its status whatever is asked: deactivation is final. */
  async setStatus(q: Queryable, deviceIds: readonly string[], status: DeviceStatus): Promise<void> {
    await this.repo.setStatus(q, deviceIds, status);
  }

  /** Puts the devices' serials on the deny list for good. */
  async denySerials(q: Queryable, deviceIds: readonly string[]): Promise<void> {
    await this.repo.denySerialsOf(q, deviceIds, this.deps.clock());
  }

  /** The device's status as stored now (null: no such device); batched across a reconnect storm. */
  async statusOf(deviceId: string): Promise<DeviceStatus | null> {
    return (await this.configOf(deviceId))?.status ?? null;
  }

  async emitUpdated(deviceId: string): Promise<DeviceView> {
    const view = this.view(await this.getRow(deviceId));
    this.deps.events.emit("device.updated", { device: view });
    return view;
  }

  /**
   * After a commit: the device is announced, and its config pushed when asked. The change is
   * stored whatever happens here, so a failure (the store unreachable a moment later) is logged
   * and never becomes the caller's error: an answer saying it failed would have the client try
   * again what was done (enroll a serial that is now taken, issue a command twice).
   */
  async afterCommit(deviceId: string, what: { pushConfig?: boolean } = {}): Promise<void> {
    try {
      if (what.pushConfig) await this.pushDesiredConfig(deviceId);
      await this.emitUpdated(deviceId);
    } catch (err) {
      this.deps.logger.warn({ err, deviceId }, "announcing a stored device change failed");
    }
  }

  // ---- desired configuration ----------------------------------------------------------------

  /**
   * The next command seq of each of these devices that exists (and with `onlyActive`, is
   * active), taken in place: concurrent issuers never get the same one.
   */
  takeCommandSeqs(
    q: Queryable,
    deviceIds: readonly string[],
    options: { onlyActive?: boolean } = {},
  ): Promise<Map<string, number>> {
    return this.repo.takeSeqs(q, deviceIds, options);
  }

  async setDesiredName(q: Queryable, deviceId: string, name: string): Promise<void> {
    await this.repo.setDesiredName(q, deviceId, name);
  }

  async setDesiredTime(q: Queryable, deviceId: string, time: TimeSettings): Promise<void> {
    await this.repo.setDesiredTime(q, deviceId, time);
  }

  /** Applies global time settings to every device that is still managed. */
  async setDesiredTimeForAll(q: Queryable, time: TimeSettings): Promise<string[]> {
    return this.repo.setDesiredTimeOfManaged(q, time, "global");
  }

  /**
   * Sends the stored desired config to the device, if it is online: here, or through the node
   * that holds its connection.
   */
  async pushDesiredConfig(deviceId: string): Promise<void> {
    if (!this.deps.gateway().isOnline(deviceId)) {
      this.deps.cluster?.sendWork({ config: [deviceId] });
      return;
    }
    await this.pushDesiredConfigHere(deviceId);
  }

  /** Sends the stored desired config to the device if its connection is on this node. */
  async pushDesiredConfigHere(deviceId: string): Promise<void> {
    const gateway = this.deps.gateway();
    if (!gateway.isOnline(deviceId)) return;
    const config = await this.configOf(deviceId);
    if (!config) return;
    if (config.status !== "active" && config.status !== "deactivated") return;
    await gateway.publishConfig(deviceId, {
      version: config.desiredVersion,
      name: config.desiredName,
      time: { timezone: config.desiredTimezone, ntpServer: config.desiredNtpServer },
      mqttUrls: failoverOrder(this.deps.mqttUrls?.() ?? [], deviceId),
    });
  }

  /**
   * Sends the stored desired config again now, for a device stuck applying it. Refused for a
   * device that is not managed, and for one that is offline (it gets the config when it
   * connects; nothing can reach it before).
   */
  async resendDesiredConfig(deviceId: string): Promise<DeviceView> {
    const record = await this.getRow(deviceId);
    if (record.status !== "active") {
      throw new MdmError("device_not_managed", `device '${deviceId}' is ${record.status}`, {
        status: record.status,
      });
    }
    if (!(await this.connectedAnywhere([deviceId])).has(deviceId)) {
      throw new MdmError(
        "device_offline",
        `device '${record.name}' (${deviceId}) is offline; it receives its desired config when it connects`,
      );
    }
    await this.pushDesiredConfig(deviceId);
    return this.view(record);
  }

  /**
   * When the device's desired config took its current version. No column holds it; it is the
   * latest of what changes the version: the enrollment (a device enrolls with the global time,
   * and a returning one starts applying again), a change of the global date & time (every
   * device's version moves), and a succeeded rename or set_time command of this device.
   */
  async desiredChangedAt(device: Pick<DeviceRecord, "id" | "enrolledAtMs">): Promise<number> {
    const [time, command] = await Promise.all([
      this.deps.settings.get(this.db, "time"),
      this.repo.lastCommandSucceededAt(this.db, device.id, DESIRED_CONFIG_COMMANDS),
    ]);
    return Math.max(device.enrolledAtMs, time?.updatedAtMs ?? 0, command ?? 0);
  }

  // ---- presence and reported state ----------------------------------------------------------

  /**
   * At start: the devices this node held before it stopped (and any online without a holder,
   * from before nodes were recorded) are offline until they connect again. Other nodes' devices
   * are left as they are.
   */
  async markOwnDevicesOffline(): Promise<void> {
    await this.deps.store.unit((tx) => this.repo.markOfflineHeldBy(tx, [this.deps.nodeId], { unheld: true }));
  }

  /**
   * Devices held by nodes that have gone (their lease ran out) are offline, each announced.
   * Returns how many.
   */
  async markOfflineHeldBy(nodeIds: readonly string[]): Promise<number> {
    if (nodeIds.length === 0) return 0;
    const ids = await this.deps.store.unit((tx) => this.repo.markOfflineHeldBy(tx, nodeIds));
    const now = this.deps.clock();
    for (const deviceId of ids) this.deps.events.emit("device.offline", { deviceId, atMs: now });
    return ids.length;
  }

  async recordPresence(deviceId: string, online: boolean): Promise<void> {
    const now = this.deps.clock();
    await this.rowWriter.enqueue(deviceId, { presence: { online, atMs: now } });
    this.deps.events.emit(online ? "device.online" : "device.offline", { deviceId, atMs: now });
  }

  async recordState(deviceId: string, state: DeviceState): Promise<void> {
    const now = this.deps.clock();
    const reported = reportedFromState(state, now);
    const key = historyKey(state);
    const previous = this.rowWriter.pendingValue(deviceId)?.report;
    // A change superseded within the same tick still belongs in the history.
    const historyRow =
      this.lastHistoryKeyByDevice.get(deviceId) !== key && this.takeHistoryRow(deviceId, now)
        ? JSON.stringify({ ...reported, telemetry: null })
        : null;
    if (historyRow !== null) this.lastHistoryKeyByDevice.set(deviceId, key);
    await this.rowWriter.enqueue(deviceId, {
      report: { reported, atMs: now, historyJson: historyRow ?? previous?.historyJson ?? null },
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
    await this.rowWriter.drain();
    this.clockDrift.reset(thresholdMs, await this.repo.clockOffsetsExceeding(this.db, thresholdMs));
  }

  /**
   * One tick of reports and presence: the states and the online flags in one statement each,
   * the history rows and its trim in one each.
   */
  private async writeDeviceRows(q: Queryable, batch: ReadonlyMap<string, DeviceRowWrite>): Promise<void> {
    const reports: DeviceReport[] = [];
    const presences: DevicePresence[] = [];
    const history: { deviceId: string; atMs: number; stateJson: string }[] = [];
    for (const [deviceId, { report, presence }] of batch) {
      if (presence) presences.push({ deviceId, ...presence });
      if (!report) continue;
      reports.push({ deviceId, atMs: report.atMs, reported: report.reported });
      if (report.historyJson !== null)
        history.push({ deviceId, atMs: report.atMs, stateJson: report.historyJson });
    }
    await this.repo.writeDeviceRows(q, this.deps.nodeId, { presences, reports });
    if (history.length > 0) {
      await this.deps.history.append(q, history);
      await this.deps.history.keepNewest(
        q,
        history.map((h) => h.deviceId),
        this.deps.stateHistory.maxRowsPerDevice,
      );
    }
  }

  /** Resolves once every presence and state write so far is stored. */
  async drainWrites(): Promise<void> {
    await this.rowWriter.drain();
  }

  async stateHistory(deviceId: string, limit: number): Promise<{ at: string; reported: unknown }[]> {
    await this.getRow(deviceId);
    const records = await this.deps.history.newestOf(this.db, deviceId, limit);
    return records.map((r) => ({ at: new Date(r.atMs).toISOString(), reported: r.state }));
  }

  async pruneStateHistory(olderThanMs: number): Promise<number> {
    return this.deps.store.unit((tx) => this.deps.history.pruneOlderThan(tx, olderThanMs));
  }

  forget(deviceId: string): void {
    this.lastHistoryKeyByDevice.delete(deviceId);
    this.historyRowsThisHourByDevice.delete(deviceId);
  }
}

type SortValue = string | number | null;

function encodeSortCursor(value: SortValue, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString("base64url");
}

function decodeSortCursor(cursor: string): [SortValue, string] {
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
