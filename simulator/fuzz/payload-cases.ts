/**
 * fast-check arbitraries for what a device can put in its own `res` and `state` messages:
 * random bytes, valid protobuf mutated, and protobuf that decodes but carries values no agent
 * sends (times past the year 275 760, NaN, 64-bit extremes, invalid UTF-8, unknown fields,
 * out-of-range enums, results for commands that are not the device's own).
 */
import fc from "fast-check";
import { encodeCommandResult, encodeDeviceState } from "../../proto/codec.js";
import type { CommandResult, DeviceState, ResultStatus, Telemetry } from "../../proto/wire.js";
import { RESULT_STATUSES } from "../../proto/wire.js";
import { type ByteMutation, byteMutation, mutateBytes } from "./byte-mutations.js";

export interface PayloadCase {
  channel: "res" | "state";
  kind: string;
  bytes: Buffer;
}

/** Command ids a result may name: the device's own, another device's, or made up. */
export interface PayloadTargets {
  ownCommandIds: readonly string[];
  foreignCommandIds: readonly string[];
}

// ---- protobuf by hand, for what the generated encoder cannot express --------------------------

function varint(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = BigInt.asUintN(64, value);
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0n);
  return Buffer.from(bytes);
}

const tag = (field: number, wireType: number) => varint(BigInt((field << 3) | wireType));
const varintField = (field: number, value: bigint) => Buffer.concat([tag(field, 0), varint(value)]);
const bytesField = (field: number, bytes: Uint8Array) =>
  Buffer.concat([tag(field, 2), varint(BigInt(bytes.length)), bytes]);

// ---- values ----------------------------------------------------------------------------------

/** Milliseconds as an agent sends them, and the extremes a uint64 can hold. */
const uint64Ms = fc.oneof(
  fc.integer({ min: 0, max: 4_102_444_800_000 }),
  fc.constantFrom(0, 8.64e15, 8.64e15 + 1, 2 ** 53 - 1, 2 ** 53, 2 ** 63, 2 ** 64 - 1),
);
const sint64 = fc.oneof(
  fc.integer({ min: -3_600_000, max: 3_600_000 }),
  fc.constantFrom(-(2 ** 63), 2 ** 63 - 1, -(2 ** 53), 2 ** 53),
);
const anyDouble = fc.oneof(
  fc.double({ min: 0, max: 100, noNaN: true }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, Number.MAX_VALUE),
);
const text = fc.oneof(
  fc.string({ maxLength: 32 }),
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.constantFrom("", "\u0000", "a".repeat(4000), "<script>alert(1)</script>", "'; DROP TABLE devices; --"),
);

const telemetry: fc.Arbitrary<Telemetry> = fc.record({
  cpuLoadPercent: anyDouble,
  memoryTotalBytes: uint64Ms,
  memoryUsedBytes: uint64Ms,
  diskTotalBytes: uint64Ms,
  diskUsedBytes: uint64Ms,
  uptimeSeconds: uint64Ms,
  os: text,
  osVersion: text,
  batteryPercent: fc.oneof(fc.integer({ min: -1, max: 100 }), fc.constantFrom(-(2 ** 31), 2 ** 31 - 1)),
  interfaces: fc.array(fc.record({ name: text, mac: text, addresses: fc.array(text, { maxLength: 3 }) }), {
    maxLength: 3,
  }),
});

export const deviceStateArbitrary: fc.Arbitrary<DeviceState> = fc.record({
  atMs: uint64Ms,
  name: text,
  locked: fc.boolean(),
  timezone: text,
  timezoneAutomatic: fc.boolean(),
  ntpServer: fc.option(text, { nil: null }),
  clockOffsetMs: sint64,
  lastTimeSyncAtMs: fc.option(uint64Ms, { nil: null }),
  timeSyncError: fc.option(text, { nil: null }),
  bootTimeMs: uint64Ms,
  agentVersion: text,
  appliedConfigVersion: uint64Ms,
  signingKeysVersion: uint64Ms,
  model: text,
  serial: text,
  telemetry: fc.option(telemetry, { nil: null }),
});

