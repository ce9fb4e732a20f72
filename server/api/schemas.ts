/**
 * Request and response schemas of the HTTP API. Validation, serialization and the OpenAPI
 * document all come from these.
 */

import Type, { type TSchema } from "typebox";
import { COMMAND_TYPES } from "../../proto/wire.js";
import { COMMAND_STATES } from "../commands/command.js";
import { DEVICE_STATUSES } from "../devices/device.js";
import { MAX_GROUP_NAME_LENGTH } from "../devices/device-groups.js";
import { MAX_LABEL_LENGTH } from "../devices/device-labels.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoTime = Type.String({ format: "date-time" });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: "Error" },
);

export const DeviceStatusSchema = Type.Enum(DEVICE_STATUSES);
export const CommandTypeSchema = Type.Enum(COMMAND_TYPES);
export const CommandStateSchema = Type.Enum(COMMAND_STATES);

export const Telemetry = Type.Object({
  cpuLoadPercent: Type.Number(),
  memoryTotalBytes: Type.Number(),
  memoryUsedBytes: Type.Number(),
  diskTotalBytes: Type.Number(),
  diskUsedBytes: Type.Number(),
  uptimeSeconds: Type.Number(),
  os: Type.String(),
  osVersion: Type.String(),
  batteryPercent: Type.Number({ description: "-1 when the device has no battery" }),
  interfaces: Type.Array(
    Type.Object({ name: Type.String(), mac: Type.String(), addresses: Type.Array(Type.String()) }),
  ),
});

export const Reported = Type.Object({
  name: Type.String(),
  locked: Type.Boolean(),
  timezone: Type.String(),
  timezoneAutomatic: Type.Boolean(),
  ntpServer: Nullable(Type.String()),
  clockOffsetMs: Type.Number(),
  lastTimeSyncAt: Nullable(IsoTime),
  timeSyncError: Nullable(Type.String()),
  bootTime: IsoTime,
  agentVersion: Type.String(),
  appliedConfigVersion: Type.Integer(),
  signingKeysVersion: Type.Optional(
    Type.Integer({ description: "the server key ring version the agent trusts; 0 when none is pinned" }),
  ),
  configError: Type.Optional(
    Nullable(
      Type.Object(
        { version: Type.Integer(), message: Type.String() },
        { description: "why the device could not apply desired config `version`; null once one applies" },
      ),
    ),
  ),
  telemetry: Nullable(Telemetry),
  reportedAt: IsoTime,
});

export const Device = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    serial: Type.String(),
    model: Type.String(),
    status: DeviceStatusSchema,
    online: Type.Boolean(),
    lastSeenAt: Nullable(IsoTime),
    connectedNode: Nullable(
      Type.String({ description: "the server node holding the device's connection; null while offline" }),
    ),
    enrolledAt: IsoTime,
    desired: Type.Object({
      version: Type.Integer(),
      name: Type.String(),
      timezone: Type.String(),
      ntpServer: Nullable(Type.String()),
    }),
    reported: Nullable(Reported),
    clockOffsetExceeded: Type.Boolean({
      description:
        "the clock offset last measured exceeds the clock drift threshold (GET /settings/clock-drift)",
    }),
    labels: Type.Array(Type.String(), {
      description: "its labels, in code-point order (POST /devices/labels)",
    }),
    site: Nullable(
      Type.Object(
        { id: Type.String(), name: Type.String() },
        { description: "the site it belongs to (POST /sites/:id/devices); null: none" },
      ),
    ),
    effectiveTime: Type.Object(
      {
        timezone: Type.String({ description: "an IANA zone, or auto" }),
        ntpServer: Nullable(Type.String()),
        source: Type.Enum(["site", "global", "device"], {
          description:
            "site: its site's date & time; global: the global one (no site, or a site without its own); " +
            "device: a time settings command for this device alone, until its site's or the global setting changes or it moves",
        }),
      },
      { description: "the date & time it is to run, and where that comes from" },
    ),
    desiredChangedAt: Type.Optional(
      Type.String({
        format: "date-time",
        description: "when the desired config took its current version (GET /devices/:id only)",
      }),
    ),
  },
  { $id: "Device" },
);

