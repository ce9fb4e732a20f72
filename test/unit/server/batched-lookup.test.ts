import { afterEach, describe, expect, it, vi } from "vitest";
import { batchedLookup } from "../../../server/store/batched-lookup.js";

/** A fetch whose answers the test releases by hand, recording the keys of each call. */
function heldFetch() {
  const calls: string[][] = [];
  const release: (() => void)[] = [];
  const fetch = (keys: readonly string[]) => {
    calls.push([...keys]);
    return new Promise<ReadonlyMap<string, string>>((resolve) => {
      release.push(() => resolve(new Map(keys.map((k) => [k, `value of ${k}`]))));
    });
  };
  return { calls, release, fetch };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe("batchedLookup", () => {
  it("sends a lone lookup on the next turn, without waiting for any timer", async () => {
    // Only timers are faked: a lookup that waited for one would never be answered here.
    vi.useFakeTimers({ toFake: ["setTimeout", "setInterval"] });
    const lookup = batchedLookup(
      async (keys: readonly string[]) => new Map(keys.map((k) => [k, k.length])),
      0,
    );
    await expect(lookup("abc")).resolves.toBe(3);
  });

  it("answers the lookups of one turn with one fetch, and unknown keys with the missing value", async () => {
    const fetched: string[][] = [];
    const lookup = batchedLookup(async (keys: readonly string[]) => {
      fetched.push([...keys]);
      return new Map(keys.filter((k) => k !== "gone").map((k) => [k, k.toUpperCase()]));
    }, null);
    await expect(Promise.all([lookup("a"), lookup("gone"), lookup("b")])).resolves.toEqual(["A", null, "B"]);
    expect(fetched).toEqual([["a", "gone", "b"]]);
  });

  it("gathers what arrives over many turns while a fetch is in flight into one next fetch", async () => {
    const { calls, release, fetch } = heldFetch();
    const lookup = batchedLookup(fetch, "missing");
    const first = lookup("d0");
    await turn();
    expect(calls).toEqual([["d0"]]);
    // Ten turns of the event loop, a lookup in each, while the first fetch is still out.
    const later: Promise<string>[] = [];
    for (let i = 1; i <= 10; i++) {
      later.push(lookup(`d${i}`));
      await turn();
    }
    expect(calls).toHaveLength(1);
    release[0]!();
    await expect(first).resolves.toBe("value of d0");
    await turn();
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual(Array.from({ length: 10 }, (_, i) => `d${i + 1}`));
    release[1]!();
    await expect(Promise.all(later)).resolves.toEqual(calls[1]!.map((k) => `value of ${k}`));
  });

  it("goes on after a failed fetch: its lookups fail, the next ones are fetched", async () => {
    let fail = true;
    const lookup = batchedLookup(async (keys: readonly string[]) => {
      if (fail) throw new Error("store unreachable");
      return new Map(keys.map((k) => [k, 1]));
    }, 0);
    await expect(lookup("a")).rejects.toThrow("store unreachable");
    fail = false;
    await expect(lookup("b")).resolves.toBe(1);
  });
});
