/**
 * The service `npm run chaos -- --cluster <n>` kills nodes of: a throwaway PostgreSQL and Redis
 * of its own and n server processes on 127.0.0.1 (ids node-0.., each with its own data dir and
 * log, all on the same database and Redis, a short node lease). Each node gives its devices
 * every node's broker URL, its own first, then the following nodes in turn. The first node
 * starts alone (it creates the schema and the first admin's token); the others after it. A
 * killed node starts again on its own data dir and ports, as a restarted machine would.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { AdminClient } from "../admin-client.js";
import { freePort, type ServerProcess, spawnServer } from "../bench/server-process.js";
import { createDatabase, type PostgresCluster, startPostgresCluster } from "../postgres-cluster.js";
import { type RedisServer, startRedisServer } from "../redis-server.js";
import type { StoredCommand } from "./crash-rounds.js";

export interface ChaosNode {
  index: number;
  id: string;
  dataDir: string;
  httpPort: number;
  mqttPort: number;
  httpUrl: string;
  mqttUrl: string;
  /** The node's output, one file per start. */
  logFiles: string[];
  /** Null while killed. */
  process: ServerProcess | null;
}

export interface NodeHealth {
  nodeId: string;
  clusterLink: string;
  devicesOnline: number;
}

export interface ChaosServiceOptions {
  nodes: number;
  /** `PMDM_NODE_LEASE_SECONDS`: how long a killed node still counts as alive. */
  leaseSeconds: number;
  /** Data dirs and logs go under it. */
  workDir: string;
  say: (line: string) => void;
}

/** Connections per node (`PMDM_DATABASE_POOL_SIZE`, the server's default). */
const POOL_SIZE = 10;
const REDIS_PREFIX = "pmdm-chaos";

const sleep = (msToWait: number) => new Promise((r) => setTimeout(r, msToWait));

/** Polls `probe` until it gives a value; past the timeout, fails naming what was awaited. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { intervalMs: number; timeoutMs: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    await sleep(options.intervalMs);
  }
}

export async function health(node: ChaosNode): Promise<NodeHealth> {
  const answer = await fetch(`${node.httpUrl}/healthz`);
  if (!answer.ok) throw new Error(`${node.id} /healthz: ${answer.status}`);
  return (await answer.json()) as NodeHealth;
}

interface DevicePage {
  items: { id: string; connectedNode: string | null }[];
  nextCursor: string | null;
}

/** Every online device and the node holding its connection, as the store says: id → node id. */
export async function holders(admin: AdminClient): Promise<Map<string, string | null>> {
  const held = new Map<string, string | null>();
  let cursor: string | null = null;
  do {
    const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page: DevicePage = await admin.request<DevicePage>(
      "GET",
      `/devices?online=true&limit=1000${query}`,
    );
    for (const device of page.items) held.set(device.id, device.connectedNode);
    cursor = page.nextCursor;
  } while (cursor);
  return held;
}

export class ChaosService {
  readonly nodes: ChaosNode[] = [];
  /** Admin API clients, one per node, with the first admin's token. */
  readonly admins: AdminClient[] = [];
  private reader: pg.Client | null = null;

  private constructor(
    private readonly options: ChaosServiceOptions,
    readonly postgres: PostgresCluster,
    readonly redis: RedisServer,
    readonly databaseUrl: string,
  ) {}

  static async start(options: ChaosServiceOptions): Promise<ChaosService> {
    const postgres = await startPostgresCluster({
      // Every node's pool, the rounds' reader and a few for the superuser.
      settings: { max_connections: Math.max(100, options.nodes * POOL_SIZE + 20) },
      initNoSync: true,
      tempPrefix: "pmdm-chaos-pg-",
    });
    let redis: RedisServer | null = null;
    try {
      redis = await startRedisServer();
      const service = new ChaosService(options, postgres, redis, await createDatabase(postgres.adminUrl));
      try {
        await service.startAll();
      } catch (err) {
        await service.stop();
        throw err;
      }
      return service;
    } catch (err) {
      await redis?.stop();
      await postgres.stop();
      throw err;
    }
  }