export const Command = Type.Object(
  {
    id: Type.String(),
    deviceId: Type.String(),
    batchId: Nullable(Type.String()),
    seq: Type.Integer(),
    type: CommandTypeSchema,
    params: Type.Record(Type.String(), Type.Unknown()),
    state: CommandStateSchema,
    errorCode: Nullable(Type.String()),
    errorMessage: Nullable(Type.String()),
    createdAt: IsoTime,
    expiresAt: IsoTime,
    updatedAt: IsoTime,
    sentAt: Nullable(IsoTime),
    acceptedAt: Nullable(IsoTime),
    finishedAt: Nullable(IsoTime),
    createdBy: Nullable(Type.String()),
    inWindow: Type.Boolean({ description: "sent to wait for its device's maintenance window" }),
    waitingForWindow: Type.Boolean({
      description: "queued and held until its device's maintenance window opens",
    }),
  },
  { $id: "Command" },
);

export const BatchCommand = Type.Object(
  { ...Command.properties, deviceName: Type.String() },
  { $id: "BatchCommand", description: "A device's command of a fleet command, with the device's name" },
);

const TimezoneField = Type.String({
  minLength: 1,
  maxLength: 64,
  description: "'auto' (from the network) or an IANA zone such as Europe/Paris",
});
const NtpServerField = Nullable(
  Type.String({ maxLength: 260, description: "host or host:port; null for the automatic time source" }),
);

/** One body for every command type; fields that a type does not use are ignored. */
export const CommandBody = Type.Object({
  type: CommandTypeSchema,
  name: Type.Optional(Type.String({ maxLength: 256, description: "rename: the new name" })),
  timezone: Type.Optional(TimezoneField),
  ntpServer: Type.Optional(NtpServerField),
  ttlSeconds: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 365 * 24 * 3600, description: "default: 7 days" }),
  ),
  inWindow: Type.Optional(
    Type.Boolean({
      description:
        "true: wait, queued, for each device's maintenance window (its site's); a device without one " +
        "gets it at once. The TTL still counts from when it is issued. Not for deactivate (it acts when issued)",
    }),
  ),
});

/** Label names: trimmed, 1 to 40 printable characters, compared exactly (server/devices/device-labels.ts). */
const LabelName = Type.String({ minLength: 1, maxLength: MAX_LABEL_LENGTH });

/**
 * Filters on what devices report and when, and on their labels: the device list, its CSV
 * export and fleet command targets alike.
 */
export const DEVICE_REPORT_FILTERS = {
  site: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: "belongs to the site with this id; `none`: to no site",
    }),
  ),
  label: Type.Optional(
    Type.String({ minLength: 1, maxLength: MAX_LABEL_LENGTH, description: "carries this label (exactly)" }),
  ),
  configPending: Type.Optional(
    Type.Boolean({
      description: "true: the device reports an older config version than desired, or has never reported",
    }),
  ),
  notSeenForDays: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 3650,
      description: "offline and not seen for at least this many days (never seen counts)",
    }),
  ),
  agentVersion: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: "the agent version reported" }),
  ),
  timezone: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: "the time zone reported, under any of its names (Asia/Kolkata matches Asia/Calcutta)",
    }),
  ),
};

export const DeviceCounts = Type.Object({
  total: Type.Integer({ description: "managed devices" }),
  online: Type.Integer(),
  offline: Type.Integer(),
  locked: Type.Integer({ description: "whose screen is locked, as last reported" }),
  clockDrift: Type.Integer({ description: "whose clock is off by more than the clock drift threshold" }),
  configPending: Type.Integer({ description: "that have not applied their desired config (yet)" }),
});

const utcOffset = (description: string) =>
  Type.String({ pattern: "^[+-]\\d{2}:\\d{2}$", description: `${description}, e.g. +05:30` });

export const TimeZoneList = Type.Object({
  zones: Type.Array(
    Type.Object({
      name: Type.String({ description: "the current IANA name, e.g. Asia/Kolkata" }),
      aliases: Type.Array(Type.String(), { description: "older names of the zone, e.g. Asia/Calcutta" }),
      city: Type.String(),
      utcOffset: utcOffset("the offset in force now"),
      standardOffset: utcOffset("the offset outside daylight saving time"),
      daylightOffset: Nullable(utcOffset("the offset during daylight saving time; null without it")),
    }),
  ),
});

export const DeviceFilterSchema = Type.Object(
  {
    status: Type.Optional(DeviceStatusSchema),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    online: Type.Optional(Type.Boolean()),
    locked: Type.Optional(Type.Boolean()),
    clockDrift: Type.Optional(Type.Boolean()),
    ...DEVICE_REPORT_FILTERS,
  },
  { additionalProperties: false },
);

