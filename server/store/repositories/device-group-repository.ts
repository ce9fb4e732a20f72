/**
 * Dynamic groups (saved device filters): the only code that touches `device_groups`. A group is
 * a name and a device filter, kept as the API takes it (JSON); which devices it holds is
 * decided each time it is read, by the device list's own filter.
 *
 * `device_groups.name` compares without case on either store (SQLite `COLLATE NOCASE`,
 * PostgreSQL `citext`), for lookups, uniqueness and order alike.
 */
import type { Updateable } from "kysely";
import type { DeviceFilter } from "../../devices/device-service.js";
import { lockForInsert, type SqlDialect } from "../dialect.js";
import type { DeviceGroupsTable } from "../schema.js";
import type { Queryable } from "../store.js";

export interface DeviceGroupRecord {
  id: string;
  name: string;
  filter: DeviceFilter;
  createdAtMs: number;
  updatedAtMs: number;
}

const GROUP_COLUMNS = ["id", "name", "filter_json", "created_at", "updated_at"] as const;

function groupRecord(row: Pick<DeviceGroupsTable, (typeof GROUP_COLUMNS)[number]>): DeviceGroupRecord {
  return {
    id: row.id,
    name: row.name,
    filter: JSON.parse(row.filter_json) as DeviceFilter,
    createdAtMs: Number(row.created_at),
    updatedAtMs: Number(row.updated_at),
  };
}

export class DeviceGroupRepository {
  constructor(readonly dialect: SqlDialect) {}

  /** Every group, by name (in any case), then id. */
  async list(q: Queryable): Promise<DeviceGroupRecord[]> {
    const rows = await q
      .selectFrom("device_groups")
      .select(GROUP_COLUMNS)
      .orderBy("name")
      .orderBy("id")
      .execute();
    return rows.map(groupRecord);
  }

  async count(q: Queryable): Promise<number> {
    const row = await q
      .selectFrom("device_groups")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async byId(q: Queryable, id: string): Promise<DeviceGroupRecord | null> {
    const row = await q
      .selectFrom("device_groups")
      .select(GROUP_COLUMNS)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? groupRecord(row) : null;
  }

  /** Whatever the case of `name` or of the stored one. */
  async byName(q: Queryable, name: string): Promise<DeviceGroupRecord | null> {
    const row = await q
      .selectFrom("device_groups")
      .select(GROUP_COLUMNS)
      .where("name", "=", name)
      .executeTakeFirst();
    return row ? groupRecord(row) : null;
  }

  /** Inside a unit, before counting the groups to add one (see {@link lockForInsert}). */
  async lockForInsert(q: Queryable): Promise<void> {
    await lockForInsert(q, this.dialect, "device_groups");
  }

  /** Throws a unique violation (see isUniqueViolation) when the name is taken in any case. */
  async insert(q: Queryable, group: DeviceGroupRecord): Promise<void> {
    await q
      .insertInto("device_groups")
      .values({
        id: group.id,
        name: group.name,
        filter_json: JSON.stringify(group.filter),
        created_at: group.createdAtMs,
        updated_at: group.updatedAtMs,
      })
      .execute();
  }

  /**
   * False when there is no such group. Throws a unique violation when the new name is another
   * group's in any case.
   */
  async update(
    q: Queryable,
    id: string,
    patch: { name?: string; filter?: DeviceFilter },
    nowMs: number,
  ): Promise<boolean> {
    const changes: Updateable<DeviceGroupsTable> = { updated_at: nowMs };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.filter !== undefined) changes.filter_json = JSON.stringify(patch.filter);
    const result = await q.updateTable("device_groups").set(changes).where("id", "=", id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** False when there was no such group. */
  async delete(q: Queryable, id: string): Promise<boolean> {
    const result = await q.deleteFrom("device_groups").where("id", "=", id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
