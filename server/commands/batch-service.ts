/**
 * Fleet commands: one batch row plus one command per targeted device, created in a single
 * transaction. Progress is the count of the batch's commands per state.
 */
import type { CommandAction } from "../../proto/wire.js";
import type { DeviceService } from "../devices/device-service.js";
import {
  type DeviceTarget,
  type RecordedTarget,
  resolveTarget,
  type SavedGroups,
} from "../devices/device-target.js";
import { MdmError } from "../errors.js";
import { newTimeOrderedId } from "../ids.js";
import { pageFrom } from "../paging.js";
import type { BatchRow, CommandRepository } from "../store/repositories/command-repository.js";
import type { Queryable, Store } from "../store/store.js";
import {
  actionParams,
  COMMAND_STATES,
  type CommandState,
  type CommandView,
  commandViewFromRow,
} from "./command.js";
import { type CommandService, Consequences, type IssueOptions } from "./command-service.js";

export type BatchTarget = DeviceTarget;

/** What a retry sends again: the commands that ended without the device doing them. */
export const RETRYABLE_STATES: readonly CommandState[] = ["failed", "rejected", "expired"];

/** One device's command of a fleet command. */
export interface BatchCommandView extends CommandView {
  deviceName: string;
}

export interface BatchView {
  id: string;
  type: string;
  params: Record<string, unknown>;
  /** As given, but a group with its name and filter when the fleet command was created. */
  target: RecordedTarget;
  total: number;
  /** Targeted devices that were not active (reset, unmanaged, deactivated) and got no command. */
  skipped: number;
  counts: Record<CommandState, number>;
  /** Of the queued ones, those held until their devices' maintenance windows open. */
  waitingForWindow: number;
  /** Its commands wait for their devices' maintenance windows. */
  inWindow: boolean;
  done: boolean;
  createdAt: string;
  createdBy: string | null;
}

export class BatchService {
  constructor(
    private readonly store: Store,
    private readonly repository: CommandRepository,
    private readonly devices: DeviceService,
    private readonly commands: CommandService,
    private readonly clock: () => number,
    /** For targets that name a dynamic group. */
    private readonly groups?: SavedGroups,
  ) {}

  /**
   * One batch row and one command per targeted active device, in one transaction, through the
   * same issuing path as a single command (the type's effects, announcements and delivery).
   */
  async create(target: BatchTarget, action: CommandAction, options: IssueOptions = {}): Promise<BatchView> {
    const consequences = new Consequences();
    const batchId = await this.store.unit((tx) =>
      this.createInUnit(tx, target, action, options, consequences),
    );
    await this.commands.settle(consequences);
    return this.get(batchId);
  }

  /** How many devices the target names now; unknown ids, serials or groups are refused by name. */
  async targetSize(target: BatchTarget, q: Queryable = this.store.db): Promise<number> {
    return (await resolveTarget(this.devices, target, q, this.groups)).deviceIds.length;
  }

  /**
   * {@link create} inside the caller's unit (a schedule's run commits with its fleet command):
   * the target is resolved now; the caller settles `consequences` after the commit. The new
   * batch's id.
   */
  async createInUnit(
    tx: Queryable,
    target: BatchTarget,
    action: CommandAction,
    options: IssueOptions,
    consequences: Consequences,
  ): Promise<string> {
    const batchId = newTimeOrderedId("bat", this.clock());
    const { deviceIds: targeted, recorded } = await resolveTarget(this.devices, target, tx, this.groups);
    const active = new Set(await this.devices.idsMatching({ status: "active" }, tx));
    const eligible = targeted.filter((id) => active.has(id));
    await this.repository.insertBatch(tx, {
      id: batchId,
      type: action.type,
      paramsJson: JSON.stringify(actionParams(action)),
      targetJson: JSON.stringify({ target: recorded, skipped: targeted.length - eligible.length }),
      total: eligible.length,
      createdAtMs: this.clock(),
      createdBy: options.actor ?? null,
    });
    await this.commands.issueInUnit(tx, eligible, action, { ...options, batchId }, consequences);
    return batchId;
  }