export const BatchTargetSchema = Type.Union([
  Type.Object(
    {
      deviceIds: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 100_000 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      serials: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
        minItems: 1,
        maxItems: 100_000,
        description: "devices by serial number, e.g. a column of an inventory's CSV",
      }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ all: Type.Literal(true) }, { additionalProperties: false }),
  Type.Object({ filter: DeviceFilterSchema }, { additionalProperties: false }),
  Type.Object(
    {
      group: Type.String({
        minLength: 1,
        maxLength: 64,
        description: "a dynamic group's id: the devices its saved filter matches when the action runs",
      }),
    },
    { additionalProperties: false },
  ),
]);

export const Batch = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    params: Type.Record(Type.String(), Type.Unknown()),
    target: Type.Unknown(),
    total: Type.Integer(),
    skipped: Type.Integer(),
    counts: Type.Record(Type.String(), Type.Integer()),
    waitingForWindow: Type.Integer({
      description: "of the queued commands, those held until their devices' maintenance windows open",
    }),
    inWindow: Type.Boolean({ description: "its commands wait for their devices' maintenance windows" }),
    done: Type.Boolean(),
    createdAt: IsoTime,
    createdBy: Nullable(Type.String()),
  },
  { $id: "Batch" },
);

export const TimeSettingsBody = Type.Object({ timezone: TimezoneField, ntpServer: NtpServerField });

export const ClockDriftBody = Type.Object({
  thresholdMs: Type.Integer({
    minimum: 1,
    maximum: 24 * 3600 * 1000,
    description: "a device whose measured clock offset exceeds this, either way, is flagged",
  }),
});

export const ClockDriftView = Type.Object({
  thresholdMs: Type.Integer(),
  updatedAt: Nullable(IsoTime),
  exceeding: Type.Integer({ description: "devices whose last measured offset exceeds the threshold" }),
});

export const TimeSettingsView = Type.Object({
  timezone: Type.String(),
  ntpServer: Nullable(Type.String()),
  updatedAt: Nullable(IsoTime),
  applied: Type.Integer(),
  pending: Type.Integer(),
});

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });

export const LimitCursor = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 128 })),
};

export const DeviceIdentityBody = Type.Object({
  serial: Type.String({ minLength: 1, maxLength: 128, pattern: "^[\\x21-\\x7e]+$" }),
  model: Type.String({ minLength: 1, maxLength: 128 }),
  agentVersion: Type.String({ minLength: 1, maxLength: 64 }),
});

export const Credentials = Type.Object({
  deviceId: Type.String(),
  secret: Type.String(),
  mqttUrl: Type.String({ description: "the first of mqttUrls, for agents that know one broker URL only" }),
  mqttUrls: Type.Array(Type.String(), {
    description: "every MQTT broker URL the device may connect to, preferred first; it fails over along them",
  }),
  name: Type.String(),
  signingKeys: Type.Object(
    {
      version: Type.Integer(),
      keys: Type.Array(Type.Object({ keyId: Type.String(), publicKey: Type.String() })),
    },
    { description: "the server's command-signing keys (Ed25519, base64): the device obeys only these" },
  ),
});

/** The most labels one change adds or removes. */
const MAX_LABELS_PER_CHANGE = 20;

export const LabelChangeBody = Type.Object(
  {
    target: BatchTargetSchema,
    add: Type.Optional(Type.Array(LabelName, { maxItems: MAX_LABELS_PER_CHANGE })),
    remove: Type.Optional(Type.Array(LabelName, { maxItems: MAX_LABELS_PER_CHANGE })),
  },
  { additionalProperties: false },
);

export const LabelChangeResult = Type.Object({
  targeted: Type.Integer({ description: "devices the target named" }),
  changed: Type.Integer({ description: "devices whose labels changed" }),
});

export const LabelList = Type.Object({
  items: Type.Array(
    Type.Object({
      label: Type.String(),
      devices: Type.Integer({ description: "devices carrying it" }),
    }),
  ),
});

/** Dynamic groups (server/devices/device-groups.ts): a name and a saved device filter. */
export const GroupName = Type.String({ minLength: 1, maxLength: MAX_GROUP_NAME_LENGTH });

export const Group = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    filter: DeviceFilterSchema,
    devices: Type.Integer({ description: "devices its filter matches now" }),
    createdAt: IsoTime,
    updatedAt: IsoTime,
  },
  { $id: "Group" },
);

export const GroupBody = Type.Object(
  {
    name: GroupName,
    filter: DeviceFilterSchema,
  },
  { additionalProperties: false },
);

export const GroupPatch = Type.Object(
  { name: Type.Optional(GroupName), filter: Type.Optional(DeviceFilterSchema) },
  { additionalProperties: false },
);
