/** Percentiles and the markdown table the benchmark prints. */
export function percentile(sortedValues: readonly number[], p: number): number {
  if (sortedValues.length === 0) return Number.NaN;
  const index = Math.min(
    sortedValues.length - 1,
    Math.max(0, Math.ceil((p / 100) * sortedValues.length) - 1),
  );
  return sortedValues[index]!;
}

export function summarize(values: number[]): {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
} {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.at(-1) ?? Number.NaN,
    count: sorted.length,
  };
}

export interface ResultRow {
  metric: string;
  value: string;
  target?: string;
  verdict?: "met" | "missed" | "";
}

export function markdownTable(rows: readonly ResultRow[]): string {
  const lines = ["| measure | value | target | |", "| --- | --- | --- | --- |"];
  for (const row of rows) {
    const mark = row.verdict === "met" ? "✅" : row.verdict === "missed" ? "❌" : "";
    lines.push(`| ${row.metric} | ${row.value} | ${row.target ?? ""} | ${mark} |`);
  }
  return lines.join("\n");
}

export const ms = (value: number, digits = 1): string => `${value.toFixed(digits)} ms`;
