/**
 * The audit log as CSV (RFC 4180): a header row, one record per row of the log, CRLF line
 * ends, and a field in double quotes when it holds a quote, a comma or a line break (quotes
 * doubled).
 *
 * Emails, names and parameters come from admins and devices. A spreadsheet runs a cell that
 * starts with `=`, `+`, `-`, `@` (or a tab or carriage return) as a formula, so such a field is
 * written with a leading `'` (OWASP, "CSV Injection"); times and codes are the server's own.
 */
import type { AuditItem } from "./audit-log.js";

interface CsvColumn {
  header: string;
  value: (item: AuditItem) => string | null;
  /** Text from outside the server, neutralized against formulas. */
  text?: boolean;
}

const COLUMNS: readonly CsvColumn[] = [
  { header: "time", value: (i) => i.at },
  { header: "actor", value: (i) => i.actorEmail, text: true },
  { header: "action", value: (i) => i.action },
  { header: "target", value: (i) => i.target, text: true },
  { header: "target_name", value: (i) => i.targetName, text: true },
  { header: "outcome", value: (i) => i.outcome },
  { header: "error_code", value: (i) => i.errorCode },
  { header: "source_address", value: (i) => i.sourceAddress, text: true },
  { header: "params", value: (i) => JSON.stringify(i.params), text: true },
];

const NEEDS_QUOTES = /[",\r\n]/;
const STARTS_A_FORMULA = /^[=+\-@\t\r]/;

function field(value: string | null, text: boolean): string {
  if (value === null) return "";
  const cell = text && STARTS_A_FORMULA.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

export const AUDIT_CSV_HEADERS: readonly string[] = COLUMNS.map((c) => c.header);

export function auditCsvRecords(items: readonly AuditItem[]): string {
  return items
    .map((item) => `${COLUMNS.map((c) => field(c.value(item), c.text === true)).join(",")}\r\n`)
    .join("");
}

/** The header, then the records of each page as it comes: the log is never held at once. */
export async function* auditCsv(pages: AsyncIterable<readonly AuditItem[]>): AsyncGenerator<string> {
  yield `${AUDIT_CSV_HEADERS.join(",")}\r\n`;
  for await (const page of pages) yield auditCsvRecords(page);
}
