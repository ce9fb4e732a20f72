/** Request and response schemas of sites (server/sites/site-service.ts). */
import Type, { type TSchema } from "typebox";
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
  devices: Type.Integer({ description: "its managed devices" }),
  applied: Type.Integer({ description: "of those, the devices that run its effective date & time" }),
  pending: Type.Integer({ description: "the devices that do not (yet)" }),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

export const SiteList = Type.Object({ items: Type.Array(Site) });

export const SiteCreateBody = Type.Object(
  { name: SiteName, time: Type.Optional(SiteTime) },
  { additionalProperties: false },
);

export const SitePatchBody = Type.Object(
  { name: Type.Optional(SiteName), time: Type.Optional(SiteTime) },
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
