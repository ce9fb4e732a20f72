/**
 * Devices' labels, any number each: the only code that writes `device_labels`. A fleet's
 * labels are added or removed in one statement, whatever the number of devices.
 */
import { sql } from "kysely";
import { among, type SqlDialect } from "../dialect.js";
import type { Queryable } from "../store.js";

export interface LabelCount {
  label: string;
  devices: number;
}

export class DeviceLabelRepository {
  constructor(readonly dialect: SqlDialect) {}

  /**
   * Each label to each of the devices that lacks it (ids of devices that do not exist are
   * skipped); the ids of the devices that gained one.
   */
  async add(
    q: Queryable,
    deviceIds: readonly string[],
    labels: readonly string[],
    atMs: number,
  ): Promise<string[]> {
    if (deviceIds.length === 0 || labels.length === 0) return [];
    const d = this.dialect;
    const rows = await q
      .insertInto("device_labels")
      .columns(["device_id", "label", "added_at"])
      .expression((eb) =>
        eb
          .selectFrom("devices")
          .innerJoin(d.values([...labels]).as("l"), (join) => join.onTrue())
          .select([
            "devices.id as device_id",
            sql<string>`${sql.ref("l.value")}`.as("label"),
            sql.lit(atMs).as("added_at"),
          ])
          .where(among(d, "devices.id", deviceIds)),
      )
      .onConflict((oc) => oc.columns(["device_id", "label"]).doNothing())
      .returning("device_id")
      .execute();
    return [...new Set(rows.map((r) => r.device_id))];
  }

  /** These labels off these devices; the ids of the devices that lost one. */
  async remove(q: Queryable, deviceIds: readonly string[], labels: readonly string[]): Promise<string[]> {
    if (deviceIds.length === 0 || labels.length === 0) return [];
    const rows = await q
      .deleteFrom("device_labels")
      .where(among(this.dialect, "device_id", deviceIds))
      .where(among(this.dialect, "label", labels))
      .returning("device_id")
      .execute();
    return [...new Set(rows.map((r) => r.device_id))];
  }

  /** Each device's labels in code-point order; a device without any is left out. */
  async labelsOf(q: Queryable, deviceIds: readonly string[]): Promise<Map<string, string[]>> {
    const byDevice = new Map<string, string[]>();
    if (deviceIds.length === 0) return byDevice;
    const rows = await q
      .selectFrom("device_labels")
      .select(["device_id", "label"])
      .where(among(this.dialect, "device_id", deviceIds))
      .execute();
    for (const { device_id, label } of rows) {
      const list = byDevice.get(device_id);
      if (list) list.push(label);
      else byDevice.set(device_id, [label]);
    }
    for (const list of byDevice.values()) list.sort(byCodePoint);
    return byDevice;
  }

  /** Devices among `deviceIds` with more than `max` labels, and how many they have. */
  async overLimit(q: Queryable, deviceIds: readonly string[], max: number): Promise<Map<string, number>> {
    if (deviceIds.length === 0) return new Map();
    const rows = await q
      .selectFrom("device_labels")
      .select(["device_id", (eb) => eb.fn.countAll<number>().as("labels")])
      .where(among(this.dialect, "device_id", deviceIds))
      .groupBy("device_id")
      .having((eb) => eb.fn.countAll(), ">", max)
      .execute();
    return new Map(rows.map((r) => [r.device_id, Number(r.labels)]));
  }

  /** Every label in use, with how many devices carry it, in code-point order. */
  async counts(q: Queryable): Promise<LabelCount[]> {
    const rows = await q
      .selectFrom("device_labels")
      .select(["label", (eb) => eb.fn.countAll<number>().as("devices")])
      .groupBy("label")
      .execute();
    return rows
      .map((r) => ({ label: r.label, devices: Number(r.devices) }))
      .sort((a, b) => byCodePoint(a.label, b.label));
  }
}

/** Strings in code-point order, as both stores' byte order sorts them. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
