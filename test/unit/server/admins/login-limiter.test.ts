import { describe, expect, it } from "vitest";
import { LoginLimiter } from "../../../../server/admins/login-limiter.js";

const limits = { maxFailuresPerAccount: 3, maxFailuresPerAddress: 5, windowMs: 60_000, maxTrackedKeys: 4 };

describe("LoginLimiter", () => {
  it("blocks an account after its failures until the oldest leaves the window", () => {
    let now = 1_000_000;
    const limiter = new LoginLimiter(limits, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterSeconds("a@x", "10.0.0.1")).toBe(0);
      limiter.failed("a@x", "10.0.0.1");
      now += 10_000;
    }
    // Failures at 0 s, 10 s, 20 s; now 30 s: the first leaves the window at 60 s.
    expect(limiter.retryAfterSeconds("a@x", "10.0.0.2")).toBe(30);
    expect(limiter.retryAfterSeconds("b@x", "10.0.0.1")).toBe(0);
    now += 30_000;
    expect(limiter.retryAfterSeconds("a@x", "10.0.0.2")).toBe(0);
  });

  it("blocks an address across accounts, and a success clears only the account", () => {
    const now = 5_000;
    const limiter = new LoginLimiter(limits, () => now);
    for (let i = 0; i < 5; i++) limiter.failed(`user${i}@x`, "10.0.0.9");
    expect(limiter.retryAfterSeconds("fresh@x", "10.0.0.9")).toBe(60);
    limiter.succeeded("fresh@x");
    expect(limiter.retryAfterSeconds("fresh@x", "10.0.0.9")).toBe(60);
    expect(limiter.retryAfterSeconds("fresh@x", "10.0.0.10")).toBe(0);
  });

  it("keeps at most maxTrackedKeys keys, forgetting the oldest", () => {
    const limiter = new LoginLimiter({ ...limits, maxFailuresPerAccount: 1 }, () => 0);
    for (let i = 0; i < 6; i++) limiter.failed(`u${i}@x`, `10.0.1.${i}`);
    expect(limiter.retryAfterSeconds("u0@x", "10.9.9.9")).toBe(0);
    expect(limiter.retryAfterSeconds("u5@x", "10.9.9.9")).toBe(60);
  });
});
