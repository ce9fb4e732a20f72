/**
 * A service of several server processes on 127.0.0.1: one PostgreSQL database of its own, a
 * Redis of its own linking the nodes, N nodes started as real processes (so one can be killed),
 * and a fleet of real agents over real MQTT. For the cluster tests.
 */
import { copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { pino } from "pino";
import { SimulatedDevice, type SimulatedDeviceOptions } from "../../agent/simulated-device.js";
import { leanTransport } from "../../agent/transport/lean-transport.js";
import type { CommandView } from "../../server/commands/command.js";
import type { ServerConfig } from "../../server/config.js";
import { type RedisServer, startRedisServer } from "../../simulator/redis-server.js";
import { uniqueSerial } from "./devices.js";
import { eventually } from "./poll.js";
import { freePort, type ServerProcess, spawnServer } from "./server-process.js";
import { newPostgresDatabase } from "./stores.js";
import { makeDataDir, removeDataDir, startTestServer, type TestServer } from "./test-server.js";

const quiet = pino({ level: "silent" });

export interface ServiceNode {
  id: string;
  dataDir: string;
  httpPort: number;
  mqttPort: number;
  httpUrl: string;
  mqttUrl: string;
  process: ServerProcess | null;
}

export { eventually };

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

export interface ClusterOptions {
  nodes: number;
  leaseSeconds?: number;
  /** The broker URLs each node gives its devices; default: its own first, then the others. */
  publicMqttUrls?: (node: ServiceNode, all: readonly ServiceNode[]) => string[];
  env?: Record<string, string>;
}

export class TestCluster {
  readonly nodes: ServiceNode[] = [];
  readonly devices: SimulatedDevice[] = [];
  adminToken = "";
  private redis: RedisServer | null = null;
  private database: { url: string; drop(): Promise<void> } | null = null;

  constructor(private readonly options: ClusterOptions) {}

  /** Starts Redis, the database and every node (the first alone: it makes the first admin). */
  async start(): Promise<void> {
    this.redis = await startRedisServer();
    this.database = await newPostgresDatabase();
    for (let i = 0; i < this.options.nodes; i++) {
      const [httpPort, mqttPort] = [await freePort(), await freePort()];
      this.nodes.push({
        id: `node-${i}`,
        dataDir: await makeDataDir(),
        httpPort,
        mqttPort,
        httpUrl: `http://127.0.0.1:${httpPort}`,
        mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
        process: null,
      });
    }
    await this.startNode(this.nodes[0]!);
    this.adminToken = (await readFile(join(this.nodes[0]!.dataDir, "admin-token"), "utf8")).trim();
    await Promise.all(this.nodes.slice(1).map((node) => this.startNode(node)));
  }

  async startNode(node: ServiceNode): Promise<void> {
    const urls =
      this.options.publicMqttUrls?.(node, this.nodes) ??
      [node, ...this.nodes.filter((n) => n !== node)].map((n) => n.mqttUrl);
    node.process = await spawnServer({
      dataDir: node.dataDir,
      httpPort: node.httpPort,
      mqttPort: node.mqttPort,
      env: {
        PMDM_DATABASE_URL: this.database!.url,
        PMDM_REDIS_URL: this.redis!.url,
        PMDM_NODE_ID: node.id,
        PMDM_NODE_LEASE_SECONDS: String(this.options.leaseSeconds ?? 2),
        PMDM_PUBLIC_MQTT_URLS: urls.join(","),
        ...this.options.env,
      },
    });
  }

  async killNode(node: ServiceNode): Promise<void> {
    await node.process?.kill();
    node.process = null;
  }

  async api<T>(baseUrl: string, method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const answer = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.adminToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: answer.status, body: (await answer.json()) as T };
  }

  /**
   * `count` devices enrolled through `serverUrlOf(i)` with one token, started `inParallel` at a
   * time; resolves once every one is online.
   */
  async enroll(
    count: number,
    serverUrlOf: (i: number) => string,
    options: Partial<SimulatedDeviceOptions> = {},
    inParallel = 50,
  ): Promise<SimulatedDevice[]> {
    const token = await this.api<{ token: string }>(this.nodes[0]!.httpUrl, "POST", "/enrollment-tokens", {
      maxUses: count,
      expiresInSeconds: 3600,
    });
    if (token.status !== 201) throw new Error(`token: ${token.status}`);
    const fleet: SimulatedDevice[] = [];
    for (let i = 0; i < count; i++) {
      fleet.push(
        new SimulatedDevice({
          serial: uniqueSerial("CLUSTER"),
          serverUrl: serverUrlOf(i),
          logger: quiet,
          enrollmentToken: token.body.token,
          stateReportIntervalMs: 0,
          transport: leanTransport({ reconnectDelayMs: 50, maxReconnectDelayMs: 500 }),
          ...options,
        }),
      );
    }
    this.devices.push(...fleet);
    for (let i = 0; i < count; i += inParallel) {
      await Promise.all(
        fleet.slice(i, i + inParallel).map(async (device) => {
          const online = device.waitForStatus("online", 60_000);
          await device.start();
          await online;
        }),
      );
    }
    return fleet;
  }

  /** The node holding each online device's connection, as the store says (through `baseUrl`). */
  async holders(baseUrl: string): Promise<(string | null)[]> {
    const holders: (string | null)[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiAnswer<{ items: { connectedNode: string | null }[]; nextCursor: string | null }> =
        await this.api(
          baseUrl,
          "GET",
          `/devices?limit=500&online=true${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        );
      holders.push(...page.body.items.map((d) => d.connectedNode));
      cursor = page.body.nextCursor;
    } while (cursor);
    return holders;
  }

  async batchCommands(baseUrl: string, batchId: string): Promise<CommandView[]> {
    const all: CommandView[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiAnswer<{ items: CommandView[]; nextCursor: string | null }> = await this.api(
        baseUrl,
        "GET",
        `/batches/${batchId}/commands?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return all;
  }

  /** Waits for the fleet command to have no open command; its counts then. */
  async batchFinished(baseUrl: string, batchId: string, timeoutMs = 90_000): Promise<Record<string, number>> {
    return eventually(
      "the fleet command finished",
      async () => {
        const view = await this.api<{ counts: Record<string, number> }>(
          baseUrl,
          "GET",
          `/batches/${batchId}`,
        );
        const { queued = 0, sent = 0, accepted = 0 } = view.body.counts;
        return queued + sent + accepted === 0 ? view.body.counts : undefined;
      },
      timeoutMs,
    );
  }

  /** How many times each device ran its command of the batch, by its own execution record. */
  async runsPerDevice(baseUrl: string, batchId: string): Promise<number[]> {
    const commands = await this.batchCommands(baseUrl, batchId);
    const byDevice = new Map(commands.map((c) => [c.deviceId, c.id]));
    return this.devices.map((device) => {
      const commandId = byDevice.get(device.deviceId!);
      return commandId ? device.executionCount(commandId) : 0;
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.stop({ abrupt: true }).catch(() => undefined)));
    for (const node of this.nodes) await node.process?.kill().catch(() => undefined);
    for (const node of this.nodes) await removeDataDir(node.dataDir).catch(() => undefined);
    await this.database?.drop().catch(() => undefined);
    await this.redis?.stop();
  }
}

/** Two in-process server nodes on a database of their own, linked through a Redis of their own. */
export interface TwoNodes {
  redis: RedisServer;
  a: TestServer;
  b: TestServer;
  stop(): Promise<void>;
}

/** `overrides`: server settings both nodes share; `prefix`: their Redis prefix. */
export async function startTwoNodes(
  prefix: string,
  overrides: Partial<ServerConfig> = {},
): Promise<TwoNodes> {
  const redis = await startRedisServer();
  const database = await newPostgresDatabase();
  const shared = { databaseUrl: database.url, redisUrl: redis.url, redisPrefix: prefix, ...overrides };
  const a = await startTestServer({ ...shared, nodeId: "node-a" });
  // The first node's admin token is the service's: the second node's data dir gets a copy.
  const bDir = await makeDataDir();
  await copyFile(a.server.adminTokenFile, join(bDir, "admin-token"));
  const b = await startTestServer({ ...shared, nodeId: "node-b" }, bDir);
  return {
    redis,
    a,
    b,
    async stop() {
      await b.cleanup();
      await a.cleanup();
      await database.drop();
      await redis.stop();
    },
  };
}
