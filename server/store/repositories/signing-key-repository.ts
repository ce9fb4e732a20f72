/**
 * The command-signing key ring every node signs with: one row (`id = 1`) holding the ring as
 * server/signing stores it (JSON with PKCS#8 PEM private keys) and its version. The only code
 * that reads or writes `signing_key_ring`.
 *
 * Writes never overwrite blindly, because several processes share the row: the first ring is
 * inserted only where none exists (two nodes starting on an empty database both read back the
 * one that won), and a rotation replaces the ring only from the version it read (of two
 * rotations at once, one replaces it and the other finds the version moved on).
 */
import type { SqlDialect } from "../dialect.js";
import type { Queryable } from "../store.js";

/** The single row's key. */
const RING_ID = 1;

export interface StoredSigningKeyRing {
  /** Starts at 1 and grows by one with every rotation; the same as the ring's own version. */
  version: number;
  /** The ring in server/signing's stored shape. */
  ringJson: string;
  updatedAtMs: number;
}

export class SigningKeyRepository {
  constructor(readonly dialect: SqlDialect) {}

  /** The ring, or null before the first one was stored. */
  async read(q: Queryable): Promise<StoredSigningKeyRing | null> {
    const row = await q
      .selectFrom("signing_key_ring")
      .select(["version", "ring_json", "updated_at"])
      .where("id", "=", RING_ID)
      .executeTakeFirst();
    return row
      ? { version: Number(row.version), ringJson: row.ring_json, updatedAtMs: Number(row.updated_at) }
      : null;
  }

  /** The ring's version alone (null before the first ring): what a node polls to notice a rotation. */
  async version(q: Queryable): Promise<number | null> {
    const row = await q
      .selectFrom("signing_key_ring")
      .select("version")
      .where("id", "=", RING_ID)
      .executeTakeFirst();
    return row ? Number(row.version) : null;
  }

  /**
   * Stores `ring` unless a ring is stored already, and returns the stored one: `ring` itself, or
   * the ring another process stored first (which every caller must then use instead of its own).
   */
  async insertFirst(
    q: Queryable,
    ring: { version: number; ringJson: string },
    atMs: number,
  ): Promise<StoredSigningKeyRing> {
    await q
      .insertInto("signing_key_ring")
      .values({ id: RING_ID, version: ring.version, ring_json: ring.ringJson, updated_at: atMs })
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
    const stored = await this.read(q);
    if (!stored) throw new Error("the signing key ring was inserted but cannot be read back");
    return stored;
  }

  /**
   * Replaces the ring with `ring` if the stored one is still at `fromVersion`; false (and
   * nothing written) when it is not, or when there is none.
   */
  async replace(
    q: Queryable,
    fromVersion: number,
    ring: { version: number; ringJson: string },
    atMs: number,
  ): Promise<boolean> {
    const result = await q
      .updateTable("signing_key_ring")
      .set({ version: ring.version, ring_json: ring.ringJson, updated_at: atMs })
      .where("id", "=", RING_ID)
      .where("version", "=", fromVersion)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
