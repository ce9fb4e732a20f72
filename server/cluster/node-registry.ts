/**
 * This server process as a node of the service: its row in the store, kept alive by a heartbeat
 * (its lease), the other nodes alive now, and the sweep that takes over from nodes that went
 * silent: their devices are shown offline once the lease has run out (they reconnect to another
 * node by themselves). Jobs that must run once in the service take a lease per run
 * ({@link NodeRegistry.claim}), so when a node dies another takes its jobs within a lease.
 *
 * With one node (the embedded default) all of this is one row and a few cheap statements.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../agent/storage/atomic-file.js";
import type { Logger } from "../logger.js";
import type { NodeRecord, NodeRepository } from "../store/repositories/node-repository.js";
import type { Store } from "../store/store.js";

/** The file in the data dir that keeps a node's id across restarts. */
export const NODE_ID_FILE = "node-id";

const NODE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** The configured id, or the one this data dir keeps (made at its first start). */
export async function resolveNodeId(configured: string, dataDir: string): Promise<string> {
  if (configured) {
    if (!NODE_ID.test(configured))
      throw new Error(`node id '${configured}' must be 1 to 64 of A-Z a-z 0-9 _ . -`);
    return configured;
  }
  const file = join(dataDir, NODE_ID_FILE);
  const kept = await readFile(file, "utf8").then(
    (text) => text.trim(),
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return null;
      throw err;
    },
  );
  if (kept && NODE_ID.test(kept)) return kept;
  const made = `node_${randomBytes(6).toString("hex")}`;
  await writeFileAtomic(file, `${made}\n`);
  return made;
}

export interface NodeRegistryDeps {
  store: Store;
  repository: NodeRepository;
  nodeId: string;
  clock: () => number;
  logger: Logger;
  /** How long a node counts as alive after its last heartbeat. */
  leaseMs: number;
  /** Marks offline the devices held by nodes that have gone; returns how many. */
  markOfflineHeldBy(nodeIds: readonly string[]): Promise<number>;
}

export class NodeRegistry {
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAtMs: number;
  private self: Omit<NodeRecord, "heartbeatAtMs"> | null = null;

  constructor(private readonly deps: NodeRegistryDeps) {
    this.startedAtMs = deps.clock();
  }

  get nodeId(): string {
    return this.deps.nodeId;
  }

  /** Beats now and then every quarter of the lease, until {@link stop}. */
  async start(addresses: { httpUrl: string; mqttUrls: string[] }): Promise<void> {
    this.self = { id: this.deps.nodeId, startedAtMs: this.startedAtMs, ...addresses };
    await this.beat();
    this.timer = setInterval(
      () => {
        this.beat().catch((err: unknown) => this.deps.logger.warn({ err }, "node heartbeat failed"));
      },
      Math.max(100, Math.floor(this.deps.leaseMs / 4)),
    );
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    if (!this.self) return;
    const self = { ...this.self, heartbeatAtMs: this.deps.clock() };
    await this.deps.store.unit((tx) => this.deps.repository.heartbeat(tx, self));
  }

  /** Leaves the service: the row and this node's leases go, so others take over at once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.deps.store
      .unit(async (tx) => {
        await this.deps.repository.remove(tx, this.deps.nodeId);
        await this.deps.repository.releaseLeases(tx, this.deps.nodeId);
      })
      .catch((err: unknown) => this.deps.logger.warn({ err }, "leaving the node registry failed"));
  }

  /** The nodes alive now (this one included once it has started). */
  alive(): Promise<NodeRecord[]> {
    return this.deps.repository.aliveSince(this.deps.store.db, this.deps.clock() - this.deps.leaseMs);
  }

  /**
   * Nodes silent for longer than the lease are removed and their devices shown offline.
   * Returns how many devices. Run as a job (once in the service).
   */
  async sweepSilentNodes(): Promise<number> {
    const gone = await this.deps.store.unit((tx) =>
      this.deps.repository.removeSilentSince(tx, this.deps.clock() - this.deps.leaseMs),
    );
    if (gone.length === 0) return 0;
    const devices = await this.deps.markOfflineHeldBy(gone);
    this.deps.logger.warn({ nodes: gone, devices }, "server nodes went silent; their devices are offline");
    return devices;
  }

  /** Takes (or renews) the lease on job `name` for `leaseMs`; true when this node runs it now. */
  claim(name: string, leaseMs: number): Promise<boolean> {
    const now = this.deps.clock();
    return this.deps.store.unit((tx) =>
      this.deps.repository.takeLease(tx, name, this.deps.nodeId, now, now + leaseMs),
    );
  }
}
