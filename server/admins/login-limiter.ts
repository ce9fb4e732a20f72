/**
 * Failed-login limits that keep password guessing slow without letting a stranger lock an
 * admin out. All counts are over a sliding window of `windowMs`:
 * - a **trusted client** (a browser presenting its login-device cookie for the account, or, for
 *   the current-password check, the session asking) is limited only by its own counter: after
 *   `maxFailuresPerClient` failures it is trusted no more (a browser then counts as untrusted;
 *   a session is refused);
 * - per **(account, source address)**: after `maxFailuresPerAccountAddress` failures that pair is
 *   refused until its oldest failure leaves the window;
 * - per **source address**, any accounts: after `maxFailuresPerAddress` failures the address is
 *   refused the same way;
 * - per **account, from untrusted clients**: never a hard lock; after
 *   `untrustedFailuresBeforeDelay` failures each further attempt must wait a delay since the
 *   account's last failure that doubles from `firstDelayMs` up to `maxDelayMs`.
 *
 * An admitted attempt counts as a failure at once, before its password is checked, and is taken
 * back if it succeeds: otherwise attempts sent in parallel would all pass a check made before
 * the first of them had failed.
 *
 * Kept in memory: a restart forgets it, which costs an attacker a server restart they cannot
 * cause. With several server nodes each change is passed on to the others, which apply it to
 * their counters within milliseconds (see {@link SharedLimitChange}). Each counter tracks at most
 * `maxTrackedKeys` keys, forgetting the least recently failed first, and each key keeps only the
 * failures its limit needs, so a spray of addresses or emails cannot grow memory.
 */
import { randomBytes } from "node:crypto";

export interface LoginLimits {
  /** How long a failure counts. */
  windowMs: number;
  /** Failures for one account from one source address before that pair is refused. */
  maxFailuresPerAccountAddress: number;
  /** Failures from one source address, whatever the accounts, before the address is refused. */
  maxFailuresPerAddress: number;
  /** Failures of one trusted browser, or of one session's current-password check. */
  maxFailuresPerClient: number;
  /** Failures of an account from untrusted clients before its attempts are delayed. */
  untrustedFailuresBeforeDelay: number;
  /** The first delay; each further failure doubles it. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** A browser stays trusted this long after its last successful sign-in. */
  loginDeviceTtlMs: number;
  /** Trusted browsers kept per admin; the least recently used is forgotten first. */
  maxLoginDevicesPerAdmin: number;
  /** Keys tracked at most per counter; the least recently failed are forgotten first. */
  maxTrackedKeys: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  windowMs: 15 * 60_000,
  maxFailuresPerAccountAddress: 5,
  maxFailuresPerAddress: 20,
  maxFailuresPerClient: 5,
  untrustedFailuresBeforeDelay: 10,
  firstDelayMs: 1000,
  maxDelayMs: 60_000,
  loginDeviceTtlMs: 180 * 86_400_000,
  maxLoginDevicesPerAdmin: 50,
  maxTrackedKeys: 50_000,
};

/** Which limit refused an attempt. */
export type LimitScope = "client" | "account_address" | "address" | "account";
/** A sign-in is never refused by the client's own limit: past it, the client is untrusted. */
export type LoginLimitScope = Exclude<LimitScope, "client">;

export interface LoginRefusal<Scope extends LimitScope = LimitScope> {
  admitted: false;
  scope: Scope;
  retryAfterSeconds: number;
}

export interface FailureOutcome {
  /** The trusted client has just reached its own limit and is trusted no more. */
  clientDistrusted: boolean;
  /**
   * Set on the failure that starts an account's delay, at most once per window per account:
   * the failures counted and how many source addresses they came from.
   */
  throttled: { failures: number; addresses: number } | null;
}

export interface AdmittedAttempt {
  admitted: true;
  /** Limited only by the client's own counter. */
  trusted: boolean;
  /** The password was wrong (the attempt stays counted). */
  failed(): FailureOutcome;
  /** The password was right: the attempt is taken back and the pair's failures cleared. */
  succeeded(): void;
}

interface Failure {
  /** Names the failure across nodes, so that the one taken back is the one added. */
  id: string;
  atMs: number;
  address: string;
}

type CounterName = "client" | "account_address" | "address" | "account";

/**
 * A change to one counter, as the other server nodes apply it to theirs: with several nodes,
 * each node's counters hear of the failures counted on the others (through the cluster link),
 * so an attacker spreading attempts over the nodes meets the same limits.
 */
export interface SharedLimitChange {
  counter: CounterName;
  key: string;
  op: "add" | "remove" | "clear";
  failure?: Failure;
}

/** Recent failures per key; Map order is insertion order, so the least recently failed key is first. */
class FailureLog {
  private readonly byKey = new Map<string, { failures: Failure[]; alertedAtMs: number | null }>();

