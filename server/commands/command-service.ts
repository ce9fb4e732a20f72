/**
 * The command lifecycle on the server: queued → sent → accepted → succeeded | failed, with the
 * terminal exits rejected, expired and canceled. Every transition is one conditional UPDATE, so
 * a late or duplicated report can never move a command backwards.
 *
 * One path issues commands, to one device or to a fleet: `issueInUnit` inserts the commands and
 * runs the type's effects from the catalog in the caller's transaction; `settle` announces and
 * delivers once it has committed. Every transition to a final state, whoever makes it (a device,
 * the expiry sweep, an admin), passes `recordTransitions`, which runs the type's `onSucceeded`
 * and `onFinished` in the same transaction.
 */
import {
  SERVER_COMMAND_CODE,
  type ServerCommandCode,
  SIGNATURE_REFUSAL_CODES,
} from "../../proto/result-codes.js";
import type { CommandAction, CommandResult, CommandType, DeviceCommand } from "../../proto/wire.js";
import type { DeviceGateway } from "../broker/device-gateway.js";
import type { ClusterLink } from "../cluster/cluster-link.js";
import type { DeviceService } from "../devices/device-service.js";
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { newTimeOrderedId } from "../ids.js";
import type { Logger } from "../logger.js";
import { pageFrom } from "../paging.js";
import { KeyedBatchWriter, singleStatementUnits } from "../store/keyed-batch-writer.js";
import type {
  BoundsByType,
  CommandReport,
  CommandRepository,
} from "../store/repositories/command-repository.js";
import type { Queryable, Store } from "../store/store.js";
import {
  actionParams,
  type CommandRow,
  type CommandState,
  type CommandView,
  commandViewFromRow,
  deviceCommandFromRow,
  TERMINAL_STATES,
} from "./command.js";
import {
  type AfterCommit,
  type CancelOpenCommands,
  COMMAND_CATALOG,
  type CommandEffectContext,
  commandSpec,
  TYPES_WITHOUT_END_EFFECTS,
} from "./command-catalog.js";
import { CommandDelivery } from "./command-delivery.js";

export interface IssueOptions {
  ttlSeconds?: number;
  actor?: string | null;
  batchId?: string | null;
  /** Wait, queued, for each device's maintenance window (a device without one gets it at once). */
  inWindow?: boolean;
}

/** Which devices' maintenance windows are closed: read in the issuing unit. */
export interface WindowGate {
  /** Of these devices, those whose site has a maintenance window that is closed at `atMs`. */
  closedFor(q: Queryable, deviceIds: readonly string[], atMs: number): Promise<ReadonlySet<string>>;
}

export interface CommandServiceDeps {
  store: Store;
  repository: CommandRepository;
  devices: DeviceService;
  gateway: () => DeviceGateway;
  /** The other server nodes, told of work for devices they may hold. */
  cluster?: ClusterLink;
  events: EventBus<ServerEvents>;
  logger: Logger;
  clock: () => number;
  defaultTtlSeconds: number;
  /** Sites' maintenance windows, for commands sent "in window"; none: every window is open. */
  windows?: WindowGate;
}

const RESULT_TO_STATE: Record<CommandResult["status"], CommandState> = {
  accepted: "accepted",
  succeeded: "succeeded",
  failed: "failed",
  rejected: "rejected",
};

const SIGNATURE_REFUSALS: ReadonlySet<string> = new Set(SIGNATURE_REFUSAL_CODES);

type ReportedResult = CommandReport;

/**
 * Which of two reports about one command, within one tick, is the one to write: a final state
 * over `accepted`, and anything over a signature refusal (which a forged copy earns; the genuine
 * command's own answer is the truth).
 */
function laterReport(previous: ReportedResult, next: ReportedResult): ReportedResult {
  const weight = (r: ReportedResult) => (r.signatureRefusal ? 0 : r.state === "accepted" ? 1 : 2);
  return weight(next) >= weight(previous) ? next : previous;
}

/**
 * What a write unit changed that must be told or done once it has committed: transitions to
 * announce, commands to deliver, and per device what to do outside the transaction.
 */
export class Consequences {
  readonly transitions: CommandRow[] = [];
  readonly issued: CommandRow[] = [];
  readonly afterByDevice = new Map<string, AfterCommit>();

