/**
 * Devices, their credentials and the deny list of serials, one aggregate: the only code that
 * writes `devices`, `device_credentials` and `denied_serials`. Methods take the root store
 * (reads outside a unit) or a unit's transaction; rows never leave this module.
 *
 * Other units may be writing at the same time (PostgreSQL): a status changes by a conditional
 * update, and a deactivated device's never again; a returning serial is re-enrolled only if its
 * record is still as it was read; two enrollments inserting one new serial at once leave one
 * device; counters (`next_seq`, `desired_version`) are incremented in place.
 *
 * The fields of the last report that the list sorts, filters and counts by are plain columns
 * (`reported_locked`, `reported_timezone`, ...) that the report writer sets in the statement that
 * stores `reported_json`, the same on both stores. Each order of the list has an index on the
 * very expression {@link SORT_EXPRESSIONS} gives, then the id (store migrations).
 */
import { type Expression, type ExpressionBuilder, type RawBuilder, type SqlBool, sql } from "kysely";
import type { TimeSettings } from "../../../proto/wire.js";
import type { DeviceSort, DeviceSortKey, DeviceStatus, ReportedView } from "../../devices/device.js";
import { among, amongParam, listParam, type SqlDialect } from "../dialect.js";
import { prepared } from "../prepared.js";
import type { StoreSchema } from "../schema.js";
import type { Queryable } from "../store.js";
import { byCodePoint } from "./device-label-repository.js";

export interface DeviceRecord {
  id: string;
  serial: string;
  model: string;
  name: string;
  status: DeviceStatus;
  online: boolean;
  lastSeenAtMs: number | null;
  /** The server node holding its connection, as last written; null while offline. */
  connectedNode: string | null;
  enrolledAtMs: number;
  createdAtMs: number;
  desiredVersion: number;
  desiredName: string;
  desiredTimezone: string;
  desiredNtpServer: string | null;
  /** The last reported state; null before the first report. */
  reported: ReportedView | null;
  reportedAtMs: number | null;
  /** Its labels, in code-point order. */
  labels: string[];
  /** The site it belongs to; null: none. */
  site: { id: string; name: string } | null;
  /** What set its desired date & time last. */
  desiredTimeSource: DesiredTimeSource;
}

/**
 * What set a device's desired date & time last: the global setting, its site's, or a time
 * settings command for the device alone (which holds until its site or the global setting it
 * follows changes, or it moves).
 */
export type DesiredTimeSource = "global" | "site" | "device";

/** Managed devices of one site (null: of none) and how many run the date & time they should. */
export interface SiteTimeCount {
  siteId: string | null;
  /** Of no site, or of a site without a date & time of its own. */
  followsGlobal: boolean;
  total: number;
  applied: number;
}

/** What a device's desired config push needs, for lookups in bulk. */
export interface DeviceConfigRecord {
  id: string;
  status: DeviceStatus;
  desiredVersion: number;
  desiredName: string;
  desiredTimezone: string;
  desiredNtpServer: string | null;
}

/** Which devices: every field given must hold. */
export interface DeviceRecordFilter {
  online?: boolean;
  status?: DeviceStatus;
  model?: string;
  /** A substring of the name or the serial, without regard to case. */
  text?: string;
  /** The screen lock last reported; a device that never reported counts as unlocked. */
  locked?: boolean;
  /** Whether the clock offset last measured exceeds the threshold, either way. */
  clockDrift?: { exceeds: boolean; thresholdMs: number };
  /** Whether the applied config version last reported is below the desired one (or none reported). */
  configPending?: boolean;
  /** Offline, and last seen at or before this time (a device never seen counts). */
  offlineAndNotSeenSinceMs?: number;
  /** The agent version last reported, exactly. */
  agentVersion?: string;
  /** The time zone last reported is one of these. */
  timezones?: readonly string[];
  /** Carries this label. */
  label?: string;
  /** Belongs to this site; null: to none. */
  siteId?: string | null;
}

/** Managed devices per tile of the console's devices page. */
export interface DeviceCounts {
  total: number;
  online: number;
  offline: number;
  locked: number;
  clockDrift: number;
  configPending: number;
}

/** Where a page of the list ended: the last device's id and, in a sorted list, its sort value. */
export interface DeviceKeyset {
  id: string;
  sortValue: string | number | null;
}

export interface DevicePage {
  records: DeviceRecord[];
  /** Where the next page starts; null when this one is the last. */
  next: DeviceKeyset | null;
}

export interface NewDevice {
  id: string;
  serial: string;
  model: string;
  name: string;
  atMs: number;
  desiredTime: TimeSettings;
}

export interface DevicePresence {
  deviceId: string;
  online: boolean;
  atMs: number;
}

export interface DeviceReport {
  deviceId: string;
  atMs: number;
  reported: ReportedView;
}

const RECORD_COLUMNS = [
  "id",
  "serial",
  "model",
  "name",
  "status",
  "online",
  "last_seen_at",
  "connected_node",
  "enrolled_at",
  "created_at",
  "desired_version",
  "desired_name",
  "desired_timezone",
  "desired_ntp_server",
  "reported_json",
  "reported_at",
  "site_id",
  "desired_time_source",
] as const;

