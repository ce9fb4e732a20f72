/** Whether a store error is a UNIQUE constraint refusing a duplicate, on either backend. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  // PostgreSQL: SQLSTATE 23505; SQLite: SQLITE_CONSTRAINT with "UNIQUE constraint failed".
  return e?.code === "23505" || (e?.code === "SQLITE_CONSTRAINT" && String(e.message).includes("UNIQUE"));
}
