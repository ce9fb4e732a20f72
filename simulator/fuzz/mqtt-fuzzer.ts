/**
 * Sends hostile MQTT sessions (see mqtt-cases.ts) to a broker over many connections at once,
 * until a packet count or a deadline is reached, and counts what happened to them.
 */
import { connect } from "node:net";
import fc from "fast-check";
import { WebSocket } from "ws";
import { type FuzzPacket, type FuzzSession, type FuzzTargets, sessionArbitrary } from "./mqtt-cases.js";

export interface MqttFuzzOptions {
  host: string;
  port: number;
  /** MQTT over WebSocket (`ws://host:port/mqtt`); when set, some sessions go this way. */
  webSocketUrl?: string;
  targets: FuzzTargets;
  seed: number;
  /** Stop after this many packets have been handed to sockets. */
  packets: number;
  /** Sessions open at the same time. Default 32. */
  concurrency?: number;
  /** Stop at this time (ms since epoch) even if fewer packets went out. */
  deadlineMs?: number;
  /** Stops the run at once (the server is gone). */
  signal?: AbortSignal;
  /** How long a session waits for the server to close it after its last packet. Default 20 ms. */
  lingerMs?: number;
  onProgress?: (packetsSent: number) => void;
}

export interface MqttFuzzReport {
  seed: number;
  sessions: number;
  /** Sessions that went over WebSocket rather than TCP. */
  webSocketSessions: number;
  packetsSent: number;
  bytesSent: number;
  /** Packets sent, by what they exercise (mutations grouped under `mutated-*`). */
  packetsByKind: Record<string, number>;
  /** Sessions the server closed before the fuzzer did. */
  closedByServer: number;
  /** CONNACKs seen: accepted (return code 0) and refused (any other). */
  connacksAccepted: number;
  connacksRefused: number;
  /** Sockets that could not connect at all (the server not listening would show here). */
  connectFailures: number;
  elapsedMs: number;
}

const SESSIONS_PER_SAMPLE = 200;
const CONNACK_WAIT_MS = 1000;

/** An endless, reproducible stream of sessions: batch `i` is sampled with seed `seed + i`. */
function* sessionsFrom(targets: FuzzTargets, seed: number): Generator<FuzzSession> {
  const arbitrary = sessionArbitrary(targets);
  for (let batch = 0; ; batch++) {
    yield* fc.sample(arbitrary, { seed: (seed + batch) | 0, numRuns: SESSIONS_PER_SAMPLE });
  }
}

export async function runMqttFuzz(options: MqttFuzzOptions): Promise<MqttFuzzReport> {
  const report: MqttFuzzReport = {
    seed: options.seed,
    sessions: 0,
    webSocketSessions: 0,
    packetsSent: 0,
    bytesSent: 0,
    packetsByKind: {},
    closedByServer: 0,
    connacksAccepted: 0,
    connacksRefused: 0,
    connectFailures: 0,
    elapsedMs: 0,
  };
  const startedMs = performance.now();
  const sessions = sessionsFrom(options.targets, options.seed);
  const done = () =>
    report.packetsSent >= options.packets ||
    options.signal?.aborted === true ||
    (options.deadlineMs !== undefined && Date.now() >= options.deadlineMs);

  const worker = async () => {
    while (!done()) {
      const session = sessions.next().value as FuzzSession;
      report.sessions++;
      await runSession(session, options, report);
      options.onProgress?.(report.packetsSent);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 32 }, worker));
  report.elapsedMs = performance.now() - startedMs;
  return report;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A connection to the broker, over TCP or WebSocket: what a session needs of it. */
interface Channel {
  /** Resolves true once open, false if it never opened. */
  opened: Promise<boolean>;
  closed: Promise<void>;
  isClosed(): boolean;
  onData(listener: (chunk: Buffer) => void): void;
  write(bytes: Buffer): void;
  /** Closes abruptly: a TCP reset, a WebSocket without closing handshake. */
  abort(): void;
}

