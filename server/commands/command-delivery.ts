/**
 * Gets commands to devices in `seq` order. Publishing for one device is serialized, and each
 * connection remembers the highest `seq` it has been sent, so the re-send on connect and a
 * command issued at the same moment never overtake each other.
 */
import type { CommandType, DeviceCommand } from "../../proto/wire.js";
import type { DeviceGateway } from "../broker/device-gateway.js";
import type { Logger } from "../logger.js";
import { batchedLookup } from "../store/batched-lookup.js";
import { type CommandRow, deviceCommandFromRow } from "./command.js";

export interface DeliveryListener {
  /** The command was handed to the broker for the first time on this connection. */
  published(command: DeviceCommand): void;
  /** The command's TTL had passed when it was about to be sent. */
  expiredBeforeSend(commandId: string): void;
}

/** What a connection may be sent: everything, or (a deactivated device) only some types. */
export type DeliveryScope = "all" | { onlyTypes: ReadonlySet<CommandType> };

export class CommandDelivery {
  private readonly chainByDevice = new Map<string, Promise<void>>();
  /** Highest seq published on the device's current connection. */
  private readonly sentSeqByDevice = new Map<string, number>();
  /** Devices whose connection may receive only some types of command. */
  private readonly limitedScopeByDevice = new Map<string, ReadonlySet<CommandType>>();
  /** Open commands per device, in seq order; one query for every device readied in a turn. */
  private readonly openCommandsOf: (deviceId: string) => Promise<CommandRow[]>;

  constructor(
    /** The open commands of each of these devices, in seq order. */
    openCommandsOfDevices: (deviceIds: readonly string[]) => Promise<Map<string, CommandRow[]>>,
    private readonly gateway: () => DeviceGateway,
    private readonly listener: DeliveryListener,
    private readonly clock: () => number,
    private readonly logger: Logger,
    /** A command was issued for a device not connected here: another node may hold it. */
    private readonly issuedElsewhere: (deviceId: string) => void = () => {},
  ) {
    this.openCommandsOf = batchedLookup(openCommandsOfDevices, []);
  }

  /** A device (re)connected: everything not terminal (in its scope) is sent again, in seq order. */
  deviceReady(deviceId: string, scope: DeliveryScope = "all"): Promise<void> {
    this.sentSeqByDevice.set(deviceId, 0);
    if (scope === "all") this.limitedScopeByDevice.delete(deviceId);
    else this.limitedScopeByDevice.set(deviceId, scope.onlyTypes);
    return this.enqueue(deviceId, () => this.sendOpenCommands(deviceId));
  }

  /** Offline, or no longer listening: nothing is sent until it is ready again. */
  deviceOffline(deviceId: string): void {
    this.sentSeqByDevice.delete(deviceId);
    this.limitedScopeByDevice.delete(deviceId);
  }

  /**
   * Sends a newly issued command if the device is connected here; otherwise the node that holds
   * it is told, and a device connected nowhere gets it at its deviceReady.
   */
  commandIssued(command: DeviceCommand): Promise<void> {
    if (!this.sentSeqByDevice.has(command.deviceId)) {
      this.issuedElsewhere(command.deviceId);
      return Promise.resolve();
    }
    return this.enqueue(command.deviceId, () => this.publish(command));
  }

  /**
   * Another node issued commands for these devices: those connected here are sent, in seq
   * order, what is open and newer than what their connection has been sent.
   */
  recheck(deviceIds: Iterable<string>): Promise<void> {
    const steps: Promise<void>[] = [];
    for (const deviceId of deviceIds) {
      if (!this.sentSeqByDevice.has(deviceId)) continue;
      steps.push(this.enqueue(deviceId, () => this.sendOpenCommands(deviceId)));
    }
    return Promise.all(steps).then(() => undefined);
  }

  /** The devices whose connections here are listening for commands. */
  heldDevices(): string[] {
    return [...this.sentSeqByDevice.keys()];
  }

  private enqueue(deviceId: string, step: () => Promise<void>): Promise<void> {
    const previous = this.chainByDevice.get(deviceId) ?? Promise.resolve();
    const next = previous.then(step).catch((err: unknown) => {
      this.logger.error(
        { err, deviceId },
        "command delivery failed; it is retried when the device reconnects",
      );
    });
    this.chainByDevice.set(deviceId, next);
    void next.then(() => {
      if (this.chainByDevice.get(deviceId) === next) this.chainByDevice.delete(deviceId);
    });
    return next;
  }

  private async sendOpenCommands(deviceId: string): Promise<void> {
    const rows = await this.openCommandsOf(deviceId);
    const now = this.clock();
    for (const row of rows) {
      if (row.state !== "accepted" && row.expires_at <= now) {
        this.listener.expiredBeforeSend(row.id);
        continue;
      }
      await this.publish(deviceCommandFromRow(row));
    }
  }

  private async publish(command: DeviceCommand): Promise<void> {
    const sentSeq = this.sentSeqByDevice.get(command.deviceId);
    if (sentSeq === undefined || command.seq <= sentSeq) return;
    if (!(this.limitedScopeByDevice.get(command.deviceId)?.has(command.action.type) ?? true)) return;
    if (command.expiresAtMs <= this.clock()) {
      this.listener.expiredBeforeSend(command.id);
      return;
    }
    this.sentSeqByDevice.set(command.deviceId, command.seq);
    // Only what reached a listening connection is on its way; the rest stays queued (and
    // cancelable) until the device is ready again.
    if (await this.gateway().publishCommand(command)) this.listener.published(command);
  }
}
