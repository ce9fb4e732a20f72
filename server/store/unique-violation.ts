/**
 * Runs `unit`, which may give something `name` that the store keeps unique: a unique violation
 * it meets becomes `taken()` (the error an admin reads), so that two units taking one name at
 * once cannot both succeed and the loser is told why. Without a name, errors pass as they are.
 */
export async function whenNameFree<T>(
  name: string | undefined,
  unit: () => Promise<T>,
  taken: () => Promise<Error> | Error,
): Promise<T> {
  try {
    return await unit();
  } catch (err) {
    if (name === undefined || !isUniqueViolation(err)) throw err;
    throw await taken();
  }
}

/** Whether a store error is a UNIQUE constraint refusing a duplicate, on either backend. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  // PostgreSQL: SQLSTATE 23505; SQLite: SQLITE_CONSTRAINT with "UNIQUE constraint failed".
  return e?.code === "23505" || (e?.code === "SQLITE_CONSTRAINT" && String(e.message).includes("UNIQUE"));
}
