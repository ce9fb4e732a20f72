/**
 * fast-check arbitraries for hostile MQTT sessions: one TCP connection each, an opening (a
 * device's own CONNECT, a wrong or missing credential, another device's client id, no CONNECT
 * at all) followed by malformed, mutated and misplaced packets built with mqtt-packet. The
 * same seed gives the same sessions, so a failing run can be replayed.
 */
import fc from "fast-check";
import mqttPacket, { type Packet } from "mqtt-packet";
import { deviceTopic } from "../../proto/topics.js";
import { type ByteMutation, byteMutation, fraction, mutateBytes } from "./byte-mutations.js";

export interface FuzzIdentity {
  deviceId: string;
  secret: string;
}

/** Who the sessions may pretend to be, and whose topics they aim at. */
export interface FuzzTargets {
  /** Enrolled devices whose credentials the fuzzer holds. */
  devices: readonly FuzzIdentity[];
  /**
   * Devices the fuzzer must never reach or disturb (a healthy agent, a listening sentinel):
   * their ids are aimed at, their secrets never known.
   */
  victimIds: readonly string[];
}

export type Opening =
  | "device" // a fuzz device's own valid CONNECT
  | "anonymous" // no username or password
  | "wrong-secret" // a fuzz device's id with a wrong secret
  | "takeover" // a victim's client id with a fuzz device's credential
  | "will" // a fuzz device's CONNECT with a will aimed at a victim's topics
  | "none" // no CONNECT: the first packet is something else
  | "mutated-connect"; // a fuzz device's CONNECT, mutated

export interface FuzzPacket {
  /** What the packet is meant to exercise, for the summary. */
  kind: string;
  bytes: Buffer;
}

export interface FuzzSession {
  opening: Opening;
  /** Over MQTT-over-WebSocket instead of plain TCP (when the fuzzer has a WebSocket URL). */
  overWebSocket: boolean;
  /** Wait for CONNACK before sending the rest (otherwise aedes must queue what follows). */
  awaitConnack: boolean;
  packets: FuzzPacket[];
  /** Cut points (fractions of the stream) where the bytes go out as separate writes. */
  splits: number[];
}

const generate = (packet: Packet): Buffer => mqttPacket.generate(packet);

/** Remaining Length as MQTT encodes it (§2.2.3): 7 bits a byte, high bit = more follows. */
export function encodeRemainingLength(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

/** A packet from its first byte and body, with a correct Remaining Length. */
function rawPacket(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), encodeRemainingLength(body.length), body]);
}

/** A length-prefixed MQTT string from raw bytes, which need not be valid UTF-8. */
function rawString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length & 0xffff);
  return Buffer.concat([length, bytes]);
}

function connectPacket(
  clientId: string,
  credential: { username?: string; password?: string },
  keepalive: number,
): Buffer {
  return generate({
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 4,
    clean: true,
    clientId,
    keepalive,
    username: credential.username,
    password: credential.password === undefined ? undefined : Buffer.from(credential.password),
  });
}

/** Offset of the byte after a packet's fixed header (type byte and Remaining Length). */
function bodyOffset(packet: Buffer): number {
  let offset = 1;
  while (offset < packet.length && offset < 5 && (packet[offset]! & 0x80) !== 0) offset++;
  return Math.min(packet.length, offset + 1);
}

// ---- building blocks ------------------------------------------------------------------------

const messageId = fc.integer({ min: 0, max: 0xffff });
const smallPayload = fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b));

const INVALID_UTF8: readonly Buffer[] = [
  Buffer.from([0xc3, 0x28]), // a lead byte without its continuation
  Buffer.from([0xff, 0xfe]), // bytes that never occur in UTF-8
  Buffer.from([0xed, 0xa0, 0x80]), // an encoded UTF-16 surrogate [MQTT-1.5.3-1]
  Buffer.from([0xe2, 0x82]), // truncated three-byte sequence
  Buffer.from([0x00]), // U+0000 [MQTT-1.5.3-2]
  Buffer.from([0xc0, 0xaf]), // overlong '/'
];

