/**
 * How the agent core talks MQTT. Small on purpose: the MQTT.js transport serves real devices;
 * a leaner one (on mqtt-packet) can carry very large simulated fleets behind the same
 * interface. A transport reconnects by itself with backoff until `end`, to the URL its broker
 * rotation names for each attempt (see broker-rotation.ts); the core subscribes again on every
 * `connected`, because sessions are clean.
 */
import { BrokerRotation } from "./broker-rotation.js";

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
  /** The broker URL of the first attempt: `mqtt://host:port`, `mqtts://…`, `ws://host:port/mqtt` or `wss://…`. */
  url: string;
  /**
   * Where every attempt goes when the device knows several broker URLs; its current URL is
   * `url`, and the transport tells it how each attempt ended. Without it, every attempt goes
   * to `url`.
   */
  brokers?: BrokerRotation;
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

/** The rotation a transport follows: the one given, or one of `url` alone. */
export function brokersOf(options: ConnectOptions): BrokerRotation {
  return options.brokers ?? new BrokerRotation([options.url]);
}