  live(): ChaosNode[] {
    return this.nodes.filter((n) => n.process !== null);
  }

  private async startAll(): Promise<void> {
    const { nodes, workDir, say } = this.options;
    for (let index = 0; index < nodes; index++) {
      const [httpPort, mqttPort] = [await freePort(), await freePort()];
      const id = `node-${index}`;
      const dataDir = join(workDir, id);
      await mkdir(dataDir, { recursive: true });
      this.nodes.push({
        index,
        id,
        dataDir,
        httpPort,
        mqttPort,
        httpUrl: `http://127.0.0.1:${httpPort}`,
        mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
        logFiles: [],
        process: null,
      });
    }
    say(`starting ${this.nodes[0]!.id} (it creates the schema and the first admin)`);
    await this.startNode(this.nodes[0]!);
    const first = await AdminClient.fromDataDir(this.nodes[0]!.httpUrl, this.nodes[0]!.dataDir);
    for (const node of this.nodes) this.admins.push(new AdminClient(node.httpUrl, first.token));
    if (nodes > 1) {
      say(
        `starting ${this.nodes
          .slice(1)
          .map((n) => n.id)
          .join(", ")}`,
      );
    }
    await Promise.all(this.nodes.slice(1).map((node) => this.startNode(node)));
    this.reader = new pg.Client({ connectionString: this.databaseUrl });
    await this.reader.connect();
  }

  /**
   * Starts the node on its data dir and ports (again, after a kill); resolves once it listens
   * and its link to the others is up.
   */
  async startNode(node: ChaosNode): Promise<void> {
    const order = this.nodes.map((_, i) => this.nodes[(node.index + i) % this.nodes.length]!);
    const logFile = join(this.options.workDir, `${node.id}.${node.logFiles.length + 1}.log`);
    node.logFiles.push(logFile);
    try {
      node.process = await spawnServer({
        dataDir: node.dataDir,
        httpPort: node.httpPort,
        mqttPort: node.mqttPort,
        logFile,
        env: {
          PMDM_DATABASE_URL: this.databaseUrl,
          PMDM_DATABASE_POOL_SIZE: String(POOL_SIZE),
          PMDM_REDIS_URL: this.redis.url,
          PMDM_REDIS_PREFIX: REDIS_PREFIX,
          PMDM_NODE_ID: node.id,
          PMDM_NODE_LEASE_SECONDS: String(this.options.leaseSeconds),
          PMDM_PUBLIC_MQTT_URLS: order.map((n) => n.mqttUrl).join(","),
        },
      });
    } catch (err) {
      this.options.say(`${node.id} did not start; its output is in ${logFile}`);
      throw err;
    }
    await until(
      `${node.id}'s link to the other nodes`,
      async () => ((await health(node)).clusterLink === "up" ? true : undefined),
      { intervalMs: 50, timeoutMs: 30_000 },
    );
  }

  /** SIGKILL, as a crash; resolves once the process is gone. */
  async kill(node: ChaosNode): Promise<void> {
    await node.process?.kill();
    node.process = null;
  }

  /** A fleet command's commands, read from PostgreSQL through a connection of the rounds' own. */
  async readCommands(batchId: string): Promise<StoredCommand[]> {
    if (!this.reader) throw new Error("the service is not started");
    const result = await this.reader.query<StoredCommand>(
      "SELECT id, device_id, state FROM commands WHERE batch_id = $1",
      [batchId],
    );
    return result.rows;
  }

  /** Stops every node (SIGKILL: nothing of theirs is kept), Redis and PostgreSQL. */
  async stop(): Promise<void> {
    await this.reader?.end().catch(() => undefined);
    this.reader = null;
    await Promise.all(this.live().map((node) => this.kill(node)));
    await this.redis.stop();
    await this.postgres.stop();
    for (const node of this.nodes) await rm(node.dataDir, { recursive: true, force: true });
  }
}