  /** Another unit's consequences, settled with these. */
  absorb(other: Consequences): void {
    this.transitions.push(...other.transitions);
    this.issued.push(...other.issued);
    for (const [deviceId, after] of other.afterByDevice) this.after(deviceId, after);
  }

  after(deviceId: string, after: AfterCommit): void {
    if (!after.disconnect && !after.pushConfig && !after.updated) return;
    const previous = this.afterByDevice.get(deviceId) ?? {};
    this.afterByDevice.set(deviceId, {
      disconnect: previous.disconnect || after.disconnect,
      pushConfig: previous.pushConfig || after.pushConfig,
      updated: previous.updated || after.updated,
    });
  }
}

export class CommandService {
  readonly delivery: CommandDelivery;
  /** `sent` marks, one statement per tick. */
  private readonly sentWriter: KeyedBatchWriter<string, number, CommandRow[], Queryable>;
  /** Device reports, one statement per tick. */
  private readonly resultWriter: KeyedBatchWriter<string, ReportedResult, Consequences, Queryable>;

  constructor(private readonly deps: CommandServiceDeps) {
    // One statement each: on PostgreSQL it commits by itself, so a device's quick answer does
    // not wait behind the row lock of a `sent` mark's transaction.
    this.sentWriter = new KeyedBatchWriter<string, number, CommandRow[], Queryable>(
      singleStatementUnits(deps.store),
      {
        apply: (q, batch) => this.writeSent(q, batch),
        committed: (rows) => {
          for (const row of rows) this.announce(row);
        },
      },
    );
    this.resultWriter = new KeyedBatchWriter<string, ReportedResult, Consequences, Queryable>(
      singleStatementUnits(deps.store),
      {
        apply: (q, batch) => this.writeResults(q, batch),
        committed: (consequences) => this.settle(consequences),
        merge: laterReport,
      },
    );
    this.delivery = new CommandDelivery(
      (deviceIds) => deps.repository.openOfDevices(deps.store.db, deviceIds),
      deps.gateway,
      {
        published: (command) => this.markSent(command),
        expiredBeforeSend: (commandId) => void this.expire([commandId]),
      },
      deps.clock,
      deps.logger,
      (deviceId) => deps.cluster?.sendWork({ commands: [deviceId] }),
    );
  }

  /**
   * Splits an API command body into the action, its TTL and whether it waits for maintenance
   * windows; throws MdmError naming the bad field. Single and fleet commands, schedules and
   * rollouts share the body and this parse.
   */
  parseRequest(
    body: { type: CommandType; ttlSeconds?: number; inWindow?: boolean } & Record<string, unknown>,
  ): {
    action: CommandAction;
    ttlSeconds: number | undefined;
    inWindow: boolean | undefined;
  } {
    const { ttlSeconds, inWindow, ...fields } = body;
    const spec = commandSpec(body.type);
    // What such a type does when issued (a deactivation) cannot wait: only its delivery could.
    if (inWindow && spec.onIssued) {
      throw new MdmError(
        "validation_failed",
        `a ${body.type} command takes effect when it is issued; it cannot wait for a maintenance window (inWindow)`,
        { field: "inWindow" },
      );
    }
    return { action: spec.parse(fields), ttlSeconds, inWindow };
  }

  ttlMs(ttlSeconds: number | undefined): number {
    return (ttlSeconds ?? this.deps.defaultTtlSeconds) * 1000;
  }

  /** Issues one command to one device: a fleet of one, without a batch. */
  async issue(deviceId: string, action: CommandAction, options: IssueOptions = {}): Promise<CommandView> {
    const consequences = new Consequences();
    await this.deps.store.unit(async (tx) => {
      await this.issueInUnit(tx, [deviceId], action, options, consequences, { onlyActive: true });
      if (consequences.issued.length > 0) return;
      // No seq taken: the device is not active, or does not exist (getRow says so).
      const device = await this.deps.devices.getRow(deviceId, tx);
      throw new MdmError("device_not_managed", `device '${deviceId}' is ${device.status}`, {
        status: device.status,
      });
    });
    await this.settle(consequences);
    return commandViewFromRow(consequences.issued[0]!);
  }

