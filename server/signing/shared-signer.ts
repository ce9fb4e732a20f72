/**
 * The signer a server hands to its broker and enrollment: it signs with the store's key ring
 * and follows it. A rotation (by `npm run admin -- rotate-signing-key`, from any machine that
 * reaches the store) takes effect on every node without a restart: each node polls the ring's
 * version (one indexed read of one row per interval), and when it has moved, reads the new ring,
 * signs with its active key from then on, and runs the server's `onRotated` (which sends the new
 * key set to the devices connected to this node).
 *
 * A device trusts the new active key before the rotation (it was the next key), so commands a
 * node signs with it verify at once. Until a node has noticed a rotation it still signs with the
 * old active key, which devices drop once they have pinned the new set: a device that pinned it
 * elsewhere (enrolled, or connected, on a node that noticed first) may refuse that node's
 * commands for up to one interval (`unknown_key`).
 */
import type { SignedKeySet, SigningKeySet } from "../../proto/wire.js";
import type { Logger } from "../logger.js";
import { type CommandSignature, CommandSigner, type PublishedKeySet } from "./command-signer.js";
import { type LoadSigningKeysOptions, loadOrCreateSigningKeys } from "./load-signing-keys.js";
import { type SigningKeyRing, SigningKeyRingError } from "./signing-keys.js";
import { StoredKeyRing } from "./stored-key-ring.js";

/** How often a node looks for a rotation. */
export const SIGNING_KEY_POLL_MS = 1000;

export interface SharedCommandSignerOptions {
  /** The store's ring. */
  keys: Pick<StoredKeyRing, "read" | "version">;
  logger: Logger;
  /** Default {@link SIGNING_KEY_POLL_MS}. */
  pollIntervalMs?: number;
}

export class SharedCommandSigner {
  private current: CommandSigner;
  private timer: NodeJS.Timeout | null = null;
  private looking: Promise<boolean> | null = null;
  private onRotated: () => Promise<void> = async () => {};
  /** A stored version that could not be read, said once instead of at every look. */
  private unreadableVersion: number | null = null;
  private lookFailing = false;

  constructor(
    ring: SigningKeyRing,
    private readonly options: SharedCommandSignerOptions,
  ) {
    this.current = new CommandSigner(ring);
  }

  /** The version of the ring signing now. */
  get version(): number {
    return this.current.keySet.version;
  }

  get activeKeyId(): string {
    return this.current.activeKeyId;
  }

  /** The current key set, signed once per ring: the same bytes go to every device. */
  get signedKeySet(): SignedKeySet {
    return this.current.signedKeySet;
  }

  get keySet(): SigningKeySet {
    return this.current.keySet;
  }

  sign(bytes: Uint8Array): CommandSignature {
    return this.current.sign(bytes);
  }

  publishedKeySet(): PublishedKeySet {
    return this.current.publishedKeySet();
  }

  /**
   * Starts following the store's ring; `onRotated` runs after each switch to a new ring (a
   * failure is logged, and the next switch runs it again).
   */
  follow(onRotated: () => Promise<void>): void {
    this.onRotated = onRotated;
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A look still running takes the place of this one.
      if (this.looking) return;
      void this.look();
    }, this.options.pollIntervalMs ?? SIGNING_KEY_POLL_MS);
    this.timer.unref();
  }

  /** Stops following; resolves once a look still running has finished. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.looking;
  }

  /** Looks at the store's ring now (after any look still running); true when it switched. */
  async look(): Promise<boolean> {
    while (this.looking) await this.looking;
    const looking = this.lookOnce().finally(() => {
      this.looking = null;
    });
    this.looking = looking;
    return looking;
  }

  /** Never throws: a failed look is logged, and the next one tries again. */
  private async lookOnce(): Promise<boolean> {
    const { keys, logger } = this.options;
    let ring: SigningKeyRing | null;
    let version: number | null = null;
    try {
      version = await keys.version();
      if (version === null || version === this.version || version === this.unreadableVersion) {
        this.lookFailing = false;
        return false;
      }
      ring = await keys.read();
      this.lookFailing = false;
    } catch (err) {
      if (err instanceof SigningKeyRingError) {
        this.unreadableVersion = version;
        logger.error(
          { err, signingKeysVersion: this.version, activeKeyId: this.activeKeyId },
          "the store's signing key ring changed but cannot be read; still signing with the ring in use",
        );
      } else if (!this.lookFailing) {
        this.lookFailing = true;
        logger.warn({ err }, "could not look for a signing key rotation; trying again");
      }
      return false;
    }
    if (!ring) return false;
    const previous = this.current.keySet.version;
    this.current = new CommandSigner(ring);
    this.unreadableVersion = null;
    const fields = {
      signingKeysVersion: ring.version,
      previousVersion: previous,
      signingKeyId: ring.active.keyId,
    };
    if (ring.version < previous) {
      logger.warn(
        fields,
        "the store's signing key ring went back to an older version (a restore?); signing with it",
      );
    } else {
      logger.info(fields, "the signing key ring was rotated; signing with its new active key");
    }
    try {
      await this.onRotated();
    } catch (err) {
      logger.error({ err, signingKeysVersion: ring.version }, "sending the new signing key set failed");
    }
    return true;
  }
}

/**
 * The server's signer at its start: the store's ring (imported from the data dir's file, or
 * created, when the store has none; see ./load-signing-keys.ts), not yet following rotations.
 */
export async function openSharedSigner(
  options: LoadSigningKeysOptions & { pollIntervalMs?: number },
): Promise<SharedCommandSigner> {
  const ring = await loadOrCreateSigningKeys(options);
  return new SharedCommandSigner(ring, {
    keys: new StoredKeyRing(options.store),
    logger: options.logger,
    pollIntervalMs: options.pollIntervalMs,
  });
}
