/**
 * Which devices an action for many is for: a list of ids, a list of serials (a CSV of them, as
 * an inventory has them), a filter, a dynamic group (its saved filter as it is then), or every
 * device. Resolved to ids in the caller's unit, at the time the action runs.
 */
import { MdmError } from "../errors.js";
import type { Queryable } from "../store/store.js";
import type { DeviceFilter, DeviceService } from "./device-service.js";

export type DeviceTarget =
  | { deviceIds: string[] }
  | { serials: string[] }
  | { all: true }
  | { filter: DeviceFilter }
  | { group: string };

/** A target as an action records it: a group with its name and filter at the time. */
export type RecordedTarget =
  | Exclude<DeviceTarget, { group: string }>
  | { group: string; name: string; filter: DeviceFilter };

/** Where a group target's saved filter comes from (server/devices/device-groups.ts). */
export interface SavedGroups {
  /** The group's name and saved filter, read with `q`; group_not_found when there is none. */
  saved(groupId: string, q: Queryable): Promise<{ id: string; name: string; filter: DeviceFilter }>;
}

export interface ResolvedTarget {
  deviceIds: string[];
  recorded: RecordedTarget;
}

/**
 * The ids of the target's devices, and the target as the action records it; an id or a serial
 * no device has, or a group that does not exist, is an error naming it.
 */
export async function resolveTarget(
  devices: DeviceService,
  target: DeviceTarget,
  q: Queryable,
  groups?: SavedGroups,
): Promise<ResolvedTarget> {
  if ("group" in target) {
    if (!groups) throw new Error("a group target is resolved with the saved groups");
    const group = await groups.saved(target.group, q);
    return {
      deviceIds: await devices.idsMatching(group.filter, q),
      recorded: { group: group.id, name: group.name, filter: group.filter },
    };
  }
  return { deviceIds: await resolveDeviceTarget(devices, target, q), recorded: target };
}

/** The ids of the target's devices; an id or a serial no device has is an error naming it. */
export async function resolveDeviceTarget(
  devices: DeviceService,
  target: DeviceTarget,
  q: Queryable,
  groups?: SavedGroups,
): Promise<string[]> {
  if ("group" in target) return (await resolveTarget(devices, target, q, groups)).deviceIds;
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
