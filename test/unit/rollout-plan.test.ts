/**
 * The pure part of staged rollouts: a plan's rules and defaults, the cut of an ordered target
 * into phases, the release order, the rate's allowance over time, the abort threshold and the
 * success gates.
 */
import { describe, expect, it } from "vitest";
import { isMdmError } from "../../server/errors.js";
import {
  abortReason,
  firstPhaseWins,
  gateVerdict,
  type PlanInput,
  parsePlan,
  phaseCounts,
  RATE_CAP_PER_MINUTE,
  type RatePlan,
  rateAllowance,
  rateAtMinute,
  releaseOrder,
  type StateCounts,
  successNeeded,
} from "../../server/rollouts/rollout-plan.js";

type Target = { all: true } | { deviceIds: string[] };
const ALL: Target = { all: true };
const MINUTE = 60_000;

function counts(partial: Partial<StateCounts>): StateCounts {
  return {
    queued: 0,
    sent: 0,
    accepted: 0,
    succeeded: 0,
    failed: 0,
    rejected: 0,
    expired: 0,
    canceled: 0,
    ...partial,
  };
}

/** The field a refused plan names. */
function refusedField(input: PlanInput<Target>): string {
  try {
    parsePlan(input);
  } catch (err) {
    if (isMdmError(err, "validation_failed")) return String(err.details?.field);
    throw err;
  }
  throw new Error("the plan was accepted");
}

describe("parsePlan", () => {
  it("fills the defaults of a sized plan", () => {
    const plan = parsePlan<Target>({
      target: ALL,
      phases: [
        { name: " Canary ", size: { percent: 5 }, gate: { approval: true } },
        { size: { count: 10 } },
        {},
      ],
      rate: { perMinute: 10 },
      abort: { failurePercent: 10, minExecuted: 20 },
    });
    expect(plan).toEqual({
      kind: "sized",
      phases: [
        { name: "Canary", size: { percent: 5 }, target: null, gate: { approval: true } },
        { name: null, size: { count: 10 }, target: null, gate: null },
        { name: null, size: null, target: null, gate: null },
      ],
      rate: { perMinute: 10, growthFactor: 1, growEveryMinutes: 1 },
      abort: { failurePercent: 10, minExecuted: 20 },
    });
  });

  it("takes targeted phases without a rollout target", () => {
    const plan = parsePlan<Target>({
      phases: [{ target: { deviceIds: ["a"] }, gate: { successPercent: 90 } }, { target: ALL }],
    });
    expect(plan.kind).toBe("targeted");
    expect(plan.phases.map((p) => p.target)).toEqual([{ deviceIds: ["a"] }, ALL]);
    expect(plan.rate).toBeNull();
    expect(plan.abort).toBeNull();
  });

  it.each<[string, PlanInput<Target>, string]>([
    ["no phases", { target: ALL, phases: [] }, "phases"],
    ["21 phases", { target: ALL, phases: [...Array(20).fill({ size: { count: 1 } }), {}] }, "phases"],
    ["a sized plan without a target", { phases: [{ size: { count: 1 } }, {}] }, "target"],
    [
      "a size on the last phase",
      { target: ALL, phases: [{ size: { count: 1 } }, { size: { count: 2 } }] },
      "phases[1].size",
    ],
    [
      "a middle phase without a size",
      { target: ALL, phases: [{ size: { count: 1 } }, {}, {}] },
      "phases[1].size",
    ],
    [
      "sizes over 100 %",
      { target: ALL, phases: [{ size: { percent: 60 } }, { size: { percent: 50 } }, {}] },
      "phases",
    ],
    ["a gate on the last phase", { target: ALL, phases: [{ gate: { approval: true } }] }, "phases[0].gate"],
    ["targets mixed with sizes", { phases: [{ target: ALL }, { size: { count: 1 } }] }, "phases[1].target"],
    [
      "a size beside a target",
      { phases: [{ target: ALL, size: { count: 1 } }, { target: ALL }] },
      "phases[0].size",
    ],
    ["a rollout target beside phase targets", { target: ALL, phases: [{ target: ALL }] }, "target"],
    ["a percentage of 0", { target: ALL, phases: [{ size: { percent: 0 } }, {}] }, "phases[0].size.percent"],
    ["a count of 1.5", { target: ALL, phases: [{ size: { count: 1.5 } }, {}] }, "phases[0].size.count"],
    [
      "a success gate over 100",
      { target: ALL, phases: [{ size: { count: 1 }, gate: { successPercent: 101 } }, {}] },
      "phases[0].gate.successPercent",
    ],
    ["a rate of 0", { target: ALL, phases: [{}], rate: { perMinute: 0 } }, "rate.perMinute"],
    [
      "a growth factor under 1",
      { target: ALL, phases: [{}], rate: { perMinute: 1, growthFactor: 0.5 } },
      "rate.growthFactor",
    ],
    [
      "an abort after 0 executed",
      { target: ALL, phases: [{}], abort: { failurePercent: 5, minExecuted: 0 } },
      "abort.minExecuted",
    ],
    ["a phase name of 81 characters", { target: ALL, phases: [{ name: "x".repeat(81) }] }, "phases[0].name"],
  ])("refuses %s", (_what, input, field) => {
    expect(refusedField(input)).toBe(field);
  });
});

