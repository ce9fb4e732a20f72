/**
 * Three server processes on one PostgreSQL database, linked through a real Redis, with 300 real
 * agents spread over them. One node is killed (SIGKILL) while a fleet command to every device is
 * in flight: its devices fail over to the other nodes by themselves (each node gives its own
 * broker URL first and the others after it), the fleet command completes with every command
 * succeeded, no command is lost and none runs twice on its device (the devices' own execution
 * records say so). The killed node started again rejoins the others, whose processes keep
 * running, and a command issued through it reaches a device held by another node.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommandView } from "../../../server/commands/command.js";
import { eventually, TestCluster } from "../../helpers/cluster.js";

const DEVICES = 300;
const cluster = new TestCluster({ nodes: 3 });

beforeAll(async () => {
  await cluster.start();
  // Commands take a while on the devices, so some are running when the node dies.
  await cluster.enroll(DEVICES, (i) => cluster.nodes[i % 3]!.httpUrl, { latencyMs: { min: 20, max: 400 } });
}, 180_000);

afterAll(() => cluster.stop());

describe("three nodes, one killed during a fleet command", () => {
  it("loses no command and runs none twice; the node rejoins when started again", async () => {
    const [survivor, other, victim] = cluster.nodes as [
      (typeof cluster.nodes)[0],
      (typeof cluster.nodes)[0],
      (typeof cluster.nodes)[0],
    ];
    const spread = await eventually(
      "every device online",
      async () => {
        const online = await cluster.holders(survivor.httpUrl);
        return online.length === DEVICES ? online : undefined;
      },
      60_000,
    );
    expect(new Set(spread)).toEqual(new Set(cluster.nodes.map((n) => n.id)));

    const batch = await cluster.api<{ id: string }>(survivor.httpUrl, "POST", "/batches", {
      target: { all: true },
      command: { type: "lock" },
    });
    expect(batch.status).toBe(202);
    // Some commands have been delivered, some are running, some are done: the node dies.
    await new Promise((r) => setTimeout(r, 100));
    const atKill = await cluster.api<{ counts: Record<string, number> }>(
      survivor.httpUrl,
      "GET",
      `/batches/${batch.body.id}`,
    );
    await cluster.killNode(victim);
    expect(atKill.body.counts.succeeded).toBeLessThan(DEVICES);

    const counts = await cluster.batchFinished(survivor.httpUrl, batch.body.id);
    expect(counts.succeeded).toBe(DEVICES);
    // Every device ran its command exactly once, as its own execution record says.
    const runs = await cluster.runsPerDevice(survivor.httpUrl, batch.body.id);
    expect(runs.filter((n) => n !== 1)).toEqual([]);

    // The dead node's devices are on the others now; none is shown held by the dead node.
    const after = await eventually(
      "every device online on the surviving nodes",
      async () => {
        const online = await cluster.holders(survivor.httpUrl);
        return online.length === DEVICES && !online.includes(victim.id) ? online : undefined;
      },
      60_000,
    );
    expect(new Set(after)).toEqual(new Set([survivor.id, other.id]));

    // Started again on its data dir, the node rejoins without the others restarting, and a
    // command issued through it reaches a device another node holds.
    const pids = [survivor.process!.child.pid, other.process!.child.pid];
    await cluster.startNode(victim);
    const target = cluster.devices[0]!;
    const issued = await cluster.api<CommandView>(
      victim.httpUrl,
      "POST",
      `/devices/${target.deviceId}/commands`,
      {
        type: "lock",
      },
    );
    expect(issued.status).toBe(202);
    const finished = await eventually("the command issued through the rejoined node", async () => {
      const view = await cluster.api<CommandView>(survivor.httpUrl, "GET", `/commands/${issued.body.id}`);
      return view.body.state === "succeeded" ? view.body : undefined;
    });
    expect(finished.state).toBe("succeeded");
    expect(target.executionCount(issued.body.id)).toBe(1);
    expect([survivor.process!.child.pid, other.process!.child.pid]).toEqual(pids);
  }, 240_000);
});
