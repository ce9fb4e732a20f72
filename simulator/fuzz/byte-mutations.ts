/**
 * Mutations of an encoded message that any byte format meets (cut short, a bit flipped, bytes
 * inserted or deleted), as fast-check values: the MQTT and protobuf fuzzers add their own.
 */
import fc from "fast-check";

/** Where in a buffer, as a fraction, so one value fits buffers of any length. */
export const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

export type ByteMutation =
  | { op: "truncate"; at: number }
  | { op: "flip"; at: number; mask: number }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "delete"; at: number; count: number };

export function byteMutation(maxInsert: number): fc.Arbitrary<ByteMutation> {
  return fc.oneof(
    fc.record({ op: fc.constant("truncate" as const), at: fraction }),
    fc.record({ op: fc.constant("flip" as const), at: fraction, mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({
      op: fc.constant("insert" as const),
      at: fraction,
      bytes: fc.uint8Array({ minLength: 1, maxLength: maxInsert }),
    }),
    fc.record({ op: fc.constant("delete" as const), at: fraction, count: fc.integer({ min: 1, max: 8 }) }),
  );
}

export function mutateBytes(bytes: Buffer, m: ByteMutation): Buffer {
  const at = Math.floor(m.at * bytes.length);
  switch (m.op) {
    case "truncate":
      return bytes.subarray(0, at);
    case "flip": {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[at] = copy[at]! ^ m.mask;
      return copy;
    }
    case "insert":
      return Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    case "delete":
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.count)]);
  }
}
