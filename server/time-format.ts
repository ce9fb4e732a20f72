/** API timestamps are ISO 8601 strings; the store keeps epoch milliseconds. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
