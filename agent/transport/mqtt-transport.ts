/** The agent's MQTT transport on MQTT.js: TCP, TLS or WebSocket, reconnect with backoff. */
import mqtt, { ErrorWithReasonCode, type MqttClient } from "mqtt";
import type {
  AgentTransport,
  ConnectOptions,
  PublishOptions,
  TransportFactory,
  TransportHandlers,
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

class MqttJsTransport implements AgentTransport {
  private client: MqttClient | null = null;
  private failedAttempts = 0;
  private authRefused = false;
  private ended = false;

  constructor(
    private readonly options: ConnectOptions,
    private readonly handlers: TransportHandlers,
    private readonly tuning: ResolvedTuning,
  ) {}

  connect(): void {
    if (this.client) return;
    const client = mqtt.connect(this.options.url, {
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
      reconnectPeriod: this.tuning.reconnectDelayMs,
      // Without this MQTT.js stops for good after a refused CONNACK; a revoked credential may
      // be restored, so the device retries, slowly.
      reconnectOnConnackError: true,
      resubscribe: false, // the core subscribes on every connect
      // TLS (mqtts://, wss://): MQTT.js checks the certificate chain and the host name.
      rejectUnauthorized: true,
      ...(this.tuning.ca ? { ca: this.tuning.ca } : {}),
    });
    this.client = client;

    // Prepended: MQTT.js's own close listener arms the reconnect timer with the period set here.
    client.prependListener("close", () => {
      if (this.ended) return;
      client.options.reconnectPeriod = this.authRefused
        ? this.tuning.authRefusedRetryMs
        : this.backoffDelayMs(this.failedAttempts++);
      this.handlers.disconnected();
    });
    client.on("connect", () => {
      this.failedAttempts = 0;
      this.authRefused = false;
      this.handlers.connected();
    });
    client.on("error", (err) => {
      // Connection errors are followed by `close`, which schedules the retry; only a refused
      // credential needs more. This listener also keeps EventEmitter from throwing.
      if (err instanceof ErrorWithReasonCode && AUTH_REFUSED_RETURN_CODES.has(err.code)) {
        this.authRefused = true;
        // Runs before MQTT.js arms its reconnect timer for the refused CONNACK.
        client.options.reconnectPeriod = this.tuning.authRefusedRetryMs;
        if (!this.ended) this.handlers.authFailed(err.message);
      }
    });
    client.on("message", (topic, payload) => {
      if (!this.ended) this.handlers.message(topic, payload);
    });
  }

  /** Exponential with jitter, so a fleet that lost its broker does not reconnect in lockstep. */
  private backoffDelayMs(failedAttempts: number): number {
    const ceilingMs = Math.min(
      this.tuning.maxReconnectDelayMs,
      this.tuning.reconnectDelayMs * 2 ** Math.min(failedAttempts, 20),
    );
    return Math.max(1, Math.round(ceilingMs * (0.5 + this.tuning.random() / 2)));
  }

  subscribe(topics: string[]): Promise<void> {
    const client = this.requireClient();
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
    const client = this.requireClient();
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    return new Promise((resolve, reject) => {
      client.publish(topic, bytes, { qos: options.qos ?? 1 }, (err) => (err ? reject(err) : resolve()));
    });
  }

  end(force: boolean): Promise<void> {
    const client = this.client;
    if (!client || this.ended) return Promise.resolve();
    this.ended = true;
    // A graceful end waits for unacknowledged publishes, which never come while offline.
    const graceful = !force && client.connected;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        client.stream?.destroy();
        resolve();
      }, this.tuning.endTimeoutMs);
      client.end(!graceful, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private requireClient(): MqttClient {
    if (!this.client || this.ended) throw new Error("transport is not running");
    return this.client;
  }
}

/** A transport factory for MQTT.js with the given tuning (defaults suit a real device). */
export function mqttJsTransport(tuning: MqttJsTransportTuning = {}): TransportFactory {
  const given = Object.entries(tuning).filter(([, value]) => value !== undefined);
  const resolved: ResolvedTuning = { ...DEFAULTS, ...Object.fromEntries(given) };
  return (options, handlers) => new MqttJsTransport(options, handlers, resolved);
}
