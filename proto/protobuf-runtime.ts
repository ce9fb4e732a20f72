/**
 * Configures the protobufjs runtime before the generated code loads (import this first).
 *
 * 64-bit fields in this protocol are milliseconds and sequence numbers, far below 2^53: they
 * are decoded as plain numbers, as the generated types say, instead of the Long objects
 * protobufjs produces (even for defaults) when the `long` package is installed.
 */
import protobuf from "protobufjs/minimal.js";

// biome-ignore lint/suspicious/noExplicitAny: protobufjs types Long as a required constructor
protobuf.util.Long = undefined as any;
protobuf.configure();