  /**
   * Inside the caller's write unit: one command per device in set-based statements (one INSERT,
   * one UPDATE), then the type's issue effects for all of them. The devices must be active
   * (with `onlyActive`, those that are not get no command); call {@link settle} with the same
   * consequences once the unit has committed.
   */
  async issueInUnit(
    tx: Queryable,
    deviceIds: readonly string[],
    action: CommandAction,
    options: IssueOptions,
    consequences: Consequences,
    check: { onlyActive?: boolean } = {},
  ): Promise<void> {
    if (deviceIds.length === 0) return;
    const now = this.deps.clock();
    const expiresAtMs = now + this.ttlMs(options.ttlSeconds);
    const paramsJson = JSON.stringify(actionParams(action));
    // Each device's counter moves on in place: concurrent issuers never share a seq.
    const seqs = await this.deps.devices.takeCommandSeqs(tx, deviceIds, check);
    if (seqs.size === 0) return;
    // In window: held for the devices whose window is closed now (each site's evaluated once),
    // released for the rest, those without a window among them.
    const closed = options.inWindow
      ? ((await this.deps.windows?.closedFor(tx, [...seqs.keys()], now)) ?? new Set<string>())
      : null;
    const rows = await this.deps.repository.insertCommands(
      tx,
      [...seqs].map(([deviceId, seq]) => ({
        id: newTimeOrderedId("cmd", now),
        deviceId,
        seq,
        batchId: options.batchId ?? null,
        type: action.type,
        paramsJson,
        createdAtMs: now,
        expiresAtMs,
        createdBy: options.actor ?? null,
        windowHold: closed === null ? null : closed.has(deviceId) ? "held" : "released",
      })),
    );
    consequences.transitions.push(...rows);
    consequences.issued.push(...rows);
    const spec = commandSpec(action.type);
    if (spec.onIssued) {
      const after = await spec.onIssued(this.effectContext(tx, consequences), {
        deviceIds: rows.map((r) => r.device_id),
        commandIds: rows.map((r) => r.id),
      });
      for (const row of rows) consequences.after(row.device_id, after);
    }
  }

  /**
   * After the unit that produced them has committed: transitions are announced, connections
   * closed and configs pushed as the effects asked, changed devices announced, and the new
   * commands handed to delivery (but those held for a maintenance window, which wait).
   */
  async settle(consequences: Consequences): Promise<void> {
    for (const row of consequences.transitions) this.announce(row);
    const gateway = this.deps.gateway();
    for (const [deviceId, after] of consequences.afterByDevice) {
      if (after.disconnect) this.disconnectAnywhere(gateway, deviceId);
      if (after.updated || after.disconnect || after.pushConfig)
        await this.deps.devices.afterCommit(deviceId, { pushConfig: after.pushConfig });
    }
    await Promise.all(
      consequences.issued
        .filter((row) => row.window_hold !== "held")
        .map((row) => this.delivery.commandIssued(deviceCommandFromRow(row))),
    );
  }

  /** Closes the device's connection, here or on whichever node holds it. */
  private disconnectAnywhere(gateway: DeviceGateway, deviceId: string): void {
    gateway.disconnect(deviceId);
    // A connection that another node holds, or one that moved there a moment ago.
    this.deps.cluster?.sendWork({ disconnect: [deviceId] });
  }

  private effectContext(tx: Queryable, consequences: Consequences): CommandEffectContext {
    return {
      tx,
      devices: this.deps.devices,
      cancelOpen: (request) => this.cancelOpenInUnit(tx, request, consequences),
    };
  }

  /** Ends open commands of some devices with a reason, inside a write unit. */
  private async cancelOpenInUnit(
    tx: Queryable,
    request: CancelOpenCommands,
    consequences: Consequences,
  ): Promise<void> {
    const rows = await this.deps.repository.endOpenOfDevices(tx, {
      deviceIds: request.deviceIds,
      states: request.states ?? ["queued", "sent", "accepted"],
      exceptCommandIds: request.exceptCommandIds ?? [],
      code: request.code,
      message: request.message,
      messageIfRunning: request.messageIfRunning ?? request.message,
      atMs: this.deps.clock(),
    });
    await this.recordTransitions(tx, rows, consequences);
  }

  /**
   * Commands that reached a new state in this unit: announced after commit, and for those now
   * final, their type's effects run here, in the same transaction.
   */
  private async recordTransitions(
    tx: Queryable,
    rows: readonly CommandRow[],
    consequences: Consequences,
  ): Promise<void> {
    for (const row of rows) {
      consequences.transitions.push(row);
      if (!TERMINAL_STATES.has(row.state)) continue;
      const spec = COMMAND_CATALOG.get(row.type);
      if (!spec) continue;
      const ctx = this.effectContext(tx, consequences);
      if (row.state === "succeeded" && spec.onSucceeded) {
        consequences.after(
          row.device_id,
          await spec.onSucceeded(ctx, row.device_id, deviceCommandFromRow(row).action),
        );
      }
      if (spec.onFinished) consequences.after(row.device_id, await spec.onFinished(ctx, row.device_id));
    }
  }

