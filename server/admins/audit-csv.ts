/**
 * The audit log as CSV (see server/csv.ts for the quoting and the guard against formulas):
 * emails, targets, names, addresses and parameters come from admins and devices and are guarded;
 * times, actions, outcomes and codes are the server's own.
 */
import { type CsvColumn, csvFormat } from "../csv.js";
import type { AuditItem } from "./audit-log.js";

const COLUMNS: readonly CsvColumn<AuditItem>[] = [
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

const AUDIT_CSV = csvFormat(COLUMNS);

export const AUDIT_CSV_HEADERS: readonly string[] = AUDIT_CSV.headers;

export function auditCsvRecords(items: readonly AuditItem[]): string {
  return AUDIT_CSV.records(items);
}

/** The header, then the records of each page as it comes: the log is never held at once. */
export function auditCsv(pages: AsyncIterable<readonly AuditItem[]>): AsyncGenerator<string> {
  return AUDIT_CSV.stream(pages);
}
