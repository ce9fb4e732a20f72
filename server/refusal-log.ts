/**
 * Refused requests and connections in the process log, without letting a flood fill the disk.
 * Each kind of refusal may log `linesPerMinute` lines per minute; past that, refusals of that
 * kind are only counted, and one summary line says how many were left out once the minute is
 * over. The state is one small record per kind (a fixed set), never one per client or address,
 * so a flood from many sources costs no memory.
 */
import type { Logger } from "./logger.js";

export type RefusalKind =
  | "http_unauthorized"
  | "http_forbidden"
  | "http_rate_limited"
  | "mqtt_connect"
  | "mqtt_subscribe"
  | "mqtt_publish"
  | "mqtt_publish_rate"
  | "device_report_cut";

/** Exceeding the publish budget disconnects a device that was allowed on: worth a warning. */
const LEVEL_BY_KIND: Record<RefusalKind, "info" | "warn"> = {
  http_unauthorized: "info",
  http_forbidden: "info",
  http_rate_limited: "info",
  mqtt_connect: "info",
  mqtt_subscribe: "info",
  mqtt_publish: "info",
  mqtt_publish_rate: "warn",
  // A device sent fields over their bounds; they were cut before anything was stored.
  device_report_cut: "warn",
};

export const DEFAULT_REFUSAL_LINES_PER_MINUTE = 10;
const WINDOW_MS = 60_000;

/** Runs `run` after `delayMs`; the answer cancels it. */
export type Schedule = (run: () => void, delayMs: number) => { cancel(): void };

const scheduleUnref: Schedule = (run, delayMs) => {
  // A pending summary must not keep a stopping process alive.
  const timer = setTimeout(run, delayMs);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
};

export interface RefusalLogOptions {
  /** Lines per kind per minute before refusals of that kind are only counted. Default 10. */
  linesPerMinute?: number;
  clock?: () => number;
  /** When the summary of a minute with suppressed lines is written. Default: a timer at its end. */
  schedule?: Schedule;
}

interface KindWindow {
  startedAtMs: number;
  logged: number;
  suppressed: number;
  summary: { cancel(): void } | null;
}

export class RefusalLog {
  private readonly windowByKind = new Map<RefusalKind, KindWindow>();
  private readonly linesPerMinute: number;
  private readonly clock: () => number;
  private readonly schedule: Schedule;

  constructor(
    private readonly logger: Logger,
    options: RefusalLogOptions = {},
  ) {
    this.linesPerMinute = options.linesPerMinute ?? DEFAULT_REFUSAL_LINES_PER_MINUTE;
    this.clock = options.clock ?? Date.now;
    this.schedule = options.schedule ?? scheduleUnref;
    if (!Number.isInteger(this.linesPerMinute) || this.linesPerMinute < 1) {
      throw new Error(`refusal log needs linesPerMinute >= 1, got ${this.linesPerMinute}`);
    }
  }

  /**
   * Logs one refusal with its fields (reason, source address, route or topic, credential kind;
   * never a secret), unless this kind has used up its lines for the current minute.
   */
  refused(kind: RefusalKind, fields: Record<string, unknown>, message: string): void {
    const now = this.clock();
    let window = this.windowByKind.get(kind);
    if (window && now - window.startedAtMs >= WINDOW_MS) {
      this.endWindow(kind, window);
      window = undefined;
    }
    if (!window) {
      window = { startedAtMs: now, logged: 0, suppressed: 0, summary: null };
      this.windowByKind.set(kind, window);
    }
    if (window.logged < this.linesPerMinute) {
      window.logged++;
      this.logger[LEVEL_BY_KIND[kind]]({ refusal: kind, ...fields }, message);
      return;
    }
    window.suppressed++;
    // Without this, the summary of a flood that stopped would wait for the next refusal.
    window.summary ??= this.schedule(() => this.flush(), window.startedAtMs + WINDOW_MS - now);
  }

  /** Writes the summary of every minute that is over; the scheduled summaries call this. */
  flush(): void {
    const now = this.clock();
    for (const [kind, window] of this.windowByKind) {
      if (now - window.startedAtMs >= WINDOW_MS) this.endWindow(kind, window);
    }
  }

  /** Writes the summaries still pending, and cancels their timers. */
  close(): void {
    for (const [kind, window] of this.windowByKind) this.endWindow(kind, window);
  }

  private endWindow(kind: RefusalKind, window: KindWindow): void {
    window.summary?.cancel();
    this.windowByKind.delete(kind);
    if (window.suppressed === 0) return;
    this.logger[LEVEL_BY_KIND[kind]](
      { refusal: kind, suppressed: window.suppressed },
      `${window.suppressed} more refusals of kind ${kind} suppressed in the last minute`,
    );
  }
}
