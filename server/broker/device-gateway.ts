import type { CommandResult, DesiredConfig, DeviceCommand, DeviceState } from "../../proto/wire.js";

/**
 * The port through which services reach devices. Services never import aedes: the embedded
 * broker implements this today, an external broker cluster could implement it later.
 * Payloads are typed here; encoding to protobuf happens inside the implementation.
 */
export interface DeviceGateway {
  /**
   * Publishes the command in its signed envelope to the device's `cmd` topic. Resolves true
   * once it was written to a connection subscribed there, false when there was none (offline,
   * or not listening): then the command is not on its way.
   */
  publishCommand(command: DeviceCommand): Promise<boolean>;
  /** Publishes the device's desired configuration to its `cfg` topic, if it listens there. */
  publishConfig(deviceId: string, config: DesiredConfig): Promise<boolean>;
  /** Closes the device's connection, if it has one. */
  disconnect(deviceId: string): void;
  isOnline(deviceId: string): boolean;
  onlineCount(): number;
}

/**
 * What the gateway tells services. Each call is made once per event; a throw or rejection is
 * logged by the gateway and never reaches the broker.
 */
export interface DeviceEventHandler {
  /** The device is connected and subscribed to its `cmd` and `cfg` topics: it can receive. */
  deviceReady(deviceId: string): void | Promise<void>;
  /** Still connected, but it unsubscribed from `cmd` or `cfg`: nothing more is sent to it. */
  deviceNotListening(deviceId: string): void | Promise<void>;
  deviceOffline(deviceId: string): void | Promise<void>;
  commandResult(deviceId: string, result: CommandResult): void | Promise<void>;
  deviceState(deviceId: string, state: DeviceState): void | Promise<void>;
}

/** Checks a device's MQTT credential. Implemented by the devices service over the store. */
export type DeviceCredentialVerifier = (deviceId: string, secret: string) => Promise<boolean>;