/** Topics a device might aim at: its own, the victim's, wildcards, $SYS, very deep, odd. */
function topicArbitrary(targets: FuzzTargets, own: FuzzIdentity): fc.Arbitrary<string> {
  const victimTopics = targets.victimIds.flatMap((id) => [
    deviceTopic(id, "cmd"),
    deviceTopic(id, "cfg"),
    deviceTopic(id, "res"),
    deviceTopic(id, "state"),
    `pmdm/v1/d/${id}/#`,
  ]);
  return fc.oneof(
    fc.constantFrom(
      deviceTopic(own.deviceId, "res"),
      deviceTopic(own.deviceId, "state"),
      deviceTopic(own.deviceId, "cmd"),
      deviceTopic(own.deviceId, "cfg"),
      ...victimTopics,
      "#",
      "+",
      "pmdm/#",
      "pmdm/v1/d/+/cmd",
      "$SYS/#",
      "$SYS/broker/clients",
      "/",
      "",
    ),
    fc.integer({ min: 90, max: 400 }).map((levels) => Array(levels).fill("a").join("/")),
    fc.string({ unit: "binary", maxLength: 64 }),
  );
}

function willTopic(targets: FuzzTargets): fc.Arbitrary<string> {
  return fc.constantFrom(
    ...targets.victimIds.flatMap((id) => [deviceTopic(id, "cmd"), deviceTopic(id, "cfg")]),
    "$SYS/x",
    "pmdm/v1/d/+/cmd",
  );
}

function willConnect(own: FuzzIdentity, topic: string, keepalive: number): Buffer {
  return generate({
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 4,
    clean: true,
    clientId: own.deviceId,
    keepalive,
    username: own.deviceId,
    password: Buffer.from(own.secret),
    will: { topic, payload: Buffer.from("will"), qos: 1, retain: false },
  });
}

// ---- packets a client could send -------------------------------------------------------------

/** Packets mqtt-packet can build: well-formed on the wire, hostile or pointless in content. */
function wellFormedPacket(targets: FuzzTargets, own: FuzzIdentity): fc.Arbitrary<FuzzPacket> {
  const topic = topicArbitrary(targets, own);
  const build = (kind: string, arb: fc.Arbitrary<Packet>) =>
    arb.map((packet) => {
      try {
        return { kind, bytes: generate(packet) };
      } catch {
        // mqtt-packet refuses some combinations (an empty topic, say): a zero-length topic
        // PUBLISH stands in, itself a protocol violation [MQTT-3.3.2-1].
        return { kind: `${kind}-refused-by-encoder`, bytes: rawPacket(0x30, Buffer.from([0, 0, 0x78])) };
      }
    });
  return fc.oneof(
    build(
      "publish",
      fc
        .record({
          topic,
          payload: smallPayload,
          qos: fc.constantFrom(0, 1, 2),
          retain: fc.boolean(),
          dup: fc.boolean(),
          messageId: fc.integer({ min: 1, max: 0xffff }),
        })
        .map((p) => ({ cmd: "publish", ...p }) as Packet),
    ),
    build(
      "subscribe",
      fc
        .record({
          messageId: fc.integer({ min: 1, max: 0xffff }),
          subscriptions: fc.array(fc.record({ topic, qos: fc.constantFrom(0, 1, 2) }), {
            minLength: 1,
            maxLength: 8,
          }),
        })
        .map((p) => ({ cmd: "subscribe", ...p }) as Packet),
    ),
    build(
      "unsubscribe",
      fc
        .record({
          messageId: fc.integer({ min: 1, max: 0xffff }),
          unsubscriptions: fc.array(topic, { minLength: 1, maxLength: 4 }),
        })
        .map((p) => ({ cmd: "unsubscribe", ...p }) as Packet),
    ),
    build(
      "bad-ack",
      fc
        .record({ cmd: fc.constantFrom("puback", "pubrec", "pubrel", "pubcomp"), messageId })
        .map((p) => p as Packet),
    ),
    build(
      "server-only-packet",
      fc.constantFrom<Packet>(
        { cmd: "connack", returnCode: 0, sessionPresent: false },
        { cmd: "suback", messageId: 1, granted: [0] },
        { cmd: "unsuback", messageId: 1, granted: [] },
        { cmd: "pingresp" },
      ),
    ),
    build("pingreq", fc.constant<Packet>({ cmd: "pingreq" })),
  );
}