describe("phaseCounts", () => {
  it("cuts percentages at their cumulative boundaries, rounded once each", () => {
    // 5 % of 30 is 1.5 → 2; 5 + 5 % is 3; the rest 27.
    expect(phaseCounts(30, [{ percent: 5 }, { percent: 5 }, null])).toEqual([2, 1, 27]);
    // Per phase, 3 × 33.3 % of 10 would round to 3 + 3 + 3 and leave 1; cumulative: 3, 7, 10.
    expect(phaseCounts(10, [{ percent: 33.3 }, { percent: 33.4 }, { percent: 33.3 }, null])).toEqual([
      3, 4, 3, 0,
    ]);
    expect(phaseCounts(30, [{ percent: 10 }, null])).toEqual([3, 27]);
  });

  it("adds counts and percentages, and leaves later phases empty past the end", () => {
    expect(phaseCounts(100, [{ count: 1 }, { percent: 10 }, { count: 5 }, null])).toEqual([1, 10, 5, 84]);
    expect(phaseCounts(3, [{ count: 2 }, { count: 5 }, null])).toEqual([2, 1, 0]);
    expect(phaseCounts(0, [{ percent: 50 }, null])).toEqual([0, 0]);
    expect(phaseCounts(7, [null])).toEqual([7]);
  });

  it("gives every device to exactly one phase", () => {
    for (const total of [0, 1, 2, 7, 99, 1000, 12_345]) {
      const cut = phaseCounts(total, [
        { percent: 1 },
        { count: 3 },
        { percent: 24.5 },
        { percent: 50 },
        null,
      ]);
      expect(cut.reduce((a, b) => a + b, 0)).toBe(total);
      expect(cut.every((n) => n >= 0)).toBe(true);
    }
  });
});

describe("releaseOrder and firstPhaseWins", () => {
  const ids = Array.from({ length: 200 }, (_, i) => `dev_${String(i).padStart(4, "0")}`);

  it("is stable for a rollout, differs between rollouts, and keeps every device once", () => {
    const a = releaseOrder("rlt_a", ids);
    expect(releaseOrder("rlt_a", [...ids].reverse())).toEqual(a);
    expect(new Set(a)).toEqual(new Set(ids));
    expect(releaseOrder("rlt_b", ids)).not.toEqual(a);
    // A spread, not the first devices: the first tenth holds devices from all over the list.
    const firstTenth = a.slice(0, 20).map((id) => Number(id.slice(4)));
    expect(Math.max(...firstTenth) - Math.min(...firstTenth)).toBeGreaterThan(100);
  });

  it("gives a device named by two phases to the first", () => {
    expect(
      firstPhaseWins([
        ["a", "b"],
        ["b", "c"],
        ["a", "d"],
      ]),
    ).toEqual([["a", "b"], ["c"], ["d"]]);
  });
});

