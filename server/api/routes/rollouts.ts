import Type from "typebox";
import type { DeviceTarget } from "../../devices/device-target.js";
import type { PhaseInput } from "../../rollouts/rollout-plan.js";
import type { RolloutView } from "../../rollouts/rollout-service.js";
import { audited } from "../audit-request.js";
import { rightOfBatchBody, rightOfRollout } from "../command-rights.js";
import type { ApiServices, App } from "../context.js";
import { Rollout, RolloutCreateBody, RolloutIdParams, RolloutRetryBody } from "../rollout-schemas.js";
import { Page } from "../schemas.js";

/** What an action's audit row keeps of the rollout it left. */
const outcome = (r: RolloutView) => ({ params: { name: r.name, state: r.state } });

export function rolloutRoutes(app: App, { rollouts, audit }: ApiServices): void {
  app.post(
    "/rollouts",
    {
      // The right of the command's type, as for a fleet command.
      config: { right: rightOfBatchBody },
      schema: {
        tags: ["rollouts"],
        summary: "Roll a command out to a target in phases, at a rate, with gates and an abort threshold",
        description:
          "Sized phases ({size: {percent} | {count}}, the last without a size) are cut from `target`, resolved " +
          "once now; targeted phases name their own devices. A gate holds the next phase back. The first " +
          "phase starts at once. At most 100 open rollouts and 20 phases.",
        body: RolloutCreateBody,
        response: { 201: Rollout },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const rollout = await audited(
        audit,
        request,
        {
          action: "rollout.create",
          params: { ...body },
          fromResult: (r) => ({ target: r.id, params: { devices: r.devices, skipped: r.skipped } }),
        },
        () =>
          rollouts.create(
            { ...body, phases: body.phases as PhaseInput<DeviceTarget>[] },
            request.admin?.email ?? null,
          ),
      );
      return reply.code(201).send(rollout);
    },
  );

  app.get(
    "/rollouts",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["rollouts"],
        summary: "Staged rollouts, newest first, with each phase's state and counts",
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
          cursor: Type.Optional(Type.String({ maxLength: 128 })),
        }),
        response: { 200: Page(Rollout) },
      },
    },
    async (request) => rollouts.list(request.query.limit ?? 20, request.query.cursor ?? null),
  );

  app.get(
    "/rollouts/:id",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["rollouts"],
        summary: "One rollout: its state, why it stopped, each phase's state and counts",
        params: RolloutIdParams,
        response: { 200: Rollout },
      },
    },
    async (request) => rollouts.get(request.params.id),
  );

  const actions = [
    {
      verb: "pause",
      action: "rollout.pause",
      summary: "Pause a rollout: it releases nothing more until resumed (what it sent runs on)",
      run: (id: string) => rollouts.pause(id),
    },
    {
      verb: "resume",
      action: "rollout.resume",
      summary: "Resume a paused rollout where it was; the phase's rate counts again from now",
      run: (id: string) => rollouts.resume(id),
    },
    {
      verb: "approve",
      action: "rollout.approve",
      summary: "Start the next phase of a rollout waiting for approval",
      run: (id: string) => rollouts.approve(id),
    },
    {
      verb: "cancel",
      action: "rollout.cancel",
      summary: "Cancel a rollout: nothing more is released, and what it has not delivered is canceled",
      run: (id: string, by: string | null) => rollouts.cancel(id, by),
    },
  ] as const;
  for (const { verb, action, summary, run } of actions) {
    app.post(
      `/rollouts/:id/${verb}`,
      {
        config: { right: rightOfRollout(rollouts) },
        schema: {
          tags: ["rollouts"],
          summary,
          description:
            "409 rollout_finished, rollout_not_running, rollout_not_paused or rollout_not_waiting_approval.",
          params: RolloutIdParams,
          response: { 200: Rollout },
        },
      },
      async (request) =>
        audited(audit, request, { action, target: request.params.id, fromResult: outcome }, () =>
          run(request.params.id, request.admin?.email ?? null),
        ),
    );
  }

  app.post(
    "/rollouts/:id/retry",
    {
      config: { right: rightOfRollout(rollouts) },
      schema: {
        tags: ["rollouts"],
        summary: "A new rollout of the same command and plan for the devices whose command failed",
        description:
          "The devices whose command failed, was rejected or expired; a targeted plan keeps each phase with " +
          "its own failed devices. 409 rollout_nothing_to_retry when there are none.",
        params: RolloutIdParams,
        body: RolloutRetryBody,
        response: { 201: Rollout },
      },
    },
    async (request, reply) => {
      const rollout = await audited(
        audit,
        request,
        {
          action: "rollout.retry",
          target: request.params.id,
          fromResult: (r) => ({ params: { rolloutId: r.id, retryName: r.name, devices: r.devices } }),
        },
        () => rollouts.retry(request.params.id, request.admin?.email ?? null, request.body?.name),
      );
      return reply.code(201).send(rollout);
    },
  );
}
