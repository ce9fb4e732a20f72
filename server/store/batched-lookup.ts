/**
 * Point lookups that arrive in bursts (thousands of devices reconnecting at once) answered by
 * one set-based query per turn of the event loop instead of one query each. Nothing is cached:
 * every batch reads the store as it is.
 */
import DataLoader from "dataloader";

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
    // A turn of the event loop, not a tick: socket reads each run in their own tick, and a
    // reconnect storm spreads over many reads per turn.
    { cache: false, batchScheduleFn: (run) => setImmediate(run), maxBatchSize: 5000 },
  );
  return (key) => loader.load(key);
}
