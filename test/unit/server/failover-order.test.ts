import { describe, expect, it } from "vitest";
import { failoverOrder } from "../../../server/cluster/failover-order.js";

const URLS = ["mqtt://a:1883", "mqtt://b:1883", "mqtt://c:1883", "mqtt://d:1883"];

describe("failoverOrder", () => {
  it("keeps the first URL first and every URL once", () => {
    for (let i = 0; i < 50; i++) {
      const order = failoverOrder(URLS, `dev_${i}`);
      expect(order[0]).toBe(URLS[0]);
      expect([...order].sort()).toEqual([...URLS].sort());
    }
  });

  it("gives one device the same order every time", () => {
    expect(failoverOrder(URLS, "dev_42")).toEqual(failoverOrder(URLS, "dev_42"));
  });

  it("spreads the devices of a node over the others as their next URL", () => {
    const next = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const second = failoverOrder(URLS, `dev_${i}`)[1]!;
      next.set(second, (next.get(second) ?? 0) + 1);
    }
    expect([...next.keys()].sort()).toEqual(URLS.slice(1));
    for (const count of next.values()) expect(count).toBeGreaterThan(800);
  });

  it("leaves lists of one or two URLs as they are", () => {
    expect(failoverOrder(["mqtt://a:1"], "dev_1")).toEqual(["mqtt://a:1"]);
    expect(failoverOrder(["mqtt://a:1", "mqtt://b:1"], "dev_1")).toEqual(["mqtt://a:1", "mqtt://b:1"]);
  });
});
