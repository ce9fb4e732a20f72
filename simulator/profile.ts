/**
 * Fleet profiles: what a simulated fleet is made of, as data. A profile names the model mix
 * and groups of devices, each group a share of the fleet with its own faults.
 */
import { readFile } from "node:fs/promises";
import Type, { type Static } from "typebox";
import Value from "typebox/value";

const Range = Type.Object({ min: Type.Number({ minimum: 0 }), max: Type.Number({ minimum: 0 }) });
const SignedRange = Type.Object({ min: Type.Number(), max: Type.Number() });

export const FaultGroupSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  /** Share of the fleet in this group; shares are normalized to sum to 1. */
  share: Type.Number({ exclusiveMinimum: 0 }),
  /** Time each device action takes, ms. */
  latencyMs: Type.Optional(Range),
  /** Share of actions that fail (0–1). */
  failureRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  rebootDurationMs: Type.Optional(Range),
  /** How far the device clock is off, ms (negative: behind). */
  clockSkewMs: Type.Optional(SignedRange),
  /** Offline churn: each device drops its connection about every `everyMs` and stays away `offlineMs`. */
  churn: Type.Optional(Type.Object({ everyMs: Range, offlineMs: Range })),
  /** Share of commands the transport hands to the agent twice (duplicate delivery). */
  duplicateRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  /** A slow reader: each message waits this long before the agent sees it, ms. */
  readDelayMs: Type.Optional(Type.Number({ minimum: 0 })),
});

export const FleetProfileSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  models: Type.Array(
    Type.Object({ model: Type.String({ minLength: 1 }), share: Type.Number({ exclusiveMinimum: 0 }) }),
    {
      minItems: 1,
    },
  ),
  /** Device names: `{model}`, `{n}` (1-based index) are replaced. */
  nameTemplate: Type.Optional(Type.String({ minLength: 1 })),
  groups: Type.Array(FaultGroupSchema, { minItems: 1 }),
});

export type FaultGroup = Static<typeof FaultGroupSchema>;
export type FleetProfile = Static<typeof FleetProfileSchema>;

export function parseProfile(json: unknown, source = "profile"): FleetProfile {
  const errors = [...Value.Errors(FleetProfileSchema, json)];
  if (errors.length > 0) {
    const lines = errors.slice(0, 5).map((e) => `  ${e.instancePath || "/"}: ${e.message}`);
    throw new Error(`invalid fleet profile ${source}:\n${lines.join("\n")}`);
  }
  return json as FleetProfile;
}

export async function loadProfile(file: string): Promise<FleetProfile> {
  return parseProfile(JSON.parse(await readFile(file, "utf8")), file);
}

/** Picks an item by share: `at` in [0, 1) walks the cumulative normalized shares. */
export function pickByShare<T extends { share: number }>(items: readonly T[], at: number): T {
  const total = items.reduce((sum, i) => sum + i.share, 0);
  let cumulative = 0;
  for (const item of items) {
    cumulative += item.share / total;
    if (at < cumulative) return item;
  }
  return items[items.length - 1]!;
}

export function sample(range: { min: number; max: number } | undefined, random: () => number): number {
  if (!range) return 0;
  return range.min + random() * (range.max - range.min);
}
