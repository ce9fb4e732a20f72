/**
 * Which devices an action for many is for: a list of ids, a list of serials (a CSV of them, as
 * an inventory has them), a filter, or every device. Resolved to ids in the caller's unit, at the
 * time the action runs.
 */
import { MdmError } from "../errors.js";
import type { Queryable } from "../store/store.js";
import type { DeviceFilter, DeviceService } from "./device-service.js";

export type DeviceTarget =
  | { deviceIds: string[] }
  | { serials: string[] }
  | { all: true }
  | { filter: DeviceFilter };

/** The ids of the target's devices; an id or a serial no device has is an error naming it. */
export async function resolveDeviceTarget(
  devices: DeviceService,
  target: DeviceTarget,
  q: Queryable,
): Promise<string[]> {
  if ("deviceIds" in target) {
    const unique = [...new Set(target.deviceIds)];
    const known = new Set(await devices.idsMatching({}, q));
    const unknown = unique.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new MdmError("device_not_found", `unknown device ids: ${unknown.slice(0, 10).join(", ")}`, {
        field: "target.deviceIds",
        unknown: unknown.slice(0, 100),
      });
    }
    return unique;
  }
  if ("serials" in target) {
    const unique = [...new Set(target.serials)];
    const idBySerial = await devices.idsOfSerials(unique, q);
    const unknown = unique.filter((serial) => !idBySerial.has(serial));
    if (unknown.length > 0) {
      throw new MdmError("device_not_found", `no device has the serials ${unknown.slice(0, 10).join(", ")}`, {
        field: "target.serials",
        unknown: unknown.slice(0, 100),
      });
    }
    return unique.map((serial) => idBySerial.get(serial)!);
  }
  if ("all" in target) return devices.idsMatching({}, q);
  return devices.idsMatching(target.filter, q);
}
