/**
 * What server nodes tell each other. State lives in the store; this carries only news about it,
 * so that the node holding a device's connection acts at once on what another node changed:
 * - **work**: these devices have new commands (re-read them and send what is new), their
 *   desired config changed (push it), or their credential went (close the connection);
 * - **events**: what `/api/v1/events` streams, so a stream on any node sees every node's events
 *   (sent only while some node has a stream open: see {@link ClusterLink.setEventDemand});
 * - **login limits**: failures counted by one node's sign-in limits, for the others' counters;
 * - **resync**: this node missed news (its link to the others was down): it re-reads the open
 *   commands and config of every device it holds.
 *
 * Nothing depends on a message arriving for correctness of the store: a device gets whatever is
 * open for it at its next connect, and a node whose link comes back resyncs. One node alone (the
 * embedded default) has nobody to tell: {@link SingleNodeLink}.
 */

import type { Redis } from "ioredis";
import type { SharedLimitChange } from "../admins/login-limiter.js";

/** News about devices, for whichever node holds their connections. */
export interface DeviceWork {
  /** New commands were issued for these devices. */
  commands: string[];
  /** Their desired config changed (or their signing keys): push it again. */
  config: string[];
  /** Their credential was revoked: close their connections. */
  disconnect: string[];
  /** Settings that nodes keep in memory changed (by name, e.g. `clock_drift`): read them again. */
  settings: string[];
}

/** One server event as the bus carries it. */
export interface RelayedEvent {
  name: string;
  payload: unknown;
}

export interface ClusterLinkHandlers {
  work(work: DeviceWork): void;
  events(events: RelayedEvent[]): void;
  loginLimits(changes: SharedLimitChange[]): void;
  /** News may have been missed (the link was down): re-read what the held devices need. */
  resync(): void;
  /** Whether another node has an event stream open changed. */
  eventDemand(othersWant: boolean): void;
}

export interface ClusterLink {
  /** True when other nodes may exist (work for devices held elsewhere is passed on). */
  readonly shared: boolean;
  start(handlers: ClusterLinkHandlers): Promise<void>;
  /** Tells the other nodes; merged with what else is sent in the same turn. */
  sendWork(work: Partial<DeviceWork>): void;
  sendEvent(event: RelayedEvent): void;
  sendLoginLimits(changes: readonly SharedLimitChange[]): void;
  /** Commands to the shared Redis (per-address rate limits across nodes); null for one node. */
  readonly redis: Redis | null;
  /** This node has event streams open (or none any more). */
  setEventDemand(wanted: boolean): void;
  /** Whether the link to the other nodes is up now (health). */
  connected(): boolean;
  stop(): Promise<void>;
}

/** One node: nobody to tell. */
export class SingleNodeLink implements ClusterLink {
  readonly shared = false;
  readonly redis = null;
  async start(): Promise<void> {}
  sendWork(): void {}
  sendEvent(): void {}
  sendLoginLimits(): void {}
  setEventDemand(): void {}
  connected(): boolean {
    return true;
  }
  async stop(): Promise<void> {}
}
