/**
 * Sites: static groups, at most one per device ("Berlin office", "NYC lobby"), with settings of
 * their own. The date & time rule is one: a device runs its site's date & time when its site has
 * one, else the global setting. Changing a site's setting rewrites the desired config of exactly
 * its devices and pushes it; moving devices between sites gives each the date & time it follows
 * there. (A time settings command for one device sets that device's own until the next of
 * those changes; the device page says "from this device".) A site may have a maintenance window
 * (see maintenance-window.ts): commands issued "in window" wait for it (maintenance-windows.ts).
 */
import type { TimeSettings } from "../../proto/wire.js";
import type { DeviceView } from "../devices/device.js";
import type { DeviceService } from "../devices/device-service.js";
import { type DeviceTarget, resolveDeviceTarget, type SavedGroups } from "../devices/device-target.js";
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { newTimeOrderedId } from "../ids.js";
import { normalizeName } from "../names.js";
import { pageFrom } from "../paging.js";
import { normalizeTimeSettings } from "../settings/time-validation.js";
import type { DeviceRepository, SiteTimeCount } from "../store/repositories/device-repository.js";
import type { EnrollmentRepository } from "../store/repositories/enrollment-repository.js";
import type { SiteRecord, SiteRepository } from "../store/repositories/site-repository.js";
import type { Queryable, Store } from "../store/store.js";
import { whenNameFree } from "../store/unique-violation.js";
import { isoOrNull } from "../time-format.js";
import {
  type MaintenanceWindow,
  type MaintenanceWindowInput,
  parseWindow,
  windowState,
} from "./maintenance-window.js";

/** At most this many sites. */
export const MAX_SITES = 1000;
export const MAX_SITE_NAME_LENGTH = 80;

/** A site as the API shows it. */
export interface SiteView {
  id: string;
  name: string;
  /** Its own date & time; null: its devices follow the global setting. */
  time: TimeSettings | null;
  /** What its devices run: its own date & time, or the global one. */
  effectiveTime: TimeSettings & { source: "site" | "global" };
  /** Its maintenance window; null: none (commands that wait for one go at once). */
  window: MaintenanceWindow | null;
  /** Whether the window is open now and its next change; without a window always open. */
  windowState: { open: boolean; opensAt: string | null; closesAt: string | null };
  /** Its managed devices, those running its effective date & time, and those not (yet). */
  devices: number;
  applied: number;
  pending: number;
  createdAt: string;
  updatedAt: string;
}

export interface SiteInput {
  name: string;
  time?: { timezone: string; ntpServer: string | null } | null;
  /** Its maintenance window; without a zone, read in the site's own (fixed) time zone. */
  window?: MaintenanceWindowInput | null;
}

export interface SitePatch {
  name?: string;
  time?: { timezone: string; ntpServer: string | null } | null;
  /** A new maintenance window, or null: none any more. */
  window?: MaintenanceWindowInput | null;
}

export interface SiteAssignResult {
  /** Devices the target named. */
  targeted: number;
  /** Devices that moved (those already there did not). */
  moved: number;
}

export interface SitesDeps {
  store: Store;
  repository: SiteRepository;
  deviceRepository: DeviceRepository;
  enrollmentRepository: EnrollmentRepository;
  devices: DeviceService;
  /** For targets that name a dynamic group. */
  groups: SavedGroups;
  /** The global date & time; inside a unit, read in its transaction. */
  globalTime: (q?: Queryable) => Promise<TimeSettings>;
  events: EventBus<ServerEvents>;
  clock: () => number;
  /**
   * A window was set, changed or removed, or devices moved between sites: the commands waiting
   * for windows are held or released as the windows are now, without waiting for the next look.
   */
  windowsChanged?: () => Promise<unknown>;
}

/** The zone a window without one is read in: the site's own fixed zone, if it has one. */
function ownZone(time: TimeSettings | null): string | null {
  return time && time.timezone !== "auto" ? time.timezone : null;
}

export class Sites {
  constructor(private readonly deps: SitesDeps) {}

  private get db(): Queryable {
    return this.deps.store.db;
  }

  /** Every site, by name, with its device counts (one grouped scan of the devices). */
  async list(): Promise<SiteView[]> {
    const [sites, global] = await Promise.all([this.deps.repository.list(this.db), this.deps.globalTime()]);
    const counts = await this.deps.deviceRepository.countTimeAppliedBySite(this.db, global);
    return sites.map((site) => this.view(site, global, counts));
  }

