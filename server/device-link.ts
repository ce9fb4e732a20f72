/**
 * Routes what the broker reports about devices to the services: presence and configuration
 * sync to devices, reports to their owners.
 */
import type { CommandResult, DeviceState } from "../proto/wire.js";
import type { DeviceEventHandler, DeviceGateway } from "./broker/device-gateway.js";
import type { CommandService } from "./commands/command-service.js";
import type { DeviceService } from "./devices/device-service.js";
import { boundCommandResult, boundDeviceState } from "./devices/reported-bounds.js";

/** Running totals since start, served on /healthz for operators and the benchmark. */
export interface DeviceTrafficCounters {
  stateReportsStored: number;
  commandResultsStored: number;
  connects: number;
  /** Connections of deactivated devices, admitted only to receive their deactivation. */
  deactivationSessions: number;
}

/** The only command a deactivated device's connection is sent. */
const DEACTIVATION_ONLY = { onlyTypes: new Set(["deactivate"] as const) };

export class DeviceLink implements DeviceEventHandler {
  readonly counters: DeviceTrafficCounters = {
    stateReportsStored: 0,
    commandResultsStored: 0,
    connects: 0,
    deactivationSessions: 0,
  };
  /**
   * Connections of deactivated devices. Their credential admits them for one thing: to receive
   * the deactivate command and answer it (the credential is deleted as soon as that command
   * ends, however it ends). They are not shown online and their state reports are dropped.
   */
  private readonly deactivating = new Set<string>();

  constructor(
    private readonly devices: DeviceService,
    private readonly commands: CommandService,
    private readonly gateway: () => DeviceGateway,
    /** Told when a report had fields over their bounds (they were cut before anything was stored). */
    private readonly reportCut: (
      deviceId: string,
      what: "state" | "result",
      fields: string[],
    ) => void = () => {},
  ) {}

  async deviceReady(deviceId: string): Promise<void> {
    this.counters.connects++;
    const status = await this.devices.statusOf(deviceId);
    if (status === "deactivated") {
      this.deactivating.add(deviceId);
      this.counters.deactivationSessions++;
      await this.devices.pushDesiredConfig(deviceId);
      await this.commands.delivery.deviceReady(deviceId, DEACTIVATION_ONLY);
      return;
    }
    this.deactivating.delete(deviceId);
    if (status !== "active") {
      // Reset or unmanaged (or gone) and yet connected: its credential was revoked while it
      // was connecting. Nothing is for it here.
      this.gateway().disconnect(deviceId);
      return;
    }
    // Delivery does not wait for the presence write; both are done when this resolves. A
    // presence write that fails before the config is pushed is this call's error (the finally
    // below), not an unhandled rejection meanwhile.
    const presence = this.devices.recordPresence(deviceId, true);
    presence.catch(() => undefined);
    try {
      // Config first, then commands: a command may depend on the name or time the device runs.
      await this.devices.pushDesiredConfig(deviceId);
      await this.commands.delivery.deviceReady(deviceId);
    } finally {
      await presence;
    }
  }

  deviceNotListening(deviceId: string): void {
    this.commands.delivery.deviceOffline(deviceId);
  }

  async deviceOffline(deviceId: string): Promise<void> {
    this.commands.delivery.deviceOffline(deviceId);
    // A deactivated device's connection was never shown online.
    if (this.deactivating.delete(deviceId)) return;
    await this.devices.recordPresence(deviceId, false);
  }

  async commandResult(deviceId: string, reported: CommandResult): Promise<void> {
    const { result, cut } = boundCommandResult(reported);
    if (cut.length > 0) this.reportCut(deviceId, "result", cut);
    // A terminal result may carry the state the command left the device in. Both writes
    // are awaited together: a failed state write must reject this call, not float away as
    // an unhandled rejection (which ends the process).
    const state = result.state ? this.storeState(deviceId, result.state) : undefined;
    const stored = this.commands.handleResult(deviceId, result).then(() => {
      this.counters.commandResultsStored++;
    });
    await Promise.all([stored, state]);
  }

  async deviceState(deviceId: string, reported: DeviceState): Promise<void> {
    const { state, cut } = boundDeviceState(reported);
    if (cut.length > 0) this.reportCut(deviceId, "state", cut);
    await this.storeState(deviceId, state);
  }

  private async storeState(deviceId: string, state: DeviceState): Promise<void> {
    if (this.deactivating.has(deviceId)) return;
    await this.devices.recordState(deviceId, state);
    this.counters.stateReportsStored++;
  }
}
