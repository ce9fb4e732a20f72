/**
 * One simulator process of the cluster benchmark (forked by cluster-fleet.ts): runs the fleet
 * indices it is given, device i enrolling through node i % n, one Fleet per node, and does what
 * the benchmark asks over IPC (state reports, clean disconnects, stop).
 */
import { pino } from "pino";
import { encodeDeviceState } from "../../proto/codec.js";
import { deviceTopic } from "../../proto/topics.js";
import { Fleet, type FleetDevice } from "../fleet.js";
import type { FleetProfile } from "../profile.js";
import type { FromWorker, ToWorker, WorkerInit } from "./cluster-messages.js";

/** Every device quick and healthy: the benchmark measures the servers, not simulated faults. */
const benchProfile: FleetProfile = {
  name: "bench",
  models: [{ model: "Portal", share: 1 }],
  groups: [{ name: "healthy", share: 1 }],
};

const PROGRESS_EVERY_MS = 250;

/** A device of this process with its index in the whole fleet. */
interface Member {
  index: number;
  member: FleetDevice;
}

const send = (message: FromWorker) => process.send?.(message);

function fleetsFor(init: WorkerInit): { fleets: Fleet[]; indices: number[][] } {
  const nodes = init.nodeUrls.length;
  const indices: number[][] = init.nodeUrls.map(() => []);
  for (let i = init.from; i < init.to; i++) indices[i % nodes]!.push(i);
  const logger = pino({ level: "error" });
  const perFleet = Math.max(10, Math.ceil(init.concurrency / nodes));
  const fleets = init.nodeUrls.map(
    (serverUrl, node) =>
      new Fleet({
        serverUrl,
        enrollmentToken: init.enrollmentToken,
        profile: benchProfile,
        size: indices[node]!.length,
        serialPrefix: `CLUSTER${init.worker}N${node}`,
        seed: 1 + init.worker * nodes + node,
        logger,
        concurrency: perFleet,
      }),
  );
  return { fleets, indices };
}

async function publishStates(members: readonly Member[], rounds: number): Promise<number> {
  let published = 0;
  for (let round = 0; round < rounds; round++) {
    for (const { member } of members) {
      const device = member.device;
      const state = await device.platform.readState();
      const bytes = encodeDeviceState({
        ...state,
        atMs: Date.now(),
        agentVersion: "bench",
        appliedConfigVersion: 0,
        signingKeysVersion: 1,
        model: device.platform.model,
        serial: device.serial,
      });
      member.transport?.publish(deviceTopic(device.deviceId!, "state"), bytes, { qos: 0 }).catch(() => {});
      published++;
    }
  }
  return published;
}

/** The fleets of this process, once initialised, and the devices still meant to be connected. */
let fleets: Fleet[] = [];
let live: Member[] = [];

async function run(init: WorkerInit): Promise<void> {
  const built = fleetsFor(init);
  fleets = built.fleets;
  const online = () => fleets.reduce((n, f) => n + f.onlineCount(), 0);
  let lastSent = -1;
  const progress = setInterval(() => {
    const now = online();
    if (now === lastSent) return;
    lastSent = now;
    send({ type: "progress", online: now });
  }, PROGRESS_EVERY_MS);
  try {
    await Promise.all(fleets.map((f) => f.start()));
  } finally {
    clearInterval(progress);
  }
  live = fleets.flatMap((fleet, node) =>
    fleet.members.map((member, j) => ({ index: built.indices[node]![j]!, member })),
  );
  send({ type: "ready", devices: live.map((m) => [m.index, m.member.device.deviceId!]) });
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case "init":
      await run(message);
      return;
    case "report":
      send({ type: "reported", published: await publishStates(live, message.rounds) });
      return;
    case "disconnect": {
      const leaving = live.filter((m) => m.index >= message.from);
      live = live.filter((m) => m.index < message.from);
      await Promise.all(leaving.map((m) => m.member.device.stop()));
      send({ type: "disconnected", devices: leaving.length });
      return;
    }
    case "stop":
      await Promise.all(fleets.map((f) => f.stop()));
      send({ type: "stopped" });
      process.disconnect();
      return;
  }
}

process.on("message", (message: ToWorker) => {
  handle(message).catch((err: unknown) => {
    send({ type: "failed", error: err instanceof Error ? err.message : String(err) });
    if (message.type === "init") process.exitCode = 1;
  });
});
send({ type: "loaded" });
// The benchmark gone (crashed, killed), the fleet goes too.
process.once("disconnect", () => setTimeout(() => process.exit(0), 100).unref());
