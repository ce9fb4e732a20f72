/**
 * Sites: the only code that writes `sites`. A site's name compares without case on either store
 * (SQLite `COLLATE NOCASE`, PostgreSQL `CITEXT`); its date & time is null while its devices
 * follow the global setting; its maintenance window is JSON (`window_json`, null: none). Which
 * devices belong to a site is theirs to say (`devices.site_id`, written by the device repository).
 */
import type { TimeSettings } from "../../../proto/wire.js";
import type { MaintenanceWindow } from "../../sites/maintenance-window.js";
import { lockForInsert, type SqlDialect } from "../dialect.js";
import type { SitesTable } from "../schema.js";
import type { Queryable } from "../store.js";

export interface SiteRecord {
  id: string;
  name: string;
  /** Null: its devices follow the global date & time. */
  time: TimeSettings | null;
  /** Null: no maintenance window (commands that wait for one go at once). */
  window: MaintenanceWindow | null;
  createdAtMs: number;
  updatedAtMs: number;
}

/** A site's maintenance window as written by {@link SiteRepository.insert} (checked before). */
function windowOf(json: string | null): MaintenanceWindow | null {
  return json === null ? null : (JSON.parse(json) as MaintenanceWindow);
}

function siteRecord(row: SitesTable): SiteRecord {
  return {
    id: row.id,
    name: row.name,
    time: row.time_timezone === null ? null : { timezone: row.time_timezone, ntpServer: row.time_ntp_server },
    window: windowOf(row.window_json),
    createdAtMs: Number(row.created_at),
    updatedAtMs: Number(row.updated_at),
  };
}

const SITE_COLUMNS = [
  "id",
  "name",
  "time_timezone",
  "time_ntp_server",
  "window_json",
  "created_at",
  "updated_at",
] as const;

export class SiteRepository {
  constructor(readonly dialect: SqlDialect) {}

  /** Every site, by name. */
  async list(q: Queryable): Promise<SiteRecord[]> {
    const rows = await q.selectFrom("sites").select(SITE_COLUMNS).orderBy("name").orderBy("id").execute();
    return rows.map(siteRecord);
  }

  /** The sites that have a maintenance window, each with it. */
  async windows(q: Queryable): Promise<{ siteId: string; window: MaintenanceWindow }[]> {
    const rows = await q
      .selectFrom("sites")
      .select(["id", "window_json"])
      .where("window_json", "is not", null)
      .orderBy("id")
      .execute();
    return rows.map((r) => ({ siteId: r.id, window: windowOf(r.window_json)! }));
  }

  /** Inside a unit, before counting the sites to add one (see {@link lockForInsert}). */
  async lockForInsert(q: Queryable): Promise<void> {
    await lockForInsert(q, this.dialect, "sites");
  }

  async count(q: Queryable): Promise<number> {
    const row = await q
      .selectFrom("sites")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async get(q: Queryable, id: string): Promise<SiteRecord | null> {
    const row = await q.selectFrom("sites").select(SITE_COLUMNS).where("id", "=", id).executeTakeFirst();
    return row ? siteRecord(row) : null;
  }

  /**
   * Inside a unit: the site, its row locked until the unit ends (PostgreSQL), so that a change
   * of its date & time and a move of devices into it take turns.
   */
  async getForUpdate(q: Queryable, id: string): Promise<SiteRecord | null> {
    let select = q.selectFrom("sites").select(SITE_COLUMNS).where("id", "=", id);
    if (this.dialect.name === "postgres") select = select.forUpdate();
    const row = await select.executeTakeFirst();
    return row ? siteRecord(row) : null;
  }

  /** Throws a unique violation (see isUniqueViolation) when the name is taken in any case. */
  async insert(q: Queryable, site: SiteRecord): Promise<void> {
    await q
      .insertInto("sites")
      .values({
        id: site.id,
        name: site.name,
        time_timezone: site.time?.timezone ?? null,
        time_ntp_server: site.time?.ntpServer ?? null,
        window_json: site.window === null ? null : JSON.stringify(site.window),
        created_at: site.createdAtMs,
        updated_at: site.updatedAtMs,
      })
      .execute();
  }

  /** Throws a unique violation when the new name is another site's in any case. */
  async update(
    q: Queryable,
    id: string,
    patch: { name?: string; time?: TimeSettings | null; window?: MaintenanceWindow | null },
    atMs: number,
  ): Promise<void> {
    await q
      .updateTable("sites")
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.time !== undefined
          ? { time_timezone: patch.time?.timezone ?? null, time_ntp_server: patch.time?.ntpServer ?? null }
          : {}),
        ...(patch.window !== undefined
          ? { window_json: patch.window === null ? null : JSON.stringify(patch.window) }
          : {}),
        updated_at: atMs,
      })
      .where("id", "=", id)
      .execute();
  }

  async delete(q: Queryable, id: string): Promise<boolean> {
    const result = await q.deleteFrom("sites").where("id", "=", id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
