/** Request and response schemas of staged rollouts (server/rollouts/rollout-service.ts). */
import Type, { type TSchema } from "typebox";
import { COMMAND_STATES } from "../commands/command.js";
import {
  MAX_GROW_EVERY_MINUTES,
  MAX_GROWTH_FACTOR,
  MAX_PHASE_NAME_LENGTH,
  MAX_PHASES,
  MAX_RATE_PER_MINUTE,
  MAX_ROLLOUT_NAME_LENGTH,
} from "../rollouts/rollout-plan.js";
import { BatchTargetSchema, CommandBody } from "./schemas.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoTime = Type.String({ format: "date-time" });

const Size = Type.Union(
  [
    Type.Object(
      { percent: Type.Number({ exclusiveMinimum: 0, maximum: 100, description: "of the rollout's target" }) },
      { additionalProperties: false },
    ),
    Type.Object(
      { count: Type.Integer({ minimum: 1, description: "devices" }) },
      { additionalProperties: false },
    ),
  ],
  { description: "sized phases: the share of the target; the last phase has none and takes the rest" },
);

const Gate = Type.Union(
  [
    Type.Object(
      {
        successPercent: Type.Number({
          exclusiveMinimum: 0,
          maximum: 100,
          description: "the next phase starts once this share of the phase's commanded devices succeeded",
        }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        approval: Type.Literal(true, { description: "the next phase starts on POST /rollouts/:id/approve" }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: "what holds the next phase back; default: every command of this phase has ended" },
);

const Rate = Type.Object(
  {
    perMinute: Type.Integer({ minimum: 1, maximum: MAX_RATE_PER_MINUTE }),
    growthFactor: Type.Optional(
      Type.Number({ minimum: 1, maximum: MAX_GROWTH_FACTOR, description: "default 1: a constant rate" }),
    ),
    growEveryMinutes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_GROW_EVERY_MINUTES, description: "default 1" }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "devices released per minute within each phase, from its start or last resume: 1 at once, then " +
      "minute k at perMinute × growthFactor^⌊k / growEveryMinutes⌋",
  },
);

const Abort = Type.Object(
  {
    failurePercent: Type.Number({ minimum: 0, maximum: 100 }),
    minExecuted: Type.Integer({ minimum: 1 }),
  },
  {
    additionalProperties: false,
    description:
      "aborted once over failurePercent of the executed commands (succeeded, failed, rejected, expired) " +
      "failed, were rejected or expired, after at least minExecuted",
  },
);

const PhaseBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: MAX_PHASE_NAME_LENGTH })),
    size: Type.Optional(Size),
    target: Type.Optional(BatchTargetSchema),
    gate: Type.Optional(Gate),
  },
  { additionalProperties: false },
);

export const RolloutCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: MAX_ROLLOUT_NAME_LENGTH }),
    command: CommandBody,
    target: Type.Optional(BatchTargetSchema),
    phases: Type.Array(PhaseBody, { minItems: 1, maxItems: MAX_PHASES }),
    rate: Type.Optional(Rate),
    abort: Type.Optional(Abort),
  },
  { additionalProperties: false },
);

export const RolloutRetryBody = Type.Optional(
  Type.Object(
    { name: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ROLLOUT_NAME_LENGTH })) },
    { additionalProperties: false },
  ),
);

const StateCounts = Type.Object(
  Object.fromEntries(COMMAND_STATES.map((s) => [s, Type.Integer()])) as Record<
    (typeof COMMAND_STATES)[number],
    ReturnType<typeof Type.Integer>
  >,
);

const RolloutPhase = Type.Object({
  index: Type.Integer(),
  name: Nullable(Type.String()),
  size: Nullable(Size),
  target: Type.Unknown({ description: "targeted phases: the phase's target as resolved at creation" }),
  gate: Nullable(Gate),
  state: Type.Enum(["pending", "running", "waiting_approval", "done", "stopped"]),
  batchId: Nullable(Type.String({ description: "the fleet command holding the phase's commands" })),
  devices: Type.Integer(),
  released: Type.Integer({ description: "devices released and commanded" }),
  skipped: Type.Integer({ description: "released but no longer active then: not commanded" }),
  pending: Type.Integer({ description: "not released yet" }),
  counts: StateCounts,
  startedAt: Nullable(IsoTime),
  finishedAt: Nullable(IsoTime),
});

export const Rollout = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    type: Type.String(),
    params: Type.Record(Type.String(), Type.Unknown()),
    command: Type.Record(Type.String(), Type.Unknown(), { description: "the command as given" }),
    target: Type.Unknown({ description: "sized phases: the target as resolved at creation; else null" }),
    state: Type.Enum(["running", "paused", "waiting_approval", "completed", "aborted", "canceled"]),
    currentPhase: Type.Integer(),
    reason: Nullable(
      Type.Object({
        code: Type.String({ description: "abort_threshold, gate_not_met or canceled" }),
        message: Type.String(),
      }),
    ),
    rate: Nullable(
      Type.Object({ perMinute: Type.Number(), growthFactor: Type.Number(), growEveryMinutes: Type.Number() }),
    ),
    abort: Nullable(Type.Object({ failurePercent: Type.Number(), minExecuted: Type.Integer() })),
    retryOf: Nullable(Type.String()),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    finishedAt: Nullable(IsoTime),
    createdBy: Nullable(Type.String()),
    devices: Type.Integer({ description: "devices in the rollout (active when it was created)" }),
    skipped: Type.Integer({ description: "named but not commanded: inactive at creation or at release" }),
    counts: Type.Object({
      ...StateCounts.properties,
      pending: Type.Integer({ description: "devices not released yet" }),
    }),
    phases: Type.Array(RolloutPhase),
  },
  { $id: "Rollout" },
);

export const RolloutIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
