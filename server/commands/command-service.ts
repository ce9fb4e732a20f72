/**
 * The command lifecycle on the server: queued → sent → accepted → succeeded | failed, with the
 * terminal exits rejected, expired and canceled. Every transition is one conditional UPDATE, so
 * a late or duplicated report can never move a command backwards.
 */
import type { CommandAction, CommandResult, CommandType, DeviceCommand } from "../../proto/wire.js";
import type { DeviceGateway } from "../broker/device-gateway.js";
import type { DeviceService } from "../devices/device-service.js";
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import type { Logger } from "../logger.js";
import type { Database, WriteContext } from "../store/database.js";
import { KeyedBatchWriter } from "../store/keyed-batch-writer.js";
import {
  actionParams,
  type CommandRow,
  type CommandState,
  type CommandView,
  commandViewFromRow,
  deviceCommandFromRow,
  OPEN_FOR_DEVICE_REPORT,
  TERMINAL_STATES,
} from "./command.js";
import { type AfterCommit, commandSpec } from "./command-catalog.js";
import { CommandDelivery } from "./command-delivery.js";

export interface IssueOptions {
  ttlSeconds?: number;
  actor?: string | null;
  batchId?: string | null;
}

export interface CommandServiceDeps {
  db: Database;
  devices: DeviceService;
  gateway: () => DeviceGateway;
  events: EventBus<ServerEvents>;
  logger: Logger;
  clock: () => number;
  defaultTtlSeconds: number;
}

const RESULT_TO_STATE: Record<CommandResult["status"], CommandState> = {
  accepted: "accepted",
  succeeded: "succeeded",
  failed: "failed",
  rejected: "rejected",
};

const inList = (states: readonly string[]) => states.map((s) => `'${s}'`).join(", ");

interface ReportedResult {
  commandId: string;
  deviceId: string;
  state: CommandState;
  atMs: number;
  errorCode: string | null;
  message: string | null;
}

export class CommandService {
  readonly delivery: CommandDelivery;
  /** `sent` marks, one statement per tick. */
  private readonly sentWriter: KeyedBatchWriter<string, number, CommandRow[]>;
  /** Device reports, one statement per tick; a final state is never replaced by `accepted`. */
  private readonly resultWriter: KeyedBatchWriter<
    string,
    ReportedResult,
    { rows: CommandRow[]; afterByDevice: Map<string, AfterCommit>; ignored: number }
  >;

  constructor(private readonly deps: CommandServiceDeps) {
    this.sentWriter = new KeyedBatchWriter(deps.db, {
      apply: (tx, batch) => this.writeSent(tx, batch),
      committed: (rows) => {
        for (const row of rows) this.announce(row);
      },
    });
    this.resultWriter = new KeyedBatchWriter(deps.db, {
      apply: (tx, batch) => this.writeResults(tx, batch),
      committed: (outcome) => this.resultsCommitted(outcome),
      merge: (previous, next) =>
        TERMINAL_STATES.has(previous.state) && next.state === "accepted" ? previous : next,
    });
    this.delivery = new CommandDelivery(
      deps.db,
      deps.gateway,
      {
        published: (command) => this.markSent(command),
        expiredBeforeSend: (commandId) => void this.expire([commandId]),
      },
      deps.clock,
      deps.logger,
    );
  }

  /**
   * Splits an API command body into the action and its TTL; throws MdmError naming the bad
   * field. Single and fleet commands share the body and this parse.
   */
  parseRequest(body: { type: CommandType; ttlSeconds?: number } & Record<string, unknown>): {
    action: CommandAction;
    ttlSeconds: number | undefined;
  } {
    const { ttlSeconds, ...fields } = body;
    return { action: commandSpec(body.type).parse(fields), ttlSeconds };
  }

  ttlMs(ttlSeconds: number | undefined): number {
    return (ttlSeconds ?? this.deps.defaultTtlSeconds) * 1000;
  }

