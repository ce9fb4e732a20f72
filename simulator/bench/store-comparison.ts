/**
 * The stores side by side: per phase each store's figure (the median over its rounds) and the
 * ratio to the first store (SQLite), always as a ratio of times, so above 1× is slower whatever
 * the unit (for state reports per second: the time to store the same reports). The phases that
 * have a goal must stay within {@link RATIO_GOAL} of SQLite.
 *
 * Wall-clock figures follow whatever else the machine runs meanwhile; the CPU rows (server and
 * database processes per unit of work) much less, so they are compared too.
 */
import type { BenchStoreName } from "./bench-stores.js";
import type { StoreFigures } from "./server-phases.js";

export const RATIO_GOAL = 1.5;

interface ComparedMeasure {
  measure: string;
  /** The figure, in the unit {@link format} shows. */
  value(f: StoreFigures): number;
  format(value: number): string;
  /** A rate (more is better): its time ratio is the inverse of its quotient. */
  rate?: boolean;
  goal: boolean;
}

const msFigure = (digits: number) => (v: number) => `${v.toFixed(digits)} ms`;
const us = (v: number) => `${Math.round(v * 1000)} µs`;
/** Server and database CPU per unit of work, ms. */
const cpuPer = (cpu: { serverMs: number; databaseMs: number }, units: number) =>
  (cpu.serverMs + cpu.databaseMs) / units;

const MEASURES: readonly ComparedMeasure[] = [
  {
    measure: "enroll + connect",
    value: (f) => f.connectRamp.ms,
    format: (v) => `${(v / 1000).toFixed(1)} s`,
    goal: false,
  },
  {
    measure: "fleet command, all succeeded in the store",
    value: (f) => f.fleetCommand.lastFinishedMs,
    format: msFigure(0),
    goal: true,
  },
  {
    measure: "fleet command, created → sent p99",
    value: (f) => f.fleetCommand.createdToSentMs.p99,
    format: msFigure(0),
    goal: false,
  },
  { measure: "single command p50", value: (f) => f.singleCommand.p50, format: msFigure(1), goal: true },
  { measure: "single command p99", value: (f) => f.singleCommand.p99, format: msFigure(1), goal: true },
  {
    measure: "state reports stored",
    value: (f) => f.stateIngestion.reportsPerSecond,
    format: (v) => `${Math.round(v)}/s`,
    rate: true,
    goal: true,
  },
  {
    measure: "reconnect storm, all online",
    value: (f) => f.reconnectStorm.allOnlineMs,
    format: msFigure(0),
    goal: false,
  },
  {
    measure: "reconnect storm, pending commands done",
    value: (f) => f.reconnectStorm.pendingDeliveredMs,
    format: msFigure(0),
    goal: true,
  },
  {
    measure: "CPU per device, fleet command (server + database)",
    value: (f) => cpuPer(f.fleetCommand.cpu, f.fleetCommand.devices),
    format: us,
    goal: false,
  },
  {
    measure: "CPU per report, state ingestion (server + database)",
    value: (f) => cpuPer(f.stateIngestion.cpu, f.stateIngestion.reports),
    format: us,
    goal: false,
  },
  {
    measure: "CPU per device, reconnect storm (server + database)",
    value: (f) => cpuPer(f.reconnectStorm.cpu, f.reconnectStorm.devices),
    format: us,
    goal: false,
  },
  {
    measure: "server RSS per connected device",
    value: (f) => f.memory.rssPerDeviceKb,
    format: (v) => `${v.toFixed(1)} KB`,
    goal: false,
  },
];

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface ComparisonRow {
  measure: string;
  /** Each store's median over its rounds, as shown. */
  figures: Partial<Record<BenchStoreName, string>>;
  /** Each later store's time over the first store's. */
  ratios: Partial<Record<BenchStoreName, number>>;
  goal: boolean;
  /** Every ratio within the goal (null: no goal). */
  met: boolean | null;
}

/** `stores`: each store's rounds, the first store the one the others are compared with. */
export function compareStores(
  stores: readonly { name: BenchStoreName; rounds: readonly StoreFigures[] }[],
): ComparisonRow[] {
  const [base, ...others] = stores;
  if (!base) return [];
  return MEASURES.map((m) => {
    const medianOf = (rounds: readonly StoreFigures[]) => median(rounds.map((f) => m.value(f)));
    const baseValue = medianOf(base.rounds);
    const ratios: Partial<Record<BenchStoreName, number>> = {};
    for (const other of others) {
      const value = medianOf(other.rounds);
      ratios[other.name] = m.rate ? baseValue / value : value / baseValue;
    }
    return {
      measure: m.measure,
      figures: Object.fromEntries(stores.map((s) => [s.name, m.format(medianOf(s.rounds))])),
      ratios,
      goal: m.goal,
      met: m.goal ? Object.values(ratios).every((ratio) => ratio <= RATIO_GOAL) : null,
    };
  });
}

export function comparisonTable(
  rows: readonly ComparisonRow[],
  stores: readonly { name: BenchStoreName; label: string }[],
): string {
  const [base, ...others] = stores;
  if (!base) return "";
  const header = [
    "measure",
    ...stores.map((s) => s.label),
    ...others.map((o) => `${o.label} ÷ ${base.label} (time)`),
    "target",
    "",
  ];
  const lines = [`| ${header.join(" | ")} |`, `|${" --- |".repeat(header.length)}`];
  for (const row of rows) {
    const mark = row.met === null ? "" : row.met ? "✅" : "❌";
    lines.push(
      `| ${[
        row.measure,
        ...stores.map((s) => row.figures[s.name] ?? ""),
        ...others.map((o) => `${(row.ratios[o.name] ?? Number.NaN).toFixed(2)}×`),
        row.goal ? `≤ ${RATIO_GOAL}×` : "",
        mark,
      ].join(" | ")} |`,
    );
  }
  return lines.join("\n");
}
