/**
 * How the cluster benchmark lays out its processes under the open-file limit: how many devices
 * each server node holds (device i enrolls through node i % n), how many simulator processes
 * carry the fleet, and whether the nodes left after one is killed can take its devices. Every
 * device is one socket in a simulator process and one in the node holding it, so each process
 * must stay under its limit with room for everything else it opens.
 */
import { readFileSync } from "node:fs";

/** Files a process keeps for other things than device sockets: database pool, Redis, HTTP, logs. */
export const OPEN_FILES_RESERVE = 1000;

/** Linux's default fs.nr_open: no process opens more files than this. */
const NR_OPEN_DEFAULT = 1_048_576;

export interface OpenFileLimit {
  soft: number;
  hard: number;
}

/** This process's open-file limit, which its children inherit (`ulimit -n` is the soft one). */
export function openFileLimit(limitsFile = "/proc/self/limits"): OpenFileLimit {
  const line = readFileSync(limitsFile, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"));
  const match = line ? /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(line) : null;
  if (!match) throw new Error(`no "Max open files" line in ${limitsFile}`);
  const value = (s: string) => (s === "unlimited" ? Number.POSITIVE_INFINITY : Number(s));
  return { soft: value(match[1]!), hard: value(match[2]!) };
}

export interface PlannedNode {
  index: number;
  id: string;
  /** Devices that enroll through this node and connect to it first. */
  devices: number;
}

export interface PlannedSimulator {
  index: number;
  /** The fleet indices [from, to) this process runs. */
  from: number;
  to: number;
}

export interface StormPlan {
  /**
   * The node killed, and a node its devices fail over to: each device has the other nodes in an
   * order of its own (server/cluster/failover-order.ts), so they spread over all the others.
   */
  victim: number;
  failoverTo: number;
  /** Devices connected when the node is killed: the first `devices` of the fleet. */
  devices: number;
  /** Devices on the busiest other node once the victim's have moved (a tenth over an even share). */
  failoverLoad: number;
  /** The most devices the storm can run with, under the limit. */
  maxDevices: number;
}

export interface ClusterPlan {
  devices: number;
  openFiles: OpenFileLimit;
  /** Device sockets one process may hold. */
  socketBudget: number;
  nodes: PlannedNode[];
  simulators: PlannedSimulator[];
  storm: StormPlan;
}

export class PlanError extends Error {}

export const nodeId = (index: number): string => `node-${index}`;

/** Devices among the first `fleet` that enroll through node `node` of `nodes`. */
export function devicesOfNode(node: number, nodes: number, fleet: number): number {
  return fleet > node ? Math.floor((fleet - 1 - node) / nodes) + 1 : 0;
}

/**
 * The broker URLs node `node` is configured with, as node indices: its own first, then the
 * following nodes in turn (the server gives each device the others in an order of its own).
 */
export function brokerOrder(node: number, nodes: number): number[] {
  return Array.from({ length: nodes }, (_, i) => (node + i) % nodes);
}

const grouped = (n: number) => n.toLocaleString("en-US").replace(/,/g, " ");

/** Spread by hashing, the victim's devices reach each other node unevenly: a tenth is kept spare. */
const SPREAD_MARGIN = 1.1;

/** A surviving node's devices once the victim's have spread over all the survivors. */
function loadAfterFailover(nodes: number, victim: number, survivor: number, fleet: number): number {
  const moved = devicesOfNode(victim, nodes, fleet);
  return devicesOfNode(survivor, nodes, fleet) + Math.ceil((moved / (nodes - 1)) * SPREAD_MARGIN);
}

/** The largest fleet prefix whose storm fits on the busiest survivor. */
function largestStorm(nodes: number, victim: number, failoverTo: number, budget: number, fleet: number) {
  let low = 0;
  let high = fleet;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const load = loadAfterFailover(nodes, victim, failoverTo, mid);
    if (load <= budget) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** The smallest node count at which the whole fleet, storm included, fits the budget. */
function nodesThatFit(devices: number, budget: number): number | null {
  for (let n = 2; n <= 64; n++) {
    const perNode = Math.ceil(devices / n);
    if (perNode + Math.ceil((perNode / (n - 1)) * SPREAD_MARGIN) <= budget) return n;
  }
  return null;
}

export function planCluster(options: {
  devices: number;
  nodes: number;
  openFiles: OpenFileLimit;
  /** Devices left connected for the storm (the rest are disconnected first); default: all. */
  stormDevices?: number;
}): ClusterPlan {
  const { devices, nodes, openFiles } = options;
  if (!Number.isInteger(nodes) || nodes < 2) {
    throw new PlanError(
      `--cluster needs at least 2 nodes (a command crosses from one to another), not ${nodes}`,
    );
  }
  if (!Number.isInteger(devices) || devices < nodes) {
    throw new PlanError(`--devices must be a whole number of at least one device per node (${nodes})`);
  }
  // An unlimited soft limit still meets the kernel's per-process ceiling (fs.nr_open).
  const socketBudget = Math.min(openFiles.soft, NR_OPEN_DEFAULT) - OPEN_FILES_RESERVE;
  const limitLine =
    `the open-file limit (ulimit -n) is ${grouped(openFiles.soft)}` +
    (openFiles.hard > openFiles.soft ? ` (hard ${grouped(openFiles.hard)}: raise it with ulimit -n)` : "") +
    `, less ${grouped(OPEN_FILES_RESERVE)} for everything else a process opens`;
  if (socketBudget < nodes) throw new PlanError(`${limitLine}: no room for device sockets`);

  const planned: PlannedNode[] = Array.from({ length: nodes }, (_, index) => ({
    index,
    id: nodeId(index),
    devices: devicesOfNode(index, nodes, devices),
  }));
  const busiest = planned[0]!;
  if (busiest.devices > socketBudget) {
    const fit = nodesThatFit(devices, socketBudget);
    throw new PlanError(
      `${nodes} nodes do not fit ${grouped(devices)} devices: ${busiest.id} would hold ${grouped(busiest.devices)} ` +
        `connections, over ${grouped(socketBudget)} (${limitLine}). ` +
        `Use more nodes${fit ? ` (--cluster ${fit} fits, storm included)` : ""} or fewer devices.`,
    );
  }

  const simulatorCount = Math.ceil(devices / socketBudget);
  const share = Math.ceil(devices / simulatorCount);
  const simulators: PlannedSimulator[] = Array.from({ length: simulatorCount }, (_, index) => ({
    index,
    from: index * share,
    to: Math.min(devices, (index + 1) * share),
  }));

  const victim = nodes - 1;
  const failoverTo = brokerOrder(victim, nodes)[1]!;
  const maxDevices = largestStorm(nodes, victim, failoverTo, socketBudget, devices);
  const stormDevices = options.stormDevices ?? devices;
  if (!Number.isInteger(stormDevices) || stormDevices < nodes || stormDevices > devices) {
    throw new PlanError(
      `--storm-devices must be a whole number from ${nodes} to the fleet (${grouped(devices)}), not ${stormDevices}`,
    );
  }
  const failoverLoad = loadAfterFailover(nodes, victim, failoverTo, stormDevices);
  if (failoverLoad > socketBudget) {
    const fit = nodesThatFit(devices, socketBudget);
    throw new PlanError(
      `the storm does not fit: killing ${nodeId(victim)} spreads its ` +
        `${grouped(devicesOfNode(victim, nodes, stormDevices))} devices over the other nodes, and the ` +
        `busiest (${nodeId(failoverTo)}) could then hold ${grouped(failoverLoad)} connections, over ` +
        `${grouped(socketBudget)} (${limitLine}). Run the storm with --storm-devices ${maxDevices} ` +
        `(the rest of the fleet is disconnected before the kill), or ` +
        `${fit ? `--cluster ${fit}, which fits ${grouped(devices)} devices storm included, or ` : ""}` +
        `--devices ${maxDevices}.`,
    );
  }
  return {
    devices,
    openFiles,
    socketBudget,
    nodes: planned,
    simulators,
    storm: { victim, failoverTo, devices: stormDevices, failoverLoad, maxDevices },
  };
}

/** The plan in a few lines, printed before the run and kept with the results. */
export function describePlan(plan: ClusterPlan): string {
  const { storm } = plan;
  const sims = plan.simulators.map((s) => grouped(s.to - s.from)).join(" + ");
  const stormLine =
    storm.devices === plan.devices
      ? `all ${grouped(plan.devices)} devices`
      : `${grouped(storm.devices)} of ${grouped(plan.devices)} devices (the rest disconnected first)`;
  return [
    `open files per process: ${grouped(plan.openFiles.soft)} (ulimit -n), ${grouped(plan.socketBudget)} for device sockets`,
    `server nodes: ${plan.nodes.map((n) => `${n.id} ${grouped(n.devices)}`).join(", ")} devices`,
    `simulator processes: ${plan.simulators.length} (${sims} sockets)`,
    `storm: ${nodeId(storm.victim)} killed with ${stormLine}; its devices spread over the other ` +
      `nodes, each then holding up to ${grouped(storm.failoverLoad)}`,
  ].join("\n");
}
