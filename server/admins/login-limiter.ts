/**
 * Failed-login limits, per account and per source address: after `maxFailures` failures
 * within `windowMs`, further attempts are refused until the oldest failure leaves the window.
 * Kept in memory: a restart forgets it, which costs an attacker a server restart they cannot
 * cause. The number of tracked keys is bounded so a spray of addresses cannot grow memory.
 */
export interface LoginLimits {
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  windowMs: number;
  /** Keys tracked at most per kind; the oldest are forgotten first. */
  maxTrackedKeys: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  maxFailuresPerAccount: 5,
  maxFailuresPerAddress: 20,
  windowMs: 15 * 60_000,
  maxTrackedKeys: 50_000,
};

class FailureWindow {
  /** Failure times per key, oldest first; Map order is insertion order, oldest key first. */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    const kept = times.filter((t) => t > now - this.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    else if (kept.length !== times.length) this.failures.set(key, kept);
    return kept;
  }

  /** Milliseconds until an attempt for `key` is allowed again; 0 when it is allowed now. */
  blockedForMs(key: string, now: number): number {
    const times = this.recent(key, now);
    if (times.length < this.max) return 0;
    return times[times.length - this.max]! + this.windowMs - now;
  }

  record(key: string, now: number): void {
    const times = this.recent(key, now);
    times.push(now);
    this.failures.delete(key);
    this.failures.set(key, times.slice(-this.max));
    while (this.failures.size > this.maxKeys) {
      const oldest = this.failures.keys().next().value as string;
      this.failures.delete(oldest);
    }
  }

  clear(key: string): void {
    this.failures.delete(key);
  }
}

export class LoginLimiter {
  private readonly byAccount: FailureWindow;
  private readonly byAddress: FailureWindow;

  constructor(
    limits: LoginLimits,
    private readonly clock: () => number,
  ) {
    this.byAccount = new FailureWindow(limits.maxFailuresPerAccount, limits.windowMs, limits.maxTrackedKeys);
    this.byAddress = new FailureWindow(limits.maxFailuresPerAddress, limits.windowMs, limits.maxTrackedKeys);
  }

  /** Seconds to wait before the next attempt, or 0 when an attempt may be made now. */
  retryAfterSeconds(email: string, address: string): number {
    const now = this.clock();
    const ms = Math.max(this.byAccount.blockedForMs(email, now), this.byAddress.blockedForMs(address, now));
    return ms > 0 ? Math.ceil(ms / 1000) : 0;
  }

  failed(email: string, address: string): void {
    const now = this.clock();
    this.byAccount.record(email, now);
    this.byAddress.record(address, now);
  }

  /** A successful login clears the account's failures (not the address's). */
  succeeded(email: string): void {
    this.byAccount.clear(email);
  }
}
