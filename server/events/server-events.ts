import type { TimeSettings } from "../../proto/wire.js";
import type { AuditItem } from "../admins/audit-log.js";
import type { CommandView } from "../commands/command.js";
import type { DeviceView } from "../devices/device.js";
import type { GroupView } from "../devices/device-groups.js";
import type { RolloutView } from "../rollouts/rollout-service.js";
import type { ScheduleView } from "../schedules/schedule-service.js";
import type { SiteView } from "../sites/site-service.js";

/** Everything the server announces; the `/api/v1/events` WebSocket forwards these. */
export interface ServerEvents {
  "device.online": { deviceId: string; atMs: number };
  "device.offline": { deviceId: string; atMs: number };
  /** A new reported state was stored. */
  "device.state": { deviceId: string; reported: DeviceView["reported"] };
  /** Status, name, desired config or enrollment changed. */
  "device.updated": { device: DeviceView };
  /**
   * The device's measured clock offset started (`exceeded`) or stopped exceeding the clock
   * drift threshold; `clockOffsetMs` is the offset that decided it, null when a raised
   * threshold did.
   */
  "device.clock_drift": {
    deviceId: string;
    exceeded: boolean;
    clockOffsetMs: number | null;
    thresholdMs: number;
  };
  "command.updated": { command: CommandView };
  "settings.time.updated": { time: TimeSettings };
  /** A dynamic group was created, renamed or given a new filter; with its device count then. */
  "group.created": { group: GroupView };
  "group.updated": { group: GroupView };
  /** The group as it was. */
  "group.deleted": { group: GroupView };
  /** A site was created, renamed, given a date & time, or devices moved into it. */
  "site.updated": { site: SiteView };
  "site.deleted": { siteId: string };
  /** A schedule was created, changed, paused, resumed, or ran. */
  "schedule.updated": { schedule: ScheduleView };
  "schedule.deleted": { scheduleId: string };
  /**
   * A staged rollout was created, paused, resumed, approved, canceled, or its runner moved it
   * on (released devices, a phase started or ended, it completed or was aborted), or its
   * commands' counts changed: the whole view, with each phase's counts.
   */
  "rollout.updated": { rollout: RolloutView };
  /** A row was appended to the audit log (streamed only to holders of audit:read). */
  "audit.appended": { item: AuditItem };
  /** Sessions, tokens, roles or accounts changed: open event streams re-check their credential. */
  "access.changed": { reason: string };
}
