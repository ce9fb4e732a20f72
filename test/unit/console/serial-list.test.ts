/**
 * The console's list of serial numbers from a CSV or pasted text: the column it reads, quoted
 * fields, a byte order mark, line ends, duplicates, the parts its requests are sent in, and the
 * server's own CSV export read back.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_SERIAL_LENGTH,
  parseCsv,
  SerialListError,
  serialParts,
  serialsOf,
} from "../../../server/console/src/devices/serial-list.js";
import { csvFormat } from "../../../server/csv.js";

describe("parseCsv", () => {
  it("reads quoted fields with commas, doubled quotes and line breaks", () => {
    expect(parseCsv('a,"b, c","say ""hi""","two\r\nlines"\r\nd,e,f,g\r\n')).toEqual([
      ["a", "b, c", 'say "hi"', "two\r\nlines"],
      ["d", "e", "f", "g"],
    ]);
  });

  it("takes CRLF, LF and CR line ends, a last line without one, and empty fields", () => {
    expect(parseCsv("a,b\r\nc,d\ne,f\rg,")).toEqual([
      ["a", "b"],
      ["c", "d"],
      ["e", "f"],
      ["g", ""],
    ]);
  });

  it("drops a byte order mark", () => {
    expect(parseCsv("\uFEFFserial\r\nX1\r\n")).toEqual([["serial"], ["X1"]]);
  });

  it("uses the separator of the first line: semicolon or tab", () => {
    expect(parseCsv("Name;Serial Number\r\nLobby;X1\r\n")).toEqual([
      ["Name", "Serial Number"],
      ["Lobby", "X1"],
    ]);
    expect(parseCsv("name\tserial\nLobby\tX1\n")).toEqual([
      ["name", "serial"],
      ["Lobby", "X1"],
    ]);
  });

  it("keeps a stray quote as text, and refuses a quoted field never closed", () => {
    expect(parseCsv('ab"c,"d"e\n')).toEqual([['ab"c', "de"]]);
    expect(() => parseCsv('serial\nX1\n"X2,\nX3\n')).toThrow(SerialListError);
    expect(() => parseCsv('serial\nX1\n"X2,\nX3\n')).toThrow("starts on line 3");
  });
});

describe("serialsOf", () => {
  it("reads the column named serial, in any of its spellings", () => {
    for (const header of ["serial", "Serial", "serial_number", "Serial Number", "SERIAL-NO", "serials"]) {
      const list = serialsOf(`name,${header},model\r\nLobby,X1,Portal\r\nDesk,X2,Portal\r\n`);
      expect(list).toEqual({ serials: ["X1", "X2"], found: 2, duplicates: 0, column: header, tooLong: [] });
    }
  });

  it("reads the first column when no header names the serial", () => {
    expect(serialsOf("X1,Lobby\nX2,Desk\n")).toMatchObject({ serials: ["X1", "X2"], column: null });
  });

  it("takes a list, one a line or on one line separated by commas", () => {
    expect(serialsOf("X1\n  X2 \n\n\nX3").serials).toEqual(["X1", "X2", "X3"]);
    expect(serialsOf("X1, X2,X3").serials).toEqual(["X1", "X2", "X3"]);
  });

  it("removes duplicates and blanks, keeping the first order, and counts them", () => {
    expect(serialsOf("serial\nX2\nX1\n\nX2\n \nX1\nX3\n")).toEqual({
      serials: ["X2", "X1", "X3"],
      found: 5,
      duplicates: 2,
      column: "serial",
      tooLong: [],
    });
  });

  it("leaves out values longer than a serial can be", () => {
    const long = "L".repeat(MAX_SERIAL_LENGTH + 1);
    const list = serialsOf(`serial\nX1\n${long}\n${long}\n${"M".repeat(MAX_SERIAL_LENGTH)}\n`);
    expect(list.serials).toEqual(["X1", "M".repeat(MAX_SERIAL_LENGTH)]);
    expect(list.tooLong).toEqual([long]);
    expect(list.duplicates).toBe(1);
  });

  it("reads a quoted serial, and one a spreadsheet guarded against formulas", () => {
    expect(serialsOf('"Serial Number","Name"\r\n"X-1, rev B","Lobby"\r\n"\'=X2",Desk\r\n').serials).toEqual([
      "X-1, rev B",
      "=X2",
    ]);
  });

  it("finds nothing in an empty text or a header alone", () => {
    expect(serialsOf("").serials).toEqual([]);
    expect(serialsOf("\uFEFF\r\n\r\n").serials).toEqual([]);
    expect(serialsOf("serial\r\n").serials).toEqual([]);
  });

  it("reads back the serials of the server's own CSV export", () => {
    const format = csvFormat<{ id: string; name: string; serial: string }>([
      { header: "id", value: (d) => d.id },
      { header: "name", value: (d) => d.name, text: true },
      { header: "serial", value: (d) => d.serial, text: true },
    ]);
    const serial = fc
      .string({ minLength: 1, maxLength: 40, unit: "grapheme" })
      .map((s) => s.trim())
      .filter((s) => s !== "" && !s.startsWith("'"));
    fc.assert(
      fc.property(fc.uniqueArray(serial, { minLength: 1, maxLength: 30 }), fc.string(), (serials, name) => {
        const rows = serials.map((s, n) => ({ id: `dev${n}`, name, serial: s }));
        const text = `\uFEFF${format.header}${format.records(rows)}`;
        expect(serialsOf(text).serials).toEqual(serials);
      }),
    );
  });
});

describe("serialParts", () => {
  it("keeps every part under its byte and item limits, in order", () => {
    const serials = Array.from({ length: 2500 }, (_, n) => `PRT-${String(n).padStart(6, "0")}`);
    const parts = serialParts(serials, 10_000, 600);
    expect(parts.flat()).toEqual(serials);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(600);
      expect(new TextEncoder().encode(JSON.stringify({ target: { serials: part } })).length).toBeLessThan(
        10_000 + 100,
      );
    }
    expect(serialParts([])).toEqual([]);
  });

  it("sends 100 000 serials of 128 characters in parts under the server's 1 MiB body", () => {
    const serials = Array.from({ length: 100_000 }, (_, n) => String(n).padStart(MAX_SERIAL_LENGTH, "é"));
    const parts = serialParts(serials);
    expect(parts.flat().length).toBe(100_000);
    for (const part of parts) {
      expect(new TextEncoder().encode(JSON.stringify({ target: { serials: part } })).length).toBeLessThan(
        1024 * 1024,
      );
    }
  });
});