function commandResultArbitrary(targets: PayloadTargets): fc.Arbitrary<CommandResult> {
  const ids = [...targets.ownCommandIds, ...targets.foreignCommandIds];
  return fc.record({
    commandId: ids.length > 0 ? fc.oneof(fc.constantFrom(...ids), text) : text,
    status: fc.constantFrom<ResultStatus>(...RESULT_STATUSES),
    errorCode: text,
    message: text,
    atMs: uint64Ms,
    state: fc.option(deviceStateArbitrary, { nil: null }),
  });
}

// ---- cases -----------------------------------------------------------------------------------

type Mutation = ByteMutation | { op: "splice-field"; field: number; wireType: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  byteMutation(6),
  // A field appended: unknown numbers, known numbers with the wrong wire type, invalid UTF-8.
  fc.record({
    op: fc.constant("splice-field" as const),
    field: fc.integer({ min: 1, max: 2000 }),
    wireType: fc.integer({ min: 0, max: 7 }),
    bytes: fc.uint8Array({ maxLength: 12 }),
  }),
);

function mutate(bytes: Buffer, m: Mutation): Buffer {
  if (m.op !== "splice-field") return mutateBytes(bytes, m);
  return Buffer.concat([
    bytes,
    m.wireType === 2
      ? bytesField(m.field, m.bytes)
      : Buffer.concat([tag(m.field, m.wireType), Buffer.from(m.bytes)]),
  ]);
}

/** A CommandResult whose status is outside the enum, or whose strings are not UTF-8. */
function oddResult(targets: PayloadTargets): fc.Arbitrary<Buffer> {
  const ids = [...targets.ownCommandIds, ...targets.foreignCommandIds, "cmd_unknown"];
  return fc
    .record({
      commandId: fc.constantFrom(...ids),
      status: fc.constantFrom(0n, 5n, 999n, 2n ** 63n),
      invalidUtf8: fc.constantFrom(
        Buffer.from([0xc3, 0x28]),
        Buffer.from([0xff]),
        Buffer.from([0xed, 0xa0, 0x80]),
      ),
    })
    .map(({ commandId, status, invalidUtf8 }) =>
      Buffer.concat([
        bytesField(1, Buffer.from(commandId)),
        varintField(2, status),
        bytesField(3, invalidUtf8),
        bytesField(4, invalidUtf8),
      ]),
    );
}

export function payloadCaseArbitrary(targets: PayloadTargets): fc.Arbitrary<PayloadCase> {
  const channel = fc.constantFrom<"res" | "state">("res", "state");
  const validBytes = (ch: "res" | "state") =>
    ch === "state"
      ? deviceStateArbitrary.map((s) => Buffer.from(encodeDeviceState(s)))
      : commandResultArbitrary(targets).map((r) => Buffer.from(encodeCommandResult(r)));
  return fc.oneof(
    fc.record({ channel, bytes: fc.uint8Array({ maxLength: 512 }) }).map(({ channel, bytes }) => ({
      channel,
      kind: "random-bytes",
      bytes: Buffer.from(bytes),
    })),
    channel.chain((ch) => validBytes(ch).map((bytes) => ({ channel: ch, kind: "extreme-values", bytes }))),
    channel.chain((ch) =>
      fc
        .record({ bytes: validBytes(ch), mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }) })
        .map(({ bytes, mutations }) => ({
          channel: ch,
          kind: "mutated",
          bytes: mutations.reduce(mutate, bytes),
        })),
    ),
    oddResult(targets).map((bytes) => ({ channel: "res" as const, kind: "odd-result", bytes })),
    // A state message on the result topic and the other way round.
    channel.chain((ch) =>
      validBytes(ch === "res" ? "state" : "res").map((bytes) => ({
        channel: ch,
        kind: "wrong-topic",
        bytes,
      })),
    ),
  );
}