interface DeviceRow {
  id: string;
  serial: string;
  model: string;
  name: string;
  status: DeviceStatus;
  online: SqlBool;
  last_seen_at: number | null;
  connected_node: string | null;
  enrolled_at: number;
  created_at: number;
  desired_version: number;
  desired_name: string;
  desired_timezone: string;
  desired_ntp_server: string | null;
  reported_json: string | null;
  reported_at: number | null;
  site_id: string | null;
  desired_time_source: string;
  labels_json: string | null;
  site_name: string | null;
}

function deviceRecord(row: DeviceRow): DeviceRecord {
  return {
    id: row.id,
    serial: row.serial,
    model: row.model,
    name: row.name,
    status: row.status,
    online: Boolean(row.online),
    lastSeenAtMs: row.last_seen_at === null ? null : Number(row.last_seen_at),
    connectedNode: row.online ? row.connected_node : null,
    enrolledAtMs: Number(row.enrolled_at),
    createdAtMs: Number(row.created_at),
    desiredVersion: Number(row.desired_version),
    desiredName: row.desired_name,
    desiredTimezone: row.desired_timezone,
    desiredNtpServer: row.desired_ntp_server,
    reported: row.reported_json === null ? null : (JSON.parse(row.reported_json) as ReportedView),
    reportedAtMs: row.reported_at === null ? null : Number(row.reported_at),
    labels: row.labels_json === null ? [] : (JSON.parse(row.labels_json) as string[]).sort(byCodePoint),
    site: row.site_id === null ? null : { id: row.site_id, name: row.site_name ?? row.site_id },
    desiredTimeSource: row.desired_time_source as DesiredTimeSource,
  };
}

/**
 * What each order of the list sorts by: never null, so that a keyset cursor can compare it.
 * The migrations index exactly these expressions; an edit here needs the same edit there.
 */
const SORT_EXPRESSIONS: Record<DeviceSortKey, (d: SqlDialect) => RawBuilder<unknown>> = {
  name: (d) => sql`lower(${d.byteOrder("name")})`,
  serial: (d) => d.byteOrder("serial"),
  model: (d) => d.byteOrder("model"),
  status: (d) => d.byteOrder("status"),
  online: () => sql`(CASE WHEN online THEN 1 ELSE 0 END)`,
  lastSeenAt: () => sql`coalesce(last_seen_at, 0)`,
  enrolledAt: () => sql`enrolled_at`,
  locked: () => LOCKED,
  timezone: (d) => sql`coalesce(${d.byteOrder("reported_timezone")}, '')`,
  clockOffsetMs: () => CLOCK_OFFSET_SIZE,
  agentVersion: (d) => sql`coalesce(${d.byteOrder("reported_agent_version")}, '')`,
};

/** 1 for a device that last reported its screen locked, else 0. */
const LOCKED = sql`(CASE WHEN reported_locked THEN 1 ELSE 0 END)`;
/** The size of the clock offset last reported; -1 before the first report. */
const CLOCK_OFFSET_SIZE = sql`coalesce(abs(reported_clock_offset_ms), -1)`;
const LAST_SEEN = sql`coalesce(last_seen_at, 0)`;
/** A device that never reported has applied no version. */
const APPLIED_VERSION = sql`coalesce(reported_applied_config_version, -1)`;

/** 1 for a device whose measured clock offset exceeds the threshold, either way, else 0. */
function clockDriftFlag(thresholdMs: number): RawBuilder<number> {
  return sql<number>`(CASE WHEN reported_clock_measured AND abs(reported_clock_offset_ms) > ${thresholdMs} THEN 1 ELSE 0 END)`;
}

type DevicesExpressions = ExpressionBuilder<StoreSchema, "devices">;

/** The devices a date & time setting is for: those that follow the global one, or one site's. */
export type TimeScope = "global" | { siteId: string };

/** Sites whose devices follow the global date & time (a read of `sites`). */
const FOLLOWING_GLOBAL_SITES = (eb: DevicesExpressions) =>
  eb.selectFrom("sites").select("sites.id").where("sites.time_timezone", "is", null);

export class DeviceRepository {
  constructor(readonly dialect: SqlDialect) {}

  /**
   * A device record's columns, with its labels (a JSON array) and its site's name read along,
   * a subquery each.
   */
  private get recordColumns() {
    const labels = sql<string>`(SELECT ${this.dialect.jsonTextArray("device_labels.label")} FROM device_labels
      WHERE device_labels.device_id = devices.id)`;
    const siteName = sql<string | null>`(SELECT sites.name FROM sites WHERE sites.id = devices.site_id)`;
    return [...RECORD_COLUMNS, labels.as("labels_json"), siteName.as("site_name")] as const;
  }

  /** Read for every command issued and every device page: built once (see prepared.ts). */
  private readonly byId = prepared<{ id: string }, DeviceRow>(["id"], (q, p) =>
    q.selectFrom("devices").select(this.recordColumns).where("id", "=", p.id),
  );

  /** Takes the next seq of each device among `ids` (with `onlyActive`, of the active ones). */
  private seqsTakenStatement(onlyActive: boolean) {
    return prepared<{ ids: unknown }, { id: string; next_seq: number }>(["ids"], (q, p) =>
      q
        .updateTable("devices")
        .set((eb) => ({ next_seq: eb("next_seq", "+", 1) }))
        .where(amongParam(this.dialect, "id", p.ids))
        .$if(onlyActive, (update) => update.where("status", "=", "active"))
        .returning(["id", "next_seq"]),
    );
  }

