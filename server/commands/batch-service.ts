/**
 * Fleet commands: one batch row plus one command per targeted device, created in a single
 * transaction. Progress is the count of the batch's commands per state.
 */
import type { CommandAction, CommandType } from "../../proto/wire.js";
import type { DeviceFilter, DeviceService } from "../devices/device-service.js";
import { MdmError } from "../errors.js";
import { newTimeOrderedId } from "../ids.js";
import type { Database, WriteContext } from "../store/database.js";
import {
  actionParams,
  COMMAND_STATES,
  type CommandRow,
  type CommandState,
  type CommandView,
  commandViewFromRow,
} from "./command.js";
import { type CommandService, Consequences, type IssueOptions } from "./command-service.js";

export type BatchTarget = { deviceIds: string[] } | { all: true } | { filter: DeviceFilter };

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
  target: BatchTarget;
  total: number;
  /** Targeted devices that were not active (reset, unmanaged, deactivated) and got no command. */
  skipped: number;
  counts: Record<CommandState, number>;
  done: boolean;
  createdAt: string;
  createdBy: string | null;
}

interface BatchRow {
  id: string;
  type: CommandType;
  params_json: string;
  target_json: string;
  total: number;
  created_at: number;
  created_by: string | null;
}

export class BatchService {
  constructor(
    private readonly db: Database,
    private readonly devices: DeviceService,
    private readonly commands: CommandService,
    private readonly clock: () => number,
  ) {}

  /**
   * One batch row and one command per targeted active device, in one transaction, through the
   * same issuing path as a single command (the type's effects, announcements and delivery).
   */
  async create(target: BatchTarget, action: CommandAction, options: IssueOptions = {}): Promise<BatchView> {
    const batchId = newTimeOrderedId("bat", this.clock());
    const consequences = new Consequences();
    await this.db.write(async (tx) => {
      const targeted = await this.resolveTarget(target, tx);
      const active = new Set(await this.devices.idsMatching({ status: "active" }, tx));
      const eligible = targeted.filter((id) => active.has(id));
      await tx.run(
        `INSERT INTO batches (id, type, params_json, target_json, total, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [
          batchId,
          action.type,
          JSON.stringify(actionParams(action)),
          JSON.stringify({ target, skipped: targeted.length - eligible.length }),
          eligible.length,
          this.clock(),
          options.actor ?? null,
        ],
      );
      await this.commands.issueInUnit(tx, eligible, action, { ...options, batchId }, consequences);
    });
    await this.commands.settle(consequences);
    return this.get(batchId);
  }

  /**
   * A new fleet command with the same command, for the devices where this one failed, was
   * rejected or expired. Devices no longer managed are skipped, as by {@link create}.
   */
  async retry(batchId: string, options: IssueOptions = {}): Promise<BatchView> {
    const row = await this.getRow(batchId);
    const failed = await this.db.all<{ device_id: string }>(
      `SELECT DISTINCT device_id FROM commands
       WHERE batch_id = ? AND state IN (SELECT value FROM json_each(?)) ORDER BY device_id`,
      [batchId, JSON.stringify(RETRYABLE_STATES)],
    );
    if (failed.length === 0) {
      throw new MdmError(
        "batch_nothing_to_retry",
        `batch '${batchId}' has no command that failed, was rejected or expired`,
      );
    }
    const action = { type: row.type, ...JSON.parse(row.params_json) } as CommandAction;
    return this.create({ deviceIds: failed.map((f) => f.device_id) }, action, options);
  }

  private async resolveTarget(target: BatchTarget, tx: WriteContext): Promise<string[]> {
    if ("deviceIds" in target) {
      const unique = [...new Set(target.deviceIds)];
      const known = new Set(await this.devices.idsMatching({}, tx));
      const unknown = unique.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        throw new MdmError("device_not_found", `unknown device ids: ${unknown.slice(0, 10).join(", ")}`, {
          field: "target.deviceIds",
          unknown: unknown.slice(0, 100),
        });
      }
      return unique;
    }
    if ("all" in target) return this.devices.idsMatching({}, tx);
    return this.devices.idsMatching(target.filter, tx);
  }

  /** Fleet commands, newest first. */
  async list(
    limit: number,
    cursor: string | null,
  ): Promise<{ items: BatchView[]; nextCursor: string | null }> {
    const rows = await this.db.all<BatchRow>(
      `SELECT * FROM batches ${cursor ? "WHERE id < ?" : ""} ORDER BY id DESC LIMIT ?`,
      cursor ? [cursor, limit + 1] : [limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      items: await Promise.all(page.map((row) => this.viewOf(row))),
      nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  async get(batchId: string): Promise<BatchView> {
    return this.viewOf(await this.getRow(batchId));
  }

  private async getRow(batchId: string): Promise<BatchRow> {
    const row = await this.db.get<BatchRow>("SELECT * FROM batches WHERE id = ?", [batchId]);
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
    const rows = await this.db.all<CommandRow & { device_name: string }>(
      `SELECT c.*, d.name AS device_name FROM commands AS c JOIN devices AS d ON d.id = c.device_id
       WHERE c.batch_id = ? AND c.state IN (SELECT value FROM json_each(?)) ${query.cursor ? "AND c.id > ?" : ""}
       ORDER BY c.id LIMIT ?`,
      [batchId, JSON.stringify(states), ...(query.cursor ? [query.cursor] : []), query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((row) => ({ ...commandViewFromRow(row), deviceName: row.device_name })),
      nextCursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  private async viewOf(row: BatchRow): Promise<BatchView> {
    const batchId = row.id;
    const countRows = await this.db.all<{ state: CommandState; n: number }>(
      "SELECT state, count(*) AS n FROM commands WHERE batch_id = ? GROUP BY state",
      [batchId],
    );
    const counts = Object.fromEntries(COMMAND_STATES.map((s) => [s, 0])) as Record<CommandState, number>;
    for (const c of countRows) counts[c.state] = c.n;
    const open = counts.queued + counts.sent + counts.accepted;
    const stored = JSON.parse(row.target_json) as { target: BatchTarget; skipped: number };
    return {
      id: row.id,
      type: row.type,
      params: JSON.parse(row.params_json) as Record<string, unknown>,
      target: stored.target,
      total: row.total,
      skipped: stored.skipped,
      counts,
      done: open === 0,
      createdAt: new Date(row.created_at).toISOString(),
      createdBy: row.created_by,
    };
  }
}
