/**
 * The cluster benchmark's fleet, spread over simulator processes (cluster-worker.ts) as the plan
 * says: starts them, follows their progress, and asks all of them at once for state reports,
 * clean disconnects and the end.
 */
import { type ChildProcess, fork } from "node:child_process";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import type { FromWorker, ToWorker } from "./cluster-messages.js";
import type { ClusterPlan } from "./cluster-plan.js";
import { SERVER_NODE_FLAGS } from "./server-process.js";

const WORKER = fileURLToPath(new URL("./cluster-worker.ts", import.meta.url));
/**
 * Enrollments in flight at once in the whole fleet, as the one-node benchmark's fleet: they all
 * go to one database, whose pool waits are what more at once would measure.
 */
const ENROLL_CONCURRENCY = 200;

type Reply<T extends FromWorker["type"]> = Extract<FromWorker, { type: T }>;

class Worker {
  online = 0;
  private readonly waiting = new Map<string, (message: FromWorker) => void>();
  private failure: Error | null = null;
  private readonly failed: Promise<never>;

  constructor(
    readonly index: number,
    readonly child: ChildProcess,
  ) {
    let fail: (err: Error) => void = () => {};
    this.failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    // Only a wait in progress reports the failure; a failure with nobody waiting is kept for the next.
    this.failed.catch(() => {});
    const failWith = (err: Error) => {
      this.failure ??= err;
      fail(this.failure);
    };
    child.on("message", (message: FromWorker) => {
      if (message.type === "progress") this.online = message.online;
      else if (message.type === "failed") failWith(new Error(`simulator process ${index}: ${message.error}`));
      else this.waiting.get(message.type)?.(message);
    });
    child.once("exit", (code, signal) =>
      failWith(new Error(`simulator process ${index} exited (${signal ?? code})`)),
    );
  }

  send(message: ToWorker): void {
    this.child.send(message);
  }

  /** The next message of `type`, or the process's failure. */
  next<T extends FromWorker["type"]>(type: T): Promise<Reply<T>> {
    if (this.failure) return Promise.reject(this.failure);
    const reply = new Promise<Reply<T>>((resolve) =>
      this.waiting.set(type, (message) => {
        this.waiting.delete(type);
        resolve(message as Reply<T>);
      }),
    );
    return Promise.race([reply, this.failed]);
  }
}

/**
 * The niceness of the load generators (the simulator processes and the benchmark's own): on one
 * machine they stand in for devices and API clients that do not share the servers' cores, so
 * the nodes, PostgreSQL and Redis go first when all want the CPU. They still get all the CPU
 * left over.
 */
export const LOAD_GENERATOR_NICENESS = 15;

/** Lowers a process's CPU priority to {@link LOAD_GENERATOR_NICENESS} (this process's without a pid). */
export function lowerPriority(pid?: number): void {
  if (pid === undefined) setPriority(LOAD_GENERATOR_NICENESS);
  else setPriority(pid, LOAD_GENERATOR_NICENESS);
}

export class ClusterFleet {
  /** Device ids by fleet index, once every device is online. */
  readonly deviceIds: string[] = [];

  private constructor(private readonly workers: Worker[]) {}

  /** Forks the simulator processes and waits for them to load; {@link connect} starts their devices. */
  static async spawn(plan: ClusterPlan): Promise<ClusterFleet> {
    const workers = plan.simulators.map((sim) => {
      const child = fork(WORKER, [], {
        execArgv: [...SERVER_NODE_FLAGS, "--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      lowerPriority(child.pid);
      // A crash of the benchmark must not leave simulated devices reconnecting.
      const killOnExit = () => child.kill("SIGKILL");
      process.once("exit", killOnExit);
      child.once("exit", () => process.off("exit", killOnExit));
      return new Worker(sim.index, child);
    });
    const fleet = new ClusterFleet(workers);
    try {
      await Promise.all(workers.map((w) => w.next("loaded")));
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  /** Devices online so far, in all processes. */
  online(): number {
    return this.workers.reduce((n, w) => n + w.online, 0);
  }

  /** Enrolls and connects every device; resolves once all are online. */
  async connect(plan: ClusterPlan, nodeUrls: string[], enrollmentToken: string): Promise<void> {
    const ready = this.workers.map((w) => w.next("ready"));
    for (const worker of this.workers) {
      const sim = plan.simulators[worker.index]!;
      worker.send({
        type: "init",
        worker: worker.index,
        from: sim.from,
        to: sim.to,
        nodeUrls,
        enrollmentToken,
        concurrency: Math.ceil(ENROLL_CONCURRENCY / this.workers.length),
      });
    }
    for (const { devices } of await Promise.all(ready)) {
      for (const [index, deviceId] of devices) this.deviceIds[index] = deviceId;
    }
  }

  /** Every device publishes `rounds` state reports; how many were handed to their sockets. */
  async report(rounds: number): Promise<number> {
    const replies = this.workers.map((w) => w.next("reported"));
    for (const worker of this.workers) worker.send({ type: "report", rounds });
    return (await Promise.all(replies)).reduce((n, r) => n + r.published, 0);
  }

  /** Devices from fleet index `from` on disconnect cleanly; how many did. */
  async disconnectFrom(from: number): Promise<number> {
    const replies = this.workers.map((w) => w.next("disconnected"));
    for (const worker of this.workers) worker.send({ type: "disconnect", from });
    return (await Promise.all(replies)).reduce((n, r) => n + r.devices, 0);
  }

  /** Stops every device (as a power cut) and waits for the processes to end. */
  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker) => {
        const child = worker.child;
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        try {
          worker.send({ type: "stop" });
        } catch {
          child.kill("SIGKILL");
        }
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
