/** The CSV writer both exports use (audit log, device list): RFC 4180 and the formula guard. */
import { describe, expect, it } from "vitest";
import { type CsvColumn, csvField, csvFormat } from "../../../server/csv.js";
import { parseCsv } from "../../helpers/rfc4180.js";

interface Row {
  name: string | null;
  count: number;
  flag: boolean;
  code: string;
}

const COLUMNS: readonly CsvColumn<Row>[] = [
  { header: "name", value: (r) => r.name, text: true },
  { header: "count", value: (r) => r.count },
  { header: "flag", value: (r) => r.flag },
  { header: "code", value: (r) => r.code },
];

async function* pagesOf<T>(...pages: T[][]): AsyncGenerator<T[]> {
  for (const page of pages) yield page;
}

describe("csvField", () => {
  it("writes plain text bare, and null as an empty field", () => {
    expect(csvField("Lobby display", true)).toBe("Lobby display");
    expect(csvField(null, true)).toBe("");
    expect(csvField(0, false)).toBe("0");
    expect(csvField(false, false)).toBe("false");
  });

  it("quotes a field holding a quote, a comma or a line break, doubling its quotes", () => {
    expect(csvField('say "hi"', false)).toBe('"say ""hi"""');
    expect(csvField("a,b", false)).toBe('"a,b"');
    expect(csvField("line\nbreak", false)).toBe('"line\nbreak"');
    expect(csvField("cr\rhere", false)).toBe('"cr\rhere"');
  });

  it("puts a ' before text a spreadsheet would run as a formula, in text columns only", () => {
    for (const start of ["=", "+", "-", "@", "\t"]) {
      expect(csvField(`${start}SUM(A1)`, true)).toBe(`'${start}SUM(A1)`);
      expect(csvField(`${start}SUM(A1)`, false)).toBe(`${start}SUM(A1)`);
    }
    // Guarded first, then quoted: the quote wraps the guard too.
    expect(csvField("\rX", true)).toBe(`"'\rX"`);
    expect(csvField('=HYPERLINK("http://x.example"), now', true)).toBe(
      `"'=HYPERLINK(""http://x.example""), now"`,
    );
    expect(csvField("a=b", true)).toBe("a=b");
    expect(csvField(-5, false)).toBe("-5");
  });
});

describe("csvFormat", () => {
  it("writes a header and CRLF-ended records that a strict RFC 4180 reader takes back whole", async () => {
    const format = csvFormat(COLUMNS);
    const rows: Row[] = [
      { name: 'Desk "A", floor 2', count: 3, flag: true, code: "ok" },
      { name: null, count: -1, flag: false, code: "x\ny" },
      { name: "@admin", count: 0, flag: true, code: "-" },
    ];
    let text = "";
    for await (const chunk of format.stream(pagesOf(rows.slice(0, 2), [], rows.slice(2)))) text += chunk;
    expect(text.startsWith("name,count,flag,code\r\n")).toBe(true);
    expect(format.headers).toEqual(["name", "count", "flag", "code"]);
    expect(parseCsv(text)).toEqual([
      ["name", "count", "flag", "code"],
      ['Desk "A", floor 2', "3", "true", "ok"],
      ["", "-1", "false", "x\ny"],
      ["'@admin", "0", "true", "-"],
    ]);
    expect(format.records([])).toBe("");
  });

  it("yields the header before it reads the first page", async () => {
    let pagesRead = 0;
    async function* counted(): AsyncGenerator<Row[]> {
      pagesRead++;
      yield [{ name: "a", count: 1, flag: true, code: "c" }];
    }
    const stream = csvFormat(COLUMNS).stream(counted());
    expect((await stream.next()).value).toBe("name,count,flag,code\r\n");
    expect(pagesRead).toBe(0);
    expect((await stream.next()).value).toBe("a,1,true,c\r\n");
    expect(pagesRead).toBe(1);
  });
});
