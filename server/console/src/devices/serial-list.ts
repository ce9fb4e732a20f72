/**
 * A list of serial numbers from a file or pasted text: a CSV (RFC 4180, read leniently: a byte
 * order mark, CRLF, LF or CR line ends, quoted fields with doubled quotes, commas and line breaks
 * in them; a semicolon or tab as the separator when the first line uses it) or one serial a line.
 * The serials are the column named serial (Serial Number, serial_number, Serial No, ...) when the
 * first row names one, else the first column. Values are trimmed, blanks skipped and duplicates
 * removed, keeping the first order.
 *
 * Nothing is imported, so the unit tests read it as it is.
 */

/** The most serials one list may hold: the API's limit of a `{serials}` target (server/api/schemas.ts). */
export const MAX_SERIALS = 100_000;
/** The longest serial the API takes. */
export const MAX_SERIAL_LENGTH = 128;
/** A larger file is refused before it is read. */
export const MAX_SERIAL_FILE_BYTES = 32 * 1024 * 1024;

/** Header names (lower case, letters and digits only) of the column that holds the serials. */
const SERIAL_HEADERS = new Set(["serial", "serials", "serialnumber", "serialnumbers", "serialno"]);

export class SerialListError extends Error {
  override name = "SerialListError";
}

export interface SerialList {
  /** Each serial once, in the order first found. */
  serials: string[];
  /** Values found, before duplicates were removed (blanks not counted). */
  found: number;
  /** Values found again after their first time. */
  duplicates: number;
  /** The header of the column read; null when there was none (the first column, or a list). */
  column: string | null;
  /** Values longer than {@link MAX_SERIAL_LENGTH}: no serial, left out. */
  tooLong: string[];
}

/** The separator a CSV's first line uses most, outside quotes: comma, semicolon or tab. */
function separatorOf(text: string): string {
  const counts = new Map<string, number>([
    [",", 0],
    [";", 0],
    ["\t", 0],
  ]);
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === "\n" || c === "\r")) break;
    else if (!quoted && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  let best = ",";
  for (const [c, n] of counts) if (n > counts.get(best)!) best = c;
  return best;
}

/**
 * The records of a CSV text, each an array of fields. A quote inside a bare field, or after a
 * quoted one, is kept as text; a quoted field that is never closed is an error.
 */
export function parseCsv(input: string, separator = separatorOf(input)): string[][] {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let line = 1;
  let i = 0;
  const endRecord = () => {
    record.push(field);
    records.push(record);
    record = [];
    field = "";
  };
  while (i < text.length) {
    const c = text[i]!;
    // A quote opens a quoted field at its start (spaces before it are dropped).
    if (c === '"' && field.trim() === "") {
      const openedOn = line;
      field = "";
      i++;
      for (;;) {
        if (i >= text.length) {
          throw new SerialListError(`A quoted field that starts on line ${openedOn} is never closed.`);
        }
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === "\n" || (q === "\r" && text[i + 1] !== "\n")) line++;
        field += q;
        i++;
      }
      continue;
    }
    if (c === separator) {
      record.push(field);
      field = "";
      i++;
    } else if (c === "\r" || c === "\n") {
      endRecord();
      line++;
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  // The last record, unless the text ended with its line break.
  if (field !== "" || record.length > 0) endRecord();
  return records;
}

/** A header's letters and digits in lower case: "Serial Number" and "serial_number" are one. */
const headerKey = (cell: string) => cell.toLowerCase().replace(/[^a-z0-9]/g, "");

/**
 * A spreadsheet export guards a text starting with = + - @ (a formula) with a leading `'`, as
 * this server's own CSV exports do: the guard is not part of the serial.
 */
const unguarded = (value: string) => (/^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value);

/** The serials of a CSV or a list, one a line (or a single line separated by commas). */
export function serialsOf(text: string): SerialList {
  const records = parseCsv(text).filter((r) => r.some((cell) => cell.trim() !== ""));
  let column: string | null = null;
  let values: string[];
  const header = records[0] ?? [];
  const index = header.findIndex((cell) => SERIAL_HEADERS.has(headerKey(cell)));
  if (index >= 0) {
    column = header[index]!.trim();
    values = records.slice(1).map((r) => r[index] ?? "");
  } else if (records.length === 1) {
    // One line: "A1, A2, A3" is a list, not a record.
    values = header;
  } else {
    values = records.map((r) => r[0] ?? "");
  }

  const seen = new Set<string>();
  const tooLong = new Set<string>();
  let found = 0;
  for (const raw of values) {
    const value = unguarded(raw.trim());
    if (value === "") continue;
    found++;
    if (value.length > MAX_SERIAL_LENGTH) tooLong.add(value);
    else seen.add(value);
  }
  return {
    serials: [...seen],
    found,
    duplicates: found - seen.size - tooLong.size,
    column,
    tooLong: [...tooLong],
  };
}

/**
 * The serials in parts whose request bodies stay well under the server's 1 MiB limit
 * (`MAX_BODY_BYTES`): each part at most `maxBytes` of JSON and `maxItems` serials.
 */
export function serialParts(
  serials: readonly string[],
  maxBytes = 512 * 1024,
  maxItems = 10_000,
): string[][] {
  const encoder = new TextEncoder();
  const parts: string[][] = [];
  let part: string[] = [];
  let bytes = 0;
  for (const serial of serials) {
    // The quoted serial and its comma.
    const size = encoder.encode(JSON.stringify(serial)).length + 1;
    if (part.length > 0 && (bytes + size > maxBytes || part.length >= maxItems)) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(serial);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}
