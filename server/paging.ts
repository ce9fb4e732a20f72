/**
 * Keyset pages: a list reads one row more than it shows, and when that row exists the page's
 * last row is where the next page starts. Every list of the API pages this way.
 */
export interface Page<T> {
  items: T[];
  /** Where the next page starts; null when this one is the last. */
  nextCursor: string | null;
}

/** The page of `limit` out of `rows` (read with `limit + 1`), each shown as `view` gives. */
export function pageFrom<R, T>(
  rows: readonly R[],
  limit: number,
  cursorOf: (last: R) => string,
  view: (row: R) => T,
): Page<T> {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map(view),
    nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null,
  };
}
