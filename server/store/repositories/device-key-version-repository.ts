/**
 * Which command-signing key set the managed devices last reported trusting: one read of
 * `devices` (whose rows the device repository writes), for the check before a key rotation.
 */
import type { SqlDialect } from "../dialect.js";
import type { Queryable } from "../store.js";

export class DeviceKeyVersionRepository {
  constructor(readonly dialect: SqlDialect) {}

  /**
   * Active devices that may not trust key set `version` yet: they last reported an older one
   * (or none), or never reported and enrolled before the set was created.
   */
  async countActiveBehind(q: Queryable, keySet: { version: number; createdAtMs: number }): Promise<number> {
    const reported = this.dialect.jsonInteger("reported_json", "signingKeysVersion");
    const row = await q
      .selectFrom("devices")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("status", "=", "active")
      .where((eb) =>
        eb.or([
          eb(eb.fn.coalesce(reported, eb.lit(0)), "<", keySet.version),
          eb.and([eb("reported_json", "is", null), eb("enrolled_at", "<", keySet.createdAtMs)]),
        ]),
      )
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