  /** Runs `change` in a write unit and settles what it did; returns its rows. */
  private async transition(
    change: (tx: Queryable) => Promise<CommandRow[]>,
  ): Promise<{ rows: CommandRow[]; consequences: Consequences }> {
    const consequences = new Consequences();
    const rows = await this.deps.store.unit(async (tx) => {
      const changed = await change(tx);
      await this.recordTransitions(tx, changed, consequences);
      return changed;
    });
    await this.settle(consequences);
    return { rows, consequences };
  }

  /**
   * Ends management of a device without its word: its credential is revoked (any connection
   * closed), an active device becomes `unmanaged`, and its open commands are canceled with
   * `code` (one it had accepted may have run, and the message says so). Works whatever the
   * status: a deactivated device's credential goes too. Returns the canceled commands.
   */
  async revokeCredential(
    deviceId: string,
    reason: {
      code: Extract<ServerCommandCode, "device_removed" | "credential_revoked">;
      offlineOnly: boolean;
    },
  ): Promise<CommandView[]> {
    if (reason.offlineOnly && (await this.deps.devices.connectedAnywhere([deviceId])).has(deviceId)) {
      throw new MdmError("device_online", `device '${deviceId}' is online: stop managing it instead`);
    }
    const consequences = new Consequences();
    const canceled = await this.deps.store.unit(async (tx) => {
      const device = await this.deps.devices.getRow(deviceId, tx);
      if (reason.offlineOnly && device.status !== "active") {
        throw new MdmError("device_not_managed", `device '${deviceId}' is ${device.status}`, {
          status: device.status,
        });
      }
      await this.deps.devices.revokeCredential(tx, deviceId);
      if (device.status === "active") await this.deps.devices.setStatus(tx, [deviceId], "unmanaged");
      const before = consequences.transitions.length;
      const what =
        reason.code === SERVER_COMMAND_CODE.device_removed
          ? "removed from management"
          : "cut off (its credential was revoked)";
      await this.cancelOpenInUnit(
        tx,
        {
          deviceIds: [deviceId],
          code: reason.code,
          message: `the device was ${what} before it received this command`,
          messageIfRunning: `the device was ${what}; it had started this command and may have finished it`,
        },
        consequences,
      );
      consequences.after(deviceId, { disconnect: true, updated: true });
      return consequences.transitions.slice(before);
    });
    await this.settle(consequences);
    return canceled.map(commandViewFromRow);
  }

  /**
   * Inside a claim that replaces a managed device with another of the same serial: the old
   * device's open commands end (`device_replaced`) and its connection closes after commit.
   */
  async endForReplacement(tx: Queryable, deviceId: string, consequences: Consequences): Promise<void> {
    await this.cancelOpenInUnit(
      tx,
      {
        deviceIds: [deviceId],
        code: SERVER_COMMAND_CODE.device_replaced,
        message: "another device took over this device's record before it received this command",
        messageIfRunning: "another device took over this device's record while it ran this command",
      },
      consequences,
    );
    consequences.after(deviceId, { disconnect: true, updated: true });
  }

  async get(commandId: string): Promise<CommandView> {
    return commandViewFromRow(await this.getRow(commandId));
  }

  private async getRow(commandId: string): Promise<CommandRow> {
    const row = await this.deps.repository.byId(this.deps.store.db, commandId);
    if (!row) throw new MdmError("command_not_found", `command '${commandId}' does not exist`);
    return row;
  }

  async listForDevice(
    deviceId: string,
    limit: number,
    cursor: string | null,
  ): Promise<{ items: CommandView[]; nextCursor: string | null }> {
    await this.deps.devices.getRow(deviceId);
    const beforeSeq = cursor === null ? null : Number(cursor);
    if (beforeSeq !== null && !Number.isSafeInteger(beforeSeq)) {
      throw new MdmError("validation_failed", "cursor is not one this list gave", { field: "cursor" });
    }
    const rows = await this.deps.repository.pageOfDevice(this.deps.store.db, deviceId, limit + 1, beforeSeq);
    return pageFrom(rows, limit, (row) => String(row.seq), commandViewFromRow);
  }