function tcpChannel(host: string, port: number): Channel {
  const socket = connect({ host, port });
  socket.setNoDelay(true);
  // Resets and broken pipes are what hostile sessions earn; 'close' follows.
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    opened: new Promise((resolve) => {
      socket.once("connect", () => resolve(true));
      socket.once("close", () => resolve(false));
    }),
    closed,
    isClosed: () => socket.destroyed,
    onData: (listener) => socket.on("data", listener),
    write: (bytes) => socket.write(bytes),
    // A reset rather than a FIN leaves no TIME_WAIT behind: tens of thousands of sessions
    // would otherwise run this side out of ports.
    abort: () => socket.resetAndDestroy(),
  };
}

function webSocketChannel(url: string): Channel {
  const ws = new WebSocket(url, "mqtt");
  let isClosed = false;
  ws.on("error", () => {});
  const closed = new Promise<void>((resolve) =>
    ws.once("close", () => {
      isClosed = true;
      resolve();
    }),
  );
  return {
    opened: new Promise((resolve) => {
      ws.once("open", () => resolve(true));
      ws.once("close", () => resolve(false));
    }),
    closed,
    isClosed: () => isClosed || ws.readyState !== WebSocket.OPEN,
    onData: (listener) => ws.on("message", (data: Buffer) => listener(data)),
    // Each write is one binary frame: frame boundaries cut packets as TCP segments would.
    write: (bytes) => ws.send(bytes),
    abort: () => ws.terminate(),
  };
}

async function runSession(session: FuzzSession, options: MqttFuzzOptions, report: MqttFuzzReport) {
  const channel =
    session.overWebSocket && options.webSocketUrl
      ? webSocketChannel(options.webSocketUrl)
      : tcpChannel(options.host, options.port);
  let connack: ((code: number) => void) | null = null;
  let answeredConnect = false;
  channel.onData((chunk: Buffer) => {
    // CONNACK (0x20 0x02 flags code) is the first thing a broker sends on a connection.
    if (answeredConnect) return;
    answeredConnect = true;
    if (chunk[0] !== 0x20 || chunk.length < 4) return;
    const code = chunk[3]!;
    if (code === 0) report.connacksAccepted++;
    else report.connacksRefused++;
    connack?.(code);
  });
  if (!(await channel.opened)) {
    report.connectFailures++;
    return;
  }
  if (session.overWebSocket && options.webSocketUrl) report.webSocketSessions++;

  const write = (bytes: Buffer): boolean => {
    if (channel.isClosed()) return false;
    channel.write(bytes);
    report.bytesSent += bytes.length;
    return true;
  };
  const count = (packet: FuzzPacket) => {
    report.packetsSent++;
    const kind = packet.kind.startsWith("mutated-") ? "mutated" : packet.kind;
    report.packetsByKind[kind] = (report.packetsByKind[kind] ?? 0) + 1;
  };

  let rest = session.packets;
  if (session.awaitConnack && session.packets.length > 0) {
    const opening = session.packets[0]!;
    const answered = new Promise<number>((resolve) => {
      connack = resolve;
    });
    write(opening.bytes);
    count(opening);
    await Promise.race([answered, channel.closed, delay(CONNACK_WAIT_MS)]);
    rest = session.packets.slice(1);
  }
  connack = null;

  // The rest as one stream, cut where the session says: parsers must resume mid-packet. A
  // packet counts as sent once its first byte is written.
  const stream = Buffer.concat(rest.map((p) => p.bytes));
  const cuts = [...new Set(session.splits.map((f) => Math.floor(f * stream.length)))].filter(
    (c) => c > 0 && c < stream.length,
  );
  let nextPacket = 0;
  let nextPacketStart = 0;
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    if (!write(stream.subarray(from, to))) break;
    while (nextPacket < rest.length && nextPacketStart < to) {
      count(rest[nextPacket]!);
      nextPacketStart += rest[nextPacket]!.bytes.length;
      nextPacket++;
    }
    from = to;
    // Let the server read this piece on its own before the next one arrives.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.race([channel.closed, delay(options.lingerMs ?? 20)]);
  if (channel.isClosed()) report.closedByServer++;
  else channel.abort();
  await channel.closed;
}