  constructor(
    readonly name: CounterName,
    private readonly windowMs: number,
    /** More failures per key than this would not change any answer. */
    private readonly keptPerKey: number,
    private readonly maxKeys: number,
  ) {}

  /** The key's failures still in the window, oldest first. */
  recent(key: string, nowMs: number): readonly Failure[] {
    const entry = this.byKey.get(key);
    if (!entry) return [];
    const kept = entry.failures.filter((f) => f.atMs > nowMs - this.windowMs);
    if (kept.length === 0) this.byKey.delete(key);
    else entry.failures = kept;
    return kept;
  }

  add(key: string, failure: Failure): void {
    const failures = [...this.recent(key, failure.atMs), failure].slice(-this.keptPerKey);
    const alertedAtMs = this.byKey.get(key)?.alertedAtMs ?? null;
    this.byKey.delete(key);
    this.byKey.set(key, { failures, alertedAtMs });
    while (this.byKey.size > this.maxKeys) {
      this.byKey.delete(this.byKey.keys().next().value as string);
    }
  }

  remove(key: string, failureId: string): void {
    const entry = this.byKey.get(key);
    if (!entry) return;
    entry.failures = entry.failures.filter((f) => f.id !== failureId);
    if (entry.failures.length === 0) this.byKey.delete(key);
  }

  clear(key: string): void {
    this.byKey.delete(key);
  }

  /** True at most once per window for a key that has failures. */
  claimAlert(key: string, nowMs: number): boolean {
    const entry = this.byKey.get(key);
    if (!entry || (entry.alertedAtMs !== null && entry.alertedAtMs > nowMs - this.windowMs)) return false;
    entry.alertedAtMs = nowMs;
    return true;
  }
}

type Counter = readonly [log: FailureLog, key: string];

export class LoginLimiter {
  private readonly byClient: FailureLog;
  private readonly byAccountAddress: FailureLog;
  private readonly byAddress: FailureLog;
  private readonly byAccount: FailureLog;
  private readonly logs: Record<CounterName, FailureLog>;
  /** Tells the other nodes of each change to the counters; set with {@link shareWith}. */
  private share: (changes: SharedLimitChange[]) => void = () => {};

  constructor(
    readonly limits: LoginLimits,
    private readonly clock: () => number,
  ) {
    const { windowMs, maxTrackedKeys } = limits;
    this.byClient = new FailureLog("client", windowMs, limits.maxFailuresPerClient, maxTrackedKeys);
    this.byAccountAddress = new FailureLog(
      "account_address",
      windowMs,
      limits.maxFailuresPerAccountAddress,
      maxTrackedKeys,
    );
    this.byAddress = new FailureLog("address", windowMs, limits.maxFailuresPerAddress, maxTrackedKeys);
    // Failures beyond the count at which the delay reaches its cap would not lengthen it.
    const doublingsToCap = Math.max(0, Math.ceil(Math.log2(limits.maxDelayMs / limits.firstDelayMs)));
    this.byAccount = new FailureLog(
      "account",
      windowMs,
      Math.max(1, limits.untrustedFailuresBeforeDelay + doublingsToCap),
      maxTrackedKeys,
    );
    this.logs = {
      client: this.byClient,
      account_address: this.byAccountAddress,
      address: this.byAddress,
      account: this.byAccount,
    };
  }

  /** With several server nodes: each change is passed on to the others. */
  shareWith(share: (changes: SharedLimitChange[]) => void): void {
    this.share = share;
  }

  /** Changes another node made to its counters, made to these too. */
  applyShared(changes: readonly SharedLimitChange[]): void {
    for (const { counter, key, op, failure } of changes) {
      const log = this.logs[counter];
      if (!log || typeof key !== "string") continue;
      if (op === "add" && failure) log.add(key, failure);
      else if (op === "remove" && failure) log.remove(key, failure.id);
      else if (op === "clear") log.clear(key);
    }
  }

  /**
   * A sign-in attempt. `trustedClient`: the key of a login device the caller has checked is
   * valid for this account (null for any other client).
   */
  admitLogin(
    account: string,
    address: string,
    trustedClient: string | null,
  ): AdmittedAttempt | LoginRefusal<LoginLimitScope> {
    const nowMs = this.clock();
    const pair: Counter = [this.byAccountAddress, pairKey(account, address)];
    if (
      trustedClient !== null &&
      this.byClient.recent(trustedClient, nowMs).length < this.limits.maxFailuresPerClient
    ) {
      const client: Counter = [this.byClient, trustedClient];
      return this.reserve(nowMs, address, true, [client], [client, pair], () => ({
        clientDistrusted:
          this.byClient.recent(trustedClient, this.clock()).length >= this.limits.maxFailuresPerClient,
        throttled: null,
      }));
    }
    const refusal = longestWait<LoginLimitScope>([
      ["account_address", this.lockedForMs(pair, this.limits.maxFailuresPerAccountAddress, nowMs)],
      ["address", this.lockedForMs([this.byAddress, address], this.limits.maxFailuresPerAddress, nowMs)],
      ["account", this.accountDelayLeftMs(account, nowMs)],
    ]);
    if (refusal) return refusal;
    return this.reserve(
      nowMs,
      address,
      false,
      [pair, [this.byAddress, address], [this.byAccount, account]],
      [pair],
      () => ({ clientDistrusted: false, throttled: this.throttleAlert(account) }),
    );
  }

