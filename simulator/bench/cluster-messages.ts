/** What the cluster benchmark and its simulator processes say to each other over IPC. */

export interface WorkerInit {
  type: "init";
  /** This process's index, for its serials and seed. */
  worker: number;
  /** The fleet indices [from, to) it runs; device i enrolls through `nodeUrls[i % nodeUrls.length]`. */
  from: number;
  to: number;
  /** Each node's HTTP URL, by node index. */
  nodeUrls: string[];
  enrollmentToken: string;
  /** Enrollments in flight at once in this process. */
  concurrency: number;
}

export type ToWorker =
  | WorkerInit
  /** Every device publishes `rounds` state reports. */
  | { type: "report"; rounds: number }
  /** Devices from fleet index `from` on disconnect cleanly and stay away. */
  | { type: "disconnect"; from: number }
  | { type: "stop" };

export type FromWorker =
  /** Loaded and listening: the ramp's clock may start. */
  | { type: "loaded" }
  | { type: "progress"; online: number }
  /** Every device is online; its fleet index and device id. */
  | { type: "ready"; devices: [index: number, deviceId: string][] }
  | { type: "reported"; published: number }
  | { type: "disconnected"; devices: number }
  | { type: "stopped" }
  | { type: "failed"; error: string };
