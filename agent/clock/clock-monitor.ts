/**
 * Keeps a real device's clock offset current: measured against the NTP server the device uses
 * (or, while its time source is automatic, a configured public one) when it starts, whenever
 * that server changes, and on a node-cron schedule. Measurements never overlap, and one that
 * finishes for a server the device no longer uses is thrown away.
 *
 * A failed measurement keeps the last good offset and sync time and adds the error, so the
 * server sees both how far the clock was and that it cannot be checked now.
 */
import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import type { ClockProbe } from "./ntp-probe.js";

export interface ClockReading {
  /** Positive when the device's clock is ahead of the server's. */
  clockOffsetMs: number;
  /** When the last measurement succeeded (device clock); null: never, for this server. */
  lastTimeSyncAtMs: number | null;
  /** Why the last measurement failed; null when it worked. */
  timeSyncError: string | null;
}

export interface ClockMonitorOptions {
  probe: ClockProbe;
  /** node-cron expression, e.g. every ten minutes: "*\/10 * * * *". */
  schedule: string;
  /** Measured against while the device's time source is automatic; null: not measured then. */
  automaticServer: string | null;
  logger: Logger;
  /** The device's clock. Default Date.now. */
  clock?: () => number;
}

const NOT_MEASURED: ClockReading = { clockOffsetMs: 0, lastTimeSyncAtMs: null, timeSyncError: null };

export class ClockMonitor {
  /** The NTP server the device is set to; null: automatic. */
  private configuredServer: string | null = null;
  private current: ClockReading = NOT_MEASURED;
  private running: Promise<void> | null = null;
  private measureAgain = false;
  private task: ScheduledTask | null = null;
  private changed: (() => void) | null = null;

  constructor(private readonly options: ClockMonitorOptions) {}

  /** The server measured against. */
  get target(): string | null {
    return this.configuredServer ?? this.options.automaticServer;
  }

  get reading(): ClockReading {
    return this.current;
  }

  /** The device now uses `ntpServer` (null: automatic); measures at once if that changes the target. */
  useServer(ntpServer: string | null): void {
    const before = this.target;
    this.configuredServer = ntpServer;
    if (this.target === before) return;
    this.current = NOT_MEASURED;
    if (this.task) void this.measure();
  }

  /** Measures now and then on the schedule; `changed` is called after every measurement. */
  start(changed: () => void): void {
    if (this.task) return;
    this.changed = changed;
    this.task = cron.schedule(this.options.schedule, () => this.measure(), {
      name: "clock-offset",
      noOverlap: true,
    });
    void this.measure();
  }

  stop(): void {
    void this.task?.destroy();
    this.task = null;
    this.changed = null;
  }

  /** Resolves when the measurement in progress (and any asked for meanwhile) is done. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Measures now; a call during a measurement asks for another one after it. */
  measure(): Promise<void> {
    if (this.running) {
      this.measureAgain = true;
      return this.running;
    }
    this.running = this.measureUntilCurrent().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async measureUntilCurrent(): Promise<void> {
    do {
      this.measureAgain = false;
      await this.measureOnce();
    } while (this.measureAgain);
  }

  private async measureOnce(): Promise<void> {
    const server = this.target;
    if (!server) {
      this.current = NOT_MEASURED;
      return;
    }
    const log = this.options.logger;
    try {
      const clockOffsetMs = await this.options.probe(server);
      if (server !== this.target) return;
      this.current = {
        clockOffsetMs,
        lastTimeSyncAtMs: (this.options.clock ?? Date.now)(),
        timeSyncError: null,
      };
      log.debug({ server, clockOffsetMs }, "measured the clock offset");
    } catch (err) {
      if (server !== this.target) return;
      const timeSyncError = (err as Error).message;
      if (this.current.timeSyncError !== timeSyncError) {
        log.warn({ server, reason: timeSyncError }, "cannot measure the clock offset");
      }
      this.current = { ...this.current, timeSyncError };
    }
    this.changed?.();
  }
}
