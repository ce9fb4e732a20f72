/**
 * The store copy's progress: a live line per table on a terminal, one line per finished table
 * elsewhere.
 */
import { describe, expect, it } from "vitest";
import { copyProgressPrinter } from "../../../server/copy-progress.js";

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, isTTY, write: (text: string) => written.push(text) > 0 };
}

const pages = [
  { table: "devices", copied: 0, total: 3000 },
  { table: "devices", copied: 2000, total: 3000 },
  { table: "devices", copied: 3000, total: 3000 },
  { table: "batches", copied: 0, total: 0 },
] as const;

describe("copy progress", () => {
  it("writes a line per finished table when the stream is no terminal", () => {
    const out = stream(false);
    const print = copyProgressPrinter(out);
    for (const page of pages) print(page);
    expect(out.written.join("")).toBe("devices: 3,000 / 3,000 rows\nbatches: 0 / 0 rows\n");
  });

  it("rewrites one line per table on a terminal, ending it when the table is done", () => {
    const out = stream(true);
    const print = copyProgressPrinter(out);
    for (const page of pages) print(page);
    expect(out.written).toEqual([
      "\r\x1b[Kdevices: 0 / 3,000 rows",
      "\r\x1b[Kdevices: 2,000 / 3,000 rows",
      "\r\x1b[Kdevices: 3,000 / 3,000 rows\n",
      "\r\x1b[Kbatches: 0 / 0 rows\n",
    ]);
  });
});