describe("rateAllowance", () => {
  const constant: RatePlan = { perMinute: 10, growthFactor: 1, growEveryMinutes: 1 };

  it("releases one at once, then the per-minute rate spread over each minute", () => {
    expect(rateAllowance(constant, 0, 1000)).toBe(1);
    expect(rateAllowance(constant, 6_000, 1000)).toBe(2);
    expect(rateAllowance(constant, 30_000, 1000)).toBe(6);
    expect(rateAllowance(constant, MINUTE, 1000)).toBe(11);
    expect(rateAllowance(constant, 10 * MINUTE, 1000)).toBe(101);
    expect(rateAllowance(constant, -5_000, 1000)).toBe(1);
  });

  it("never passes the phase's devices", () => {
    expect(rateAllowance(constant, 10 * MINUTE, 50)).toBe(50);
    expect(rateAllowance(constant, 0, 0)).toBe(0);
    expect(rateAllowance(constant, 0, 1)).toBe(1);
  });

  it("grows by the factor every growEveryMinutes", () => {
    const doubling: RatePlan = { perMinute: 10, growthFactor: 2, growEveryMinutes: 2 };
    expect([0, 1, 2, 3, 4].map((k) => rateAtMinute(doubling, k))).toEqual([10, 10, 20, 20, 40]);
    // Minutes 0–1 at 10, 2–3 at 20, half of minute 4 at 40: 1 + 10 + 10 + 20 + 20 + 20.
    expect(rateAllowance(doubling, 4.5 * MINUTE, 10_000)).toBe(81);
    const everyMinute: RatePlan = { perMinute: 1, growthFactor: 3, growEveryMinutes: 1 };
    expect(rateAllowance(everyMinute, 3 * MINUTE, 10_000)).toBe(1 + 1 + 3 + 9);
  });

  it("stops growing at the cap, and a long phase costs no more than a short one", () => {
    const explosive: RatePlan = { perMinute: 100_000, growthFactor: 10, growEveryMinutes: 1 };
    expect(rateAtMinute(explosive, 1_000)).toBe(RATE_CAP_PER_MINUTE);
    // Minute 0 at 100 000, minute 1 at 1 000 000, then capped: 8 minutes at 10 000 000.
    expect(rateAllowance(explosive, 10 * MINUTE, Number.MAX_SAFE_INTEGER)).toBe(
      1 + 100_000 + 1_000_000 + 8e7,
    );
    const slow: RatePlan = { perMinute: 1, growthFactor: 1.0001, growEveryMinutes: 1 };
    const started = performance.now();
    expect(rateAllowance(slow, 1e9 * MINUTE, 10_000)).toBe(10_000);
    // Bounded by the phase size, not by the time passed (a generous bound for a loaded machine).
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("the abort threshold", () => {
  const rule = { failurePercent: 10, minExecuted: 20 };

  it("waits for minExecuted, then trips over the share", () => {
    expect(abortReason(counts({ succeeded: 10, failed: 9 }), rule)).toBeNull();
    expect(abortReason(counts({ succeeded: 18, failed: 2 }), rule)).toBeNull();
    expect(abortReason(counts({ succeeded: 17, failed: 1, rejected: 1, expired: 1 }), rule)).toBe(
      "3 of 20 executed commands (15 %) failed, were rejected or expired: over the 10 % threshold",
    );
    expect(abortReason(counts({ succeeded: 17, failed: 3 }), null)).toBeNull();
  });

  it("counts neither open nor canceled commands as executed", () => {
    expect(
      abortReason(counts({ queued: 100, sent: 5, accepted: 5, canceled: 50, failed: 19 }), rule),
    ).toBeNull();
  });

  it("trips at 0 % on the first failure", () => {
    expect(abortReason(counts({ succeeded: 5, failed: 1 }), { failurePercent: 0, minExecuted: 1 })).toMatch(
      /^1 of 6 executed commands \(16.7 %\)/,
    );
  });
});

describe("gates", () => {
  it("by default waits for every command of the phase to end", () => {
    expect(gateVerdict(null, counts({ succeeded: 9, accepted: 1 }), 10)).toBe("wait");
    expect(gateVerdict(null, counts({ succeeded: 1, failed: 8, canceled: 1 }), 10)).toBe("open");
  });

  it("opens a success gate once enough succeeded, and fails it once every command ended below", () => {
    const gate = { successPercent: 80 };
    expect(successNeeded(80, 10)).toBe(8);
    expect(successNeeded(75, 10)).toBe(8);
    expect(successNeeded(50, 0)).toBe(0);
    expect(gateVerdict(gate, counts({ succeeded: 8, queued: 2 }), 10)).toBe("open");
    expect(gateVerdict(gate, counts({ succeeded: 7, queued: 1, failed: 2 }), 10)).toBe("wait");
    expect(gateVerdict(gate, counts({ succeeded: 7, failed: 3 }), 10)).toBe("failed");
    expect(gateVerdict(gate, counts({}), 0)).toBe("open");
  });

  it("asks for approval once the phase has released everything", () => {
    expect(gateVerdict({ approval: true }, counts({ queued: 3 }), 3)).toBe("approval");
  });
});
