/**
 * Each device's history of reported states: the only code that reads or writes
 * `state_history`. Rows are appended for a fleet in one statement, each device keeps its newest
 * rows only (one statement for every device written), and old rows are pruned by age.
 */
import { sql } from "kysely";
import type { SqlDialect } from "../dialect.js";
import type { Queryable } from "../store.js";

export interface StateHistoryEntry {
  deviceId: string;
  atMs: number;
  /** The state as stored: a JSON document. */
  stateJson: string;
}

export interface StateHistoryRecord {
  atMs: number;
  state: unknown;
}

export class StateHistoryRepository {
  constructor(readonly dialect: SqlDialect) {}

  /** Appends the entries in one statement; an entry of a device that does not exist is dropped. */
  async append(q: Queryable, entries: readonly StateHistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const d = this.dialect;
    await q
      .insertInto("state_history")
      .columns(["device_id", "at", "state_json"])
      .expression((eb) =>
        eb
          .selectFrom(d.rows(entries.map((e) => [e.deviceId, e.atMs, e.stateJson])).as("h"))
          .select([
            d.rowText("h", 0).as("device_id"),
            d.rowNumber("h", 1).as("at"),
            d.rowText("h", 2).as("state_json"),
          ])
          .where(({ exists, selectFrom }) =>
            exists(
              selectFrom("devices")
                .select(sql.lit(1).as("found"))
                .where("devices.id", "=", d.rowText("h", 0)),
            ),
          ),
      )
      .execute();
  }

  /** Each of the devices keeps its newest `rowsPerDevice` rows; one statement for all of them. */
  async keepNewest(q: Queryable, deviceIds: readonly string[], rowsPerDevice: number): Promise<void> {
    if (deviceIds.length === 0) return;
    // The first row to go is the one `rowsPerDevice` rows below the device's newest.
    await q
      .deleteFrom("state_history")
      .where(
        "id",
        "in",
        sql<number>`(SELECT h.id FROM ${this.dialect.values([...deviceIds])} AS d
          JOIN state_history AS h ON h.device_id = d.value
          WHERE h.id <= (SELECT s.id FROM state_history AS s WHERE s.device_id = d.value
                         ORDER BY s.id DESC LIMIT 1 OFFSET ${rowsPerDevice}))`,
      )
      .execute();
  }

  /** The device's newest rows first. */
  async newestOf(q: Queryable, deviceId: string, limit: number): Promise<StateHistoryRecord[]> {
    const rows = await q
      .selectFrom("state_history")
      .select(["at", "state_json"])
      .where("device_id", "=", deviceId)
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ atMs: Number(r.at), state: JSON.parse(r.state_json) as unknown }));
  }

  /** Removes every row older than `beforeMs`; how many went. */
  async pruneOlderThan(q: Queryable, beforeMs: number): Promise<number> {
    const result = await q.deleteFrom("state_history").where("at", "<", beforeMs).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
