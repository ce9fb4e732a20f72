import Type from "typebox";
import { audited } from "../audit-request.js";
import { rightOfBatchBody, rightOfSchedule } from "../command-rights.js";
import type { ApiServices, App } from "../context.js";
import {
  Schedule,
  ScheduleCreateBody,
  ScheduleIdParams,
  SchedulePatchBody,
  ScheduleRun,
} from "../schedule-schemas.js";
import { Page } from "../schemas.js";

export function scheduleRoutes(app: App, { schedules, audit }: ApiServices): void {
  app.post(
    "/schedules",
    {
      // The right of the command's type, as for a fleet command now.
      config: { right: rightOfBatchBody },
      schema: {
        tags: ["schedules"],
        summary: "Schedule a command for a target: once (at) or recurring (cron in an IANA zone)",
        description:
          "Each run is a fleet command, its target resolved when it runs; GET /schedules/:id/runs lists " +
          "them. At most 500 schedules; a run is taken once whatever restarts or server nodes there are.",
        body: ScheduleCreateBody,
        response: { 201: Schedule },
      },
    },
    async (request, reply) => {
      const schedule = await audited(
        audit,
        request,
        { action: "schedule.create", params: { ...request.body }, fromResult: (s) => ({ target: s.id }) },
        () => schedules.create(request.body, request.admin?.email ?? null),
      );
      return reply.code(201).send(schedule);
    },
  );

  app.get(
    "/schedules",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["schedules"],
        summary: "Schedules, newest first",
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: { 200: Page(Schedule) },
      },
    },
    async (request) => schedules.list(request.query.limit ?? 50, request.query.cursor ?? null),
  );

  app.get(
    "/schedules/:id",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["schedules"],
        summary: "One schedule",
        params: ScheduleIdParams,
        response: { 200: Schedule },
      },
    },
    async (request) => schedules.get(request.params.id),
  );

  app.get(
    "/schedules/:id/runs",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["schedules"],
        summary: "The schedule's runs, newest first: the fleet command each started, or why none",
        params: ScheduleIdParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
        }),
        response: { 200: Type.Object({ items: Type.Array(ScheduleRun) }) },
      },
    },
    async (request) => ({ items: await schedules.runs(request.params.id, request.query.limit ?? 50) }),
  );

  app.patch(
    "/schedules/:id",
    {
      config: { right: rightOfSchedule(schedules) },
      schema: {
        tags: ["schedules"],
        summary: "Change a schedule's name, command (same type), target or timing",
        description: "The next run is worked out again from now.",
        params: ScheduleIdParams,
        body: SchedulePatchBody,
        response: { 200: Schedule },
      },
    },
    async (request) =>
      audited(
        audit,
        request,
        { action: "schedule.update", target: request.params.id, params: { ...request.body } },
        () => schedules.update(request.params.id, request.body),
      ),
  );

  for (const [verb, action] of [
    ["pause", "schedule.pause"],
    ["resume", "schedule.resume"],
  ] as const) {
    app.post(
      `/schedules/:id/${verb}`,
      {
        config: { right: rightOfSchedule(schedules) },
        schema: {
          tags: ["schedules"],
          summary:
            verb === "pause"
              ? "Pause a schedule: it runs nothing until resumed"
              : "Resume a schedule from its next run time after now (runs missed while paused do not run)",
          params: ScheduleIdParams,
          response: { 200: Schedule },
        },
      },
      async (request) =>
        audited(audit, request, { action, target: request.params.id }, () =>
          verb === "pause" ? schedules.pause(request.params.id) : schedules.resume(request.params.id),
        ),
    );
  }

  app.delete(
    "/schedules/:id",
    {
      config: { right: rightOfSchedule(schedules) },
      schema: {
        tags: ["schedules"],
        summary: "Delete a schedule (fleet commands it started stay)",
        params: ScheduleIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await audited(
        audit,
        request,
        {
          action: "schedule.delete",
          target: request.params.id,
          fromResult: (r) => ({ params: { name: r.name } }),
        },
        () => schedules.delete(request.params.id),
      );
      return reply.code(204).send(null);
    },
  );
}
