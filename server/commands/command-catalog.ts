/**
 * One row per command type: how an API body becomes an action, what issuing it changes at once,
 * and what its success changes in the store. The command service holds no per-type branches.
 */

import { SERVER_COMMAND_CODE, type ServerCommandCode } from "../../proto/result-codes.js";
import type { CommandAction, CommandType } from "../../proto/wire.js";
import type { Right } from "../admins/rights.js";
import type { DeviceService } from "../devices/device-service.js";
import { MdmError } from "../errors.js";
import { normalizeTimeSettings } from "../settings/time-validation.js";
import type { Queryable } from "../store/store.js";

/** What must happen outside the transaction once it has committed. */
export interface AfterCommit {
  /** Close the device's connection (its credential was revoked, or it may now only be deactivated). */
  disconnect?: boolean;
  /** Re-send the desired config (it changed). */
  pushConfig?: boolean;
  /** Announce the device's record (status, name, credential changed). */
  updated?: boolean;
}

/** Commands of one device that a type's effect ends, and why. */
export interface CancelOpenCommands {
  deviceIds: readonly string[];
  /** Commands left alone: the ones being issued. */
  exceptCommandIds?: readonly string[];
  /** Which open states to end; default: every open state. */
  states?: readonly ("queued" | "sent" | "accepted")[];
  code: ServerCommandCode;
  message: string;
  /** The message for a command the device had accepted (it may have run); default `message`. */
  messageIfRunning?: string;
}

export interface CommandEffectContext {
  /** The unit the effect runs in. */
  tx: Queryable;
  devices: DeviceService;
  /** Ends open commands of these devices in the same transaction (announced after commit). */
  cancelOpen(request: CancelOpenCommands): Promise<void>;
}

export interface CommandSpec {
  type: CommandType;
  /** The right an admin needs to issue it. */
  right: Right;
  /** Builds the action from the API body (already schema-checked); throws MdmError when invalid. */
  parse(body: Record<string, unknown>): CommandAction;
  /**
   * Longest a device may take from accepting the command to its final result; past it the
   * command is `failed` with `timed_out` (a later result from the device still wins).
   */
  maxRunMs: number;
  /**
   * Longest a device may take to answer at all once the command was sent to it, for types whose
   * consequences must not wait on a silent device.
   */
  maxAnswerMs?: number;
  /** Runs in the issuing transaction, once for all the devices it was issued to. */
  onIssued?(ctx: CommandEffectContext, issued: IssuedCommands): Promise<AfterCommit>;
  /** Runs in the transaction that records SUCCEEDED. */
  onSucceeded?(ctx: CommandEffectContext, deviceId: string, action: CommandAction): Promise<AfterCommit>;
  /**
   * Runs in the transaction that records any final state (succeeded, failed, rejected, expired,
   * canceled), after onSucceeded.
   */
  onFinished?(ctx: CommandEffectContext, deviceId: string): Promise<AfterCommit>;
}

export interface IssuedCommands {
  deviceIds: readonly string[];
  commandIds: readonly string[];
}

const MINUTE_MS = 60_000;

export const MAX_DEVICE_NAME_LENGTH = 64;

export function normalizeDeviceName(input: unknown): string {
  const name = typeof input === "string" ? input.trim() : "";
  // Control characters would corrupt the display and the logs.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
  if (name.length === 0 || name.length > MAX_DEVICE_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new MdmError(
      "validation_failed",
      `name must be 1 to ${MAX_DEVICE_NAME_LENGTH} printable characters`,
      { field: "name" },
    );
  }
  return name;
}

async function revokeAndSet(
  ctx: CommandEffectContext,
  deviceId: string,
  status: "reset" | "unmanaged",
): Promise<AfterCommit> {
  await ctx.devices.revokeCredential(ctx.tx, deviceId);
  await ctx.devices.setStatus(ctx.tx, [deviceId], status);
  return { disconnect: true, updated: true };
}

