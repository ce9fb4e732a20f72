import { describe, expect, it } from "vitest";
import { SourcePortAllocator } from "../../simulator/source-ports.js";

describe("SourcePortAllocator", () => {
  it("hands out ports in turn and wraps around", () => {
    const ports = new SourcePortAllocator(40_000, 40_002);
    expect([ports.take(), ports.take(), ports.take(), ports.take()]).toEqual([
      40_000, 40_001, 40_002, 40_000,
    ]);
  });

  it("refuses a range outside the unprivileged ports", () => {
    expect(() => new SourcePortAllocator(80, 90)).toThrow(/invalid source port range/);
    expect(() => new SourcePortAllocator(50_000, 40_000)).toThrow(/invalid/);
  });
});