  /**
   * Cancels a command the device cannot have acted on (still queued, or sent while the device
   * is offline: sessions are clean, so an undelivered message dies with the connection), or
   * ends one the device accepted and is running: `canceled` with `ended_by_admin`, since the
   * device may still finish it (its result is then recorded). A command sent to an online
   * device that has not answered yet is neither: it may be running already.
   */
  async cancel(commandId: string): Promise<CommandView> {
    const row = await this.getRow(commandId);
    const undelivered =
      row.state === "queued" ||
      (row.state === "sent" &&
        !(await this.deps.devices.connectedAnywhere([row.device_id])).has(row.device_id));
    if (!undelivered && row.state !== "accepted") {
      const reason =
        row.state === "sent"
          ? "it has been delivered to the online device, which has not said yet whether it runs it"
          : `it is already ${row.state}`;
      throw new MdmError("command_not_cancelable", `command '${commandId}' cannot be canceled: ${reason}`, {
        state: row.state,
      });
    }
    const now = this.deps.clock();
    const { rows } = await this.transition((tx) =>
      row.state === "accepted"
        ? this.deps.repository.cancel(tx, {
            ids: [commandId],
            from: ["accepted"],
            atMs: now,
            errorCode: SERVER_COMMAND_CODE.ended_by_admin,
            message:
              "ended by an admin while the device was running it; if the device finishes it, its result is recorded",
          })
        : this.deps.repository.cancel(tx, { ids: [commandId], from: ["queued", "sent"], atMs: now }),
    );
    // Moved on meanwhile (delivered, accepted, finished): decide again on what it is now.
    if (!rows[0]) return this.cancel(commandId);
    return commandViewFromRow(rows[0]);
  }

  /**
   * Cancels what a fleet command can still take back: its queued commands, and those sent to
   * devices that are offline. Commands on their way to online devices run on. Answers how many
   * were canceled.
   */
  async cancelBatch(batchId: string): Promise<number> {
    const cancelable = await this.undeliveredOfBatches(this.deps.store.db, [batchId]);
    if (cancelable.length === 0) return 0;
    const now = this.deps.clock();
    const { rows } = await this.transition((tx) =>
      this.deps.repository.cancel(tx, { ids: cancelable, from: ["queued", "sent"], atMs: now }),
    );
    return rows.length;
  }

  /**
   * What these fleet commands can still take back: the ids of their queued commands, and of
   * those sent to devices that are offline (an undelivered message dies with the connection).
   */
  private async undeliveredOfBatches(q: Queryable, batchIds: readonly string[]): Promise<string[]> {
    const open: { id: string; deviceId: string; state: CommandState }[] = [];
    for (const id of batchIds) open.push(...(await this.deps.repository.undeliveredOfBatch(q, id)));
    const connected = await this.deps.devices.connectedAnywhere(
      open.filter((c) => c.state === "sent").map((c) => c.deviceId),
    );
    return open.filter((c) => c.state === "queued" || !connected.has(c.deviceId)).map((c) => c.id);
  }

  /**
   * {@link cancelBatch} for several fleet commands inside the caller's unit, each command
   * canceled keeping a code and a message that say why (a staged rollout stopping takes back
   * what its phases have not delivered in the unit that stops it); settle `consequences` after
   * the commit. Answers how many were canceled.
   */
  async cancelUndeliveredInUnit(
    tx: Queryable,
    batchIds: readonly string[],
    reason: { code: ServerCommandCode; message: string },
    consequences: Consequences,
  ): Promise<number> {
    const cancelable = await this.undeliveredOfBatches(tx, batchIds);
    if (cancelable.length === 0) return 0;
    const rows = await this.deps.repository.cancel(tx, {
      ids: cancelable,
      from: ["queued", "sent"],
      atMs: this.deps.clock(),
      errorCode: reason.code,
      message: reason.message,
    });
    await this.recordTransitions(tx, rows, consequences);
    return rows.length;
  }

  // ---- transitions reported by the delivery path and by devices ----------------------------

  private markSent(command: DeviceCommand): void {
    this.sentWriter
      .enqueue(command.id, this.deps.clock())
      .catch((err: unknown) => this.deps.logger.error({ err, commandId: command.id }, "marking sent failed"));
  }

