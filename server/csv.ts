/**
 * CSV exports (RFC 4180): a header record, then one record per row, every record ending in
 * CRLF, and a field in double quotes when it holds a quote, a comma or a line break (quotes
 * doubled).
 *
 * Text from outside the server (names, emails, serials, parameters) may start with `=`, `+`,
 * `-`, `@`, a tab or a carriage return, which a spreadsheet runs as a formula; such a field of a
 * text column is written with a leading `'` (OWASP, "CSV Injection"). Numbers, flags, times and
 * codes are the server's own and are written as they are.
 */

export type CsvValue = string | number | boolean | null;

export interface CsvColumn<Row> {
  header: string;
  value: (row: Row) => CsvValue;
  /** Text from outside the server, neutralized against formulas. */
  text?: boolean;
}

export interface CsvFormat<Row> {
  /** The header record, with its CRLF. */
  readonly header: string;
  readonly headers: readonly string[];
  /** The records of these rows, each with its CRLF. */
  records(rows: readonly Row[]): string;
  /** The header, then the records of each page as it comes: the rows are never held at once. */
  stream(pages: AsyncIterable<readonly Row[]>): AsyncGenerator<string>;
}

const NEEDS_QUOTES = /[",\r\n]/;
const STARTS_A_FORMULA = /^[=+\-@\t\r]/;

/** One field: empty for null, guarded against formulas when `text`, quoted when it must be. */
export function csvField(value: CsvValue, text: boolean): string {
  if (value === null) return "";
  let cell = String(value);
  if (text && STARTS_A_FORMULA.test(cell)) cell = `'${cell}`;
  return NEEDS_QUOTES.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

export function csvFormat<Row>(columns: readonly CsvColumn<Row>[]): CsvFormat<Row> {
  const headers = columns.map((c) => c.header);
  const header = `${headers.map((h) => csvField(h, false)).join(",")}\r\n`;
  const records = (rows: readonly Row[]) =>
    rows
      .map((row) => `${columns.map((c) => csvField(c.value(row), c.text === true)).join(",")}\r\n`)
      .join("");
  return {
    header,
    headers,
    records,
    async *stream(pages) {
      yield header;
      for await (const page of pages) yield records(page);
    },
  };
}
