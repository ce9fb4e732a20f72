/**
 * Progress of a store copy (`npm run admin -- migrate-store`) on a stream, rows copied of each
 * table's total: on a terminal one live line per table, rewritten as pages land; elsewhere (a
 * log, a pipe) one line per table once it is done, so the output stays readable.
 */
import type { CopyProgress } from "./store/copy-store.js";

interface ProgressStream {
  write(text: string): boolean;
  isTTY?: boolean;
}

const line = ({ table, copied, total }: CopyProgress) =>
  `${table}: ${copied.toLocaleString("en-US")} / ${total.toLocaleString("en-US")} rows`;

export function copyProgressPrinter(stream: ProgressStream): (progress: CopyProgress) => void {
  const live = stream.isTTY === true;
  let printed: string | null = null;
  return (progress) => {
    // A table ends with the page that reaches its total (an empty table reports 0 / 0 at once).
    const done = progress.copied >= progress.total;
    if (live) {
      // \r and "erase to end of line": the table's line is rewritten in place.
      stream.write(`\r\x1b[K${line(progress)}${done ? "\n" : ""}`);
    } else if (done && printed !== progress.table) {
      stream.write(`${line(progress)}\n`);
      printed = progress.table;
    }
  };
}