  async get(id: string): Promise<SiteView> {
    const site = await this.deps.repository.get(this.db, id);
    if (!site) throw notFound(id);
    const global = await this.deps.globalTime();
    const counts = await this.deps.deviceRepository.countTimeAppliedBySite(this.db, global, id);
    return this.view(site, global, counts);
  }

  /** The site's managed devices that do not run its effective date & time (yet), by id. */
  async pendingDevices(
    id: string,
    limit: number,
    cursor: string | null,
  ): Promise<{ items: DeviceView[]; nextCursor: string | null }> {
    const site = await this.deps.repository.get(this.db, id);
    if (!site) throw notFound(id);
    const time = site.time ?? (await this.deps.globalTime());
    const records = await this.deps.deviceRepository.listTimePending(
      this.db,
      time,
      { siteId: id },
      { afterId: cursor, limit: limit + 1 },
    );
    return pageFrom(
      records,
      limit,
      (r) => r.id,
      (r) => this.deps.devices.view(r),
    );
  }

  async create(input: SiteInput): Promise<SiteView> {
    const name = normalizeName(input.name, MAX_SITE_NAME_LENGTH, "a site's");
    const time = input.time ? normalizeTimeSettings(input.time) : null;
    const window = input.window ? parseWindow(input.window, ownZone(time)) : null;
    const now = this.deps.clock();
    const site: SiteRecord = {
      id: newTimeOrderedId("site", now),
      name,
      time,
      window,
      createdAtMs: now,
      updatedAtMs: now,
    };
    await this.named(name, () =>
      this.deps.store.unit(async (tx) => {
        await this.deps.repository.lockForInsert(tx);
        if ((await this.deps.repository.count(tx)) >= MAX_SITES) {
          throw new MdmError("too_many_sites", `at most ${MAX_SITES} sites can exist; remove one first`, {
            max: MAX_SITES,
          });
        }
        await this.deps.repository.insert(tx, site);
      }),
    );
    return this.announce(site.id);
  }

  /**
   * Renames the site, sets its date & time (null: follow the global setting again) and/or its
   * maintenance window (null: none). A new date & time goes to exactly its devices, pushed to
   * those online; a new window holds or releases their commands that wait for it at once.
   */
  async update(id: string, patch: SitePatch): Promise<SiteView> {
    const name =
      patch.name === undefined ? undefined : normalizeName(patch.name, MAX_SITE_NAME_LENGTH, "a site's");
    const time =
      patch.time === undefined ? undefined : patch.time === null ? null : normalizeTimeSettings(patch.time);
    const changed = await this.named(name, () =>
      this.deps.store.unit(async (tx) => {
        const site = await this.deps.repository.getForUpdate(tx, id);
        if (!site) throw notFound(id);
        const window =
          patch.window === undefined
            ? undefined
            : patch.window === null
              ? null
              : parseWindow(patch.window, ownZone(time === undefined ? site.time : time));
        await this.deps.repository.update(tx, id, { name, time, window }, this.deps.clock());
        if (time === undefined)
          return name !== undefined && name !== site.name ? await this.deviceIdsOf(tx, id) : [];
        // Its own date & time, or (null) the global one again: what its devices follow now.
        const effective = time ?? (await this.deps.globalTime(tx));
        return this.deps.deviceRepository.setDesiredTimeOfManaged(
          tx,
          effective,
          { siteId: id },
          time === null ? "global" : "site",
        );
      }),
    );
    await this.pushAndAnnounce(changed);
    if (patch.window !== undefined) await this.windowsChanged();
    return this.announce(id);
  }

  /** Deletes the site: its devices belong to none and follow the global date & time; tokens lose it. */
  async delete(id: string): Promise<{ name: string; devicesMoved: number }> {
    const { name, moved } = await this.deps.store.unit(async (tx) => {
      const site = await this.deps.repository.getForUpdate(tx, id);
      if (!site) throw notFound(id);
      const ids = await this.deviceIdsOf(tx, id);
      const movedIds = await this.deps.deviceRepository.moveToSite(tx, ids, null, {
        settings: await this.deps.globalTime(tx),
        source: "global",
      });
      await this.deps.enrollmentRepository.clearSite(tx, id);
      await this.deps.repository.delete(tx, id);
      return { name: site.name, moved: movedIds };
    });
    await this.pushAndAnnounce(moved);
    if (moved.length > 0) await this.windowsChanged();
    this.deps.events.emit("site.deleted", { siteId: id });
    return { name, devicesMoved: moved.length };
  }

