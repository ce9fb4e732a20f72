/**
 * Point lookups that arrive in bursts (thousands of devices reconnecting at once) answered by
 * set-based queries instead of one query each. Nothing is cached: every batch reads the store as
 * it is.
 *
 * A lookup with no query of its kind in flight goes out on the next turn of the event loop, so
 * a lone lookup (a command for an idle device) waits for no timer. While a query is in flight,
 * what arrives meanwhile (a reconnect storm spreads its CONNECTs over many turns) waits for it to
 * end and then goes as one query: batches grow with the load, as the store's batch writers do.
 */
import DataLoader from "dataloader";

/**
 * `fetch` gets the distinct keys of one batch and returns what it found; a key it has no entry
 * for resolves to `missing`.
 */
export function batchedLookup<K, V>(
  fetch: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>,
  missing: V,
): (key: K) => Promise<V> {
  let inFlight = 0;
  /** Batches that wait for the queries in flight to end. */
  let waiting: (() => void)[] = [];
  const loader = new DataLoader<K, V>(
    async (keys) => {
      inFlight++;
      try {
        const found = await fetch(keys);
        return keys.map((key) => (found.has(key) ? found.get(key)! : missing));
      } finally {
        inFlight--;
        if (inFlight === 0 && waiting.length > 0) {
          const runs = waiting;
          waiting = [];
          for (const run of runs) run();
        }
      }
    },
    {
      cache: false,
      batchScheduleFn: (run) => {
        if (inFlight === 0) setImmediate(run);
        else waiting.push(run);
      },
      maxBatchSize: 5000,
    },
  );
  return (key) => loader.load(key);
}
