/** Hooks shared by pages: server events, throttled reloads, a ticking clock. */
import { useEffect, useRef, useState } from "preact/hooks";
import { useSession } from "./session";
import type { ServerEvent } from "./types";

/** Subscribes to event types for the component's lifetime; the handler may change freely. */
export function useServerEvents(types: string[], handler: (event: ServerEvent) => void): void {
  const { events } = useSession();
  const current = useRef(handler);
  current.current = handler;
  const key = types.join(",");
  useEffect(() => {
    const offs = key.split(",").map((type) => events.on(type, (e) => current.current(e)));
    return () => {
      for (const off of offs) off();
    };
  }, [events, key]);
}

/** Calls `reload` after the event stream comes back from a drop. */
export function useResync(reload: () => void): void {
  const { events } = useSession();
  const current = useRef(reload);
  current.current = reload;
  useEffect(() => events.onResync(() => current.current()), [events]);
}

/**
 * A function that runs `fn` at most once per `intervalMs`, trailing: bursts of events (a
 * fleet reboot sends thousands) become a few reloads.
 */
export function useThrottled(fn: () => void, intervalMs: number): () => void {
  const current = useRef(fn);
  current.current = fn;
  const state = useRef<{ timer: number | undefined; last: number }>({ timer: undefined, last: 0 });
  useEffect(() => () => window.clearTimeout(state.current.timer), []);
  const trigger = useRef(() => {
    const s = state.current;
    if (s.timer !== undefined) return;
    const wait = Math.max(0, s.last + intervalMs - Date.now());
    s.timer = window.setTimeout(() => {
      s.timer = undefined;
      s.last = Date.now();
      current.current();
    }, wait);
  });
  return trigger.current;
}

/** Re-renders every `intervalMs`, for "2 min ago" labels. */
export function useNow(intervalMs = 15_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Sets the document title while a page is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · portal-mdm`;
  }, [title]);
}