  /** Issues one command to one device. */
  async issue(deviceId: string, action: CommandAction, options: IssueOptions = {}): Promise<CommandView> {
    const spec = commandSpec(action.type);
    const { rows, after } = await this.deps.db.write(async (tx) => {
      const device = await this.deps.devices.getRow(deviceId, tx);
      if (device.status !== "active") {
        throw new MdmError("device_not_managed", `device '${deviceId}' is ${device.status}`, {
          status: device.status,
        });
      }
      const inserted = await this.insertCommands(tx, [deviceId], action, options);
      const after = (await spec.onIssued?.({ tx, devices: this.deps.devices, deviceId })) ?? {};
      if (action.type === "deactivate") await this.cancelOpenExcept(tx, deviceId, inserted[0]!.id);
      return { rows: inserted, after };
    });
    await this.afterCommit(deviceId, after);
    const row = rows[0]!;
    this.announce(row);
    if (spec.onIssued) await this.deps.devices.emitUpdated(deviceId);
    await this.delivery.commandIssued(deviceCommandFromRow(row));
    return commandViewFromRow(await this.getRow(row.id));
  }

  /**
   * Inserts one command per device in set-based statements (one INSERT, one UPDATE), so a
   * fleet command to thousands of devices is one short transaction.
   */
  async insertCommands(
    tx: WriteContext,
    deviceIds: readonly string[],
    action: CommandAction,
    options: IssueOptions,
  ): Promise<CommandRow[]> {
    const now = this.deps.clock();
    const expiresAt = now + this.ttlMs(options.ttlSeconds);
    const ids = JSON.stringify(deviceIds);
    const rows = await tx.all<CommandRow>(
      `INSERT INTO commands (id, device_id, batch_id, seq, type, params_json, state, created_at, expires_at,
                             updated_at, created_by)
       SELECT 'cmd_' || ? || lower(hex(randomblob(8))), d.id, ?, d.next_seq, ?, ?, 'queued', ?, ?, ?, ?
       FROM json_each(?) AS j JOIN devices AS d ON d.id = j.value
       RETURNING *`,
      [
        now.toString(16).padStart(12, "0"),
        options.batchId ?? null,
        action.type,
        JSON.stringify(actionParams(action)),
        now,
        expiresAt,
        now,
        options.actor ?? null,
        ids,
      ],
    );
    await tx.run("UPDATE devices SET next_seq = next_seq + 1 WHERE id IN (SELECT value FROM json_each(?))", [
      ids,
    ]);
    return rows;
  }

  /**
   * Forgets a device that is not coming back (lost, broken, wiped by hand): its credential is
   * revoked and its status becomes `unmanaged` at once, without the device's word. Only for an
   * offline device: an online one is asked to stop managing instead, which it confirms. Its open
   * commands are canceled; one it had accepted before going offline may have run, and the
   * message says so. Returns the canceled commands.
   */
  async removeOffline(deviceId: string): Promise<CommandView[]> {
    if (this.deps.gateway().isOnline(deviceId)) {
      throw new MdmError("device_online", `device '${deviceId}' is online: stop managing it instead`);
    }
    const now = this.deps.clock();
    const canceled = await this.deps.db.write(async (tx) => {
      const device = await this.deps.devices.getRow(deviceId, tx);
      if (device.status !== "active") {
        throw new MdmError("device_not_managed", `device '${deviceId}' is ${device.status}`, {
          status: device.status,
        });
      }
      await this.deps.devices.revokeCredential(tx, deviceId);
      await this.deps.devices.setStatus(tx, deviceId, "unmanaged");
      return tx.all<CommandRow>(
        `UPDATE commands SET state = 'canceled', updated_at = ?, finished_at = ?, error_code = 'device_removed',
           error_message = CASE state WHEN 'accepted'
             THEN 'the device was removed from management while offline; it had started this command and may have finished it'
             ELSE 'the device was removed from management before it received this command' END
         WHERE device_id = ? AND state IN ('queued', 'sent', 'accepted')
         RETURNING *`,
        [now, now, deviceId],
      );
    });
    // A connection that came up meanwhile holds a revoked credential.
    this.deps.gateway().disconnect(deviceId);
    for (const row of canceled) this.announce(row);
    await this.deps.devices.emitUpdated(deviceId);
    return canceled.map(commandViewFromRow);
  }

  private async cancelOpenExcept(tx: WriteContext, deviceId: string, keepId: string): Promise<void> {
    const now = this.deps.clock();
    const canceled = await tx.all<CommandRow>(
      `UPDATE commands SET state = 'canceled', updated_at = ?, finished_at = ?,
         error_code = 'device_deactivated', error_message = 'device was permanently deactivated'
       WHERE device_id = ? AND id != ? AND state = 'queued'
       RETURNING *`,
      [now, now, deviceId, keepId],
    );
    for (const row of canceled) this.announce(row);
  }

  async get(commandId: string): Promise<CommandView> {
    return commandViewFromRow(await this.getRow(commandId));
  }

