/**
 * Dynamic groups: named, saved device filters (the device list's filters, labels and sites
 * among them). A group holds whatever devices match its filter when it is read: it is counted,
 * listed (`GET /devices?group=`) and targeted (`{group: id}`) with the filter as it is then,
 * never with a stored list of devices. At most {@link MAX_GROUPS}; names are 1 to
 * {@link MAX_GROUP_NAME_LENGTH} characters, unique in any case. Changes are announced
 * (`group.created`, `group.updated`, `group.deleted`).
 */
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { newTimeOrderedId } from "../ids.js";
import { normalizeName } from "../names.js";
import type {
  DeviceGroupRecord,
  DeviceGroupRepository,
} from "../store/repositories/device-group-repository.js";
import type { Queryable, Store } from "../store/store.js";
import { whenNameFree } from "../store/unique-violation.js";
import type { DeviceFilter, DeviceService } from "./device-service.js";
import type { SavedGroups } from "./device-target.js";

export const MAX_GROUPS = 500;
export const MAX_GROUP_NAME_LENGTH = 80;
/** Groups counted at once while the list is read. */
const COUNT_CONCURRENCY = 4;

export interface GroupView {
  id: string;
  name: string;
  filter: DeviceFilter;
  /** Devices matching the filter now. */
  devices: number;
  createdAt: string;
  updatedAt: string;
}

export interface DeviceGroupsDeps {
  store: Store;
  repository: DeviceGroupRepository;
  devices: DeviceService;
  events: EventBus<ServerEvents>;
  clock: () => number;
}

export function normalizeGroupName(input: string): string {
  return normalizeName(input, MAX_GROUP_NAME_LENGTH, "a group's");
}

/**
 * The filter as it is saved: fields without a value left out. A filter that sets nothing
 * would be every device, which `{all: true}` says already: refused.
 */
export function normalizeGroupFilter(filter: DeviceFilter): DeviceFilter {
  const saved = Object.fromEntries(
    Object.entries(filter).filter(([, value]) => value !== undefined && value !== null),
  ) as DeviceFilter;
  if (Object.keys(saved).length === 0) {
    throw new MdmError(
      "validation_failed",
      "a group's filter sets at least one field (for every device, target all devices instead)",
      { field: "filter" },
    );
  }
  return saved;
}

export class DeviceGroups implements SavedGroups {
  constructor(private readonly deps: DeviceGroupsDeps) {}

  private get db(): Queryable {
    return this.deps.store.db;
  }

  /** Every group by name, each with how many devices match it now. */
  async list(): Promise<{ items: GroupView[]; total: number }> {
    const records = await this.deps.repository.list(this.db);
    const items: GroupView[] = new Array(records.length);
    let next = 0;
    const worker = async () => {
      while (next < records.length) {
        const i = next++;
        items[i] = await this.view(records[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(COUNT_CONCURRENCY, records.length) }, worker));
    return { items, total: items.length };
  }

  async get(groupId: string): Promise<GroupView> {
    return this.view(await this.record(groupId, this.db));
  }

  /** {@link SavedGroups}: the group's name and filter, read with `q` (a unit's transaction). */
  async saved(groupId: string, q: Queryable): Promise<{ id: string; name: string; filter: DeviceFilter }> {
    const { id, name, filter } = await this.record(groupId, q);
    return { id, name, filter };
  }

  /**
   * The group's filter and `extra` together (both must hold). A field both set must have the
   * same value in each: otherwise no device could match, and the request is refused naming it.
   */
  async filterWith(groupId: string, extra: DeviceFilter): Promise<DeviceFilter> {
    const group = await this.record(groupId, this.db);
    const merged: Record<string, unknown> = { ...group.filter };
    for (const [key, value] of Object.entries(extra)) {
      if (value === undefined) continue;
      if (merged[key] !== undefined && merged[key] !== value) {
        throw new MdmError(
          "validation_failed",
          `group '${group.name}' filters on ${key} already (${JSON.stringify(merged[key])}): ` +
            "leave it out, or give it the group's value",
          { field: key, group: group.id },
        );
      }
      merged[key] = value;
    }
    return merged as DeviceFilter;
  }

  async create(input: { name: string; filter: DeviceFilter }): Promise<GroupView> {
    const name = normalizeGroupName(input.name);
    const filter = normalizeGroupFilter(input.filter);
    const now = this.deps.clock();
    const record: DeviceGroupRecord = {
      id: newTimeOrderedId("grp", now),
      name,
      filter,
      createdAtMs: now,
      updatedAtMs: now,
    };
    const { repository } = this.deps;
    await this.nameMustBeFree(name, () =>
      this.deps.store.unit(async (tx) => {
        await repository.lockForInsert(tx);
        const count = await repository.count(tx);
        if (count >= MAX_GROUPS) {
          throw new MdmError("too_many_groups", `there are ${count} groups already, the most there can be`, {
            max: MAX_GROUPS,
          });
        }
        await repository.insert(tx, record);
      }),
    );
    const view = await this.view(record);
    this.deps.events.emit("group.created", { group: view });
    return view;
  }

  /** A new name, a new filter, or both; the group as it was and as it is. */
  async update(
    groupId: string,
    patch: { name?: string; filter?: DeviceFilter },
  ): Promise<{ before: GroupView; after: GroupView }> {
    const name = patch.name === undefined ? undefined : normalizeGroupName(patch.name);
    const filter = patch.filter === undefined ? undefined : normalizeGroupFilter(patch.filter);
    const before = await this.nameMustBeFree(name, () =>
      this.deps.store.unit(async (tx) => {
        const record = await this.record(groupId, tx);
        await this.deps.repository.update(tx, groupId, { name, filter }, this.deps.clock());
        return record;
      }),
    );
    const after = await this.get(groupId);
    this.deps.events.emit("group.updated", { group: after });
    return { before: await this.view(before), after };
  }

  /** The group as it was. */
  async delete(groupId: string): Promise<GroupView> {
    const record = await this.deps.store.unit(async (tx) => {
      const found = await this.record(groupId, tx);
      await this.deps.repository.delete(tx, groupId);
      return found;
    });
    const view = await this.view(record);
    this.deps.events.emit("group.deleted", { group: view });
    return view;
  }

  private async record(groupId: string, q: Queryable): Promise<DeviceGroupRecord> {
    const record = await this.deps.repository.byId(q, groupId);
    if (!record) {
      throw new MdmError("group_not_found", `group '${groupId}' does not exist`, { groupId });
    }
    return record;
  }

  /** The group with its device count: the device list's own count, never a read of the devices. */
  private async view(record: DeviceGroupRecord): Promise<GroupView> {
    const total = await this.deps.devices.count(record.filter);
    return {
      id: record.id,
      name: record.name,
      filter: record.filter,
      devices: total,
      createdAt: new Date(record.createdAtMs).toISOString(),
      updatedAt: new Date(record.updatedAtMs).toISOString(),
    };
  }

  /**
   * Runs a unit that may give a group `name`: the name's uniqueness (in any case) is the
   * store's own, so two units taking one name at once cannot both succeed.
   */
  private nameMustBeFree<T>(name: string | undefined, unit: () => Promise<T>): Promise<T> {
    return whenNameFree(name, unit, async () => {
      const clash = await this.deps.repository.byName(this.db, name!);
      return new MdmError(
        "group_name_taken",
        `a group named '${clash?.name ?? name}' exists`,
        clash ? { field: "name", groupId: clash.id } : { field: "name" },
      );
    });
  }
}
