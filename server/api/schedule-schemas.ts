/** Request and response schemas of scheduled commands (server/schedules/schedule-service.ts). */
import Type, { type TSchema } from "typebox";
import { MAX_SCHEDULE_NAME_LENGTH } from "../schedules/schedule-service.js";
import { BatchTargetSchema, CommandBody } from "./schemas.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoTime = Type.String({ format: "date-time" });
const TimeWithOffset = (description: string) =>
  Type.String({ minLength: 1, maxLength: 40, description: `${description} (ISO 8601 with its offset)` });

const MissedRuns = Type.Enum(["skip", "run_late"], {
  description:
    "what a run more than 10 minutes late (no server up at the time) does: skip waits for the next run " +
    "(default of recurring schedules), run_late runs once however many were missed (default of one-off ones)",
});

const Timing = {
  at: Type.Optional(TimeWithOffset("one-off: when it runs")),
  cron: Type.Optional(
    Type.String({
      minLength: 9,
      maxLength: 120,
      description: "recurring: minute hour day-of-month month day-of-week, e.g. '0 3 * * 0' (Sundays 03:00)",
    }),
  ),
  timezone: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: "the IANA zone the cron expression is read in" }),
  ),
  startsAt: Type.Optional(Nullable(TimeWithOffset("recurring: no run before this"))),
  endsAt: Type.Optional(Nullable(TimeWithOffset("recurring: no run after this"))),
  missedRuns: Type.Optional(MissedRuns),
};

const ScheduleName = Type.String({ minLength: 1, maxLength: MAX_SCHEDULE_NAME_LENGTH });

export const ScheduleCreateBody = Type.Object(
  { name: ScheduleName, command: CommandBody, target: BatchTargetSchema, ...Timing },
  { additionalProperties: false },
);

export const SchedulePatchBody = Type.Object(
  {
    name: Type.Optional(ScheduleName),
    command: Type.Optional(CommandBody),
    target: Type.Optional(BatchTargetSchema),
    ...Timing,
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Schedule = Type.Object({
  id: Type.String(),
  name: Type.String(),
  command: Type.Record(Type.String(), Type.Unknown(), { description: "the command as given" }),
  target: Type.Unknown({ description: "the target as given, resolved at each run" }),
  kind: Type.Enum(["once", "cron"]),
  at: Nullable(IsoTime),
  cron: Nullable(Type.String()),
  timezone: Type.String(),
  startsAt: Nullable(IsoTime),
  endsAt: Nullable(IsoTime),
  missedRuns: MissedRuns,
  state: Type.Enum(["active", "paused", "finished"]),
  nextRunAt: Nullable(IsoTime),
  upcoming: Type.Array(IsoTime, { description: "the next few run times of an active recurring schedule" }),
  lastRunAt: Nullable(IsoTime),
  runs: Type.Integer({ description: "fleet commands it started" }),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  createdBy: Nullable(Type.String()),
});

export const ScheduleRun = Type.Object({
  dueAt: IsoTime,
  ranAt: IsoTime,
  outcome: Type.Enum(["started", "skipped", "failed"]),
  batchId: Nullable(Type.String({ description: "the fleet command it started" })),
  message: Nullable(Type.String({ description: "why it was skipped or failed, or that it ran late" })),
});

export const ScheduleIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
