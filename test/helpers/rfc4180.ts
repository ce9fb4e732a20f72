/**
 * A strict RFC 4180 reader for tests: records end with CRLF (the last one too), a field is
 * either bare (no quote, comma, CR or LF in it) or wholly in double quotes with quotes
 * doubled. Anything else throws, so a test that parses an export also checks it is valid CSV.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not RFC 4180 CSV at offset ${i}: ${why}`);
  };
  while (i < text.length) {
    let value = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) fail("a quoted field is not closed");
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
    } else {
      while (i < text.length && text[i] !== "," && text[i] !== "\r" && text[i] !== "\n") {
        if (text[i] === '"') fail("a quote inside a bare field");
        value += text[i];
        i++;
      }
    }
    record.push(value);
    if (text[i] === ",") {
      i++;
      if (i >= text.length) fail("the text ends after a comma");
    } else if (text[i] === "\r" && text[i + 1] === "\n") {
      i += 2;
      records.push(record);
      record = [];
    } else {
      fail(
        i >= text.length ? "the last record has no CRLF" : "a field is followed by neither a comma nor CRLF",
      );
    }
  }
  const widths = new Set(records.map((r) => r.length));
  if (widths.size > 1) throw new Error(`records of different lengths: ${[...widths].join(", ")}`);
  return records;
}

/** The records after the header, each as an object keyed by the header's names. */
export function csvObjects(text: string): { header: string[]; rows: Record<string, string>[] } {
  const [header, ...records] = parseCsv(text);
  if (!header) throw new Error("no header row");
  return {
    header,
    rows: records.map((record) => Object.fromEntries(header.map((name, n) => [name, record[n] ?? ""]))),
  };
}
