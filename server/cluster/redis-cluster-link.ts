/**
 * The cluster link over Redis pub/sub (ioredis). Four channels under the service's prefix:
 * `<prefix>:work` (device work and resync requests), `<prefix>:events` (server events),
 * `<prefix>:limits` (sign-in limit changes) and `<prefix>:demand` (a node opened or closed its
 * first or last event stream). Which nodes have
 * event streams open is a sorted set `<prefix>:event-demand` (node id → until when, ms), kept
 * fresh by those nodes, so a node that died stops counting by itself.
 *
 * What one turn of the event loop sends goes out as one message per channel. While Redis is
 * unreachable nothing queues up: news is dropped, and when the link is back the node asks
 * everyone (itself included) to resync, which re-reads from the store what the news would have
 * said.
 */
import { Redis } from "ioredis";
import type { SharedLimitChange } from "../admins/login-limiter.js";
import type { Logger } from "../logger.js";
import type { ClusterLink, ClusterLinkHandlers, DeviceWork, RelayedEvent } from "./cluster-link.js";

const WORK_KINDS = [
  "commands",
  "config",
  "disconnect",
  "settings",
] as const satisfies readonly (keyof DeviceWork)[];

/** Events per message at most; a busier turn sends several. */
const EVENTS_PER_MESSAGE = 2000;
/** How often a node with streams open says so again, and how long that holds. */
const DEMAND_REFRESH_MS = 2000;
const DEMAND_TTL_MS = 3 * DEMAND_REFRESH_MS;

interface WorkMessage {
  from: string;
  work?: Partial<DeviceWork>;
  /** Everyone re-reads what their devices need. */
  resync?: true;
}

interface EventsMessage {
  from: string;
  events: RelayedEvent[];
}

export interface RedisClusterLinkOptions {
  url: string;
  prefix: string;
  nodeId: string;
  logger: Logger;
  clock?: () => number;
}

export class RedisClusterLink implements ClusterLink {
  readonly shared = true;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private handlers: ClusterLinkHandlers | null = null;
  private readonly channels: { work: string; events: string; limits: string; demand: string };
  private readonly demandKey: string;
  private readonly clock: () => number;
  private pendingWork: { [K in keyof DeviceWork]: Set<string> } | null = null;
  private pendingEvents: RelayedEvent[] = [];
  private flushScheduled = false;
  private localDemand = false;
  private othersWant = false;
  private demandTimer: NodeJS.Timeout | null = null;
  private started = false;
  private stopped = false;

  constructor(private readonly options: RedisClusterLinkOptions) {
    this.clock = options.clock ?? Date.now;
    const common = {
      // Nothing waits for a link that is down: news is dropped and resynced later.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
      lazyConnect: true,
    };
    this.publisher = new Redis(options.url, { ...common, connectionName: `pmdm-${options.nodeId}-pub` });
    // Its subscriptions wait for a connection (and ioredis makes them again after a reconnect).
    this.subscriber = new Redis(options.url, {
      ...common,
      enableOfflineQueue: true,
      connectionName: `pmdm-${options.nodeId}-sub`,
    });
    const { prefix } = options;
    this.channels = {
      work: `${prefix}:work`,
      events: `${prefix}:events`,
      limits: `${prefix}:limits`,
      demand: `${prefix}:demand`,
    };
    this.demandKey = `${prefix}:event-demand`;
    for (const [role, client] of [
      ["publisher", this.publisher],
      ["subscriber", this.subscriber],
    ] as const) {
      client.on("error", (err: Error) =>
        options.logger.warn({ err: err.message, role }, "Redis link error; news between nodes waits"),
      );
    }
  }

  /**
   * Connects and subscribes. Redis unreachable at start does not stop the node: it runs alone
   * until the link comes up, then resyncs.
   */
  async start(handlers: ClusterLinkHandlers): Promise<void> {
    this.handlers = handlers;
    this.subscriber.on("message", (channel: string, text: string) => this.received(channel, text));
    // A `ready` after start is a link that came back: news may have been missed meanwhile.
    this.subscriber.on("ready", () => {
      if (!this.started) return;
      this.options.logger.info("Redis link up (subscriber): resyncing the devices held here");
      this.handlers?.resync();
    });
    this.publisher.on("ready", () => {
      if (!this.started) return;
      this.options.logger.info("Redis link up (publisher): asking every node to resync");
      this.publish(this.channels.work, { from: this.options.nodeId, resync: true } satisfies WorkMessage);
    });
    const unreachable = (err: Error) =>
      this.options.logger.warn(
        { err: err.message },
        "Redis unreachable at start; this node runs alone until it is reachable",
      );
    await Promise.all([
      this.publisher.connect().catch(unreachable),
      this.subscriber.connect().catch(unreachable),
    ]);
    const subscribed = this.subscriber.subscribe(
      this.channels.work,
      this.channels.events,
      this.channels.limits,
      this.channels.demand,
    );
    if (this.subscriber.status === "ready") await subscribed;
    else subscribed.catch(unreachable);
    this.started = true;
    await this.lookAtDemand();
    this.demandTimer = setInterval(() => {
      void this.refreshDemand();
    }, DEMAND_REFRESH_MS);
    this.demandTimer.unref();
  }