/** Packets built by hand because no well-behaved encoder would produce them. */
function malformedPacket(targets: FuzzTargets, own: FuzzIdentity): fc.Arbitrary<FuzzPacket> {
  const ownTopic = Buffer.from(deviceTopic(own.deviceId, "state"));
  return fc.oneof(
    // 256 MB (the largest Remaining Length) announced, a few bytes sent.
    fc.record({ type: fc.integer({ min: 1, max: 15 }), tail: smallPayload }).map(({ type, tail }) => ({
      kind: "announced-256mb",
      bytes: Buffer.concat([Buffer.from([type << 4, 0xff, 0xff, 0xff, 0x7f]), tail.subarray(0, 16)]),
    })),
    // A Remaining Length of five bytes: more than the four the spec allows.
    fc.integer({ min: 0, max: 15 }).map((type) => ({
      kind: "remaining-length-5-bytes",
      bytes: Buffer.from([(type << 4) | 0x02, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00]),
    })),
    // A Remaining Length that disagrees with the bytes that follow.
    fc.record({ body: smallPayload, delta: fc.integer({ min: -40, max: 40 }) }).map(({ body, delta }) => ({
      kind: "wrong-remaining-length",
      bytes: Buffer.concat([
        Buffer.from([0x30]),
        encodeRemainingLength(Math.max(0, body.length + 2 + ownTopic.length + delta)),
        rawString(ownTopic),
        body,
      ]),
    })),
    // Topics that are not valid UTF-8, in PUBLISH and SUBSCRIBE.
    fc
      .record({ bad: fc.constantFrom(...INVALID_UTF8), at: fraction, subscribe: fc.boolean() })
      .map(({ bad, at, subscribe }) => {
        const cut = Math.floor(at * ownTopic.length);
        const topic = Buffer.concat([ownTopic.subarray(0, cut), bad, ownTopic.subarray(cut)]);
        return subscribe
          ? {
              kind: "invalid-utf8-subscribe",
              bytes: rawPacket(
                0x82,
                Buffer.concat([Buffer.from([0, 1]), rawString(topic), Buffer.from([1])]),
              ),
            }
          : {
              kind: "invalid-utf8-publish",
              bytes: rawPacket(0x30, Buffer.concat([rawString(topic), Buffer.from("x")])),
            };
      }),
    // QoS 3 in PUBLISH flags, and in a SUBSCRIBE's requested QoS.
    fc.boolean().map((subscribe) =>
      subscribe
        ? {
            kind: "qos3-subscribe",
            bytes: rawPacket(
              0x82,
              Buffer.concat([Buffer.from([0, 1]), rawString(ownTopic), Buffer.from([3])]),
            ),
          }
        : {
            kind: "qos3-publish",
            bytes: rawPacket(
              0x36,
              Buffer.concat([rawString(ownTopic), Buffer.from([0, 1]), Buffer.from("x")]),
            ),
          },
    ),
    // Wildcards in a PUBLISH topic.
    fc
      .constantFrom("#", "+", "pmdm/v1/d/+/cmd", ...targets.victimIds.map((id) => `pmdm/v1/d/${id}/#`))
      .map((topic) => ({
        kind: "wildcard-publish",
        bytes: rawPacket(
          0x32,
          Buffer.concat([rawString(Buffer.from(topic)), Buffer.from([0, 7]), Buffer.from("x")]),
        ),
      })),
    // Reserved packet types 0 and 15, and flags that §2.2.2 fixes (PUBREL, SUBSCRIBE, UNSUBSCRIBE).
    fc
      .record({ first: fc.constantFrom(0x00, 0xf0, 0x60, 0x80, 0xa0, 0x8f), body: smallPayload })
      .map(({ first, body }) => ({
        kind: "reserved-type-or-flags",
        bytes: rawPacket(first, body.subarray(0, 32)),
      })),
    // A second CONNECT on a connection, or a CONNECT of MQTT 5 or an unknown protocol.
    fc.constantFrom(
      {
        kind: "second-connect",
        bytes: connectPacket(own.deviceId, { username: own.deviceId, password: own.secret }, 30),
      },
      {
        kind: "connect-mqtt5",
        bytes: generate({
          cmd: "connect",
          protocolId: "MQTT",
          protocolVersion: 5,
          clean: true,
          clientId: own.deviceId,
          keepalive: 10,
        }),
      },
      {
        kind: "connect-bad-protocol",
        bytes: rawPacket(
          0x10,
          Buffer.concat([
            rawString(Buffer.from("MQTX")),
            Buffer.from([9, 2, 0, 10]),
            rawString(Buffer.from("x")),
          ]),
        ),
      },
    ),
    // A CONNECT whose will would publish to a victim when the connection drops.
    willTopic(targets).map((topic) => ({ kind: "connect-foreign-will", bytes: willConnect(own, topic, 10) })),
    // Bytes from nowhere.
    fc
      .uint8Array({ minLength: 1, maxLength: 300 })
      .map((b) => ({ kind: "random-bytes", bytes: Buffer.from(b) })),
  );
}