  private readonly seqsTaken = this.seqsTakenStatement(false);
  private readonly activeSeqsTaken = this.seqsTakenStatement(true);

  /** The statements of every enrollment, likewise. */
  private readonly bySerial = prepared<{ serial: string }, DeviceRow>(["serial"], (q, p) =>
    q.selectFrom("devices").select(this.recordColumns).where("serial", "=", p.serial),
  );

  private readonly deniedSerial = prepared<{ serial: string }, { serial: string }>(["serial"], (q, p) =>
    q.selectFrom("denied_serials").select("serial").where("serial", "=", p.serial),
  );

  private readonly deviceInsert = prepared<
    {
      id: string;
      serial: string;
      model: string;
      name: string;
      atMs: number;
      timezone: string;
      ntpServer: string | null;
    },
    { id: string }
  >(["id", "serial", "model", "name", "atMs", "timezone", "ntpServer"], (q, p) =>
    q
      .insertInto("devices")
      .values({
        id: p.id,
        serial: p.serial,
        model: p.model,
        name: p.name,
        status: "active",
        enrolled_at: p.atMs,
        created_at: p.atMs,
        desired_name: p.name,
        desired_timezone: p.timezone,
        desired_ntp_server: p.ntpServer,
      })
      .onConflict((oc) => oc.column("serial").doNothing())
      .returning("id"),
  );

  private readonly credentialPut = prepared<{ deviceId: string; secretHash: string; atMs: number }, never>(
    ["deviceId", "secretHash", "atMs"],
    (q, p) =>
      q
        .insertInto("device_credentials")
        .values({ device_id: p.deviceId, secret_hash: p.secretHash, created_at: p.atMs })
        .onConflict((oc) =>
          oc.column("device_id").doUpdateSet((eb) => ({
            secret_hash: eb.ref("excluded.secret_hash"),
            created_at: eb.ref("excluded.created_at"),
          })),
        ),
  );

  /** `column IN` the given ids, as one parameter however many there are. */
  private among(column: "id" | "device_id" | "serial", ids: readonly string[]): RawBuilder<SqlBool> {
    return among(this.dialect, column, ids);
  }

  // ---- reads --------------------------------------------------------------------------------

  async deviceById(q: Queryable, id: string): Promise<DeviceRecord | null> {
    const [row] = await this.byId.rows(q, { id });
    return row ? deviceRecord(row) : null;
  }

  async deviceBySerial(q: Queryable, serial: string): Promise<DeviceRecord | null> {
    const [row] = await this.bySerial.rows(q, { serial });
    return row ? deviceRecord(row) : null;
  }

