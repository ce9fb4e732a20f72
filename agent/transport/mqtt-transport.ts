/**
 * The agent's MQTT transport on MQTT.js: TCP, TLS or WebSocket, reconnect with backoff and
 * jitter, each attempt to the broker URL the device's rotation names.
 */
import mqtt, { ErrorWithReasonCode, type MqttClient } from "mqtt";
import type { BrokerRotation } from "./broker-rotation.js";
import {
  type AgentTransport,
  brokersOf,
  type ConnectOptions,
  type PublishOptions,
  type TransportFactory,
  type TransportHandlers,
} from "./transport.js";

/** CONNACK return codes that mean "this credential will not work" [MQTT-3.2.2.3]. */
const AUTH_REFUSED_RETURN_CODES = new Set([4, 5]);

export interface MqttJsTransportTuning {
  /** First reconnect delay; doubles per failed attempt up to maxReconnectDelayMs. Default 1000. */
  reconnectDelayMs?: number;
  /** Default 60 000. */
  maxReconnectDelayMs?: number;
  /** Retry delay after the broker refused the credential. Default 300 000 (5 min). */
  authRefusedRetryMs?: number;
  /** Default 15 000. */
  connectTimeoutMs?: number;
  /** Default 60. */
  keepaliveSeconds?: number;
  /** How long a graceful `end` may take before the socket is dropped. Default 2000. */
  endTimeoutMs?: number;
  /** Random source in [0, 1) for reconnect jitter. Default Math.random. */
  random?: () => number;
  /**
   * CA certificate(s) (PEM) trusted for `mqtts://` and `wss://`; default Node's bundled roots.
   * The server's certificate and host name are always verified.
   */
  ca?: string | Buffer;
}

type ResolvedTuning = Required<Omit<MqttJsTransportTuning, "ca">> & Pick<MqttJsTransportTuning, "ca">;

const DEFAULTS: ResolvedTuning = {
  reconnectDelayMs: 1000,
  maxReconnectDelayMs: 60_000,
  authRefusedRetryMs: 5 * 60_000,
  connectTimeoutMs: 15_000,
  keepaliveSeconds: 60,
  endTimeoutMs: 2000,
  random: Math.random,
};

/** A QoS 1 publish waiting for its PUBACK; sent again on the next connection until it has one. */
interface PendingPublish {
  topic: string;
  bytes: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * One MQTT.js client per connection attempt, because the URL may change between attempts (see
 * BrokerRotation): MQTT.js's own reconnect is off, and this class waits out the backoff itself.
 * QoS 1 publishes are kept here, not in a client, so a publish made on one connection is
 * acknowledged on a later one, whichever broker URL that goes to.
 */
class MqttJsTransport implements AgentTransport {
  private client: MqttClient | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private failedAttempts = 0;
  private authRefused = false;
  private started = false;
  private ended = false;
  /** In publish order; a Set iterates in insertion order. */
  private readonly pending = new Set<PendingPublish>();
  private readonly brokers: BrokerRotation;

  constructor(
    private readonly options: ConnectOptions,
    private readonly handlers: TransportHandlers,
    private readonly tuning: ResolvedTuning,
  ) {
    this.brokers = brokersOf(options);
  }

  connect(): void {
    if (this.started || this.ended) return;
    this.started = true;
    this.open();
  }

  private open(): void {
    const brokers = this.brokers;
    let client: MqttClient;
    try {
      client = this.newClient(brokers.current());
    } catch {
      // A URL MQTT.js cannot even parse (one stored by an older agent): an attempt that failed.
      brokers.ended(false);
      this.scheduleReconnect(this.backoffDelayMs());
      return;
    }
    this.client = client;
    this.watch(client);
  }

  private newClient(url: string): MqttClient {
    return mqtt.connect(url, {
      protocolVersion: 4, // the embedded aedes broker speaks MQTT 3.1.1 only
      clientId: this.options.clientId,
      username: this.options.username,
      password: this.options.password,
      // The server re-sends every unfinished command on connect, so no broker session is needed.
      clean: true,
      // QoS 0 messages are snapshots the next one supersedes: not worth keeping while offline.
      queueQoSZero: false,
      keepalive: this.tuning.keepaliveSeconds,
      connectTimeout: this.tuning.connectTimeoutMs,
      // Reconnects are this class's: the next attempt may go to another URL.
      reconnectPeriod: 0,
      resubscribe: false, // the core subscribes on every connect
      // TLS (mqtts://, wss://): MQTT.js checks the certificate chain and the host name.
      rejectUnauthorized: true,
      ...(this.tuning.ca ? { ca: this.tuning.ca } : {}),
    });
  }

