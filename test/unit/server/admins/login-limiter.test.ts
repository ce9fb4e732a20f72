import { describe, expect, it } from "vitest";
import {
  type AdmittedAttempt,
  DEFAULT_LOGIN_LIMITS,
  LoginLimiter,
  type LoginLimits,
  type LoginRefusal,
} from "../../../../server/admins/login-limiter.js";

const limits: LoginLimits = {
  ...DEFAULT_LOGIN_LIMITS,
  windowMs: 60_000,
  maxFailuresPerAccountAddress: 3,
  maxFailuresPerAddress: 5,
  maxFailuresPerClient: 3,
  untrustedFailuresBeforeDelay: 4,
  firstDelayMs: 1000,
  maxDelayMs: 10_000,
  maxTrackedKeys: 100,
};

function clock(startMs = 1_000_000) {
  const state = { nowMs: startMs };
  return { state, now: () => state.nowMs };
}

function admitted(result: AdmittedAttempt | LoginRefusal): AdmittedAttempt {
  if (!result.admitted) throw new Error(`refused by ${result.scope} for ${result.retryAfterSeconds} s`);
  return result;
}

function refused(result: AdmittedAttempt | LoginRefusal): LoginRefusal {
  if (result.admitted) throw new Error("admitted");
  return result;
}

/** A failed sign-in from `address`; returns what the limiter said about it. */
function fail(limiter: LoginLimiter, account: string, address: string, trustedClient: string | null = null) {
  return admitted(limiter.admitLogin(account, address, trustedClient)).failed();
}

describe("LoginLimiter: per account and address", () => {
  it("refuses the pair after its failures until the oldest leaves the window, and only that pair", () => {
    const time = clock();
    const limiter = new LoginLimiter(limits, time.now);
    for (let i = 0; i < 3; i++) {
      fail(limiter, "a@x", "10.0.0.1");
      time.state.nowMs += 10_000;
    }
    // Failures at 0 s, 10 s, 20 s; now 30 s: the first leaves the window at 60 s.
    expect(refused(limiter.admitLogin("a@x", "10.0.0.1", null))).toEqual({
      admitted: false,
      scope: "account_address",
      retryAfterSeconds: 30,
    });
    admitted(limiter.admitLogin("a@x", "10.0.0.2", null)).succeeded();
    admitted(limiter.admitLogin("b@x", "10.0.0.1", null)).succeeded();
    time.state.nowMs += 30_000;
    expect(limiter.admitLogin("a@x", "10.0.0.1", null).admitted).toBe(true);
  });

  it("is cleared by a success", () => {
    const limiter = new LoginLimiter({ ...limits, untrustedFailuresBeforeDelay: 10 }, clock().now);
    fail(limiter, "a@x", "10.0.0.1");
    fail(limiter, "a@x", "10.0.0.1");
    admitted(limiter.admitLogin("a@x", "10.0.0.1", null)).succeeded();
    fail(limiter, "a@x", "10.0.0.1");
    fail(limiter, "a@x", "10.0.0.1");
    expect(limiter.admitLogin("a@x", "10.0.0.1", null).admitted).toBe(true);
  });

  it("counts attempts in flight, so parallel guesses cannot all pass the check", () => {
    const limiter = new LoginLimiter(limits, clock().now);
    const inFlight = [0, 1, 2].map(() => admitted(limiter.admitLogin("a@x", "10.0.0.1", null)));
    expect(refused(limiter.admitLogin("a@x", "10.0.0.1", null)).scope).toBe("account_address");
    // One of them had the right password: the pair is cleared.
    inFlight[0]!.succeeded();
    expect(limiter.admitLogin("a@x", "10.0.0.1", null).admitted).toBe(true);
  });
});

