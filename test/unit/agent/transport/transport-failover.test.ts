/**
 * Both transports (MQTT.js for devices, the lean one for simulated fleets) against real aedes
 * brokers on 127.0.0.1, with several broker URLs: a closed first URL is passed over, a dropped
 * connection is tried again at the same URL, a broker that went away is left for the next one,
 * and a QoS 1 publish made meanwhile is acknowledged by the broker the transport moved to.
 */
import { createServer, type Server, type Socket } from "node:net";
import { Aedes, type AedesPublishPacket, type Client } from "aedes";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerRotation } from "../../../../agent/transport/broker-rotation.js";
import { leanTransport } from "../../../../agent/transport/lean-transport.js";
import { mqttJsTransport } from "../../../../agent/transport/mqtt-transport.js";
import type {
  AgentTransport,
  TransportFactory,
  TransportHandlers,
} from "../../../../agent/transport/transport.js";

interface TestBroker {
  url: string;
  /** CONNECTs this broker accepted. */
  connects: number;
  published: AedesPublishPacket[];
  client(): Client | undefined;
  /** Stops listening and drops every connection: the node is gone. */
  stop(): Promise<void>;
}

const brokers: TestBroker[] = [];
const transports: AgentTransport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.end(true)));
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
});

async function startBroker(): Promise<TestBroker> {
  const aedes = await Aedes.createBroker({
    published: (packet, client, done) => {
      if (client) broker.published.push(packet);
      done(null);
    },
  });
  const clients = new Map<string, Client>();
  aedes.on("client", (client) => {
    clients.set(client.id, client);
    broker.connects++;
  });
  aedes.on("clientDisconnect", (client) => {
    if (clients.get(client.id) === client) clients.delete(client.id);
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  let stopped = false;
  const broker: TestBroker = {
    url: `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`,
    connects: 0,
    published: [],
    client: () => clients.get("dev_f"),
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
  brokers.push(broker);
  return broker;
}

/** Records connects and disconnects, and lets a test wait for the next one. */
class Handlers implements TransportHandlers {
  readonly calls: string[] = [];
  private waiters: { call: string; resolve: () => void }[] = [];
  connected(): void {
    this.record("connected");
  }
  disconnected(): void {
    this.record("disconnected");
  }
  message(): void {}
  authFailed(): void {
    this.record("authFailed");
  }
  next(call: string): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ call, resolve }));
  }
  private record(call: string): void {
    this.calls.push(call);
    const ready = this.waiters.filter((w) => w.call === call);
    this.waiters = this.waiters.filter((w) => w.call !== call);
    for (const w of ready) w.resolve();
  }
}

const FAST = { reconnectDelayMs: 20, maxReconnectDelayMs: 100 };
const TRANSPORTS: [string, () => TransportFactory][] = [
  ["MQTT.js", () => mqttJsTransport(FAST)],
  ["lean", () => leanTransport(FAST)],
];

/** A closed port on 127.0.0.1: nothing listens on port 1. */
const CLOSED = "mqtt://127.0.0.1:1";

describe.each(TRANSPORTS)("the %s transport with several broker URLs", (_name, factory) => {
  function open(urls: string[]) {
    const rotation = new BrokerRotation(urls);
    const handlers = new Handlers();
    const transport = factory()(
      { url: rotation.current(), brokers: rotation, clientId: "dev_f", username: "dev_f", password: "pw" },
      handlers,
    );
    transports.push(transport);
    return { transport, handlers, rotation };
  }

  it("passes over a first URL where nothing listens and connects through the second", async () => {
    const b = await startBroker();
    const { transport, handlers, rotation } = open([CLOSED, b.url]);
    const connected = handlers.next("connected");
    transport.connect();
    await connected;
    expect(rotation.current()).toBe(b.url);
    expect(b.connects).toBe(1);
  });

  it("tries the same URL again after a dropped connection, and stays there while it works", async () => {
    const a = await startBroker();
    const b = await startBroker();
    const { transport, handlers, rotation } = open([a.url, b.url]);
    const connected = handlers.next("connected");
    transport.connect();
    await connected;
    const reconnected = handlers.next("connected");
    a.client()?.close();
    await reconnected;
    expect(rotation.current()).toBe(a.url);
    expect([a.connects, b.connects]).toEqual([2, 0]);
  });

  it("leaves a broker that went away for the next URL, and a QoS 1 publish made meanwhile reaches it", async () => {
    const a = await startBroker();
    const b = await startBroker();
    const { transport, handlers, rotation } = open([a.url, b.url]);
    const connected = handlers.next("connected");
    transport.connect();
    await connected;
    const disconnected = handlers.next("disconnected");
    await a.stop();
    await disconnected;
    const reconnected = handlers.next("connected");
    // Resolves only on the PUBACK, from whichever broker the transport reaches.
    await transport.publish("pmdm/v1/d/dev_f/res", new TextEncoder().encode("final"));
    await reconnected;
    expect(rotation.current()).toBe(b.url);
    expect(b.published.map((p) => [p.topic, p.payload.toString()])).toEqual([
      ["pmdm/v1/d/dev_f/res", "final"],
    ]);
    expect(handlers.calls.filter((c) => c === "connected")).toHaveLength(2);
  });
});
