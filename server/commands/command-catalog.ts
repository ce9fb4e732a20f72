/**
 * One row per command type: how an API body becomes an action, what issuing it changes at once,
 * and what its success changes in the store. The command service holds no per-type branches.
 */
import type { CommandAction, CommandType } from "../../proto/wire.js";
import type { Right } from "../admins/rights.js";
import type { DeviceService } from "../devices/device-service.js";
import { MdmError } from "../errors.js";
import { normalizeTimeSettings } from "../settings/time-validation.js";
import type { WriteContext } from "../store/database.js";

/** What must happen outside the transaction once it has committed. */
export interface AfterCommit {
  /** Close the device's connection (its credential was revoked). */
  disconnect?: boolean;
  /** Re-send the desired config (it changed). */
  pushConfig?: boolean;
}

export interface CommandEffectContext {
  tx: WriteContext;
  devices: DeviceService;
  deviceId: string;
}

export interface CommandSpec {
  type: CommandType;
  /** The right an admin needs to issue it. */
  right: Right;
  /** Builds the action from the API body (already schema-checked); throws MdmError when invalid. */
  parse(body: Record<string, unknown>): CommandAction;
  /** Runs in the issuing transaction; may refuse or change the device at once. */
  onIssued?(ctx: CommandEffectContext): Promise<AfterCommit>;
  /** Runs in the transaction that records SUCCEEDED. */
  onSucceeded?(ctx: CommandEffectContext, action: CommandAction): Promise<AfterCommit>;
}

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

async function revokeAndSet(ctx: CommandEffectContext, status: "reset" | "unmanaged"): Promise<AfterCommit> {
  await ctx.devices.revokeCredential(ctx.tx, ctx.deviceId);
  await ctx.devices.setStatus(ctx.tx, ctx.deviceId, status);
  return { disconnect: true };
}

const specs: CommandSpec[] = [
  { type: "lock", right: "devices:command", parse: () => ({ type: "lock" }) },
  { type: "reboot", right: "devices:command", parse: () => ({ type: "reboot" }) },
  { type: "refresh_state", right: "devices:command", parse: () => ({ type: "refresh_state" }) },
  {
    type: "rename",
    right: "devices:command",
    parse: (body) => ({ type: "rename", name: normalizeDeviceName(body.name) }),
    async onSucceeded(ctx, action) {
      if (action.type !== "rename") return {};
      await ctx.devices.setDesiredName(ctx.tx, ctx.deviceId, action.name);
      return { pushConfig: true };
    },
  },
  {
    type: "set_time",
    right: "devices:command",
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
    async onSucceeded(ctx, action) {
      if (action.type !== "set_time") return {};
      await ctx.devices.setDesiredTime(ctx.tx, ctx.deviceId, {
        timezone: action.timezone,
        ntpServer: action.ntpServer,
      });
      return { pushConfig: true };
    },
  },
  {
    type: "factory_reset",
    right: "devices:wipe",
    parse: () => ({ type: "factory_reset" }),
    onSucceeded: (ctx) => revokeAndSet(ctx, "reset"),
  },
  {
    type: "stop_managing",
    right: "devices:unenroll",
    parse: () => ({ type: "stop_managing" }),
    onSucceeded: (ctx) => revokeAndSet(ctx, "unmanaged"),
  },
  {
    type: "deactivate",
    right: "devices:deactivate",
    parse: () => ({ type: "deactivate" }),
    // Irreversible from the moment it is issued: the serial can never enroll again, and no
    // other command may follow. The credential stays until the device has received this one.
    async onIssued(ctx) {
      await ctx.devices.denySerial(ctx.tx, ctx.deviceId);
      await ctx.devices.setStatus(ctx.tx, ctx.deviceId, "deactivated");
      return {};
    },
    async onSucceeded(ctx) {
      await ctx.devices.revokeCredential(ctx.tx, ctx.deviceId);
      return { disconnect: true };
    },
  },
];

export const COMMAND_CATALOG: ReadonlyMap<CommandType, CommandSpec> = new Map(specs.map((s) => [s.type, s]));

export function commandSpec(type: CommandType): CommandSpec {
  const spec = COMMAND_CATALOG.get(type);
  if (!spec) throw new MdmError("validation_failed", `unknown command type '${type}'`, { field: "type" });
  return spec;
}
