/**
 * A lean MQTT 3.1.1 transport on `mqtt-packet` over a TCP (or TLS) socket, for simulated fleets of
 * thousands of devices in one process: a parser and a socket per device, no per-device timers
 * while connected (one shared keepalive ticker serves every connection), and nothing else.
 * Real devices use the MQTT.js transport; both implement the same AgentTransport, and both go
 * from one broker URL to the next by the same rule (see broker-rotation.ts).
 */
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import mqttPacket, { type Packet, type Parser } from "mqtt-packet";
import type { BrokerRotation } from "./broker-rotation.js";
import {
  type AgentTransport,
  brokersOf,
  type ConnectOptions,
  type PublishOptions,
  type TransportFactory,
  type TransportHandlers,
} from "./transport.js";

export interface LeanTransportOptions {
  keepaliveSeconds?: number;
  /** First reconnect delay; doubles with jitter up to maxReconnectDelayMs. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Shared by the transports of a fleet; each factory makes its own when none is given. */
  ticker?: KeepaliveTicker;
  /** Chooses the local address and port of each new socket (large fleets on one host). */
  localEndpoint?: () => { localAddress?: string; localPort?: number } | undefined;
  /**
   * CA certificate(s) (PEM) trusted for `mqtts://`; default Node's bundled roots. The server's
   * certificate and host name are always verified.
   */
  ca?: string | Buffer;
}

/** CONNACK codes that mean the credential is refused [MQTT-3.2.2.3]. */
const AUTH_REFUSED = new Set([4, 5]);
const AUTH_REFUSED_RETRY_MS = 5 * 60_000;

type Pending = { resolve: () => void; reject: (err: Error) => void };

/**
 * Sockets written to in this turn of the event loop. They stay corked until one shared
 * setImmediate, so the packets a device sends in one turn (an ack, a result, a state report)
 * leave in one write instead of one system call each.
 */
const corkedSockets = new Set<Socket>();
let uncorkScheduled = false;

function uncorkAll(): void {
  uncorkScheduled = false;
  for (const socket of corkedSockets) socket.uncork();
  corkedSockets.clear();
}

function writeCoalesced(socket: Socket, bytes: Buffer): void {
  if (!corkedSockets.has(socket)) {
    socket.cork();
    corkedSockets.add(socket);
    if (!uncorkScheduled) {
      uncorkScheduled = true;
      setImmediate(uncorkAll);
    }
  }
  socket.write(bytes);
}

/**
 * One ticker for many lean connections: PINGREQ when a link has been idle. A fleet shares one,
 * so keepalive costs one timer per process, not one per device.
 */
export class KeepaliveTicker {
  private readonly transports = new Set<LeanTransport>();
  private timer: NodeJS.Timeout | null = null;

  add(transport: LeanTransport): void {
    this.transports.add(transport);
    if (!this.timer) {
      this.timer = setInterval(() => {
        const now = Date.now();
        for (const t of this.transports) t.keepalive(now);
      }, 5000);
      this.timer.unref();
    }
  }

