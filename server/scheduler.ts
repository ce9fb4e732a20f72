/**
 * Recurring server jobs on node-cron: the command expiry sweep and state-history pruning.
 * Runs never overlap, and a failing run is logged, not fatal.
 */
import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "./logger.js";

export interface ScheduledJob {
  name: string;
  /** Cron expression with seconds, e.g. every 5 s: star-slash-5 followed by five stars. */
  expression: string;
  run: () => Promise<unknown>;
}

export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];

  constructor(private readonly logger: Logger) {}

  start(jobs: readonly ScheduledJob[]): void {
    for (const job of jobs) {
      const task = cron.schedule(
        job.expression,
        async () => {
          try {
            await job.run();
          } catch (err) {
            this.logger.error({ err, job: job.name }, "scheduled job failed");
          }
        },
        { name: job.name, noOverlap: true },
      );
      this.tasks.push(task);
    }
  }

  async stop(): Promise<void> {
    for (const task of this.tasks) await task.destroy();
    this.tasks.length = 0;
  }
}

/** A cron expression that fires every `seconds` (1–59) seconds. */
export function everySeconds(seconds: number): string {
  return seconds === 1 ? "* * * * * *" : `*/${seconds} * * * * *`;
}
