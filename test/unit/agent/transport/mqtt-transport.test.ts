/**
 * The MQTT.js transport against a real aedes broker on 127.0.0.1, over TCP and WebSocket:
 * connect, subscribe, QoS 1 both ways, reconnect, and the slow retry after a refused credential.
 */
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { Aedes, type AedesPublishPacket, type AuthErrorCode, type Client } from "aedes";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWebSocketStream, WebSocketServer } from "ws";
import { mqttJsTransport } from "../../../../agent/transport/mqtt-transport.js";
import type { AgentTransport, TransportHandlers } from "../../../../agent/transport/transport.js";

interface TestBroker {
  aedes: Aedes;
  mqttUrl: string;
  wsUrl: string;
  /** Passwords the broker accepts right now. */
  acceptedPasswords: Set<string>;
  connectAttemptsMs: number[];
  publishedByDevice: AedesPublishPacket[];
  clients: Map<string, Client>;
}

let broker: TestBroker;
let tcp: Server;
let http: HttpServer;
let transports: AgentTransport[] = [];

const BAD_USERNAME_OR_PASSWORD = 4 as AuthErrorCode;

beforeEach(async () => {
  const acceptedPasswords = new Set(["good"]);
  const connectAttemptsMs: number[] = [];
  const publishedByDevice: AedesPublishPacket[] = [];
  const clients = new Map<string, Client>();
  const aedes = await Aedes.createBroker({
    authenticate: (_client, _username, password, done) => {
      connectAttemptsMs.push(Date.now());
      if (password && acceptedPasswords.has(password.toString())) return done(null, true);
      done(Object.assign(new Error("refused"), { returnCode: BAD_USERNAME_OR_PASSWORD }), false);
    },
    published: (packet, client, done) => {
      if (client) publishedByDevice.push(packet);
      done(null);
    },
  });
  aedes.on("client", (client) => clients.set(client.id, client));
  tcp = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
  const wss = new WebSocketServer({ noServer: true });
  http = createHttpServer();
  http.on("upgrade", (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => aedes.handle(createWebSocketStream(ws), request));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (server: Server | HttpServer) => (server.address() as { port: number }).port;
  broker = {
    aedes,
    mqttUrl: `mqtt://127.0.0.1:${port(tcp)}`,
    wsUrl: `ws://127.0.0.1:${port(http)}/mqtt`,
    acceptedPasswords,
    connectAttemptsMs,
    publishedByDevice,
    clients,
  };
});

afterEach(async () => {
  await Promise.all(transports.map((t) => t.end(true)));
  transports = [];
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
  await new Promise((resolve) => tcp.close(resolve));
  await new Promise<void>((resolve) => broker.aedes.close(() => resolve()));
});

/** Handlers that record every call, with a way to await the next one of a kind. */
class RecordingHandlers implements TransportHandlers {
  readonly calls: string[] = [];
  readonly messages: { topic: string; payload: string }[] = [];
  private waiters: { kind: string; resolve: () => void }[] = [];

  connected(): void {
    this.record("connected");
  }
  disconnected(): void {
    this.record("disconnected");
  }
  message(topic: string, payload: Uint8Array): void {
    this.messages.push({ topic, payload: Buffer.from(payload).toString() });
    this.record("message");
  }
  authFailed(reason: string): void {
    this.record(`authFailed:${reason}`);
  }

  next(kind: string): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ kind, resolve }));
  }

  private record(call: string): void {
    this.calls.push(call);
    const kind = call.split(":")[0]!;
    const ready = this.waiters.filter((w) => w.kind === kind);
    this.waiters = this.waiters.filter((w) => w.kind !== kind);
    for (const waiter of ready) waiter.resolve();
  }
}

function open(url: string, password: string, tuning: Parameters<typeof mqttJsTransport>[0] = {}) {
  const handlers = new RecordingHandlers();
  const transport = mqttJsTransport({ reconnectDelayMs: 20, ...tuning })(
    { url, clientId: "dev_t", username: "dev_t", password },
    handlers,
  );
  transports.push(transport);
  return { transport, handlers };
}

function brokerPublish(topic: string, payload: string): Promise<void> {
  return new Promise((resolve, reject) =>
    broker.aedes.publish(
      { cmd: "publish", topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false },
      (err) => (err ? reject(err) : resolve()),
    ),
  );
}

describe.each(["mqtt", "ws"] as const)("MqttJsTransport over %s", (scheme) => {
  const url = () => (scheme === "mqtt" ? broker.mqttUrl : broker.wsUrl);

  it("connects with its credential, receives what it subscribed to, and publishes with QoS 1", async () => {
    const { transport, handlers } = open(url(), "good");
    const connected = handlers.next("connected");
    transport.connect();
    await connected;
    await transport.subscribe(["pmdm/v1/d/dev_t/cmd", "pmdm/v1/d/dev_t/cfg"]);

    const received = handlers.next("message");
    await brokerPublish("pmdm/v1/d/dev_t/cmd", "hello");
    await received;
    expect(handlers.messages).toEqual([{ topic: "pmdm/v1/d/dev_t/cmd", payload: "hello" }]);

    await transport.publish("pmdm/v1/d/dev_t/res", new TextEncoder().encode("done"));
    // Resolved on PUBACK: the broker already has it.
    expect(broker.publishedByDevice.map((p) => [p.topic, p.qos, p.payload.toString()])).toEqual([
      ["pmdm/v1/d/dev_t/res", 1, "done"],
    ]);
  });
});

describe("MqttJsTransport", () => {
  it("reconnects by itself after the broker drops it", async () => {
    const { transport, handlers } = open(broker.mqttUrl, "good");
    const connected = handlers.next("connected");
    transport.connect();
    await connected;
    const reconnected = handlers.next("connected");
    broker.clients.get("dev_t")?.close();
    await reconnected;
    expect(handlers.calls).toEqual(["connected", "disconnected", "connected"]);
  });

  it("reports a refused credential and retries only after authRefusedRetryMs", async () => {
    const { transport, handlers } = open(broker.mqttUrl, "revoked", { authRefusedRetryMs: 300 });
    const refused = handlers.next("authFailed");
    transport.connect();
    await refused;
    expect(handlers.calls[0]).toMatch(/^authFailed:Connection refused: Bad username or password/);

    broker.acceptedPasswords.add("revoked"); // an admin restores the credential
    const connected = handlers.next("connected");
    await connected;
    const [first, second] = broker.connectAttemptsMs;
    expect(broker.connectAttemptsMs).toHaveLength(2);
    expect(second! - first!).toBeGreaterThanOrEqual(250);
  });

  it("ends at once when asked to while it cannot connect", async () => {
    const { transport } = open("mqtt://127.0.0.1:1", "good");
    transport.connect();
    await transport.end(false);
    expect(() => transport.publish("t", new Uint8Array())).toThrow("transport is not running");
  });
});
