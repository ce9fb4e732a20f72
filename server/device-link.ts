/**
 * Routes what the broker reports about devices to the services: presence and configuration
 * sync to devices, reports to their owners.
 */
import type { CommandResult, DeviceState } from "../proto/wire.js";
import type { DeviceEventHandler } from "./broker/device-gateway.js";
import type { CommandService } from "./commands/command-service.js";
import type { DeviceService } from "./devices/device-service.js";

/** Running totals since start, served on /healthz for operators and the benchmark. */
export interface DeviceTrafficCounters {
  stateReportsStored: number;
  commandResultsStored: number;
  connects: number;
}

export class DeviceLink implements DeviceEventHandler {
  readonly counters: DeviceTrafficCounters = { stateReportsStored: 0, commandResultsStored: 0, connects: 0 };

  constructor(
    private readonly devices: DeviceService,
    private readonly commands: CommandService,
  ) {}

  async deviceReady(deviceId: string): Promise<void> {
    this.counters.connects++;
    // Delivery does not wait for the presence write; both are done when this resolves.
    const presence = this.devices.recordPresence(deviceId, true);
    try {
      // Config first, then commands: a command may depend on the name or time the device runs.
      await this.devices.pushDesiredConfig(deviceId);
      await this.commands.delivery.deviceReady(deviceId);
    } finally {
      await presence;
    }
  }

  async deviceOffline(deviceId: string): Promise<void> {
    this.commands.delivery.deviceOffline(deviceId);
    await this.devices.recordPresence(deviceId, false);
  }

  async commandResult(deviceId: string, result: CommandResult): Promise<void> {
    // A terminal result may carry the state the command left the device in. Both writes
    // are awaited together: a failed state write must reject this call, not float away as
    // an unhandled rejection (which ends the process).
    const state = result.state ? this.deviceState(deviceId, result.state) : undefined;
    const stored = this.commands.handleResult(deviceId, result).then(() => {
      this.counters.commandResultsStored++;
    });
    await Promise.all([stored, state]);
  }

  async deviceState(deviceId: string, state: DeviceState): Promise<void> {
    await this.devices.recordState(deviceId, state);
    this.counters.stateReportsStored++;
  }
}
