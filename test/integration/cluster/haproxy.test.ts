/**
 * HAProxy (Debian's haproxy) in front of three server processes, for HTTP and MQTT, with the
 * configuration of docs/cluster.md: devices know only the proxy's address. A fleet enrolls and
 * connects through it; one node is killed: the proxy's checks take it out, its devices reconnect
 * through the proxy to the others, the API keeps answering through the proxy, and a fleet
 * command issued through it reaches every device, each running it once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HaproxyServer, startHaproxy } from "../../../simulator/haproxy.js";
import { eventually, TestCluster } from "../../helpers/cluster.js";
import { freePort } from "../../helpers/server-process.js";

const DEVICES = 1500;
let proxy: HaproxyServer;
let proxyMqttPort = 0;
const cluster = new TestCluster({
  nodes: 3,
  // Every node gives its devices the proxy's address alone.
  publicMqttUrls: () => [`mqtt://127.0.0.1:${proxyMqttPort}`],
  env: { PMDM_TRUST_PROXY: "127.0.0.1" },
});

beforeAll(async () => {
  proxyMqttPort = await freePort();
  await cluster.start();
  proxy = await startHaproxy(
    cluster.nodes.map((n) => ({ name: n.id, httpPort: n.httpPort, mqttPort: n.mqttPort })),
    { mqttPort: proxyMqttPort },
  );
  await cluster.enroll(DEVICES, () => proxy.httpUrl, {}, 100);
}, 300_000);

afterAll(async () => {
  await cluster.stop();
  await proxy?.stop();
});

describe("three nodes behind HAProxy", () => {
  it("keeps serving through the proxy when a node is killed", async () => {
    const spread = await eventually(
      "every device online",
      async () => {
        const online = await cluster.holders(proxy.httpUrl);
        return online.length === DEVICES ? online : undefined;
      },
      60_000,
    );
    // The proxy spread the devices over the three nodes.
    for (const node of cluster.nodes)
      expect(spread.filter((id) => id === node.id).length).toBeGreaterThan(100);

    const victim = cluster.nodes[1]!;
    await cluster.killNode(victim);

    // The API answers through the proxy meanwhile, whichever node it reaches.
    for (let i = 0; i < 20; i++) {
      const answer = await cluster.api<{ items: unknown[] }>(proxy.httpUrl, "GET", "/devices?limit=1");
      expect(answer.status).toBe(200);
    }
    const after = await eventually(
      "every device online on the surviving nodes",
      async () => {
        const online = await cluster.holders(proxy.httpUrl);
        return online.length === DEVICES && !online.includes(victim.id) ? online : undefined;
      },
      90_000,
    );
    expect(new Set(after)).toEqual(new Set([cluster.nodes[0]!.id, cluster.nodes[2]!.id]));

    const batch = await cluster.api<{ id: string }>(proxy.httpUrl, "POST", "/batches", {
      target: { all: true },
      command: { type: "lock" },
    });
    expect(batch.status).toBe(202);
    const counts = await cluster.batchFinished(proxy.httpUrl, batch.body.id);
    expect(counts.succeeded).toBe(DEVICES);
    const runs = await cluster.runsPerDevice(proxy.httpUrl, batch.body.id);
    expect(runs.filter((n) => n !== 1)).toEqual([]);
  }, 300_000);
});
