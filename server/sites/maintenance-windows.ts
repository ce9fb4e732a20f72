/**
 * Commands sent "in window" wait for their device's maintenance window (its site's, see
 * maintenance-window.ts). Where each stands lives in the store (`commands.window_hold`), never in
 * a timer, so a restart or another node goes on from there:
 * - issued while the device's window is closed, a command is `held`: queued, cancelable, counted
 *   against its TTL, but not delivered; issued while it is open (or to a device without a
 *   window) it is `released` and goes at once;
 * - every few seconds one node looks ({@link MaintenanceWindows.tick}): held commands of devices
 *   whose window is open now, or that have none any more (a window removed, a device moved out
 *   of its site), are released and delivered; released ones still undelivered (an offline
 *   device's) of devices whose window has closed are held again: a closing window stops new
 *   deliveries, and the fleet command's progress counts them as waiting.
 *
 * A released command gets a new seq, taken from its device's counter in the unit that releases
 * it: the agent refuses a seq that is not higher than one it has run, and commands sent without
 * a window may have overtaken it meanwhile.
 */
import type { CommandRow } from "../commands/command.js";
import { type CommandService, Consequences, type WindowGate } from "../commands/command-service.js";
import type { Logger } from "../logger.js";
import type { CommandRelease, CommandRepository } from "../store/repositories/command-repository.js";
import type { DeviceRepository } from "../store/repositories/device-repository.js";
import type { SiteRepository } from "../store/repositories/site-repository.js";
import type { Queryable, Store } from "../store/store.js";
import { isOpen } from "./maintenance-window.js";

/** Held commands released per unit: a big fleet's night starts in a few units, none of them huge. */
const RELEASE_PER_UNIT = 5000;

/** The sites' windows as they are at a moment, for issuing and for the look. */
export class SiteWindows implements WindowGate {
  constructor(
    private readonly sites: SiteRepository,
    private readonly devices: DeviceRepository,
  ) {}

  /** The sites whose maintenance window is closed at `atMs` (each window evaluated once). */
  async closedSites(q: Queryable, atMs: number): Promise<string[]> {
    const windows = await this.sites.windows(q);
    return windows.filter((w) => !isOpen(w.window, atMs)).map((w) => w.siteId);
  }

  async closedFor(q: Queryable, deviceIds: readonly string[], atMs: number): Promise<ReadonlySet<string>> {
    const closed = await this.closedSites(q, atMs);
    return new Set(await this.devices.idsInSites(q, deviceIds, closed));
  }
}

export interface MaintenanceWindowsDeps {
  store: Store;
  windows: SiteWindows;
  repository: CommandRepository;
  deviceRepository: DeviceRepository;
  /** Announces the commands that changed and delivers those released. */
  commands: CommandService;
  logger: Logger;
  clock: () => number;
}

export class MaintenanceWindows {
  constructor(private readonly deps: MaintenanceWindowsDeps) {}

  /**
   * Holds and releases what waits for windows as the windows are now; how many commands it
   * released and held again. Idempotent, and safe beside another look at the same time: each
   * change is a conditional write of what is still held or released.
   */
  async tick(): Promise<{ released: number; heldAgain: number }> {
    const { store, repository } = this.deps;
    const now = this.deps.clock();
    const closed = await this.deps.windows.closedSites(store.db, now);
    const heldAgain = await store.unit((tx) => repository.holdAgain(tx, closed, now));
    if (heldAgain.length > 0) {
      const consequences = new Consequences();
      consequences.transitions.push(...heldAgain);
      await this.deps.commands.settle(consequences);
    }
    let released = 0;
    for (;;) {
      const { rows, more } = await store.unit((tx) => this.releaseSome(tx, closed, now));
      if (rows.length > 0) {
        const consequences = new Consequences();
        consequences.transitions.push(...rows);
        consequences.issued.push(...rows);
        await this.deps.commands.settle(consequences);
        released += rows.length;
      }
      if (!more) break;
    }
    if (released > 0 || heldAgain.length > 0) {
      this.deps.logger.info(
        { released, heldAgain: heldAgain.length, closedSites: closed.length },
        "maintenance windows: commands released and held",
      );
    }
    return { released, heldAgain: heldAgain.length };
  }

  /**
   * Inside a unit: up to {@link RELEASE_PER_UNIT} held commands of devices outside `closedSites`,
   * each given the next seq of its device (in the order they were issued), released.
   */
  private async releaseSome(
    tx: Queryable,
    closedSites: readonly string[],
    now: number,
  ): Promise<{ rows: CommandRow[]; more: boolean }> {
    const held = await this.deps.repository.heldToRelease(tx, closedSites, RELEASE_PER_UNIT);
    if (held.length === 0) return { rows: [], more: false };
    const counts = new Map<string, number>();
    for (const c of held) counts.set(c.deviceId, (counts.get(c.deviceId) ?? 0) + 1);
    const nextSeq = await this.deps.deviceRepository.takeSeqRanges(tx, counts);
    const releases: CommandRelease[] = [];
    for (const c of held) {
      const seq = nextSeq.get(c.deviceId);
      if (seq === undefined) continue;
      nextSeq.set(c.deviceId, seq + 1);
      releases.push({ commandId: c.id, seq });
    }
    const rows = await this.deps.repository.release(tx, releases, now);
    // Delivered in seq order, as a device's commands always are.
    rows.sort((a, b) => (a.device_id === b.device_id ? a.seq - b.seq : a.device_id < b.device_id ? -1 : 1));
    return { rows, more: held.length === RELEASE_PER_UNIT };
  }
}
