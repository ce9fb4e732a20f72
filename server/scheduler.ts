/**
 * Recurring server jobs on node-cron: the command expiry sweep, state-history pruning, the sweep
 * of silent server nodes. Runs never overlap, and a failing run is logged, not fatal. With
 * several nodes, each run first claims the job's lease in the store: one node runs it, and when
 * that node dies another takes over once the lease has run out.
 */
import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "./logger.js";

export interface ScheduledJob {
  name: string;
  /** Cron expression with seconds, e.g. every 5 s: star-slash-5 followed by five stars. */
  expression: string;
  run: () => Promise<unknown>;
  /** How long a run's claim holds: past it, another node may run the job. */
  leaseMs: number;
}

/** Takes the job's lease for this node; true when this node is to run it now. */
export type ClaimJob = (name: string, leaseMs: number) => Promise<boolean>;

export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly claim: ClaimJob,
  ) {}

  start(jobs: readonly ScheduledJob[]): void {
    for (const job of jobs) {
      const task = cron.schedule(
        job.expression,
        async () => {
          try {
            if (!(await this.claim(job.name, job.leaseMs))) return;
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
