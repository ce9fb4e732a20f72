/**
 * How the agent core talks MQTT. Small on purpose: the MQTT.js transport serves real devices;
 * a leaner one can carry very large simulated fleets behind the same interface.
 */
export interface TransportHandlers {
  connected(): void;
  disconnected(): void;
  message(topic: string, payload: Buffer): void;
  /** The broker refused the credential (CONNACK 4 or 5): it was revoked or is wrong. */
  authRejected(reason: string): void;
}

export interface TransportOptions {
  url: string;
  clientId: string;
  username: string;
  password: string;
  /** First reconnect delay; doubles up to maxReconnectDelayMs. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

export interface AgentTransport {
  /** Starts connecting; reconnects by itself until `end`. */
  connect(): void;
  subscribe(topics: string[]): Promise<void>;
  /** QoS 1; resolves when the broker has acknowledged (PUBACK). */
  publish(topic: string, payload: Uint8Array): Promise<void>;
  /** `force`: drop the connection without DISCONNECT, like a power cut. */
  end(force: boolean): Promise<void>;
}

export type TransportFactory = (options: TransportOptions, handlers: TransportHandlers) => AgentTransport;
