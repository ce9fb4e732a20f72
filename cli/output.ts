/**
 * Output of read commands, `-o table|json|yaml|csv`. JSON and YAML print the API's objects as the
 * API gives them (a list as an array of its items, every page of it): the scripting interface,
 * stable as the API is. Tables and CSV pick columns for people and spreadsheets; CSV is RFC 4180
 * (quoted where needed, CRLF). Colours only on a terminal, and never with NO_COLOR set.
 */
import { Option } from "commander";
import { stringify as toYaml } from "yaml";

export const FORMATS = ["table", "json", "yaml", "csv"] as const;
export type Format = (typeof FORMATS)[number];

export const outputOption = () =>
  new Option("-o, --output <format>", "output format").choices(FORMATS).default("table");

export interface Column<T> {
  /** The CSV header and, upper-cased, the table's. */
  name: string;
  value: (item: T) => unknown;
  /** A table cell's colour, from its text. */
  color?: (text: string, item: T) => Color | null;
}

export type Color = "green" | "red" | "yellow" | "dim" | "bold";
const SGR: Record<Color, string> = { green: "32", red: "31", yellow: "33", dim: "2", bold: "1" };

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

export function paint(text: string, color: Color | null, enabled = colorEnabled()): string {
  return enabled && color ? `\x1b[${SGR[color]}m${text}\x1b[0m` : text;
}

/** A value as one cell: text as it is, null as `-`, lists joined, objects as JSON. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (Array.isArray(value)) return value.length === 0 ? "-" : value.map(cell).join(",");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function renderTable<T>(
  items: readonly T[],
  columns: readonly Column<T>[],
  color = colorEnabled(),
): string {
  const rows = items.map((item) => columns.map((c) => cell(c.value(item))));
  const headers = columns.map((c) => c.name.toUpperCase());
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[], colors: (Color | null)[]) =>
    cells
      .map((text, i) => {
        const padded = i === cells.length - 1 ? text : text.padEnd(widths[i]!);
        return paint(padded, colors[i] ?? null, color);
      })
      .join("  ")
      .trimEnd();
  const out = [
    line(
      headers,
      headers.map(() => "bold"),
    ),
  ];
  items.forEach((item, r) => {
    const cells = rows[r]!;
    out.push(
      line(
        cells,
        columns.map((c, i) => c.color?.(cells[i]!, item) ?? null),
      ),
    );
  });
  return `${out.join("\n")}\n`;
}

/** One RFC 4180 field: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: unknown): string {
  const text =
    value === null || value === undefined
      ? ""
      : Array.isArray(value)
        ? value.map((v) => cell(v)).join(";")
        : typeof value === "object"
          ? JSON.stringify(value)
          : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function renderCsv<T>(items: readonly T[], columns: readonly Column<T>[]): string {
  const lines = [
    columns.map((c) => csvField(c.name)),
    ...items.map((i) => columns.map((c) => csvField(c.value(i)))),
  ];
  return lines.map((l) => `${l.join(",")}\r\n`).join("");
}

export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function renderYaml(value: unknown): string {
  return toYaml(value, { lineWidth: 0 });
}

/** A list in the chosen format. */
export function renderList<T>(items: readonly T[], format: Format, columns: readonly Column<T>[]): string {
  switch (format) {
    case "json":
      return renderJson(items);
    case "yaml":
      return renderYaml(items);
    case "csv":
      return renderCsv(items, columns);
    case "table":
      return items.length === 0 ? "no items\n" : renderTable(items, columns);
  }
}

/** One object: as the API gave it in JSON and YAML, its fields one per line in a table. */
export function renderItem<T>(item: T, format: Format, fields: readonly Column<T>[]): string {
  switch (format) {
    case "json":
      return renderJson(item);
    case "yaml":
      return renderYaml(item);
    case "csv":
      return renderCsv([item], fields);
    case "table": {
      const width = Math.max(...fields.map((f) => f.name.length));
      return fields
        .map((f) => {
          const text = cell(f.value(item));
          return `${paint(`${f.name}:`.padEnd(width + 1), "bold")}  ${paint(text, f.color?.(text, item) ?? null)}`;
        })
        .join("\n")
        .concat("\n");
    }
  }
}

export function print(text: string): void {
  process.stdout.write(text);
}