  private async getRow(commandId: string): Promise<CommandRow> {
    const row = await this.deps.db.get<CommandRow>("SELECT * FROM commands WHERE id = ?", [commandId]);
    if (!row) throw new MdmError("command_not_found", `command '${commandId}' does not exist`);
    return row;
  }

  async listForDevice(
    deviceId: string,
    limit: number,
    cursor: string | null,
  ): Promise<{ items: CommandView[]; nextCursor: string | null }> {
    await this.deps.devices.getRow(deviceId);
    const rows = await this.deps.db.all<CommandRow>(
      `SELECT * FROM commands WHERE device_id = ? ${cursor ? "AND seq < ?" : ""} ORDER BY seq DESC LIMIT ?`,
      cursor ? [deviceId, Number(cursor), limit + 1] : [deviceId, limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map(commandViewFromRow),
      nextCursor: rows.length > limit ? String(page.at(-1)?.seq) : null,
    };
  }

  /**
   * Cancels a command that the device cannot have acted on: still queued, or sent while the
   * device is offline (sessions are clean, so an undelivered message dies with the connection).
   */
  async cancel(commandId: string): Promise<CommandView> {
    const row = await this.getRow(commandId);
    const deliverable = row.state === "sent" && !this.deps.gateway().isOnline(row.device_id);
    if (row.state !== "queued" && !deliverable) {
      const reason =
        row.state === "sent" ? "it has been delivered to the online device" : `it is already ${row.state}`;
      throw new MdmError("command_not_cancelable", `command '${commandId}' cannot be canceled: ${reason}`, {
        state: row.state,
      });
    }
    const now = this.deps.clock();
    const updated = await this.deps.db.write((tx) =>
      tx.all<CommandRow>(
        `UPDATE commands SET state = 'canceled', updated_at = ?, finished_at = ?
         WHERE id = ? AND state IN ('queued', 'sent') RETURNING *`,
        [now, now, commandId],
      ),
    );
    const canceled = updated[0];
    if (!canceled) return this.cancel(commandId);
    const view = commandViewFromRow(canceled);
    this.deps.events.emit("command.updated", { command: view });
    return view;
  }

  /**
   * Cancels what a fleet command can still take back: its queued commands, and those sent to
   * devices that are offline. Commands on their way to online devices run on. Answers how many
   * were canceled.
   */
  async cancelBatch(batchId: string): Promise<number> {
    const open = await this.deps.db.all<{ id: string; device_id: string; state: CommandState }>(
      "SELECT id, device_id, state FROM commands WHERE batch_id = ? AND state IN ('queued', 'sent')",
      [batchId],
    );
    const gateway = this.deps.gateway();
    const cancelable = open.filter((c) => c.state === "queued" || !gateway.isOnline(c.device_id));
    if (cancelable.length === 0) return 0;
    const now = this.deps.clock();
    const canceled = await this.deps.db.write((tx) =>
      tx.all<CommandRow>(
        `UPDATE commands SET state = 'canceled', updated_at = ?, finished_at = ?
         WHERE id IN (SELECT value FROM json_each(?)) AND state IN ('queued', 'sent') RETURNING *`,
        [now, now, JSON.stringify(cancelable.map((c) => c.id))],
      ),
    );
    for (const row of canceled) this.announce(row);
    return canceled.length;
  }

  // ---- transitions reported by the delivery path and by devices ----------------------------

  private markSent(command: DeviceCommand): void {
    this.sentWriter
      .enqueue(command.id, this.deps.clock())
      .catch((err: unknown) => this.deps.logger.error({ err, commandId: command.id }, "marking sent failed"));
  }

  private async writeSent(tx: WriteContext, batch: ReadonlyMap<string, number>): Promise<CommandRow[]> {
    return tx.all<CommandRow>(
      `UPDATE commands SET state = 'sent', sent_at = u.value ->> 1, updated_at = u.value ->> 1
       FROM json_each(?) AS u WHERE commands.id = u.value ->> 0 AND commands.state = 'queued'
       RETURNING *`,
      [JSON.stringify([...batch])],
    );
  }

  /** Applies a device's report about one of its commands. Unknown or foreign ids are dropped. */
  handleResult(deviceId: string, result: CommandResult): Promise<void> {
    return this.resultWriter.enqueue(`${deviceId}/${result.commandId}`, {
      commandId: result.commandId,
      deviceId,
      state: RESULT_TO_STATE[result.status],
      atMs: this.deps.clock(),
      errorCode: result.errorCode || null,
      message: result.message || null,
    });
  }

  /**
   * All results of a tick in one conditional UPDATE: a command moves only forward (a report
   * of `accepted` never touches an accepted or finished command), and only for its own device.
   */
  private async writeResults(
    tx: WriteContext,
    batch: ReadonlyMap<string, ReportedResult>,
  ): Promise<{ rows: CommandRow[]; afterByDevice: Map<string, AfterCommit>; ignored: number }> {
    const values = [...batch.values()].map((r) => [
      r.commandId,
      r.deviceId,
      r.state,
      r.atMs,
      r.errorCode,
      r.message,
    ]);
    const rows = await tx.all<CommandRow>(
      `UPDATE commands SET
         state = u.value ->> 2,
         updated_at = u.value ->> 3,
         accepted_at = CASE WHEN u.value ->> 2 = 'rejected' THEN accepted_at
                            ELSE coalesce(accepted_at, u.value ->> 3) END,
         finished_at = CASE WHEN u.value ->> 2 = 'accepted' THEN finished_at ELSE u.value ->> 3 END,
         error_code = u.value ->> 4,
         error_message = u.value ->> 5
       FROM json_each(?) AS u
       WHERE commands.id = u.value ->> 0 AND commands.device_id = u.value ->> 1
         AND (commands.state IN (${inList(OPEN_FOR_DEVICE_REPORT.filter((s) => s !== "accepted"))})
              OR (commands.state = 'accepted' AND u.value ->> 2 != 'accepted'))
       RETURNING *`,
      [JSON.stringify(values)],
    );
    const afterByDevice = new Map<string, AfterCommit>();
    for (const row of rows) {
      if (row.state !== "succeeded") continue;
      const spec = commandSpec(row.type);
      if (!spec.onSucceeded) continue;
      const after = await spec.onSucceeded(
        { tx, devices: this.deps.devices, deviceId: row.device_id },
        deviceCommandFromRow(row).action,
      );
      afterByDevice.set(row.device_id, { ...afterByDevice.get(row.device_id), ...after });
    }
    return { rows, afterByDevice, ignored: batch.size - rows.length };
  }

  private async resultsCommitted(outcome: {
    rows: CommandRow[];
    afterByDevice: Map<string, AfterCommit>;
    ignored: number;
  }): Promise<void> {
    if (outcome.ignored > 0) {
      this.deps.logger.debug(
        { ignored: outcome.ignored },
        "ignored results: unknown, foreign or no longer open",
      );
    }
    for (const row of outcome.rows) this.announce(row);
    for (const [deviceId, after] of outcome.afterByDevice) {
      await this.afterCommit(deviceId, after);
      if (after.disconnect || after.pushConfig) await this.deps.devices.emitUpdated(deviceId);
    }
  }

  /** Tells listeners (the events stream, tests) about a transition; nothing is built unheard. */
  private announce(row: CommandRow): void {
    this.deps.events.emitLazy("command.updated", () => ({ command: commandViewFromRow(row) }));
  }

  /** Resolves once every transition reported so far is stored. */
  async drainWrites(): Promise<void> {
    await this.sentWriter.drain();
    await this.resultWriter.drain();
  }

  private async afterCommit(deviceId: string, after: AfterCommit): Promise<void> {
    if (after.disconnect) this.deps.gateway().disconnect(deviceId);
    if (after.pushConfig) await this.deps.devices.pushDesiredConfig(deviceId);
  }

  /** Marks undelivered commands whose TTL has passed as expired; returns how many. */
  async sweepExpired(): Promise<number> {
    const now = this.deps.clock();
    const rows = await this.deps.db.write((tx) =>
      tx.all<CommandRow>(
        `UPDATE commands SET state = 'expired', updated_at = ?, finished_at = ?
         WHERE state IN ('queued', 'sent') AND expires_at <= ? RETURNING *`,
        [now, now, now],
      ),
    );
    for (const row of rows) this.announce(row);
    return rows.length;
  }

  private async expire(commandIds: string[]): Promise<void> {
    const now = this.deps.clock();
    const rows = await this.deps.db.write((tx) =>
      tx.all<CommandRow>(
        `UPDATE commands SET state = 'expired', updated_at = ?, finished_at = ?
         WHERE id IN (SELECT value FROM json_each(?)) AND state IN ('queued', 'sent') RETURNING *`,
        [now, now, JSON.stringify(commandIds)],
      ),
    );
    for (const row of rows) this.announce(row);
  }
}
