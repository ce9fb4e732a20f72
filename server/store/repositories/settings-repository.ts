/**
 * Global settings, one JSON document per key: the only code that reads or writes `settings`.
 */
import type { SqlDialect } from "../dialect.js";
import { prepared } from "../prepared.js";
import type { Queryable } from "../store.js";

/** The settings the server keeps: the global date & time, and the clock drift threshold. */
export type SettingKey = "time" | "clock_drift";

export interface SettingRecord {
  /** The document as stored; its shape is the caller's (one per key). */
  value: unknown;
  updatedAtMs: number;
}

export class SettingsRepository {
  constructor(readonly dialect: SqlDialect) {}

  /** Read by every enrollment (the global time): built once (see prepared.ts). */
  private readonly byKey = prepared<{ key: SettingKey }, { value_json: string; updated_at: number }>(
    ["key"],
    (q, p) => q.selectFrom("settings").select(["value_json", "updated_at"]).where("key", "=", p.key),
  );

  async get(q: Queryable, key: SettingKey): Promise<SettingRecord | null> {
    const [row] = await this.byKey.rows(q, { key });
    return row ? { value: JSON.parse(row.value_json) as unknown, updatedAtMs: Number(row.updated_at) } : null;
  }

  /** Stores the setting, replacing what was there. */
  async put(q: Queryable, key: SettingKey, value: unknown, atMs: number): Promise<void> {
    await q
      .insertInto("settings")
      .values({ key, value_json: JSON.stringify(value), updated_at: atMs })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet((eb) => ({
          value_json: eb.ref("excluded.value_json"),
          updated_at: eb.ref("excluded.updated_at"),
        })),
      )
      .execute();
  }
}
