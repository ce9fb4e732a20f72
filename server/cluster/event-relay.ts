/**
 * Makes `/api/v1/events` on any node carry every node's events. While another node has a stream
 * open, this node passes its own events on through the cluster link; events from other nodes are
 * emitted on this node's bus (only the event streams listen there), and never passed on again.
 *
 * The audit log's events (`audit.appended`, and `access.changed` that follows changes to access)
 * are not relayed: they reach every node through the store, where each node follows the audit
 * log (server/store/external-changes.ts).
 */
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import type { ClusterLink, RelayedEvent } from "./cluster-link.js";

type EventName = keyof ServerEvents;

/** Every event that is not already cluster-wide through the store. */
export const RELAYED_EVENTS: readonly EventName[] = [
  "device.online",
  "device.offline",
  "device.state",
  "device.updated",
  "device.clock_drift",
  "command.updated",
  "settings.time.updated",
  "site.updated",
  "site.deleted",
  "schedule.updated",
  "schedule.deleted",
  "rollout.updated",
  "group.created",
  "group.updated",
  "group.deleted",
];
const RELAYED = new Set<string>(RELAYED_EVENTS);

export class EventRelay {
  private stopListening: (() => void)[] = [];
  /** Set while emitting another node's events, so they are not passed on again. */
  private emittingForeign = false;

  constructor(
    private readonly events: EventBus<ServerEvents>,
    private readonly link: ClusterLink,
  ) {}

  /** Another node's stream wants this node's events (or no node does any more). */
  othersWant(wanted: boolean): void {
    if (wanted && this.stopListening.length === 0) {
      for (const name of RELAYED_EVENTS) {
        this.stopListening.push(
          this.events.on(name, (payload) => {
            if (!this.emittingForeign) this.link.sendEvent({ name, payload });
          }),
        );
      }
    } else if (!wanted) {
      for (const off of this.stopListening.splice(0)) off();
    }
  }

  /** Another node's events, for this node's streams. */
  received(events: readonly RelayedEvent[]): void {
    this.emittingForeign = true;
    try {
      for (const { name, payload } of events) {
        if (!RELAYED.has(name)) continue;
        this.events.emit(name as EventName, payload as ServerEvents[EventName]);
      }
    } finally {
      this.emittingForeign = false;
    }
  }

  stop(): void {
    this.othersWant(false);
  }
}
