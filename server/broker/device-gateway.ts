import type { CommandResult, DesiredConfig, DeviceCommand, DeviceState } from "../../proto/wire.js";

/**
 * The port through which services reach devices. Services never import aedes: the embedded
 * broker implements this today, an external broker cluster could implement it later.
 * Payloads are typed here; encoding to protobuf happens inside the implementation.
 */
export interface DeviceGateway {
  /** Publishes the command in its envelope (QoS 1) to the device's `cmd` topic. */
  publishCommand(command: DeviceCommand): Promise<void>;
  /** Publishes the device's desired configuration (QoS 1) to its `cfg` topic. */
  publishConfig(deviceId: string, config: DesiredConfig): Promise<void>;
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
  deviceOffline(deviceId: string): void | Promise<void>;
  commandResult(deviceId: string, result: CommandResult): void | Promise<void>;
  deviceState(deviceId: string, state: DeviceState): void | Promise<void>;
}

/** Checks a device's MQTT credential. Implemented by the devices service over the store. */
export type DeviceCredentialVerifier = (deviceId: string, secret: string) => Promise<boolean>;