  private watch(client: MqttClient): void {
    const brokers = this.brokers;
    let accepted = false;
    client.on("connect", () => {
      if (client !== this.client) return;
      accepted = true;
      this.failedAttempts = 0;
      this.authRefused = false;
      brokers.connected();
      this.handlers.connected();
    });
    client.on("close", () => {
      if (client !== this.client) return;
      this.client = null;
      // Its outgoing callbacks are ignored from here on: the pending publishes go on the next client.
      client.end(true);
      if (this.ended) return;
      brokers.ended(accepted);
      this.scheduleReconnect(this.authRefused ? this.tuning.authRefusedRetryMs : this.backoffDelayMs());
      this.handlers.disconnected();
    });
    client.on("error", (err) => {
      // Connection errors are followed by `close`, which schedules the retry; only a refused
      // credential needs more. This listener also keeps EventEmitter from throwing.
      if (client !== this.client && this.client !== null) return;
      if (err instanceof ErrorWithReasonCode && AUTH_REFUSED_RETURN_CODES.has(err.code)) {
        this.authRefused = true;
        // Should `close` have come first, the retry it armed is pushed back.
        if (this.reconnectTimer) this.scheduleReconnect(this.tuning.authRefusedRetryMs);
        if (!this.ended) this.handlers.authFailed(err.message);
      }
    });
    client.on("message", (topic, payload) => {
      if (client === this.client && !this.ended) this.handlers.message(topic, payload);
    });
    // Queued by MQTT.js until CONNACK, then sent in this order.
    for (const publish of this.pending) this.send(client, publish);
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.ended) this.open();
    }, delayMs);
  }

  /** Exponential with jitter, so a fleet that lost its broker does not reconnect in lockstep. */
  private backoffDelayMs(): number {
    const failedAttempts = this.failedAttempts++;
    const ceilingMs = Math.min(
      this.tuning.maxReconnectDelayMs,
      this.tuning.reconnectDelayMs * 2 ** Math.min(failedAttempts, 20),
    );
    return Math.max(1, Math.round(ceilingMs * (0.5 + this.tuning.random() / 2)));
  }

  subscribe(topics: string[]): Promise<void> {
    this.requireRunning();
    const client = this.client;
    if (!client) return Promise.reject(new Error("not connected"));
    return new Promise((resolve, reject) => {
      client.subscribe(topics, { qos: 1 }, (err, granted) => {
        if (err) return reject(err);
        const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
        if (refused.length > 0) return reject(new Error(`subscription refused: ${refused.join(", ")}`));
        resolve();
      });
    });
  }

  publish(topic: string, payload: Uint8Array, options: PublishOptions = {}): Promise<void> {
    this.requireRunning();
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    if ((options.qos ?? 1) === 0) {
      const client = this.client;
      // Dropped while offline: the next snapshot supersedes it.
      if (!client?.connected) return Promise.resolve();
      return new Promise((resolve, reject) => {
        client.publish(topic, bytes, { qos: 0 }, (err) => (err ? reject(err) : resolve()));
      });
    }
    return new Promise((resolve, reject) => {
      const publish: PendingPublish = { topic, bytes, resolve, reject };
      this.pending.add(publish);
      if (this.client) this.send(this.client, publish);
    });
  }

  private send(client: MqttClient, publish: PendingPublish): void {
    client.publish(publish.topic, publish.bytes, { qos: 1 }, (err) => {
      // Over MQTT 3.1.1 a QoS 1 publish fails only with its connection (MQTT.js flushes the
      // callbacks of a connection it tears down): it is sent again on the next one.
      if (err || !this.pending.delete(publish)) return;
      publish.resolve();
    });
  }

  end(force: boolean): Promise<void> {
    if (!this.started || this.ended) return Promise.resolve();
    this.ended = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const client = this.client;
    const settlePending = () => {
      for (const publish of this.pending) publish.reject(new Error("transport ended"));
      this.pending.clear();
    };
    if (!client) {
      settlePending();
      return Promise.resolve();
    }
    // A graceful end waits for unacknowledged publishes, which never come while offline.
    const graceful = !force && client.connected;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        client.stream?.destroy();
        settlePending();
        resolve();
      }, this.tuning.endTimeoutMs);
      client.end(!graceful, {}, () => {
        clearTimeout(timer);
        settlePending();
        resolve();
      });
    });
  }

  private requireRunning(): void {
    if (!this.started || this.ended) throw new Error("transport is not running");
  }
}

/** A transport factory for MQTT.js with the given tuning (defaults suit a real device). */
export function mqttJsTransport(tuning: MqttJsTransportTuning = {}): TransportFactory {
  const given = Object.entries(tuning).filter(([, value]) => value !== undefined);
  const resolved: ResolvedTuning = { ...DEFAULTS, ...Object.fromEntries(given) };
  return (options, handlers) => new MqttJsTransport(options, handlers, resolved);
}
