/**
 * The benchmark's side-by-side table: every ratio is a ratio of times (above 1× is slower,
 * also for state reports per second), and a phase with a goal is marked missed when any store
 * is past 1.5× of the first. Several rounds of a store count by their median.
 */
import { describe, expect, it } from "vitest";
import type { StoreFigures } from "../../simulator/bench/server-phases.js";
import { compareStores, comparisonTable } from "../../simulator/bench/store-comparison.js";

const summary = (p50: number, p99: number) => ({ p50, p99, p999: p99, max: p99, count: 100 });
const cpu = (serverMs: number, databaseMs: number) => ({ serverMs, databaseMs, fleetMs: 1 });

function figures(scale: { fleet: number; single: number; reports: number; storm: number }): StoreFigures {
  return {
    connectRamp: { devices: 100, ms: 1000, devicesPerSecond: 100 },
    memory: {
      serverRssBeforeBytes: 0,
      serverRssAfterBytes: 0,
      rssPerDeviceKb: 20,
      tcpSocketsInUse: 0,
      tcpSocketMemBytes: 0,
    },
    fleetCommand: {
      devices: 100,
      succeeded: 100,
      outcomes: [],
      lastFinishedMs: 1000 * scale.fleet,
      apiToAllSucceededMs: 1100 * scale.fleet,
      perDeviceMs: summary(500, 900),
      createdToSentMs: summary(100, 200),
      cpu: cpu(100, 0),
    },
    singleCommand: summary(10 * scale.single, 20 * scale.single),
    stateIngestion: {
      reports: 1000,
      ms: 100 * scale.reports,
      reportsPerSecond: 10_000 / scale.reports,
      cpu: cpu(10, 10),
    },
    reconnectStorm: {
      devices: 100,
      allOnlineMs: 2000,
      pendingDeliveredMs: 3000 * scale.storm,
      cpu: cpu(300, 0),
    },
    loadAverage: { before: 0, after: 0 },
  };
}

const byMeasure = (rows: ReturnType<typeof compareStores>) => new Map(rows.map((r) => [r.measure, r]));

describe("compareStores", () => {
  it("divides each store's time by the first store's, and marks the phases with a goal", () => {
    const rows = byMeasure(
      compareStores([
        { name: "sqlite", rounds: [figures({ fleet: 1, single: 1, reports: 1, storm: 1 })] },
        { name: "postgres", rounds: [figures({ fleet: 1.2, single: 2, reports: 1.4, storm: 1 })] },
      ]),
    );
    expect(rows.get("fleet command, all succeeded in the store")).toMatchObject({
      ratios: { postgres: 1.2 },
      met: true,
    });
    expect(rows.get("single command p99")?.ratios.postgres).toBeCloseTo(2);
    expect(rows.get("single command p99")?.met).toBe(false);
    // Fewer reports per second is a larger time ratio.
    const reports = rows.get("state reports stored")!;
    expect(reports.ratios.postgres).toBeCloseTo(1.4);
    expect(reports.figures).toEqual({ sqlite: "10000/s", postgres: "7143/s" });
    expect(reports.met).toBe(true);
    expect(rows.get("enroll + connect")?.met).toBeNull();
  });

  it("takes the median of a store's rounds", () => {
    const round = (fleet: number) => figures({ fleet, single: 1, reports: 1, storm: 1 });
    const rows = byMeasure(
      compareStores([
        { name: "sqlite", rounds: [round(1), round(3)] },
        { name: "postgres", rounds: [round(9), round(2), round(2.4)] },
      ]),
    );
    const fleet = rows.get("fleet command, all succeeded in the store")!;
    expect(fleet.figures).toEqual({ sqlite: "2000 ms", postgres: "2400 ms" });
    expect(fleet.ratios.postgres).toBeCloseTo(1.2);
    expect(fleet.met).toBe(true);
  });

  it("prints a column per store and one of ratios, with the goal's mark", () => {
    const table = comparisonTable(
      compareStores([
        { name: "sqlite", rounds: [figures({ fleet: 1, single: 1, reports: 1, storm: 1 })] },
        { name: "postgres", rounds: [figures({ fleet: 1.6, single: 1, reports: 1, storm: 1 })] },
      ]),
      [
        { name: "sqlite", label: "SQLite" },
        { name: "postgres", label: "PostgreSQL" },
      ],
    );
    const lines = table.split("\n");
    expect(lines[0]).toBe("| measure | SQLite | PostgreSQL | PostgreSQL ÷ SQLite (time) | target |  |");
    expect(lines).toContain(
      "| fleet command, all succeeded in the store | 1000 ms | 1600 ms | 1.60× | ≤ 1.5× | ❌ |",
    );
    expect(lines).toContain("| single command p50 | 10.0 ms | 10.0 ms | 1.00× | ≤ 1.5× | ✅ |");
  });
});
