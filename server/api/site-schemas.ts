/** Request and response schemas of sites (server/sites/site-service.ts). */
import Type, { type TSchema } from "typebox";
import { WEEKDAYS } from "../sites/maintenance-window.js";
import { MAX_SITE_NAME_LENGTH } from "../sites/site-service.js";
import { BatchTargetSchema, TimeSettingsBody } from "./schemas.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoTime = Type.String({ format: "date-time" });

const SiteName = Type.String({ minLength: 1, maxLength: MAX_SITE_NAME_LENGTH });
const SiteTime = Nullable(
  Type.Object(TimeSettingsBody.properties, {
    additionalProperties: false,
    description: "the site's own date & time; null: its devices follow the global setting",
  }),
);

// Checked by the window's parse, whose refusal (invalid_window) says what a time of day is.
const TimeOfDay = (description: string) =>
  Type.String({ minLength: 1, maxLength: 8, description: `${description}, local time HH:MM` });

const WindowFields = {
  start: TimeOfDay("when it opens"),
  end: TimeOfDay("when it closes; before start: the next day (22:00 to 02:00 crosses midnight)"),
  days: Type.Array(Type.Enum([...WEEKDAYS]), {
    maxItems: 7,
    uniqueItems: true,
    description: "the days it opens on; empty or absent: every day",
  }),
};

const SiteWindowBody = Nullable(
  Type.Object(
    {
      start: WindowFields.start,
      end: WindowFields.end,
      days: Type.Optional(WindowFields.days),
      timezone: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 64,
          description:
            "the IANA zone its times are read in; default: the site's own time zone, if it has one",
        }),
      ),
    },
    {
      additionalProperties: false,
      description:
        "the site's maintenance window: commands sent with inWindow wait, queued, until it is open; null: none",
    },
  ),
);

export const Site = Type.Object({
  id: Type.String(),
  name: Type.String(),
  time: SiteTime,
  effectiveTime: Type.Object(
    {
      timezone: Type.String(),
      ntpServer: Nullable(Type.String()),
      source: Type.Enum(["site", "global"]),
    },
    { description: "what its devices run: its own date & time, or the global one" },
  ),
  window: Nullable(
    Type.Object(
      { ...WindowFields, timezone: Type.String() },
      { description: "its maintenance window; null: none (commands sent with inWindow go at once)" },
    ),
  ),
  windowState: Type.Object(
    {
      open: Type.Boolean({
        description: "whether commands sent with inWindow go now (always, without a window)",
      }),
      opensAt: Nullable(IsoTime),
      closesAt: Nullable(IsoTime),
    },
    {
      description:
        "open or closed now, and when that changes next (opensAt while closed, closesAt while open)",
    },
  ),
  devices: Type.Integer({ description: "its managed devices" }),
  applied: Type.Integer({ description: "of those, the devices that run its effective date & time" }),
  pending: Type.Integer({ description: "the devices that do not (yet)" }),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

export const SiteList = Type.Object({ items: Type.Array(Site) });

export const SiteCreateBody = Type.Object(
  { name: SiteName, time: Type.Optional(SiteTime), window: Type.Optional(SiteWindowBody) },
  { additionalProperties: false },
);

export const SitePatchBody = Type.Object(
  { name: Type.Optional(SiteName), time: Type.Optional(SiteTime), window: Type.Optional(SiteWindowBody) },
  { additionalProperties: false, minProperties: 1 },
);

export const SiteIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const SiteAssignBody = Type.Object({ target: BatchTargetSchema }, { additionalProperties: false });

export const SiteAssignResult = Type.Object({
  targeted: Type.Integer({ description: "devices the target named" }),
  moved: Type.Integer({ description: "devices that moved (those already there stay as they are)" }),
});

export const SiteDeleteResult = Type.Object({
  devicesMoved: Type.Integer({
    description: "its devices, now of no site, following the global date & time",
  }),
});
