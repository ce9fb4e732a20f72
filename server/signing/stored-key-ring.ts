/**
 * The key ring as the store keeps it, shared by every node on the store (and by `npm run admin`):
 * read and written as {@link SigningKeyRing}s through the signing key repository. Whoever can
 * read the store's database can read the private keys: the data dir's owner for SQLite, the
 * database's users for PostgreSQL (docs/security.md, Signed commands).
 */
import { dialectOf } from "../store/dialect.js";
import {
  SigningKeyRepository,
  type StoredSigningKeyRing,
} from "../store/repositories/signing-key-repository.js";
import type { Queryable, Store } from "../store/store.js";
import {
  encodeSigningKeyRing,
  parseSigningKeyRing,
  type SigningKeyRing,
  SigningKeyRingError,
} from "./signing-keys.js";

/** How errors name the ring in the store. */
export const STORED_RING = "the store's signing key ring (table signing_key_ring)";

/** A rotation that lost to another: the stored ring is no longer the one it started from. */
export class SigningKeyRingConflict extends SigningKeyRingError {
  override name = "SigningKeyRingConflict";
}

function decodeRow(row: StoredSigningKeyRing): SigningKeyRing {
  const ring = parseSigningKeyRing(row.ringJson, STORED_RING);
  if (ring.version !== row.version) {
    throw new SigningKeyRingError(
      `${STORED_RING}: the row's version is ${row.version}, the ring it holds says ${ring.version}`,
    );
  }
  return ring;
}

export class StoredKeyRing {
  private readonly repository: SigningKeyRepository;

  constructor(private readonly store: Store) {
    this.repository = new SigningKeyRepository(dialectOf(store.dialect));
  }

  /** The stored ring, or null before the first; throws when it cannot be read. */
  async read(q: Queryable = this.store.db): Promise<SigningKeyRing | null> {
    const row = await this.repository.read(q);
    return row ? decodeRow(row) : null;
  }

  /** The stored ring's version, or null: one indexed read of one column. */
  version(q: Queryable = this.store.db): Promise<number | null> {
    return this.repository.version(q);
  }

  /**
   * Stores `ring` as the first ring unless one exists already; the ring stored either way, which
   * is another process's when it stored one first.
   */
  async storeFirst(ring: SigningKeyRing, atMs: number): Promise<SigningKeyRing> {
    const row = await this.repository.insertFirst(
      this.store.db,
      { version: ring.version, ringJson: encodeSigningKeyRing(ring) },
      atMs,
    );
    return decodeRow(row);
  }

  /**
   * Replaces `from` (the ring read) with `to`; throws {@link SigningKeyRingConflict}, writing
   * nothing, when the stored ring has changed since it was read.
   */
  async replace(q: Queryable, from: SigningKeyRing, to: SigningKeyRing, atMs: number): Promise<void> {
    const replaced = await this.repository.replace(
      q,
      from.version,
      { version: to.version, ringJson: encodeSigningKeyRing(to) },
      atMs,
    );
    if (replaced) return;
    const now = await this.repository.version(q);
    throw new SigningKeyRingConflict(
      `${STORED_RING} changed while this rotation ran: it was version ${from.version}, it is now ` +
        `${now === null ? "gone" : `version ${now}`} (another rotation came first); nothing was changed`,
    );
  }
}
