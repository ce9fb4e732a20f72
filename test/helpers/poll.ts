/**
 * Polling for a condition on something without an event to await: a server in another process,
 * a store the server's bus says nothing about.
 */

/** Resolves with what `probe` found once it finds something (not undefined); a throw counts as not yet. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
