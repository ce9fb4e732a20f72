/**
 * Routes what the broker reports about devices to the services: presence and configuration
 * sync to devices, reports to their owners.
 */
import type { CommandResult, DeviceState } from "../proto/wire.js";
import type { DeviceEventHandler } from "./broker/device-gateway.js";
import type { CommandService } from "./commands/command-service.js";
import type { DeviceService } from "./devices/device-service.js";

export class DeviceLink implements DeviceEventHandler {
  constructor(
    private readonly devices: DeviceService,
    private readonly commands: CommandService,
  ) {}

  async deviceReady(deviceId: string): Promise<void> {
    await this.devices.recordPresence(deviceId, true);
    // Config first, then commands: a command may depend on the name or time the device runs.
    await this.devices.pushDesiredConfig(deviceId);
    await this.commands.delivery.deviceReady(deviceId);
  }

  async deviceOffline(deviceId: string): Promise<void> {
    this.commands.delivery.deviceOffline(deviceId);
    await this.devices.recordPresence(deviceId, false);
  }

  commandResult(deviceId: string, result: CommandResult): Promise<void> {
    return this.commands.handleResult(deviceId, result);
  }

  deviceState(deviceId: string, state: DeviceState): Promise<void> {
    return this.devices.recordState(deviceId, state);
  }
}