const specs: CommandSpec[] = [
  { type: "lock", right: "devices:command", maxRunMs: 2 * MINUTE_MS, parse: () => ({ type: "lock" }) },
  // The device reports SUCCEEDED after it is back with a new boot time.
  { type: "reboot", right: "devices:command", maxRunMs: 30 * MINUTE_MS, parse: () => ({ type: "reboot" }) },
  {
    type: "refresh_state",
    right: "devices:command",
    maxRunMs: 2 * MINUTE_MS,
    parse: () => ({ type: "refresh_state" }),
  },
  {
    type: "rename",
    right: "devices:command",
    maxRunMs: 2 * MINUTE_MS,
    parse: (body) => ({ type: "rename", name: normalizeDeviceName(body.name) }),
    async onSucceeded(ctx, deviceId, action) {
      if (action.type !== "rename") return {};
      await ctx.devices.setDesiredName(ctx.tx, deviceId, action.name);
      return { pushConfig: true, updated: true };
    },
  },
  {
    type: "set_time",
    right: "devices:command",
    // Applying a time source includes a first synchronization, which may take a while.
    maxRunMs: 5 * MINUTE_MS,
    parse(body) {
      if (typeof body.timezone !== "string") {
        throw new MdmError("validation_failed", "timezone is required ('auto' or an IANA zone)", {
          field: "timezone",
        });
      }
      const ntp = body.ntpServer;
      if (ntp !== undefined && ntp !== null && typeof ntp !== "string") {
        throw new MdmError("validation_failed", "ntpServer must be a string or null", { field: "ntpServer" });
      }
      return {
        type: "set_time",
        ...normalizeTimeSettings({ timezone: body.timezone, ntpServer: ntp ?? null }),
      };
    },
    async onSucceeded(ctx, deviceId, action) {
      if (action.type !== "set_time") return {};
      await ctx.devices.setDesiredTime(ctx.tx, deviceId, {
        timezone: action.timezone,
        ntpServer: action.ntpServer,
      });
      return { pushConfig: true, updated: true };
    },
  },
  {
    type: "factory_reset",
    right: "devices:wipe",
    // A wipe of a large disk takes time; the result comes before the device forgets its identity.
    maxRunMs: 60 * MINUTE_MS,
    parse: () => ({ type: "factory_reset" }),
    onSucceeded: (ctx, deviceId) => revokeAndSet(ctx, deviceId, "reset"),
  },
  {
    type: "stop_managing",
    right: "devices:unenroll",
    maxRunMs: 5 * MINUTE_MS,
    parse: () => ({ type: "stop_managing" }),
    onSucceeded: (ctx, deviceId) => revokeAndSet(ctx, deviceId, "unmanaged"),
  },
  {
    type: "deactivate",
    right: "devices:deactivate",
    maxRunMs: 5 * MINUTE_MS,
    // A device that has the command in hand and stays silent keeps its credential no longer.
    maxAnswerMs: 5 * MINUTE_MS,
    parse: () => ({ type: "deactivate" }),
    // Irreversible from the moment it is issued: the serial can never enroll again, nothing
    // queued before it is delivered, and the device's connection is dropped. From then on its
    // credential only lets it receive this command and answer it (see DeviceLink).
    async onIssued(ctx, issued) {
      await ctx.devices.denySerials(ctx.tx, issued.deviceIds);
      await ctx.devices.setStatus(ctx.tx, issued.deviceIds, "deactivated");
      await ctx.cancelOpen({
        deviceIds: issued.deviceIds,
        exceptCommandIds: issued.commandIds,
        states: ["queued"],
        code: SERVER_COMMAND_CODE.device_deactivated,
        message: "the device was permanently deactivated before it received this command",
      });
      return { disconnect: true, updated: true };
    },
    // However it ends (done, failed, refused, expired, canceled, timed out), no credential is
    // left behind, and nothing else of the device stays open.
    async onFinished(ctx, deviceId) {
      await ctx.devices.revokeCredential(ctx.tx, deviceId);
      await ctx.cancelOpen({
        deviceIds: [deviceId],
        code: SERVER_COMMAND_CODE.device_deactivated,
        message: "the device was permanently deactivated before it received this command",
        messageIfRunning:
          "the device was permanently deactivated while running this command; it may have finished it",
      });
      return { disconnect: true, updated: true };
    },
  },
];
export const COMMAND_CATALOG: ReadonlyMap<CommandType, CommandSpec> = new Map(specs.map((s) => [s.type, s]));

export function commandSpec(type: CommandType): CommandSpec {
  const spec = COMMAND_CATALOG.get(type);
  if (!spec) throw new MdmError("validation_failed", `unknown command type '${type}'`, { field: "type" });
  return spec;
}

/** Types whose end changes nothing else in the store: recording it takes one statement. */
export const TYPES_WITHOUT_END_EFFECTS: readonly CommandType[] = specs
  .filter((s) => !s.onSucceeded && !s.onFinished)
  .map((s) => s.type);