  /**
   * The current-password check of a signed-in credential (`credentialKey`: the session or API
   * token asking). The credential is the trusted client: its own failures limit it, as do the
   * pair's and the address's, but a stranger's failures on the account do not delay it, and its
   * failures do not count towards the account's delay.
   */
  admitPasswordCheck(
    account: string,
    address: string,
    credentialKey: string,
  ): AdmittedAttempt | LoginRefusal {
    const nowMs = this.clock();
    const client: Counter = [this.byClient, credentialKey];
    const pair: Counter = [this.byAccountAddress, pairKey(account, address)];
    const byAddress: Counter = [this.byAddress, address];
    const refusal = longestWait([
      ["client", this.lockedForMs(client, this.limits.maxFailuresPerClient, nowMs)],
      ["account_address", this.lockedForMs(pair, this.limits.maxFailuresPerAccountAddress, nowMs)],
      ["address", this.lockedForMs(byAddress, this.limits.maxFailuresPerAddress, nowMs)],
    ]);
    if (refusal) return refusal;
    return this.reserve(nowMs, address, true, [client, pair, byAddress], [client, pair], () => ({
      clientDistrusted: false,
      throttled: null,
    }));
  }

  private reserve(
    nowMs: number,
    address: string,
    trusted: boolean,
    counted: readonly Counter[],
    clearedOnSuccess: readonly Counter[],
    outcome: () => FailureOutcome,
  ): AdmittedAttempt {
    const failure: Failure = { id: randomBytes(9).toString("base64url"), atMs: nowMs, address };
    for (const [log, key] of counted) log.add(key, failure);
    this.share(counted.map(([log, key]) => ({ counter: log.name, key, op: "add", failure })));
    return {
      admitted: true,
      trusted,
      failed: outcome,
      succeeded: () => {
        for (const [log, key] of counted) log.remove(key, failure.id);
        for (const [log, key] of clearedOnSuccess) log.clear(key);
        this.share([
          ...counted.map(
            ([log, key]): SharedLimitChange => ({ counter: log.name, key, op: "remove", failure }),
          ),
          ...clearedOnSuccess.map(
            ([log, key]): SharedLimitChange => ({ counter: log.name, key, op: "clear" }),
          ),
        ]);
      },
    };
  }

  /** A hard limit: blocked until the oldest of the last `max` failures leaves the window. */
  private lockedForMs([log, key]: Counter, max: number, nowMs: number): number {
    const failures = log.recent(key, nowMs);
    if (failures.length < max) return 0;
    return failures[failures.length - max]!.atMs + this.limits.windowMs - nowMs;
  }

  private accountDelayLeftMs(account: string, nowMs: number): number {
    const failures = this.byAccount.recent(account, nowMs);
    const beyondThreshold = failures.length - this.limits.untrustedFailuresBeforeDelay;
    if (failures.length === 0 || beyondThreshold < 0) return 0;
    const delayMs = Math.min(this.limits.maxDelayMs, this.limits.firstDelayMs * 2 ** beyondThreshold);
    return failures.at(-1)!.atMs + delayMs - nowMs;
  }

  private throttleAlert(account: string): FailureOutcome["throttled"] {
    const nowMs = this.clock();
    const failures = this.byAccount.recent(account, nowMs);
    if (failures.length < this.limits.untrustedFailuresBeforeDelay) return null;
    if (!this.byAccount.claimAlert(account, nowMs)) return null;
    return { failures: failures.length, addresses: new Set(failures.map((f) => f.address)).size };
  }
}

/** Addresses hold no '|', so the first one separates the two parts. */
function pairKey(account: string, address: string): string {
  return `${address}|${account}`;
}

function longestWait<Scope extends LimitScope>(
  waits: ReadonlyArray<readonly [Scope, number]>,
): LoginRefusal<Scope> | null {
  let longest: readonly [Scope, number] | null = null;
  for (const wait of waits) if (wait[1] > 0 && (longest === null || wait[1] > longest[1])) longest = wait;
  return longest && { admitted: false, scope: longest[0], retryAfterSeconds: Math.ceil(longest[1] / 1000) };
}