type Mutation = ByteMutation | { op: "remaining-length"; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  byteMutation(8),
  fc.record({ op: fc.constant("remaining-length" as const), value: fc.integer({ min: 0, max: 0x0fffffff }) }),
);

export function mutate(packet: Buffer, m: Mutation): Buffer {
  if (m.op !== "remaining-length") return mutateBytes(packet, m);
  return Buffer.concat([
    packet.subarray(0, 1),
    encodeRemainingLength(m.value),
    packet.subarray(bodyOffset(packet)),
  ]);
}

function mutatedPacket(targets: FuzzTargets, own: FuzzIdentity): fc.Arbitrary<FuzzPacket> {
  return fc
    .record({
      packet: wellFormedPacket(targets, own),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
    })
    .map(({ packet, mutations }) => ({
      kind: `mutated-${packet.kind}`,
      bytes: mutations.reduce(mutate, packet.bytes),
    }));
}

function anyPacket(targets: FuzzTargets, own: FuzzIdentity): fc.Arbitrary<FuzzPacket> {
  return fc.oneof(
    { weight: 3, arbitrary: wellFormedPacket(targets, own) },
    { weight: 3, arbitrary: malformedPacket(targets, own) },
    { weight: 4, arbitrary: mutatedPacket(targets, own) },
  );
}

/** The CONNECT (or nothing) that opens a session. */
export function openingPacket(
  opening: Opening,
  own: FuzzIdentity,
  victimId: string,
  willTopicName: string,
  keepalive: number,
  connectMutations: readonly Mutation[],
): FuzzPacket | null {
  const ownCredential = { username: own.deviceId, password: own.secret };
  switch (opening) {
    case "device":
      return { kind: "connect", bytes: connectPacket(own.deviceId, ownCredential, keepalive) };
    case "anonymous":
      return { kind: "connect-anonymous", bytes: connectPacket(`anon-${keepalive}`, {}, keepalive) };
    case "wrong-secret":
      return {
        kind: "connect-wrong-secret",
        bytes: connectPacket(own.deviceId, { username: own.deviceId, password: "pds_wrong" }, keepalive),
      };
    case "takeover":
      return { kind: "connect-takeover", bytes: connectPacket(victimId, ownCredential, keepalive) };
    case "will":
      return { kind: "connect-will", bytes: willConnect(own, willTopicName, keepalive) };
    case "none":
      return null;
    case "mutated-connect":
      return {
        kind: "mutated-connect",
        bytes: connectMutations.reduce(mutate, connectPacket(own.deviceId, ownCredential, keepalive)),
      };
  }
}

/** A session's description; bytes are built by {@link sessionArbitrary}. */
export function sessionArbitrary(targets: FuzzTargets, maxPackets = 12): fc.Arbitrary<FuzzSession> {
  if (targets.devices.length === 0 || targets.victimIds.length === 0) {
    throw new Error("the fuzzer needs at least one enrolled device and one victim");
  }
  return fc
    .record({
      opening: fc.constantFrom<Opening>(
        "device",
        "device",
        "device",
        "anonymous",
        "wrong-secret",
        "takeover",
        "will",
        "none",
        "mutated-connect",
      ),
      deviceIndex: fc.nat(targets.devices.length - 1),
      victimId: fc.constantFrom(...targets.victimIds),
      willTopic: willTopic(targets),
      keepalive: fc.integer({ min: 0, max: 120 }),
      connectMutations: fc.array(mutation, { minLength: 1, maxLength: 2 }),
      awaitConnack: fc.boolean(),
      overWebSocket: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      splits: fc.array(fraction, { maxLength: 4 }),
    })
    .chain((s) => {
      const own = targets.devices[s.deviceIndex]!;
      const first = openingPacket(s.opening, own, s.victimId, s.willTopic, s.keepalive, s.connectMutations);
      return fc.array(anyPacket(targets, own), { minLength: 1, maxLength: maxPackets }).map((packets) => ({
        opening: s.opening,
        overWebSocket: s.overWebSocket,
        awaitConnack: s.awaitConnack && first !== null,
        // A mutation can leave nothing; nothing is not a packet.
        packets: (first ? [first, ...packets] : packets).filter((p) => p.bytes.length > 0),
        splits: [...s.splits].sort((x, y) => x - y),
      }));
    });
}