  delete(transport: LeanTransport): void {
    this.transports.delete(transport);
    if (this.transports.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

export class LeanTransport implements AgentTransport {
  private socket: Socket | null = null;
  private parser: Parser | null = null;
  private connected = false;
  private ended = false;
  private nextPacketId = 1;
  private lastSentMs = 0;
  private reconnectDelayMs: number;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private nextReconnectExact = false;
  /** Publishes awaiting PUBACK, in send order; re-sent with DUP after a reconnect. */
  private readonly unacked = new Map<number, { packet: Packet; pending: Pending }>();
  private readonly subacks = new Map<number, Pending & { count: number }>();
  private readonly ticker: KeepaliveTicker;
  private readonly brokers: BrokerRotation;

  constructor(
    private readonly options: ConnectOptions,
    private readonly handlers: TransportHandlers,
    private readonly lean: LeanTransportOptions,
  ) {
    this.ticker = lean.ticker ?? new KeepaliveTicker();
    this.brokers = brokersOf(options);
    const urls = this.brokers.list();
    if (!urls.some(speaksLean))
      throw new Error(`the lean transport speaks mqtt:// and mqtts:// only, not ${urls.join(", ")}`);
    this.reconnectDelayMs = lean.reconnectDelayMs ?? 1000;
  }

  connect(): void {
    if (this.ended) return;
    const brokers = this.brokers;
    // A ws:// or wss:// URL of the list is one this transport cannot try: it goes on to the next.
    for (let skipped = 0; !speaksLean(brokers.current()) && skipped < brokers.list().length; skipped++) {
      brokers.ended(false);
    }
    if (!speaksLean(brokers.current())) {
      // A list with none it can try (a desired config may bring one): wait, as after a failure.
      this.scheduleReconnect();
      return;
    }
    const url = new URL(brokers.current());
    const endpoint = this.lean.localEndpoint?.();
    const secure = url.protocol === "mqtts:";
    // URL keeps the brackets of an IPv6 host; sockets want the bare address.
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(url.port || (secure ? 8883 : 1883));
    const socket = secure
      ? connectTls({ host, port, ca: this.lean.ca, ...endpoint })
      : connectTcp({ host, port, ...endpoint });
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    this.socket = socket;
    this.parser = parser;
    parser.on("packet", (packet) => this.onPacket(packet));
    parser.on("error", () => socket.destroy());
    socket.on("data", (chunk) => parser.parse(chunk));
    socket.on("error", () => {}); // 'close' follows and handles it
    socket.on("close", () => this.onClose(socket));
    socket.once(secure ? "secureConnect" : "connect", () => {
      this.send({
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clean: true,
        clientId: this.options.clientId,
        keepalive: this.lean.keepaliveSeconds ?? 60,
        username: this.options.username,
        password: Buffer.from(this.options.password),
      });
    });
  }

  private send(packet: Packet): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    writeCoalesced(socket, mqttPacket.generate(packet));
    this.lastSentMs = Date.now();
  }

  /** Called by the shared ticker. */
  keepalive(nowMs: number): void {
    const keepaliveMs = (this.lean.keepaliveSeconds ?? 60) * 1000;
    if (this.connected && nowMs - this.lastSentMs > keepaliveMs / 2) this.send({ cmd: "pingreq" });
  }

  private onPacket(packet: Packet): void {
    switch (packet.cmd) {
      case "connack":
        if (packet.returnCode === 0) {
          this.connected = true;
          this.brokers.connected();
          this.reconnectDelayMs = this.lean.reconnectDelayMs ?? 1000;
          this.ticker.add(this);
          // Publishes that were never acknowledged go again, in order [MQTT-4.4.0-1].
          for (const { packet: unacked } of this.unacked.values())
            this.send({ ...unacked, dup: true } as Packet);
          this.handlers.connected();
        } else if (AUTH_REFUSED.has(packet.returnCode ?? 0)) {
          this.reconnectDelayMs = AUTH_REFUSED_RETRY_MS;
          this.handlers.authFailed(`connection refused (CONNACK ${packet.returnCode})`);
        }
        return;
      case "publish":
        this.handlers.message(packet.topic, packet.payload as Buffer);
        if (packet.qos === 1 && packet.messageId !== undefined) {
          this.send({ cmd: "puback", messageId: packet.messageId });
        }
        return;
      case "puback": {
        const entry = packet.messageId === undefined ? undefined : this.unacked.get(packet.messageId);
        if (!entry) return;
        this.unacked.delete(packet.messageId!);
        entry.pending.resolve();
        return;
      }
      case "suback": {
        const pending = packet.messageId === undefined ? undefined : this.subacks.get(packet.messageId);
        if (!pending) return;
        this.subacks.delete(packet.messageId!);
        const refused = packet.granted.some(
          (g) => (typeof g === "number" ? g : (g as { qos: number }).qos) === 128,
        );
        if (refused) pending.reject(new Error("subscription refused"));
        else pending.resolve();
        return;
      }
      default:
    }
  }

  private onClose(socket: Socket): void {
    if (socket !== this.socket) return;
    const wasConnected = this.connected;
    this.connected = false;
    this.socket = null;
    this.parser = null;
    this.ticker.delete(this);
    for (const pending of this.subacks.values()) pending.reject(new Error("connection closed"));
    this.subacks.clear();
    if (wasConnected) this.handlers.disconnected();
    if (this.ended) return;
    this.brokers.ended(wasConnected);
    this.scheduleReconnect();
  }

  /** The next attempt after the backoff delay, with jitter (exact once after dropConnection). */
  private scheduleReconnect(): void {
    const max = this.lean.maxReconnectDelayMs ?? 60_000;
    const delayMs = this.nextReconnectExact
      ? this.reconnectDelayMs
      : Math.round(this.reconnectDelayMs * (0.5 + Math.random() / 2));
    this.nextReconnectExact = false;
    this.reconnectDelayMs = Math.min(max, this.reconnectDelayMs * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delayMs);
  }

  /**
   * Drops the connection as a network outage would (no DISCONNECT) and reconnects after
   * `offlineMs`. Unacknowledged publishes are kept and re-sent, as after any outage.
   */
  dropConnection(offlineMs: number): void {
    if (!this.socket || this.ended) return;
    this.reconnectDelayMs = Math.max(1, offlineMs);
    this.nextReconnectExact = true;
    this.socket.destroy();
  }

  private packetId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = id >= 65535 ? 1 : id + 1;
    return id;
  }

  subscribe(topics: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.connected) return reject(new Error("not connected"));
      const messageId = this.packetId();
      this.subacks.set(messageId, { resolve, reject, count: topics.length });
      this.send({ cmd: "subscribe", messageId, subscriptions: topics.map((topic) => ({ topic, qos: 1 })) });
    });
  }

  publish(topic: string, payload: Uint8Array, options: PublishOptions = {}): Promise<void> {
    if (options.qos === 0) {
      if (this.ended) return Promise.reject(new Error("transport ended"));
      if (this.connected) {
        this.send({
          cmd: "publish",
          topic,
          payload: Buffer.from(payload),
          qos: 0,
          retain: false,
          dup: false,
        });
      }
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      if (this.ended) return reject(new Error("transport ended"));
      const messageId = this.packetId();
      const packet: Packet = {
        cmd: "publish",
        topic,
        payload: Buffer.from(payload),
        qos: 1,
        retain: false,
        dup: false,
        messageId,
      };
      this.unacked.set(messageId, { packet, pending: { resolve, reject } });
      if (this.connected) this.send(packet);
    });
  }

  end(force: boolean): Promise<void> {
    this.ended = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    for (const { pending } of this.unacked.values()) pending.reject(new Error("transport ended"));
    this.unacked.clear();
    if (!socket || socket.destroyed) {
      this.ticker.delete(this);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      socket.once("close", () => resolve());
      if (force) {
        socket.destroy();
      } else {
        this.send({ cmd: "disconnect" });
        socket.end();
      }
    });
  }
}

function speaksLean(url: string): boolean {
  return url.startsWith("mqtt://") || url.startsWith("mqtts://");
}

/** `onCreate` sees each transport made, e.g. to simulate network outages on it later. */
export function leanTransport(
  options: LeanTransportOptions = {},
  onCreate?: (transport: LeanTransport) => void,
): TransportFactory {
  const shared = { ...options, ticker: options.ticker ?? new KeepaliveTicker() };
  return (connectOptions, handlers) => {
    const transport = new LeanTransport(connectOptions, handlers, shared);
    onCreate?.(transport);
    return transport;
  };
}