describe("LoginLimiter: per address", () => {
  it("refuses an address across accounts, and a success clears only its own pair", () => {
    const limiter = new LoginLimiter(limits, clock().now);
    for (let i = 0; i < 5; i++) fail(limiter, `user${i}@x`, "10.0.0.9");
    expect(refused(limiter.admitLogin("fresh@x", "10.0.0.9", null))).toEqual({
      admitted: false,
      scope: "address",
      retryAfterSeconds: 60,
    });
    admitted(limiter.admitLogin("user0@x", "10.0.0.10", null)).succeeded();
    expect(refused(limiter.admitLogin("user0@x", "10.0.0.9", null)).scope).toBe("address");
    expect(limiter.admitLogin("fresh@x", "10.0.0.10", null).admitted).toBe(true);
  });
});

describe("LoginLimiter: per account, from untrusted clients", () => {
  it("never locks: past the threshold each attempt waits a doubling delay since the last failure, capped", () => {
    const time = clock();
    const limiter = new LoginLimiter(limits, time.now);
    // Each failure from a new address, so only the account's counter applies.
    let address = 0;
    const next = () => `10.1.0.${address++}`;
    for (let i = 0; i < 4; i++) fail(limiter, "a@x", next());
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const refusal = refused(limiter.admitLogin("a@x", next(), null));
      expect(refusal.scope).toBe("account");
      waits.push(refusal.retryAfterSeconds);
      time.state.nowMs += refusal.retryAfterSeconds * 1000 - 1;
      // One millisecond early is still too early.
      expect(limiter.admitLogin("a@x", next(), null).admitted).toBe(false);
      time.state.nowMs += 1;
      fail(limiter, "a@x", next());
    }
    expect(waits).toEqual([1, 2, 4, 8, 10, 10]);
  });

  it("keeps counting when the admin signs in from an untrusted client", () => {
    const time = clock();
    const limiter = new LoginLimiter(limits, time.now);
    for (let i = 0; i < 4; i++) fail(limiter, "a@x", `10.1.0.${i}`);
    time.state.nowMs += 1000;
    admitted(limiter.admitLogin("a@x", "10.2.0.1", null)).succeeded();
    fail(limiter, "a@x", "10.2.0.2");
    // Five failures in the window, the success not among them: the next waits 2 s.
    expect(refused(limiter.admitLogin("a@x", "10.2.0.3", null))).toEqual({
      admitted: false,
      scope: "account",
      retryAfterSeconds: 2,
    });
  });

  it("reports the throttle once per window, with the failures and their addresses", () => {
    const time = clock();
    const limiter = new LoginLimiter(limits, time.now);
    const reports = [];
    for (let i = 0; i < 3; i++) reports.push(fail(limiter, "a@x", `10.1.0.${i % 2}`).throttled);
    reports.push(fail(limiter, "a@x", "10.1.0.7").throttled);
    expect(reports).toEqual([null, null, null, { failures: 4, addresses: 3 }]);
    for (let i = 0; i < 3; i++) {
      time.state.nowMs += 10_000;
      expect(fail(limiter, "a@x", `10.3.0.${i}`).throttled).toBeNull();
    }
    // 60 s after the report, the account still throttled: a new window, one new report.
    time.state.nowMs += 30_000;
    expect(fail(limiter, "a@x", "10.3.0.9").throttled).toEqual({ failures: 4, addresses: 4 });
  });
});

