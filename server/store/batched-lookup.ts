/**
 * Point lookups that arrive in bursts (thousands of devices reconnecting at once) answered by
 * one set-based query per turn of the event loop instead of one query each. Nothing is cached:
 * every batch reads the store as it is.
 */
import DataLoader from "dataloader";

/** How long a lookup waits for others to share its query. */
const BATCH_WINDOW_MS = 2;

/**
 * `fetch` gets the distinct keys requested during one event-loop turn and returns what it
 * found; a key it has no entry for resolves to `missing`.
 */
export function batchedLookup<K, V>(
  fetch: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>,
  missing: V,
): (key: K) => Promise<V> {
  const loader = new DataLoader<K, V>(
    async (keys) => {
      const found = await fetch(keys);
      return keys.map((key) => (found.has(key) ? found.get(key)! : missing));
    },
    // A short window, not a tick: a reconnect storm spreads its CONNECTs over many turns of the
    // event loop, and a query per turn would still be a query per device.
    { cache: false, batchScheduleFn: (run) => setTimeout(run, BATCH_WINDOW_MS), maxBatchSize: 5000 },
  );
  return (key) => loader.load(key);
}
