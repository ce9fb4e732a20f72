/** The per-device publish budget: a token bucket keyed by device id, on an injected clock. */
import { describe, expect, it } from "vitest";
import { PublishRateLimiter } from "../../../server/broker/publish-rate-limit.js";

function limiterAt(startMs: number, limit = { perSecond: 10, burst: 3 }) {
  const clock = { nowMs: startMs };
  return { clock, limiter: new PublishRateLimiter(limit, () => clock.nowMs) };
}

const takeTimes = (limiter: PublishRateLimiter, deviceId: string, times: number) =>
  Array.from({ length: times }, () => limiter.take(deviceId));

describe("PublishRateLimiter", () => {
  it("allows a burst, then refuses until tokens refill at the set rate", () => {
    const { clock, limiter } = limiterAt(1000);
    expect(takeTimes(limiter, "dev_a", 4)).toEqual([true, true, true, false]);
    clock.nowMs += 99; // 0.99 of a token at 10/s
    expect(limiter.take("dev_a")).toBe(false);
    clock.nowMs += 1;
    expect(limiter.take("dev_a")).toBe(true);
    expect(limiter.take("dev_a")).toBe(false);
  });

  it("keeps one bucket per device", () => {
    const { limiter } = limiterAt(0);
    expect(takeTimes(limiter, "dev_a", 4)).toEqual([true, true, true, false]);
    expect(takeTimes(limiter, "dev_b", 3)).toEqual([true, true, true]);
  });

  it("never holds more than the burst, however long a device was quiet", () => {
    const { clock, limiter } = limiterAt(0);
    limiter.take("dev_a");
    clock.nowMs += 3_600_000;
    expect(takeTimes(limiter, "dev_a", 4)).toEqual([true, true, true, false]);
  });

  it("mints no tokens when the clock steps back", () => {
    const { clock, limiter } = limiterAt(10_000);
    takeTimes(limiter, "dev_a", 3);
    clock.nowMs -= 5000;
    expect(limiter.take("dev_a")).toBe(false);
    clock.nowMs += 100;
    expect(limiter.take("dev_a")).toBe(true);
  });

  it("forgets only the devices whose bucket is full again", () => {
    const { clock, limiter } = limiterAt(0);
    takeTimes(limiter, "dev_a", 3);
    clock.nowMs += 200; // dev_a has 2 of 3 tokens back
    limiter.take("dev_b");
    clock.nowMs += 100; // dev_a is full; dev_b is too (1 token spent, 1 refilled)
    limiter.take("dev_c");
    expect(limiter.prune()).toBe(2);
    expect(limiter.size).toBe(1);
  });

  it("refuses a limit that would let nothing through", () => {
    expect(() => new PublishRateLimiter({ perSecond: 0, burst: 5 })).toThrow(/perSecond > 0/);
    expect(() => new PublishRateLimiter({ perSecond: 5, burst: 0 })).toThrow(/burst >= 1/);
  });
});