  sendWork(work: Partial<DeviceWork>): void {
    this.pendingWork ??= {
      commands: new Set(),
      config: new Set(),
      disconnect: new Set(),
      settings: new Set(),
    };
    for (const key of WORK_KINDS) for (const id of work[key] ?? []) this.pendingWork[key].add(id);
    this.scheduleFlush();
  }

  sendEvent(event: RelayedEvent): void {
    if (!this.othersWant) return;
    this.pendingEvents.push(event);
    this.scheduleFlush();
  }

  sendLoginLimits(changes: readonly SharedLimitChange[]): void {
    if (changes.length === 0) return;
    this.publish(this.channels.limits, { from: this.options.nodeId, changes });
  }

  get redis(): Redis {
    return this.publisher;
  }

  setEventDemand(wanted: boolean): void {
    if (wanted === this.localDemand) return;
    this.localDemand = wanted;
    void this.refreshDemand().then(() => this.publish(this.channels.demand, this.options.nodeId));
  }

  connected(): boolean {
    return this.publisher.status === "ready" && this.subscriber.status === "ready";
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.demandTimer) clearInterval(this.demandTimer);
    this.flush();
    if (this.localDemand && this.publisher.status === "ready") {
      await this.publisher.zrem(this.demandKey, this.options.nodeId).catch(() => 0);
      this.publish(this.channels.demand, this.options.nodeId);
    }
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const work = this.pendingWork;
    this.pendingWork = null;
    if (work) {
      this.publish(this.channels.work, {
        from: this.options.nodeId,
        work: Object.fromEntries(WORK_KINDS.map((key) => [key, [...work[key]]])),
      } satisfies WorkMessage);
    }
    const events = this.pendingEvents;
    this.pendingEvents = [];
    for (let i = 0; i < events.length; i += EVENTS_PER_MESSAGE) {
      this.publish(this.channels.events, {
        from: this.options.nodeId,
        events: events.slice(i, i + EVENTS_PER_MESSAGE),
      } satisfies EventsMessage);
    }
  }

  private publish(channel: string, message: unknown): void {
    if (this.stopped && this.publisher.status !== "ready") return;
    const text = typeof message === "string" ? message : JSON.stringify(message);
    this.publisher.publish(channel, text).catch((err: Error) => {
      // The link is down: the `ready` after it comes back asks everyone to resync.
      this.options.logger.debug({ err: err.message, channel }, "news between nodes dropped");
    });
  }

  private received(channel: string, text: string): void {
    const handlers = this.handlers;
    if (!handlers) return;
    try {
      if (channel === this.channels.demand) {
        void this.lookAtDemand();
        return;
      }
      const message = JSON.parse(text) as WorkMessage | EventsMessage;
      if (channel === this.channels.work) {
        const { work, resync, from } = message as WorkMessage;
        if (resync) handlers.resync();
        else if (work && from !== this.options.nodeId) {
          handlers.work(
            Object.fromEntries(
              WORK_KINDS.map((key) => [key, Array.isArray(work[key]) ? work[key].map(String) : []]),
            ) as unknown as DeviceWork,
          );
        }
      } else if (channel === this.channels.events && message.from !== this.options.nodeId) {
        handlers.events((message as EventsMessage).events);
      } else if (channel === this.channels.limits && message.from !== this.options.nodeId) {
        const { changes } = message as unknown as { changes: unknown };
        if (Array.isArray(changes)) handlers.loginLimits(changes as SharedLimitChange[]);
      }
    } catch (err) {
      this.options.logger.warn({ err, channel }, "unreadable news from another node ignored");
    }
  }

  /** Says again that this node has streams open (or takes that back), then looks at the others. */
  private async refreshDemand(): Promise<void> {
    try {
      if (this.localDemand) {
        await this.publisher.zadd(this.demandKey, this.clock() + DEMAND_TTL_MS, this.options.nodeId);
      } else {
        await this.publisher.zrem(this.demandKey, this.options.nodeId);
      }
    } catch {
      // Down: said again at the next refresh.
    }
    await this.lookAtDemand();
  }

  private async lookAtDemand(): Promise<void> {
    let othersWant = this.othersWant;
    try {
      const nodes = await this.publisher.zrangebyscore(this.demandKey, this.clock(), "+inf");
      othersWant = nodes.some((node) => node !== this.options.nodeId);
    } catch {
      return;
    }
    if (othersWant === this.othersWant) return;
    this.othersWant = othersWant;
    this.handlers?.eventDemand(othersWant);
  }
}
