/**
 * The server's clock as the console sees it. Times in the API (last seen, reported at) are the
 * server's; "3 min ago" must be counted on the same clock, or a browser whose clock runs
 * behind shows a device "seen in 9 sec". Every API answer carries the server's time in its
 * Date header, to the second: each answer bounds how far the server's clock is from this
 * browser's, and the bounds of many answers narrow it down to well under a second.
 */
import { useEffect, useState } from "preact/hooks";
import { useServerEvents } from "./hooks";
import { useSession } from "./session";

export class ServerClock {
  /** The server's clock minus this browser's lies within [low, high] ms. */
  private low = Number.NEGATIVE_INFINITY;
  private high = Number.POSITIVE_INFINITY;

  /** An answer's Date header, with when the request left and the answer came (browser clock). */
  observeDateHeader(header: string | null, sentAtMs: number, receivedAtMs: number): void {
    const serverMs = header ? Date.parse(header) : Number.NaN;
    if (Number.isNaN(serverMs)) return;
    // The header is cut to the second: the server read its clock within [serverMs, serverMs + 1 s),
    // somewhere between the request leaving and the answer arriving.
    const low = serverMs - receivedAtMs;
    const high = serverMs + 1000 - sentAtMs;
    if (low > this.high || high < this.low) {
      // A clock was set meanwhile (this browser's or the server's): start over from here.
      this.low = low;
      this.high = high;
      return;
    }
    this.low = Math.max(this.low, low);
    this.high = Math.min(this.high, high);
  }

  /** How far the server's clock is ahead of this browser's, ms (0 before any answer). */
  get skewMs(): number {
    return Number.isFinite(this.low) && Number.isFinite(this.high) ? (this.low + this.high) / 2 : 0;
  }

  /** The server's time now, ms since the epoch. */
  now(): number {
    return Date.now() + this.skewMs;
  }
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });

/**
 * How long ago a server time was, counted on the server's clock. Never in the future: a time
 * ahead of the clock (what is left of the skew, or a device's own clock) is "just now".
 */
export function sinceServerTime(iso: string | null | undefined, serverNowMs: number): string {
  if (!iso) return "never";
  const seconds = Math.round((serverNowMs - new Date(iso).getTime()) / 1000);
  if (seconds < 5) return "just now";
  if (seconds < 60) return relative.format(-seconds, "second");
  if (seconds < 3600) return relative.format(-Math.round(seconds / 60), "minute");
  if (seconds < 86_400) return relative.format(-Math.round(seconds / 3600), "hour");
  return relative.format(-Math.round(seconds / 86_400), "day");
}

/**
 * The server's time now, re-read every `intervalMs` and whenever a device is heard from (an
 * event is news that the labels may have moved), for "2 min ago" labels.
 */
export function useServerNow(intervalMs = 15_000): number {
  const { api } = useSession();
  // Whole seconds: a burst of events re-renders at most once a second.
  const read = () => Math.floor(api.serverClock.now() / 1000) * 1000;
  const [now, setNow] = useState(read);
  useEffect(() => {
    const timer = window.setInterval(() => setNow(read()), intervalMs);
    return () => window.clearInterval(timer);
  }, [api, intervalMs]);
  useServerEvents(["device.online", "device.offline", "device.state"], () => setNow(read()));
  return now;
}
