/**
 * Which broker URL the next connection attempt goes to, when a device knows several (the nodes
 * of one service). The rule, shared by every transport:
 *
 * - the first attempt goes to the first URL (the preferred one);
 * - an attempt that fails (no connection, a timeout, a refused CONNACK, a TLS error) moves to
 *   the next URL, round robin;
 * - a connection that was accepted and then dropped is tried once more at the same URL (a
 *   restart, a network blip); if that attempt fails, the next URL follows;
 * - so a device on a later URL stays there while it works.
 *
 * The transports keep their own backoff and jitter between attempts; this only says where.
 * A new list (from the desired config) replaces the old one; the URL in use stays in use when
 * the new list has it.
 */
export class BrokerRotation {
  private urls: string[];
  private index = 0;
  /** A CONNACK accepted the connection on the current URL, and it has not ended since. */
  private live = false;
  /**
   * The URL of a live connection that a new list no longer names: used until that connection
   * ends, then the new list is tried from its first URL.
   */
  private leaving: string | null = null;

  /**
   * `urls`: at least one, preferred first. `onMove` hears of every move to another URL (for the
   * log); it is not called for a retry of the same URL.
   */
  constructor(
    urls: readonly string[],
    private readonly onMove?: (move: {
      from: string;
      to: string;
      reason: "failed" | "list_replaced";
    }) => void,
  ) {
    if (urls.length === 0) throw new Error("a broker rotation needs at least one URL");
    this.urls = [...urls];
  }

  /** The URL the next (or the current) connection attempt uses. */
  current(): string {
    return this.leaving ?? this.urls[this.index]!;
  }

  /** Every URL, preferred first. */
  list(): readonly string[] {
    return this.urls;
  }

  /** The broker accepted the connection (CONNACK 0). */
  connected(): void {
    this.live = true;
  }

  /**
   * The connection or the attempt ended. `wasAccepted`: it had been accepted (see `connected`);
   * then the next attempt goes to the same URL, otherwise to the next one.
   */
  ended(wasAccepted: boolean): void {
    this.live = false;
    if (this.leaving !== null) {
      const from = this.leaving;
      this.leaving = null;
      this.index = 0;
      this.onMove?.({ from, to: this.current(), reason: "list_replaced" });
      return;
    }
    if (wasAccepted || this.urls.length === 1) return;
    const from = this.current();
    this.index = (this.index + 1) % this.urls.length;
    this.onMove?.({ from, to: this.current(), reason: "failed" });
  }

  /**
   * Takes a new list (at least one URL, preferred first). The URL in use keeps its place when
   * the new list has it; otherwise a live connection stays up until it ends (it works; a list
   * that turned out wrong must not cut off a device that can still be reached), and an idle
   * rotation goes to the new list's first URL at once.
   */
  replace(urls: readonly string[]): void {
    if (urls.length === 0) throw new Error("a broker rotation needs at least one URL");
    const inUse = this.current();
    this.urls = [...urls];
    const kept = this.urls.indexOf(inUse);
    if (kept !== -1) {
      this.index = kept;
      this.leaving = null;
      return;
    }
    this.index = 0;
    if (this.live) {
      this.leaving = inUse;
      return;
    }
    this.leaving = null;
    this.onMove?.({ from: inUse, to: this.current(), reason: "list_replaced" });
  }
}
