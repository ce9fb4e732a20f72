/**
 * Labels on devices: any number each (up to {@link MAX_LABELS_PER_DEVICE}), for filtering the
 * device list and targeting fleet commands (`label` in a device filter). Added and removed in
 * bulk over a target (ids, serials, a filter, all), in one unit whatever the number of devices;
 * the devices that changed are announced (`device.updated`).
 */
import { MdmError } from "../errors.js";
import type { DeviceLabelRepository, LabelCount } from "../store/repositories/device-label-repository.js";
import type { Queryable, Store } from "../store/store.js";
import type { DeviceService } from "./device-service.js";
import { type DeviceTarget, resolveDeviceTarget, type SavedGroups } from "./device-target.js";

export const MAX_LABELS_PER_DEVICE = 20;
export const MAX_LABEL_LENGTH = 40;

export interface LabelChange {
  add?: readonly string[];
  remove?: readonly string[];
}

export interface LabelChangeResult {
  /** Devices the target named. */
  targeted: number;
  /** Devices whose labels changed. */
  changed: number;
}

export interface DeviceLabelsDeps {
  store: Store;
  repository: DeviceLabelRepository;
  devices: DeviceService;
  /** For targets that name a dynamic group. */
  groups?: SavedGroups;
  clock: () => number;
}

/**
 * A label as stored: trimmed, 1 to {@link MAX_LABEL_LENGTH} characters, no control characters.
 * Labels are compared exactly (`Lobby` and `lobby` are two labels).
 */
export function normalizeLabel(input: string, field: string): string {
  const label = input.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (label.length === 0 || label.length > MAX_LABEL_LENGTH || /[\u0000-\u001f\u007f]/.test(label)) {
    throw new MdmError(
      "validation_failed",
      `a label is 1 to ${MAX_LABEL_LENGTH} printable characters: '${label.slice(0, 60)}' is not`,
      { field },
    );
  }
  return label;
}

export class DeviceLabels {
  constructor(private readonly deps: DeviceLabelsDeps) {}

  /**
   * Adds and removes labels on the target's devices, in one unit: a label both added and
   * removed is refused, and a device that would carry more than {@link MAX_LABELS_PER_DEVICE}
   * fails the whole change (nothing is changed).
   */
  async change(target: DeviceTarget, change: LabelChange): Promise<LabelChangeResult> {
    const add = [...new Set((change.add ?? []).map((l) => normalizeLabel(l, "add")))];
    const remove = [...new Set((change.remove ?? []).map((l) => normalizeLabel(l, "remove")))];
    if (add.length === 0 && remove.length === 0) {
      throw new MdmError("validation_failed", "say which labels to add or remove", { field: "add" });
    }
    const both = add.filter((l) => remove.includes(l));
    if (both.length > 0) {
      throw new MdmError("validation_failed", `labels both added and removed: ${both.join(", ")}`, {
        field: "remove",
      });
    }
    const { repository, devices } = this.deps;
    const result = await this.deps.store.unit(async (tx) => {
      const ids = await resolveDeviceTarget(devices, target, tx, this.deps.groups);
      // Changes to the same devices take turns, so the limit below holds for both.
      await devices.lockRows(tx, ids);
      const lost = await repository.remove(tx, ids, remove);
      const gained = await repository.add(tx, ids, add, this.deps.clock());
      const over = await repository.overLimit(tx, gained, MAX_LABELS_PER_DEVICE);
      if (over.size > 0) {
        const [deviceId, count] = [...over][0]!;
        throw new MdmError(
          "too_many_labels",
          `a device carries at most ${MAX_LABELS_PER_DEVICE} labels; '${deviceId}' would carry ${count}` +
            (over.size > 1 ? `, and ${over.size - 1} more devices would carry too many` : ""),
          { field: "add", max: MAX_LABELS_PER_DEVICE, devices: over.size },
        );
      }
      return { targeted: ids.length, changedIds: [...new Set([...lost, ...gained])] };
    });
    await devices.announceMany(result.changedIds);
    return { targeted: result.targeted, changed: result.changedIds.length };
  }

  /**
   * Inside an enrolling unit: the token's labels are added to those the device has (a device
   * that comes back keeps its own), as many as fit under {@link MAX_LABELS_PER_DEVICE}, in the
   * token's order. Enrollment is never refused for labels.
   */
  async addAtEnrollment(tx: Queryable, deviceId: string, labels: readonly string[]): Promise<void> {
    if (labels.length === 0) return;
    const { repository } = this.deps;
    const has = (await repository.labelsOf(tx, [deviceId])).get(deviceId) ?? [];
    const fresh = labels
      .filter((l) => !has.includes(l))
      .slice(0, Math.max(0, MAX_LABELS_PER_DEVICE - has.length));
    await repository.add(tx, [deviceId], fresh, this.deps.clock());
  }

  /** Every label in use, with how many devices carry it. */
  counts(): Promise<LabelCount[]> {
    return this.deps.repository.counts(this.deps.store.db);
  }
}
