/**
 * The service the cluster benchmark measures: a PostgreSQL cluster of its own (as the one-node
 * benchmark's, durable as shipped), a throwaway Redis, and n server processes on 127.0.0.1, each
 * with its own data dir, all on the same database and Redis. Each node gives its devices every
 * node's broker URL, its own first (see brokerOrder). The first node starts alone: it creates the
 * schema and the first admin's token; the others start together after it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RedisServer, startRedisServer } from "../redis-server.js";
import { type PostgresBench, postgresBenchStore } from "./bench-stores.js";
import { until } from "./cluster-api.js";
import { brokerOrder, nodeId } from "./cluster-plan.js";
import { freePort, type ServerProcess, spawnServer } from "./server-process.js";

export interface BenchNode {
  index: number;
  id: string;
  dataDir: string;
  httpUrl: string;
  mqttUrl: string;
  logFile: string;
  /** Null once killed. */
  process: ServerProcess | null;
}

export interface NodeHealth {
  nodeId: string;
  clusterLink: string;
  devicesOnline: number;
  stateReportsStored: number;
  rssBytes: number;
}

export async function health(node: BenchNode): Promise<NodeHealth> {
  const answer = await fetch(`${node.httpUrl}/healthz`);
  if (!answer.ok) throw new Error(`${node.id} /healthz: ${answer.status}`);
  return (await answer.json()) as NodeHealth;
}

export interface ClusterServiceOptions {
  nodes: number;
  poolSize: number;
  postgresOverrides: Record<string, string>;
  /** Each node's output goes to `${logPrefix}-node-<i>.log`. */
  logPrefix: string;
  say: (line: string) => void;
}

/** How long a node may take to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 30_000;

export class ClusterService {
  readonly nodes: BenchNode[] = [];
  redis: RedisServer | null = null;

  private constructor(
    readonly postgres: PostgresBench,
    private readonly options: ClusterServiceOptions,
  ) {}

  static async start(options: ClusterServiceOptions): Promise<ClusterService> {
    // Every node's pool, the benchmark's reader and a few for the superuser.
    const connections = options.nodes * options.poolSize + 20;
    const postgres = await postgresBenchStore({
      poolSize: options.poolSize,
      overrides: { max_connections: String(Math.max(100, connections)), ...options.postgresOverrides },
      profile: false,
      keep: false,
    });
    const service = new ClusterService(postgres, options);
    try {
      await service.startNodes();
    } catch (err) {
      await service.stop();
      throw err;
    }
    return service;
  }

  /** The nodes still running. */
  live(): BenchNode[] {
    return this.nodes.filter((n) => n.process !== null);
  }

  private async startNodes(): Promise<void> {
    const { nodes, say, logPrefix } = this.options;
    this.redis = await startRedisServer();
    const databaseEnv = await this.postgres.serverEnv();
    for (let index = 0; index < nodes; index++) {
      const [httpPort, mqttPort] = [await freePort(), await freePort()];
      this.nodes.push({
        index,
        id: nodeId(index),
        dataDir: await mkdtemp(join(tmpdir(), `pmdm-bench-${nodeId(index)}-`)),
        httpUrl: `http://127.0.0.1:${httpPort}`,
        mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
        logFile: `${logPrefix}-${nodeId(index)}.log`,
        process: null,
      });
    }
    const start = async (node: BenchNode) => {
      const urls = brokerOrder(node.index, nodes).map((i) => this.nodes[i]!.mqttUrl);
      try {
        node.process = await spawnServer({
          dataDir: node.dataDir,
          httpPort: Number(new URL(node.httpUrl).port),
          mqttPort: Number(new URL(node.mqttUrl).port),
          logFile: node.logFile,
          env: {
            ...databaseEnv,
            PMDM_REDIS_URL: this.redis!.url,
            PMDM_NODE_ID: node.id,
            PMDM_PUBLIC_MQTT_URLS: urls.join(","),
          },
        });
      } catch (err) {
        say(`${node.id} did not start; its output is in ${node.logFile}`);
        throw err;
      }
    };
    say(`starting ${nodeId(0)} (it creates the schema and the first admin)`);
    await start(this.nodes[0]!);
    say(
      `starting ${this.nodes
        .slice(1)
        .map((n) => n.id)
        .join(", ")}`,
    );
    await Promise.all(this.nodes.slice(1).map(start));
    let links: string[] = [];
    await until(
      "every node's link to the others up",
      async () => {
        links = await Promise.all(this.nodes.map(async (node) => (await health(node)).clusterLink));
        return links.every((link) => link === "up");
      },
      { intervalMs: 100, timeoutMs: 60_000, state: () => links.join(", ") },
    );
  }

  /** SIGKILL, as a crash; waits for the process to be gone. */
  async kill(node: BenchNode): Promise<void> {
    await node.process?.kill();
    node.process = null;
  }

  /** Stops the nodes (SIGTERM, then SIGKILL past the grace), Redis and PostgreSQL; removes their dirs. */
  async stop(keepPostgresLogAs?: string): Promise<void> {
    await Promise.all(
      this.live().map(async (node) => {
        const server = node.process!;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<"late">((resolve) => {
          timer = setTimeout(() => resolve("late"), STOP_GRACE_MS);
        });
        const outcome = await Promise.race([server.stop(), late]);
        clearTimeout(timer);
        if (outcome === "late") {
          this.options.say(`${node.id} did not exit within ${STOP_GRACE_MS / 1000} s of SIGTERM; killed`);
          await server.kill();
        }
        node.process = null;
      }),
    );
    for (const node of this.nodes) await rm(node.dataDir, { recursive: true, force: true });
    await this.redis?.stop();
    await this.postgres.release().catch(() => undefined);
    await this.postgres.stopCluster(keepPostgresLogAs);
  }
}
