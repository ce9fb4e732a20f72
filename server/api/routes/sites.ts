import Type from "typebox";
import { audited } from "../audit-request.js";
import type { ApiServices, App } from "../context.js";
import { Device, LimitCursor, Page } from "../schemas.js";
import {
  Site,
  SiteAssignBody,
  SiteAssignResult,
  SiteCreateBody,
  SiteDeleteResult,
  SiteIdParams,
  SiteList,
  SitePatchBody,
} from "../site-schemas.js";

export function siteRoutes(app: App, { sites, audit }: ApiServices): void {
  app.get(
    "/sites",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["sites"],
        summary: "Every site, by name, with its date & time and how many of its devices run it",
        response: { 200: SiteList },
      },
    },
    async () => ({ items: await sites.list() }),
  );

  app.get(
    "/sites/:id",
    {
      config: { right: "devices:read" },
      schema: { tags: ["sites"], summary: "One site", params: SiteIdParams, response: { 200: Site } },
    },
    async (request) => sites.get(request.params.id),
  );

  app.get(
    "/sites/:id/time/pending",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["sites"],
        summary: "The site's managed devices that do not run its effective date & time (yet)",
        params: SiteIdParams,
        querystring: Type.Object(LimitCursor),
        response: { 200: Page(Device) },
      },
    },
    async (request) =>
      sites.pendingDevices(request.params.id, request.query.limit ?? 50, request.query.cursor ?? null),
  );

  app.post(
    "/sites",
    {
      config: { right: "settings:manage" },
      schema: {
        tags: ["sites"],
        summary: "Create a site, with or without a date & time of its own",
        description: `At most 1000 sites; names are unique without regard to case (409 site_name_taken).`,
        body: SiteCreateBody,
        response: { 201: Site },
      },
    },
    async (request, reply) => {
      const site = await audited(
        audit,
        request,
        { action: "site.create", params: { ...request.body }, fromResult: (s) => ({ target: s.id }) },
        () => sites.create(request.body),
      );
      return reply.code(201).send(site);
    },
  );

  app.patch(
    "/sites/:id",
    {
      config: { right: "settings:manage" },
      schema: {
        tags: ["sites"],
        summary: "Rename a site, or set its date & time (null: follow the global setting)",
        description:
          "A new date & time goes to exactly the site's devices: their desired config is rewritten and " +
          "pushed to those online (the rest get it when they connect).",
        params: SiteIdParams,
        body: SitePatchBody,
        response: { 200: Site },
      },
    },
    async (request) =>
      audited(
        audit,
        request,
        { action: "site.update", target: request.params.id, params: { ...request.body } },
        () => sites.update(request.params.id, request.body),
      ),
  );

  app.delete(
    "/sites/:id",
    {
      config: { right: "settings:manage" },
      schema: {
        tags: ["sites"],
        summary: "Delete a site: its devices belong to none and follow the global date & time",
        description: "Enrollment tokens that named it enroll into no site from then on.",
        params: SiteIdParams,
        response: { 200: SiteDeleteResult },
      },
    },
    async (request) =>
      audited(
        audit,
        request,
        {
          action: "site.delete",
          target: request.params.id,
          fromResult: (r) => ({ params: { name: r.name, devicesMoved: r.devicesMoved } }),
        },
        () => sites.delete(request.params.id),
      ),
  );

  // Into a site, or (`none`) out of any: one handler, the site id null for the latter.
  for (const into of ["site", "none"] as const) {
    app.post(
      into === "site" ? "/sites/:id/devices" : "/sites/none/devices",
      {
        config: { right: "devices:organize" },
        schema: {
          tags: ["sites"],
          summary:
            into === "site"
              ? "Move devices into the site (a device belongs to at most one)"
              : "Take devices out of their site: they follow the global date & time",
          description:
            "The target is a list of device ids, a list of serials (a CSV's column), a device filter, a " +
            "dynamic group or all devices, resolved when the move runs. Each device that moves gets the " +
            "date & time it follows there (the site's own, else the global one), pushed at once if online.",
          ...(into === "site" ? { params: SiteIdParams } : {}),
          body: SiteAssignBody,
          response: { 200: SiteAssignResult },
        },
      },
      async (request) => {
        const siteId = into === "site" ? (request.params as { id: string }).id : null;
        return audited(
          audit,
          request,
          {
            action: "site.assign",
            target: siteId,
            params: { ...request.body, ...(siteId === null ? { site: null } : {}) },
            fromResult: (r) => ({ params: { targeted: r.targeted, moved: r.moved } }),
          },
          () => sites.assign(request.body.target, siteId),
        );
      },
    );
  }
}