  private writeSent(tx: Queryable, batch: ReadonlyMap<string, number>): Promise<CommandRow[]> {
    return this.deps.repository.markSent(tx, batch);
  }

  /** Applies a device's report about one of its commands. Unknown or foreign ids are dropped. */
  handleResult(deviceId: string, result: CommandResult): Promise<void> {
    const state = RESULT_TO_STATE[result.status];
    const errorCode = result.errorCode || null;
    return this.resultWriter.enqueue(`${deviceId}/${result.commandId}`, {
      commandId: result.commandId,
      deviceId,
      state,
      atMs: this.deps.clock(),
      errorCode,
      message: result.message || null,
      signatureRefusal: state === "rejected" && errorCode !== null && SIGNATURE_REFUSALS.has(errorCode),
    });
  }

  /**
   * All results of a tick in one conditional UPDATE (and those that end a command whose type
   * has effects in a second one, in a unit with the effects), only for the reporting device's
   * own commands, and only forward: an open command takes any report; an accepted one only a final
   * one; a final state the server decided without the device's word (expired, timed out, ended
   * by an admin, or a refusal of a forged copy) yields to what the device reports of the genuine
   * command. A signature refusal never replaces anything but an undelivered state.
   */
  private async writeResults(
    q: Queryable,
    batch: ReadonlyMap<string, ReportedResult>,
  ): Promise<Consequences> {
    const reports = [...batch.values()];
    const repository = this.deps.repository;
    const consequences = new Consequences();
    // What ends no command whose type has effects, in one statement of its own (no effect runs).
    const plain = await repository.applyPlainReports(q, reports, TYPES_WITHOUT_END_EFFECTS);
    await this.recordTransitions(q, plain, consequences);
    const applied = new Set(plain.map((row) => row.id));
    const rest = reports.filter((r) => !applied.has(r.commandId));
    let written = plain.length;
    if (rest.length > 0) {
      // The rest with their types' effects, in one transaction: the caller's on SQLite (where
      // the statement above ran in it too), one of their own on PostgreSQL.
      const withEffects = async (tx: Queryable, into: Consequences) => {
        const rows = await repository.applyReports(tx, rest);
        await this.recordTransitions(tx, rows, into);
        return rows.length;
      };
      if (q.isTransaction) {
        written += await withEffects(q, consequences);
      } else {
        const ofUnit = new Consequences();
        try {
          written += await this.deps.store.unit((tx) => withEffects(tx, ofUnit));
        } catch (err) {
          // What the first statement wrote is stored: it is announced though the batch fails
          // (and written again, which changes nothing, if the store was unreachable).
          await this.settle(consequences);
          throw err;
        }
        consequences.absorb(ofUnit);
      }
    }
    const ignored = batch.size - written;
    if (ignored > 0) {
      this.deps.logger.debug({ ignored }, "ignored results: unknown, foreign or no longer open");
    }
    return consequences;
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

  /**
   * The deadlines, in one write unit: undelivered commands past their TTL expire; accepted ones
   * past their type's run bound, and sent ones past their type's answer bound, fail with
   * `timed_out`. Returns how many changed.
   */
  async sweepDeadlines(): Promise<number> {
    const now = this.deps.clock();
    const specs = [...COMMAND_CATALOG.values()];
    const runBounds: BoundsByType = new Map(specs.map((s) => [s.type, s.maxRunMs]));
    const answerBounds: BoundsByType = new Map(
      specs.flatMap((s) => (s.maxAnswerMs === undefined ? [] : [[s.type, s.maxAnswerMs] as const])),
    );
    const repository = this.deps.repository;
    const { rows } = await this.transition(async (tx) => [
      ...(await repository.expire(tx, now)),
      ...(await repository.failOverdue(tx, {
        state: "accepted",
        since: "accepted_at",
        bounds: runBounds,
        atMs: now,
        didNot: "the device accepted this command but did not finish it",
      })),
      ...(await repository.failOverdue(tx, {
        state: "sent",
        since: "sent_at",
        bounds: answerBounds,
        atMs: now,
        didNot: "the device received this command but did not answer",
      })),
    ]);
    return rows.length;
  }

  private async expire(commandIds: string[]): Promise<void> {
    const now = this.deps.clock();
    await this.transition((tx) => this.deps.repository.expire(tx, now, commandIds));
  }
}