  /**
   * A new fleet command with the same command, for the devices where this one failed, was
   * rejected or expired. Devices no longer managed are skipped, as by {@link create}. It waits
   * for maintenance windows as this one did, unless `inWindow` says otherwise.
   */
  async retry(batchId: string, options: IssueOptions = {}): Promise<BatchView> {
    const row = await this.getRow(batchId);
    const inWindow =
      options.inWindow ?? (await this.repository.progressOfBatch(this.store.db, batchId)).inWindow;
    const failed = await this.repository.devicesOfBatchIn(this.store.db, batchId, RETRYABLE_STATES);
    if (failed.length === 0) {
      throw new MdmError(
        "batch_nothing_to_retry",
        `batch '${batchId}' has no command that failed, was rejected or expired`,
      );
    }
    // Parsed again as a request would be: a type that cannot wait for a window is refused so.
    const { action } = this.commands.parseRequest({
      type: row.type,
      ...(JSON.parse(row.params_json) as Record<string, unknown>),
      inWindow,
    });
    return this.create({ deviceIds: failed }, action, { ...options, inWindow });
  }

  /** Fleet commands, newest first. */
  async list(
    limit: number,
    cursor: string | null,
  ): Promise<{ items: BatchView[]; nextCursor: string | null }> {
    const rows = await this.repository.pageOfBatches(this.store.db, limit + 1, cursor);
    const page = pageFrom(
      rows,
      limit,
      (row) => row.id,
      (row) => this.viewOf(row),
    );
    return { items: await Promise.all(page.items), nextCursor: page.nextCursor };
  }

  async get(batchId: string): Promise<BatchView> {
    return this.viewOf(await this.getRow(batchId));
  }

  private async getRow(batchId: string): Promise<BatchRow> {
    const row = await this.repository.batchById(this.store.db, batchId);
    if (!row) throw new MdmError("batch_not_found", `batch '${batchId}' does not exist`);
    return row;
  }

  /**
   * The fleet command's per-device commands with the device's name, in a stable order; `states`
   * narrows it, e.g. to what did not succeed.
   */
  async commandsOf(
    batchId: string,
    query: { states?: readonly CommandState[]; limit: number; cursor: string | null },
  ): Promise<{ items: BatchCommandView[]; nextCursor: string | null }> {
    await this.get(batchId);
    const states = query.states?.length ? query.states : COMMAND_STATES;
    const rows = await this.repository.pageOfBatch(this.store.db, {
      batchId,
      states,
      afterId: query.cursor,
      limit: query.limit + 1,
    });
    return pageFrom(
      rows,
      query.limit,
      (row) => row.id,
      (row) => ({ ...commandViewFromRow(row), deviceName: row.device_name }),
    );
  }

  private async viewOf(row: BatchRow): Promise<BatchView> {
    const batchId = row.id;
    const progress = await this.repository.progressOfBatch(this.store.db, batchId);
    const stored = progress.byState;
    const counts = Object.fromEntries(COMMAND_STATES.map((s) => [s, stored.get(s) ?? 0])) as Record<
      CommandState,
      number
    >;
    const open = counts.queued + counts.sent + counts.accepted;
    const target = JSON.parse(row.target_json) as { target: RecordedTarget; skipped: number };
    return {
      id: row.id,
      type: row.type,
      params: JSON.parse(row.params_json) as Record<string, unknown>,
      target: target.target,
      total: row.total,
      skipped: target.skipped,
      counts,
      waitingForWindow: progress.waitingForWindow,
      inWindow: progress.inWindow,
      done: open === 0,
      createdAt: new Date(row.created_at).toISOString(),
      createdBy: row.created_by,
    };
  }
}