  /**
   * Moves the target's devices into the site (null: out of any), each given the date & time it
   * follows there, pushed to those online. Devices already there stay as they are.
   */
  async assign(target: DeviceTarget, siteId: string | null): Promise<SiteAssignResult> {
    const { devices } = this.deps;
    const result = await this.deps.store.unit(async (tx) => {
      const time = await this.timeIn(tx, siteId);
      const ids = await resolveDeviceTarget(devices, target, tx, this.deps.groups);
      await devices.lockRows(tx, ids);
      const moved = await this.deps.deviceRepository.moveToSite(tx, ids, siteId, time);
      return { targeted: ids.length, moved };
    });
    await this.pushAndAnnounce(result.moved);
    if (result.moved.length > 0) await this.windowsChanged();
    if (siteId !== null) this.emitUpdated(siteId);
    return { targeted: result.targeted, moved: result.moved.length };
  }

  /**
   * Inside an enrolling unit: the device joins the token's site (a device that comes back
   * without one keeps its own). Its desired config is pushed by the enrollment's connect.
   */
  async joinAtEnrollment(tx: Queryable, deviceId: string, siteId: string | null): Promise<void> {
    if (siteId === null) return;
    const time = await this.timeIn(tx, siteId, { missingIsNone: true });
    await this.deps.deviceRepository.moveToSite(tx, [deviceId], time.siteId, time);
  }

  /** A site's id as given for a token or a move, checked: unknown is an error naming it. */
  async requireExists(siteId: string, q: Queryable = this.db): Promise<void> {
    if (!(await this.deps.repository.get(q, siteId))) throw notFound(siteId);
  }

  /** What a device in `siteId` runs: the site's date & time, or the global one. Locks the site's row. */
  private async timeIn(
    tx: Queryable,
    siteId: string | null,
    options: { missingIsNone?: boolean } = {},
  ): Promise<{ siteId: string | null; settings: TimeSettings; source: "site" | "global" }> {
    if (siteId === null) return { siteId, settings: await this.deps.globalTime(tx), source: "global" };
    const site = await this.deps.repository.getForUpdate(tx, siteId);
    if (!site) {
      // A site removed after the token that names it was read: the device joins none.
      if (options.missingIsNone)
        return { siteId: null, settings: await this.deps.globalTime(tx), source: "global" };
      throw notFound(siteId);
    }
    return site.time
      ? { siteId, settings: site.time, source: "site" }
      : { siteId, settings: await this.deps.globalTime(tx), source: "global" };
  }

  /** What is stored is done; the commands that wait for windows catch up at the next look if this fails. */
  private async windowsChanged(): Promise<void> {
    await this.deps.windowsChanged?.().catch(() => undefined);
  }

  private deviceIdsOf(q: Queryable, siteId: string): Promise<string[]> {
    return this.deps.deviceRepository.idsOfSite(q, siteId);
  }

  private async pushAndAnnounce(deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    await Promise.all(deviceIds.map((id) => this.deps.devices.pushDesiredConfig(id)));
    await this.deps.devices.announceMany(deviceIds);
  }

  private async announce(id: string): Promise<SiteView> {
    const view = await this.get(id);
    this.deps.events.emit("site.updated", { site: view });
    return view;
  }

  private emitUpdated(id: string): void {
    this.announce(id).catch(() => undefined);
  }

  private view(site: SiteRecord, global: TimeSettings, counts: readonly SiteTimeCount[]): SiteView {
    const count = counts.find((c) => c.siteId === site.id) ?? { total: 0, applied: 0 };
    const effective = site.time ?? global;
    const state = site.window ? windowState(site.window, this.deps.clock()) : null;
    return {
      id: site.id,
      name: site.name,
      time: site.time,
      effectiveTime: { ...effective, source: site.time ? "site" : "global" },
      window: site.window,
      windowState: {
        open: state?.open ?? true,
        opensAt: isoOrNull(state?.opensAt ?? null),
        closesAt: isoOrNull(state?.closesAt ?? null),
      },
      devices: count.total,
      applied: count.applied,
      pending: count.total - count.applied,
      createdAt: new Date(site.createdAtMs).toISOString(),
      updatedAt: new Date(site.updatedAtMs).toISOString(),
    };
  }

  /** A unique violation on the name as the error an admin reads. */
  private named<T>(name: string | undefined, unit: () => Promise<T>): Promise<T> {
    return whenNameFree(
      name,
      unit,
      () => new MdmError("site_name_taken", `a site named '${name}' exists`, { field: "name" }),
    );
  }
}

function notFound(id: string): MdmError {
  return new MdmError("site_not_found", `no site has the id '${id}'`, { siteId: id });
}
