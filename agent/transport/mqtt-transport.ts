/** The agent's MQTT transport on MQTT.js: TCP or WebSocket, reconnect with backoff. */
import mqtt, { type ErrorWithReasonCode, type MqttClient } from "mqtt";
import type { AgentTransport, TransportFactory, TransportHandlers, TransportOptions } from "./transport.js";

/** CONNACK return codes that mean "this credential will not work" [MQTT-3.2.2.3]. */
const AUTH_REFUSED_CODES = new Set([4, 5]);
/** After a refused credential, try again rarely: an admin has to act first. */
const AUTH_REFUSED_RETRY_MS = 5 * 60_000;

class MqttJsTransport implements AgentTransport {
  private client: MqttClient | null = null;
  private reconnectDelayMs: number;

  constructor(
    private readonly options: TransportOptions,
    private readonly handlers: TransportHandlers,
  ) {
    this.reconnectDelayMs = options.reconnectDelayMs ?? 1000;
  }

  connect(): void {
    const client = mqtt.connect(this.options.url, {
      protocolVersion: 4, // the embedded aedes broker speaks MQTT 3.1.1
      clientId: this.options.clientId,
      username: this.options.username,
      password: this.options.password,
      clean: true,
      keepalive: 60,
      connectTimeout: 15_000,
      reconnectPeriod: this.reconnectDelayMs,
      resubscribe: false, // the core subscribes on every connect
    });
    this.client = client;
    client.on("connect", () => {
      this.reconnectDelayMs = this.options.reconnectDelayMs ?? 1000;
      client.options.reconnectPeriod = this.reconnectDelayMs;
      this.handlers.connected();
    });
    client.on("close", () => {
      // Exponential backoff with jitter, so a fleet does not reconnect in lockstep.
      const max = this.options.maxReconnectDelayMs ?? 60_000;
      this.reconnectDelayMs = Math.min(max, this.reconnectDelayMs * 2);
      if (client.options.reconnectPeriod !== AUTH_REFUSED_RETRY_MS) {
        client.options.reconnectPeriod = Math.round(this.reconnectDelayMs * (0.5 + Math.random() / 2));
      }
      this.handlers.disconnected();
    });
    client.on("error", (err: Error | ErrorWithReasonCode) => {
      const code = "code" in err ? Number(err.code) : Number.NaN;
      if (AUTH_REFUSED_CODES.has(code)) {
        client.options.reconnectPeriod = AUTH_REFUSED_RETRY_MS;
        this.handlers.authRejected(err.message);
      }
    });
    client.on("message", (topic, payload) => this.handlers.message(topic, payload));
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

  publish(topic: string, payload: Uint8Array): Promise<void> {
    const client = this.requireClient();
    return new Promise((resolve, reject) => {
      client.publish(topic, Buffer.from(payload), { qos: 1 }, (err) => (err ? reject(err) : resolve()));
    });
  }

  end(force: boolean): Promise<void> {
    const client = this.client;
    if (!client) return Promise.resolve();
    return new Promise((resolve) => client.end(force, {}, () => resolve()));
  }

  private requireClient(): MqttClient {
    if (!this.client) throw new Error("transport not connected");
    return this.client;
  }
}

export const mqttJsTransport: TransportFactory = (options, handlers) =>
  new MqttJsTransport(options, handlers);