describe("LoginLimiter: trusted browsers", () => {
  it("are not held back by the account's delay, the pair's or the address's limit", () => {
    const limiter = new LoginLimiter(limits, clock().now);
    for (let i = 0; i < 3; i++) fail(limiter, "a@x", "10.0.0.1");
    for (let i = 0; i < 2; i++) fail(limiter, `other${i}@x`, "10.0.0.1");
    fail(limiter, "a@x", "10.1.0.1");
    // The pair, the address and the account (4 failures) all refuse an untrusted client.
    expect(refused(limiter.admitLogin("a@x", "10.0.0.1", null)).retryAfterSeconds).toBe(60);
    expect(refused(limiter.admitLogin("a@x", "10.1.0.2", null)).scope).toBe("account");
    const attempt = admitted(limiter.admitLogin("a@x", "10.0.0.1", "device-1"));
    expect(attempt.trusted).toBe(true);
    attempt.succeeded();
    // The success cleared the pair; the address and the account stay limited for others.
    expect(refused(limiter.admitLogin("a@x", "10.0.0.1", null)).scope).toBe("address");
  });

  it("are limited by their own counter, then are trusted no more", () => {
    const limiter = new LoginLimiter(limits, clock().now);
    for (let i = 0; i < 4; i++) fail(limiter, "a@x", `10.1.0.${i}`);
    const outcomes = [0, 1, 2].map(() => fail(limiter, "a@x", "10.0.0.1", "device-1"));
    expect(outcomes.map((o) => o.clientDistrusted)).toEqual([false, false, true]);
    const after = refused(limiter.admitLogin("a@x", "10.0.0.1", "device-1"));
    expect(after.scope).toBe("account");
    // Their failures did not count against the account, the pair or the address.
    expect(admitted(limiter.admitLogin("b@x", "10.0.0.1", null)).trusted).toBe(false);
    expect(admitted(limiter.admitLogin("a@x", "10.0.0.1", "device-2")).trusted).toBe(true);
  });

  it("have their counter cleared by a success", () => {
    const limiter = new LoginLimiter(limits, clock().now);
    fail(limiter, "a@x", "10.0.0.1", "device-1");
    fail(limiter, "a@x", "10.0.0.1", "device-1");
    admitted(limiter.admitLogin("a@x", "10.0.0.1", "device-1")).succeeded();
    const outcomes = [0, 1].map(() => fail(limiter, "a@x", "10.0.0.1", "device-1"));
    expect(outcomes.map((o) => o.clientDistrusted)).toEqual([false, false]);
  });
});

describe("LoginLimiter: current-password check", () => {
  it("is limited per credential, and not by a stranger's failures on the account", () => {
    const limiter = new LoginLimiter(limits, clock().now);
    for (let i = 0; i < 4; i++) fail(limiter, "a@x", `10.1.0.${i}`);
    const check = () => limiter.admitPasswordCheck("a@x", "10.0.0.1", "session:ses_1");
    for (let i = 0; i < 3; i++) admitted(check()).failed();
    expect(refused(check())).toEqual({ admitted: false, scope: "client", retryAfterSeconds: 60 });
    // The same session from another address is refused too.
    expect(refused(limiter.admitPasswordCheck("a@x", "10.0.0.2", "session:ses_1")).scope).toBe("client");
  });

  it("is limited per account and address, and counts towards the address", () => {
    const limiter = new LoginLimiter(limits, clock().now);
    for (let i = 0; i < 3; i++)
      admitted(limiter.admitPasswordCheck("a@x", "10.0.0.1", `session:${i}`)).failed();
    expect(refused(limiter.admitPasswordCheck("a@x", "10.0.0.1", "session:9")).scope).toBe("account_address");
    expect(refused(limiter.admitLogin("a@x", "10.0.0.1", null)).scope).toBe("account_address");
    for (let i = 0; i < 2; i++) fail(limiter, `b${i}@x`, "10.0.0.1");
    expect(refused(limiter.admitLogin("c@x", "10.0.0.1", null)).scope).toBe("address");
  });
});

describe("LoginLimiter: memory", () => {
  it("keeps at most maxTrackedKeys keys per counter, forgetting the least recently failed", () => {
    const limiter = new LoginLimiter(
      { ...limits, maxFailuresPerAccountAddress: 1, maxTrackedKeys: 4 },
      () => 0,
    );
    for (let i = 0; i < 6; i++) fail(limiter, `u${i}@x`, `10.0.1.${i}`);
    expect(limiter.admitLogin("u0@x", "10.0.1.0", null).admitted).toBe(true);
    expect(refused(limiter.admitLogin("u5@x", "10.0.1.5", null)).retryAfterSeconds).toBe(60);
  });
});
