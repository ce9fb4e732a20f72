/**
 * Redis between the nodes goes away and comes back. Meanwhile each node keeps serving its own
 * devices and its API, and a command issued on node A for a device on node B waits in the store;
 * once Redis is back the nodes resync by themselves and the device runs it, once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../../agent/simulated-device.js";
import type { CommandView } from "../../../server/commands/command.js";
import { eventually, startTwoNodes, type TwoNodes } from "../../helpers/cluster.js";
import { startDevice } from "../../helpers/devices.js";
import type { TestServer } from "../../helpers/test-server.js";

let nodes: TwoNodes;
let a: TestServer;
let b: TestServer;
let device: SimulatedDevice & { deviceId: string };

beforeAll(async () => {
  nodes = await startTwoNodes("redis-outage");
  ({ a, b } = nodes);
  device = await startDevice(b);
}, 60_000);

afterAll(async () => {
  await device?.stop({ abrupt: true });
  await nodes?.stop();
});

const health = async (t: TestServer) =>
  (await (await fetch(`${t.server.httpUrl}/healthz`)).json()) as { clusterLink: string };

describe("Redis unreachable between two nodes", () => {
  it("keeps both nodes serving, and delivers what waited once Redis is back", async () => {
    expect((await health(a)).clusterLink).toBe("up");
    await nodes.redis.kill();
    await eventually("node A sees the link down", async () =>
      (await health(a)).clusterLink === "down" ? true : undefined,
    );

    // The API still answers on both nodes; the command is stored and waits.
    const issued = await a.api.post<CommandView>(`/devices/${device.deviceId}/commands`, { type: "lock" });
    expect(issued.status).toBe(202);
    expect((await b.api.get(`/devices/${device.deviceId}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect((await a.api.get<CommandView>(`/commands/${issued.body.id}`)).body.state).toBe("queued");
    // The device stayed connected to node B.
    expect(b.server.gateway.isOnline(device.deviceId)).toBe(true);

    await nodes.redis.start();
    const done = await eventually(
      "the command run after Redis came back",
      async () => {
        const view = await a.api.get<CommandView>(`/commands/${issued.body.id}`);
        return view.body.state === "succeeded" ? view.body : undefined;
      },
      20_000,
    );
    expect(done.state).toBe("succeeded");
    expect(device.executionCount(issued.body.id)).toBe(1);
    expect((await health(b)).clusterLink).toBe("up");
  });
});
