/** The admin API calls and waits the cluster benchmark's phases share. */
import type { AdminClient } from "../admin-client.js";

export const sleep = (msToWait: number) => new Promise((r) => setTimeout(r, msToWait));

/** Polls `probe` until it holds; past the timeout, fails naming what was awaited and how far it got. */
export async function until(
  what: string,
  probe: () => Promise<boolean>,
  options: { intervalMs: number; timeoutMs: number; state?: () => string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) {
      const state = options.state ? ` (${options.state()})` : "";
      throw new Error(`timed out after ${options.timeoutMs / 1000} s waiting for ${what}${state}`);
    }
    await sleep(options.intervalMs);
  }
}

interface DevicePage {
  items: { id: string; connectedNode: string | null }[];
  nextCursor: string | null;
}

/** The node holding each online device's connection, as the store says: device id → node id. */
export async function holders(admin: AdminClient): Promise<Map<string, string | null>> {
  const held = new Map<string, string | null>();
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page: DevicePage = await admin.request<DevicePage>(
      "GET",
      `/devices?online=true&limit=1000${query}`,
    );
    for (const device of page.items) held.set(device.id, device.connectedNode);
    cursor = page.nextCursor;
  } while (cursor);
  return held;
}

export interface BatchView {
  id: string;
  total: number;
  counts: Record<string, number>;
  done: boolean;
}

export const succeededOf = (batch: BatchView) => batch.counts.succeeded ?? 0;

/**
 * Polls fleet commands until each has every command succeeded, or has none left open; their
 * last views. `onProgress` hears the succeeded count of all of them together.
 */
export async function waitForBatches(
  admin: AdminClient,
  batchIds: readonly string[],
  options: { intervalMs: number; timeoutMs: number; onProgress?: (succeeded: number) => void },
): Promise<BatchView[]> {
  let views: BatchView[] = [];
  const finished = (b: BatchView) => succeededOf(b) === b.total || b.done;
  await until(
    "the fleet command to finish",
    async () => {
      views = await Promise.all(batchIds.map((id) => admin.request<BatchView>("GET", `/batches/${id}`)));
      options.onProgress?.(views.reduce((n, b) => n + succeededOf(b), 0));
      return views.every(finished);
    },
    { ...options, state: () => views.map((b) => JSON.stringify(b.counts)).join(", ") },
  );
  return views;
}

/**
 * A fleet command to the given devices (ids a request body can hold, so several batches for a
 * large fleet), or to every device with `all`.
 */
export async function issueFleetCommand(
  admin: AdminClient,
  target: "all" | readonly string[],
  command: { type: string },
): Promise<string[]> {
  // A device id and its JSON quotes and comma are 23 bytes: 20 000 stay well under the 1 MiB body.
  const chunk = 20_000;
  const targets =
    target === "all"
      ? [{ all: true }]
      : Array.from({ length: Math.ceil(target.length / chunk) }, (_, i) => ({
          deviceIds: target.slice(i * chunk, (i + 1) * chunk),
        }));
  const batches = await Promise.all(
    targets.map((t) => admin.request<{ id: string }>("POST", "/batches", { target: t, command })),
  );
  return batches.map((b) => b.id);
}
