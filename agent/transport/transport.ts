/**
 * How the agent core talks MQTT. Small on purpose: the MQTT.js transport serves real devices;
 * a leaner one (on mqtt-packet) can carry very large simulated fleets behind the same
 * interface. A transport reconnects by itself with backoff until `end`; the core subscribes
 * again on every `connected`, because sessions are clean.
 */
export interface TransportHandlers {
  /** A CONNACK accepted the connection (first time or after a reconnect). */
  connected(): void;
  /** The connection was lost or closed; may repeat while reconnecting. */
  disconnected(): void;
  message(topic: string, payload: Uint8Array): void;
  /**
   * The broker refused the credential (CONNACK 4 or 5 [MQTT-3.2.2.3]): it was revoked or is
   * wrong. The transport keeps retrying, but rarely, since an admin has to act first.
   */
  authFailed(reason: string): void;
}

export interface ConnectOptions {
  /** `mqtt://host:port`, `mqtts://…`, `ws://host:port/mqtt` or `wss://…`. */
  url: string;
  clientId: string;
  username: string;
  password: string;
}

export interface PublishOptions {
  qos?: 0 | 1;
}

export interface AgentTransport {
  /** Starts connecting; returns at once. */
  connect(): void;
  /** QoS 1 subscriptions; rejects if the broker refuses any of them. */
  subscribe(topics: string[]): Promise<void>;
  /**
   * QoS 1 (the default) resolves when the broker has acknowledged (PUBACK), also across a
   * reconnect. QoS 0 resolves once handed to the connection and is dropped while offline: for
   * messages the next one supersedes anyway.
   */
  publish(topic: string, payload: Uint8Array, options?: PublishOptions): Promise<void>;
  /** Stops for good. `force`: drop the connection without DISCONNECT, like a power cut. */
  end(force: boolean): Promise<void>;
}

export type TransportFactory = (options: ConnectOptions, handlers: TransportHandlers) => AgentTransport;
