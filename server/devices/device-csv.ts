/**
 * The device list as CSV (RFC 4180): a header row, one record per device, CRLF line ends, and a
 * field in double quotes when it holds a quote, a comma or a line break (quotes doubled).
 *
 * Names, serials, models, zones and versions come from devices and admins. A spreadsheet runs a
 * cell that starts with `=`, `+`, `-`, `@` (or a tab or carriage return) as a formula, so such a
 * text field is written with a leading `'` (OWASP, "CSV Injection"); numbers and times are
 * written as they are.
 */
import { type CsvColumn, csvField } from "../csv.js";
import type { DeviceView } from "./device.js";

const COLUMNS: readonly CsvColumn<DeviceView>[] = [
  { header: "id", value: (d) => d.id },
  { header: "name", value: (d) => d.name, text: true },
  { header: "serial", value: (d) => d.serial, text: true },
  { header: "model", value: (d) => d.model, text: true },
  { header: "status", value: (d) => d.status },
  { header: "online", value: (d) => d.online },
  { header: "last_seen_at", value: (d) => d.lastSeenAt },
  { header: "locked", value: (d) => d.reported?.locked ?? null },
  { header: "timezone", value: (d) => d.reported?.timezone ?? null, text: true },
  { header: "clock_offset_ms", value: (d) => d.reported?.clockOffsetMs ?? null },
  { header: "agent_version", value: (d) => d.reported?.agentVersion ?? null, text: true },
  { header: "applied_config_version", value: (d) => d.reported?.appliedConfigVersion ?? null },
  { header: "desired_config_version", value: (d) => d.desired.version },
];

export function csvHeader(): string {
  return `${COLUMNS.map((c) => c.header).join(",")}\r\n`;
}

export function csvRecords(devices: readonly DeviceView[]): string {
  return devices
    .map((device) => `${COLUMNS.map((c) => csvField(c.value(device), c.text === true)).join(",")}\r\n`)
    .join("");
}

/** The header, then the records of each page as it comes: the fleet is never held at once. */
export async function* deviceCsv(pages: AsyncIterable<readonly DeviceView[]>): AsyncGenerator<string> {
  yield csvHeader();
  for await (const page of pages) yield csvRecords(page);
}