  /** The desired config and status of each device found among `ids`, in one query. */
  async configsByIds(q: Queryable, ids: readonly string[]): Promise<Map<string, DeviceConfigRecord>> {
    if (ids.length === 0) return new Map();
    const rows = await q
      .selectFrom("devices")
      .select(["id", "status", "desired_version", "desired_name", "desired_timezone", "desired_ntp_server"])
      .where(this.among("id", ids))
      .execute();
    return new Map(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          status: r.status,
          desiredVersion: Number(r.desired_version),
          desiredName: r.desired_name,
          desiredTimezone: r.desired_timezone,
          desiredNtpServer: r.desired_ntp_server,
        },
      ]),
    );
  }

  /** When a command of one of `types` last succeeded for the device (a read of `commands`). */
  async lastCommandSucceededAt(
    q: Queryable,
    deviceId: string,
    types: readonly string[],
  ): Promise<number | null> {
    const row = await q
      .selectFrom("commands")
      .select((eb) => eb.fn.max("finished_at").as("at"))
      .where("device_id", "=", deviceId)
      .where("type", "in", [...types])
      .where("state", "=", "succeeded")
      .executeTakeFirst();
    return row?.at == null ? null : Number(row.at);
  }

  // ---- the list -----------------------------------------------------------------------------

  private matching(filter: DeviceRecordFilter) {
    const d = this.dialect;
    return (eb: DevicesExpressions): Expression<SqlBool> => {
      const all: Expression<SqlBool>[] = [];
      if (filter.online !== undefined) all.push(eb("online", "=", filter.online));
      if (filter.status) all.push(eb("status", "=", filter.status));
      if (filter.model) all.push(eb("model", "=", filter.model));
      if (filter.locked !== undefined) all.push(eb(LOCKED, "=", filter.locked ? 1 : 0));
      if (filter.clockDrift) {
        const { exceeds, thresholdMs } = filter.clockDrift;
        all.push(
          exceeds
            ? // On the clock offset's index: the threshold is positive, so -1 (no report) never passes.
              eb.and([eb("reported_clock_measured", "=", true), eb(CLOCK_OFFSET_SIZE, ">", thresholdMs)])
            : eb(clockDriftFlag(thresholdMs), "=", 0),
        );
      }
      if (filter.configPending !== undefined) {
        all.push(eb(APPLIED_VERSION, filter.configPending ? "<" : ">=", eb.ref("desired_version")));
      }
      if (filter.offlineAndNotSeenSinceMs !== undefined) {
        all.push(eb("online", "=", false), eb(LAST_SEEN, "<=", filter.offlineAndNotSeenSinceMs));
      }
      if (filter.agentVersion) all.push(eb("reported_agent_version", "=", filter.agentVersion));
      if (filter.timezones) all.push(eb("reported_timezone", "in", [...filter.timezones]));
      if (filter.label !== undefined) {
        const label = filter.label;
        all.push(
          eb.exists(
            eb
              .selectFrom("device_labels")
              .select(sql.lit(1).as("found"))
              .whereRef("device_labels.device_id", "=", "devices.id")
              .where("device_labels.label", "=", label),
          ),
        );
      }
      if (filter.siteId !== undefined) {
        all.push(filter.siteId === null ? eb("site_id", "is", null) : eb("site_id", "=", filter.siteId));
      }
      if (filter.text) {
        all.push(
          eb.or([d.containsInsensitive("name", filter.text), d.containsInsensitive("serial", filter.text)]),
        );
      }
      return eb.and(all);
    };
  }

  /**
   * One page of the devices matching `filter`: in id order, or in the sort's order with the id
   * as the tie-break, after `after` (keyset paging: a page deep in the fleet costs what the
   * first does).
   */
  async listPage(
    q: Queryable,
    page: { filter: DeviceRecordFilter; sort: DeviceSort | null; after: DeviceKeyset | null; limit: number },
  ): Promise<DevicePage> {
    const { sort, after, limit } = page;
    let select = q.selectFrom("devices").select(this.recordColumns).where(this.matching(page.filter));
    let sortExpression: RawBuilder<unknown> | null = null;
    if (sort) {
      const expression = SORT_EXPRESSIONS[sort.by](this.dialect);
      const direction = sort.descending ? "desc" : "asc";
      sortExpression = expression;
      if (after) {
        const beyond = sql.raw(sort.descending ? "<" : ">");
        select = select.where(sql<SqlBool>`(${expression}, id) ${beyond} (${after.sortValue}, ${after.id})`);
      }
      select = select.orderBy(expression, direction).orderBy("id", direction);
    } else {
      if (after) select = select.where("id", ">", after.id);
      select = select.orderBy("id");
    }
    const rows = await select
      .$if(sortExpression !== null, (qb) => qb.select(sortExpression!.as("sort_value")))
      .limit(limit + 1)
      .execute();
    const records = rows.slice(0, limit);
    const last = rows.length > limit ? records.at(-1) : undefined;
    const next: DeviceKeyset | null = last
      ? {
          id: last.id,
          sortValue: sort ? ((last.sort_value as string | number | null | undefined) ?? null) : null,
        }
      : null;
    return { records: records.map(deviceRecord), next };
  }

  async count(q: Queryable, filter: DeviceRecordFilter): Promise<number> {
    const row = await q
      .selectFrom("devices")
      .select((eb) => eb.fn.countAll().as("n"))
      .where(this.matching(filter))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Ids of the devices matching `filter`, in id order. */
  /** The ids of the devices with these serials, by serial (serials no device has are left out). */
  async idsOfSerials(q: Queryable, serials: readonly string[]): Promise<Map<string, string>> {
    if (serials.length === 0) return new Map();
    const rows = await q
      .selectFrom("devices")
      .select(["id", "serial"])
      .where(this.among("serial", serials))
      .execute();
    return new Map(rows.map((r) => [r.serial, r.id]));
  }

  /** The records of these devices (ids that no device has are left out), in id order. */
  async recordsByIds(q: Queryable, ids: readonly string[]): Promise<DeviceRecord[]> {
    if (ids.length === 0) return [];
    const rows = await q
      .selectFrom("devices")
      .select(this.recordColumns)
      .where(this.among("id", ids))
      .orderBy("id")
      .execute();
    return rows.map(deviceRecord);
  }

  async idsMatching(q: Queryable, filter: DeviceRecordFilter): Promise<string[]> {
    const rows = await q
      .selectFrom("devices")
      .select("id")
      .where(this.matching(filter))
      .orderBy("id")
      .execute();
    return rows.map((r) => r.id);
  }

  /** Active devices: all, online, offline, locked, drifting and behind on config, in one scan. */
  async countsOfManaged(q: Queryable, clockDriftThresholdMs: number): Promise<DeviceCounts> {
    const sum = (flag: RawBuilder<unknown>) => sql<number>`coalesce(sum(${flag}), 0)`;
    const row = await q
      .selectFrom("devices")
      .select((eb) => [
        eb.fn.countAll().as("total"),
        sum(sql`CASE WHEN online THEN 1 ELSE 0 END`).as("online"),
        sum(sql`CASE WHEN online THEN 0 ELSE 1 END`).as("offline"),
        sum(LOCKED).as("locked"),
        sum(clockDriftFlag(clockDriftThresholdMs)).as("clock_drift"),
        sum(sql`CASE WHEN ${APPLIED_VERSION} < desired_version THEN 1 ELSE 0 END`).as("config_pending"),
      ])
      .where("status", "=", "active")
      .executeTakeFirstOrThrow();
    return {
      total: Number(row.total),
      online: Number(row.online),
      offline: Number(row.offline),
      locked: Number(row.locked),
      clockDrift: Number(row.clock_drift),
      configPending: Number(row.config_pending),
    };
  }

  /** Every device whose measured clock offset exceeds the threshold, with that offset (signed). */
  async clockOffsetsExceeding(q: Queryable, thresholdMs: number): Promise<Map<string, number>> {
    const rows = await q
      .selectFrom("devices")
      .select(["id", "reported_clock_offset_ms"])
      .where((eb) =>
        eb.and([eb("reported_clock_measured", "=", true), eb(CLOCK_OFFSET_SIZE, ">", thresholdMs)]),
      )
      .execute();
    return new Map(rows.map((r) => [r.id, Number(r.reported_clock_offset_ms)]));
  }

  /**
   * Whether a device has applied the given time: its desired time is that one and it reports
   * the desired config version or a later one.
   */
  private timeApplied(time: TimeSettings) {
    return (eb: DevicesExpressions): Expression<SqlBool> =>
      eb.and([
        eb("desired_timezone", "=", time.timezone),
        eb(eb.fn.coalesce("desired_ntp_server", eb.val("")), "=", time.ntpServer ?? ""),
        eb(sql`coalesce(reported_applied_config_version, 0)`, ">=", eb.ref("desired_version")),
      ]);
  }

  /** The devices a date & time setting is for: those following the global one, or one site's. */
  private timeScope(scope: TimeScope) {
    return (eb: DevicesExpressions): Expression<SqlBool> =>
      scope === "global"
        ? eb.or([eb("site_id", "is", null), eb("site_id", "in", FOLLOWING_GLOBAL_SITES(eb))])
        : eb("site_id", "=", scope.siteId);
  }

  /**
   * Active devices of each site (and of none, `siteId` null), and how many of them run the date
   * & time they should: their site's, or the global `time` for those of no site or of a site
   * without its own. One grouped scan; with `onlySiteId`, of that site's devices alone (by its
   * index).
   */
  async countTimeAppliedBySite(
    q: Queryable,
    global: TimeSettings,
    onlySiteId?: string,
  ): Promise<SiteTimeCount[]> {
    const expected = sql`(CASE WHEN s.time_timezone IS NULL THEN ${global.timezone} ELSE s.time_timezone END)`;
    const expectedNtp = sql`(CASE WHEN s.time_timezone IS NULL THEN ${global.ntpServer ?? ""}
      ELSE coalesce(s.time_ntp_server, '') END)`;
    const applied = sql<number>`coalesce(sum(CASE WHEN d.desired_timezone = ${expected}
      AND coalesce(d.desired_ntp_server, '') = ${expectedNtp}
      AND coalesce(d.reported_applied_config_version, 0) >= d.desired_version THEN 1 ELSE 0 END), 0)`;
    let select = q.selectFrom("devices as d").leftJoin("sites as s", "s.id", "d.site_id");
    if (onlySiteId !== undefined) select = select.where("d.site_id", "=", onlySiteId);
    const rows = await select
      .select((eb) => [
        "d.site_id",
        eb.fn.countAll().as("total"),
        applied.as("applied"),
        sql<number>`max(CASE WHEN s.time_timezone IS NULL THEN 1 ELSE 0 END)`.as("follows_global"),
      ])
      .where("d.status", "=", "active")
      .groupBy("d.site_id")
      .execute();
    return rows.map((r) => ({
      siteId: r.site_id,
      followsGlobal: Number(r.follows_global) === 1,
      total: Number(r.total),
      applied: Number(r.applied),
    }));
  }

  /** Active devices in `scope` that have not applied `time` (yet), in id order after `afterId`. */
  async listTimePending(
    q: Queryable,
    time: TimeSettings,
    scope: TimeScope,
    page: { afterId: string | null; limit: number },
  ): Promise<DeviceRecord[]> {
    let select = q
      .selectFrom("devices")
      .select(this.recordColumns)
      .where("status", "=", "active")
      .where(this.timeScope(scope))
      .where((eb) => eb.not(this.timeApplied(time)(eb)));
    if (page.afterId !== null) select = select.where("id", ">", page.afterId);
    const rows = await select.orderBy("id").limit(page.limit).execute();
    return rows.map(deviceRecord);
  }

  // ---- enrollment and credentials -----------------------------------------------------------

  /** A new active device; false when another device has taken the serial meanwhile. */
  async insertDevice(q: Queryable, device: NewDevice): Promise<boolean> {
    const inserted = await this.deviceInsert.rows(q, {
      id: device.id,
      serial: device.serial,
      model: device.model,
      name: device.name,
      atMs: device.atMs,
      timezone: device.desiredTime.timezone,
      ntpServer: device.desiredTime.ntpServer,
    });
    return inserted.length > 0;
  }

  /**
   * Makes a known device active again (a new model, enrolled now), only if its record is still as
   * `seen` and it is not deactivated; false when another unit changed it first.
   */
  async reenroll(
    q: Queryable,
    seen: Pick<DeviceRecord, "id" | "status" | "enrolledAtMs">,
    update: { model: string; atMs: number },
  ): Promise<boolean> {
    const result = await q
      .updateTable("devices")
      .set({ status: "active", model: update.model, enrolled_at: update.atMs })
      .where("id", "=", seen.id)
      .where("status", "=", seen.status)
      .where("status", "<>", "deactivated")
      .where("enrolled_at", "=", seen.enrolledAtMs)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** The device's one credential, created or replaced. */
  async setCredential(q: Queryable, deviceId: string, secretHash: string, atMs: number): Promise<void> {
    await this.credentialPut.changes(q, { deviceId, secretHash, atMs });
  }

  /** A new secret for a credential that exists; false when the device has none. */
  async renewCredential(q: Queryable, deviceId: string, secretHash: string, atMs: number): Promise<boolean> {
    const result = await q
      .updateTable("device_credentials")
      .set({ secret_hash: secretHash, created_at: atMs })
      .where("device_id", "=", deviceId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deleteCredential(q: Queryable, deviceId: string): Promise<void> {
    await q.deleteFrom("device_credentials").where("device_id", "=", deviceId).execute();
  }

  /** The secret hash of each device found among `ids` that has a credential, in one query. */
  async credentialHashes(q: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await q
      .selectFrom("device_credentials")
      .select(["device_id", "secret_hash"])
      .where(this.among("device_id", ids))
      .execute();
    return new Map(rows.map((r) => [r.device_id, r.secret_hash]));
  }

  async isSerialDenied(q: Queryable, serial: string): Promise<boolean> {
    return (await this.deniedSerial.rows(q, { serial })).length > 0;
  }

  /** Puts the devices' serials on the deny list for good; a serial already on it keeps its entry. */
  async denySerialsOf(q: Queryable, deviceIds: readonly string[], atMs: number): Promise<void> {
    if (deviceIds.length === 0) return;
    await q
      .insertInto("denied_serials")
      .columns(["serial", "device_id", "denied_at"])
      .expression((eb) =>
        eb
          .selectFrom("devices")
          .select(["serial", "id", sql<number>`CAST(${atMs} AS BIGINT)`.as("denied_at")])
          .where(this.among("id", deviceIds)),
      )
      .onConflict((oc) => oc.column("serial").doNothing())
      .execute();
  }

  // ---- status, desired config, command seqs -------------------------------------------------

  /** Sets the status of those of the devices that are not deactivated (that is final); how many changed. */
  async setStatus(q: Queryable, deviceIds: readonly string[], status: DeviceStatus): Promise<number> {
    if (deviceIds.length === 0) return 0;
    const result = await q
      .updateTable("devices")
      .set({ status })
      .where(this.among("id", deviceIds))
      .where("status", "<>", "deactivated")
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async setDesiredName(q: Queryable, deviceId: string, name: string): Promise<void> {
    await q
      .updateTable("devices")
      .set((eb) => ({ desired_name: name, name, desired_version: eb("desired_version", "+", 1) }))
      .where("id", "=", deviceId)
      .execute();
  }

  /** A time settings command for this device alone succeeded: its own date & time until the next change. */
  async setDesiredTime(q: Queryable, deviceId: string, time: TimeSettings): Promise<void> {
    await q
      .updateTable("devices")
      .set((eb) => ({
        desired_timezone: time.timezone,
        desired_ntp_server: time.ntpServer,
        desired_time_source: "device",
        desired_version: eb("desired_version", "+", 1),
      }))
      .where("id", "=", deviceId)
      .execute();
  }

  /**
   * The desired time of every device still managed (active, reset or unmanaged) in `scope`:
   * those following the global setting, or one site's. The ids of the devices changed.
   */
  async setDesiredTimeOfManaged(
    q: Queryable,
    time: TimeSettings,
    scope: TimeScope = "global",
    source: "global" | "site" = scope === "global" ? "global" : "site",
  ): Promise<string[]> {
    const rows = await q
      .updateTable("devices")
      .set((eb) => ({
        desired_timezone: time.timezone,
        desired_ntp_server: time.ntpServer,
        desired_time_source: source,
        desired_version: eb("desired_version", "+", 1),
      }))
      .where("status", "in", ["active", "reset", "unmanaged"])
      .where(this.timeScope(scope))
      .returning("id")
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Moves these devices (those that exist and are not there already) to a site, or out of any
   * (null), giving the managed ones the date & time they follow there; the ids of the devices
   * moved.
   */
  async moveToSite(
    q: Queryable,
    deviceIds: readonly string[],
    siteId: string | null,
    time: { settings: TimeSettings; source: "global" | "site" },
  ): Promise<string[]> {
    if (deviceIds.length === 0) return [];
    const managed = sql<boolean>`status IN ('active', 'reset', 'unmanaged')`;
    const rows = await q
      .updateTable("devices")
      .set((eb) => ({
        site_id: siteId,
        desired_timezone: sql`CASE WHEN ${managed} THEN ${time.settings.timezone} ELSE desired_timezone END`,
        desired_ntp_server: sql`CASE WHEN ${managed} THEN ${time.settings.ntpServer} ELSE desired_ntp_server END`,
        desired_time_source: sql`CASE WHEN ${managed} THEN ${time.source} ELSE desired_time_source END`,
        desired_version: sql`CASE WHEN ${managed} THEN ${eb("desired_version", "+", 1)} ELSE desired_version END`,
      }))
      .where(among(this.dialect, "id", deviceIds))
      .where((eb) =>
        siteId === null
          ? eb("site_id", "is not", null)
          : eb.or([eb("site_id", "is", null), eb("site_id", "!=", siteId)]),
      )
      .returning("id")
      .execute();
    return rows.map((r) => r.id);
  }

  /** The ids of a site's devices. */
  async idsOfSite(q: Queryable, siteId: string): Promise<string[]> {
    const rows = await q
      .selectFrom("devices")
      .select("id")
      .where("site_id", "=", siteId)
      .orderBy("id")
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * On PostgreSQL, locks these devices' rows in id order before a statement that updates many of
   * them: an UPDATE alone locks rows in whatever order its scan meets them, so two units writing
   * overlapping sets (seqs, presence, reports, from one server or several) could each hold a row
   * the other waits for and deadlock. `FOR NO KEY UPDATE` leaves the foreign-key checks of
   * concurrent inserts into commands and state history free. One row needs no order: the
   * statement locks it as this would. On SQLite units run one at a time.
   */
  private async lockInIdOrder(q: Queryable, ids: readonly string[]): Promise<void> {
    if (ids.length <= 1) return;
    await this.lockRows(q, ids);
  }

  /**
   * Inside a unit on PostgreSQL: these devices' rows locked (FOR NO KEY UPDATE, in id order)
   * until the commit, so that units changing what belongs to the same devices take turns (their
   * labels: a limit checked by each would otherwise let two together pass it). On SQLite units
   * run one at a time.
   */
  async lockRows(q: Queryable, ids: readonly string[]): Promise<void> {
    if (this.dialect.name !== "postgres" || ids.length === 0) return;
    await q
      .selectFrom("devices")
      .select("id")
      .where(this.among("id", ids))
      .orderBy("id")
      .forNoKeyUpdate()
      .execute();
  }

  /**
   * The next command seq of each device found among `ids`, taken: its counter moves on in place,
   * so concurrent units never get the same seq (on PostgreSQL the second waits for the first's
   * row lock and then sees its increment).
   *
   * On PostgreSQL the unit first locks the rows in id order: the update alone locks them in
   * whatever order its scan meets them, so two units taking seqs of overlapping sets of devices
   * could each hold a row the other waits for, and one of them lose a deadlock (a second of
   * waiting, then the whole unit again). On SQLite units run one at a time.
   *
   * With `onlyActive`, devices that are not active get no seq (and are not in the map): the
   * status is checked by the statement that takes the seq, under the row's lock.
   */
  async takeSeqs(
    q: Queryable,
    deviceIds: readonly string[],
    options: { onlyActive?: boolean } = {},
  ): Promise<Map<string, number>> {
    if (deviceIds.length === 0) return new Map();
    await this.lockInIdOrder(q, deviceIds);
    const statement = options.onlyActive ? this.activeSeqsTaken : this.seqsTaken;
    const rows = await statement.rows(q, { ids: listParam(this.dialect, deviceIds) });
    return new Map(rows.map((r) => [r.id, Number(r.next_seq) - 1]));
  }

  /**
   * `count` seqs in a row of each device given, taken as {@link takeSeqs} takes one (its rows
   * locked in id order first): the first of each device's range, for devices that exist.
   */
  async takeSeqRanges(q: Queryable, counts: ReadonlyMap<string, number>): Promise<Map<string, number>> {
    if (counts.size === 0) return new Map();
    const ids = [...counts.keys()];
    await this.lockInIdOrder(q, ids);
    const d = this.dialect;
    const rows = await q
      .updateTable("devices")
      .from(d.rows([...counts]).as("u"))
      // Qualified: SQLite's json_each has an id column of its own.
      .where(among(d, "devices.id", ids))
      .set({ next_seq: sql`devices.next_seq + ${d.rowNumber("u", 1)}` })
      .where("devices.id", "=", d.rowText("u", 0))
      .returning(["devices.id", "devices.next_seq"])
      .execute();
    return new Map(rows.map((r) => [r.id, Number(r.next_seq) - counts.get(r.id)!]));
  }

  /** Those of these devices that belong to one of these sites. */
  async idsInSites(
    q: Queryable,
    deviceIds: readonly string[],
    siteIds: readonly string[],
  ): Promise<string[]> {
    if (deviceIds.length === 0 || siteIds.length === 0) return [];
    const rows = await q
      .selectFrom("devices")
      .select("id")
      .where(this.among("id", deviceIds))
      .where(among(this.dialect, "site_id", siteIds))
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Every device's next command seq and desired config version move up by `gap`, in one
   * statement (after a restore: docs/reliability.md gives the same statement by hand). Returns
   * how many devices.
   */
  async raiseCountersBy(q: Queryable, gap: number): Promise<number> {
    const result = await q
      .updateTable("devices")
      .set({
        next_seq: sql`next_seq + ${sql.lit(gap)}`,
        desired_version: sql`desired_version + ${sql.lit(gap)}`,
      })
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  // ---- presence and reported state ----------------------------------------------------------

  /**
   * Devices whose connection was held by one of these nodes (gone, or this node before its
   * restart) go offline, and with `unheld` also those online without a holder (written before
   * nodes were recorded). Returns their ids.
   */
  async markOfflineHeldBy(
    q: Queryable,
    nodeIds: readonly string[],
    options: { unheld: boolean } = { unheld: false },
  ): Promise<string[]> {
    if (nodeIds.length === 0 && !options.unheld) return [];
    const held = (eb: ExpressionBuilder<StoreSchema, "devices">) =>
      eb.and([
        eb("online", "=", true),
        eb.or([
          ...(nodeIds.length > 0 ? [eb("connected_node", "in", [...nodeIds])] : []),
          ...(options.unheld ? [eb("connected_node", "is", null)] : []),
        ]),
      ]);
    // On PostgreSQL the rows are locked in id order first, as every other writer of device rows
    // does (see lockInIdOrder): a sweep of thousands of rows would otherwise deadlock with the
    // presence writes of the devices reconnecting meanwhile.
    let ids: string[] | null = null;
    if (this.dialect.name === "postgres") {
      const locked = await q
        .selectFrom("devices")
        .select("id")
        .where(held)
        .orderBy("id")
        .forNoKeyUpdate()
        .execute();
      ids = locked.map((r) => r.id);
      if (ids.length === 0) return [];
    }
    const rows = await q
      .updateTable("devices")
      .set({ online: false, connected_node: null })
      .where(held)
      .$if(ids !== null, (update) => update.where(this.among("id", ids ?? [])))
      .returning("id")
      .execute();
    return rows.map((r) => r.id);
  }

  /** Which of these devices another node than `nodeId` holds a connection of, as last written. */
  async heldByOtherNodes(q: Queryable, ids: readonly string[], nodeId: string): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await q
      .selectFrom("devices")
      .select("id")
      .where(this.among("id", ids))
      .where("online", "=", true)
      .where("connected_node", "is not", null)
      .where("connected_node", "<>", nodeId)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Online flags and last-seen times of many devices, in one statement, as `nodeId` saw them:
   * a device that came online is held by that node; a device going offline is written only if
   * that node held it (or nobody did), so a late disconnect seen by one node never marks
   * offline a device that has meanwhile connected to another.
   */
  async writePresence(q: Queryable, nodeId: string, presences: readonly DevicePresence[]): Promise<void> {
    await this.writeDeviceRows(q, nodeId, { presences, reports: [] });
  }

  /**
   * Reported states, then presence, of many devices in one unit: their rows locked once, in id
   * order, then one statement each. Presence goes last so that a device going offline in the
   * same tick as its last report ends offline; its last-seen time is the later of the two.
   */
  async writeDeviceRows(
    q: Queryable,
    nodeId: string,
    writes: { presences: readonly DevicePresence[]; reports: readonly DeviceReport[] },
  ): Promise<void> {
    const { presences, reports } = writes;
    if (presences.length === 0 && reports.length === 0) return;
    const ids = new Set<string>();
    for (const r of reports) ids.add(r.deviceId);
    for (const p of presences) ids.add(p.deviceId);
    await this.lockInIdOrder(q, [...ids]);
    if (reports.length > 0) await this.updateReports(q, reports);
    if (presences.length === 0) return;
    const reportedAt = new Map(reports.map((r) => [r.deviceId, r.atMs]));
    await this.updatePresence(
      q,
      nodeId,
      presences.map((p) => ({ ...p, atMs: Math.max(p.atMs, reportedAt.get(p.deviceId) ?? p.atMs) })),
    );
  }

  private async updatePresence(
    q: Queryable,
    nodeId: string,
    presences: readonly DevicePresence[],
  ): Promise<void> {
    const d = this.dialect;
    const online = d.rowFlag("u", 1).$castTo<SqlBool>();
    await q
      .updateTable("devices")
      .from(d.rows(presences.map((p) => [p.deviceId, p.online, p.atMs])).as("u"))
      .set({
        online,
        last_seen_at: d.rowNumber("u", 2),
        connected_node: sql<string | null>`CASE WHEN ${online} THEN CAST(${nodeId} AS TEXT) ELSE NULL END`,
      })
      .where("devices.id", "=", d.rowText("u", 0))
      .where((eb) =>
        eb.or([
          eb(online, "=", sql.lit(true)),
          eb("devices.connected_node", "=", nodeId),
          eb("devices.connected_node", "is", null),
        ]),
      )
      .execute();
  }

  /**
   * The reported states of many devices, in one statement: each `reported_json` with the
   * columns the list reads of it, and the device seen then.
   */
  async writeReports(q: Queryable, reports: readonly DeviceReport[]): Promise<void> {
    if (reports.length === 0) return;
    await this.lockInIdOrder(
      q,
      reports.map((r) => r.deviceId),
    );
    await this.updateReports(q, reports);
  }

  private async updateReports(q: Queryable, reports: readonly DeviceReport[]): Promise<void> {
    const d = this.dialect;
    const rows = reports.map(({ deviceId, atMs, reported }) => [
      deviceId,
      atMs,
      JSON.stringify(reported),
      reported.locked,
      reported.timezone,
      reported.clockOffsetMs,
      reported.lastTimeSyncAt !== null,
      reported.agentVersion,
      reported.appliedConfigVersion,
    ]);
    await q
      .updateTable("devices")
      .from(d.rows(rows).as("u"))
      .set({
        reported_at: d.rowNumber("u", 1),
        last_seen_at: d.rowNumber("u", 1),
        reported_json: d.rowText("u", 2),
        reported_locked: d.rowFlag("u", 3),
        reported_timezone: d.rowText("u", 4),
        reported_clock_offset_ms: d.rowNumber("u", 5),
        reported_clock_measured: d.rowFlag("u", 6),
        reported_agent_version: d.rowText("u", 7),
        reported_applied_config_version: d.rowNumber("u", 8),
      })
      .where("devices.id", "=", d.rowText("u", 0))
      .execute();
  }
}
