import { audited } from "../audit-request.js";
import type { ApiServices, App } from "../context.js";
import { LabelChangeBody, LabelChangeResult, LabelList } from "../schemas.js";

export function labelRoutes(app: App, { labels, audit }: ApiServices): void {
  app.get(
    "/labels",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["devices"],
        summary: "Every label in use, with how many devices carry it",
        response: { 200: LabelList },
      },
    },
    async () => ({ items: await labels.counts() }),
  );

  app.post(
    "/devices/labels",
    {
      config: { right: "devices:organize" },
      schema: {
        tags: ["devices"],
        summary: "Add labels to, or remove them from, many devices at once",
        description:
          "The target is a list of device ids, a list of serials, a device filter, a dynamic group or " +
          "all devices, " +
          "resolved when the change runs. A device carries at most 20 labels; a change that would give " +
          "any device more changes nothing (409 too_many_labels). Labels are trimmed and compared " +
          "exactly. Each device whose labels changed is announced on the event stream (device.updated).",
        body: LabelChangeBody,
        response: { 200: LabelChangeResult },
      },
    },
    async (request) =>
      audited(
        audit,
        request,
        {
          action: "device.labels.change",
          params: { ...request.body },
          fromResult: (r) => ({ params: { targeted: r.targeted, changed: r.changed } }),
        },
        () => labels.change(request.body.target, { add: request.body.add, remove: request.body.remove }),
      ),
  );
}
