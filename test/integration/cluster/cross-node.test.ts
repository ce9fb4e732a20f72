/**
 * Two server nodes on one PostgreSQL database, linked through a real Redis: what is done
 * through one node's API reaches a device connected to the other at once (not at its next
 * reconnect), decisions that depend on whether a device is connected see the other node's
 * connections, and an event stream on either node carries both nodes' events.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { SimulatedDevice } from "../../../agent/simulated-device.js";
import type { CommandView } from "../../../server/commands/command.js";
import { startTwoNodes, type TwoNodes } from "../../helpers/cluster.js";
import { startDevice, waitUntil } from "../../helpers/devices.js";
import type { TestServer } from "../../helpers/test-server.js";

type StreamedEvent = { type: string; data: Record<string, unknown> };

let nodes: TwoNodes;
let a: TestServer;
let b: TestServer;
const devices: SimulatedDevice[] = [];

beforeAll(async () => {
  nodes = await startTwoNodes("cross-node");
  ({ a, b } = nodes);
}, 60_000);

afterAll(async () => {
  for (const device of devices) await device.stop({ abrupt: true }).catch(() => undefined);
  await nodes?.stop();
});

/** A device enrolled through node B and connected there. */
async function deviceOnB(): Promise<SimulatedDevice & { deviceId: string }> {
  const device = await startDevice(b);
  devices.push(device);
  expect(a.server.gateway.isOnline(device.deviceId)).toBe(false);
  return device;
}

/** The command as node A's API answers it, once it has ended (B records the device's results). */
async function endedOnA(commandId: string, timeoutMs = 5_000): Promise<CommandView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await a.api.get<CommandView>(`/commands/${commandId}`);
    if (!["queued", "sent", "accepted"].includes(body.state)) return body;
    if (Date.now() > deadline) throw new Error(`command ${commandId} is still ${body.state}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stream(t: TestServer): { ws: WebSocket; events: StreamedEvent[]; opened: Promise<void> } {
  const ws = new WebSocket(`${t.server.httpUrl.replace("http", "ws")}/api/v1/events`, {
    headers: { authorization: `Bearer ${t.api.token}` },
  });
  const events: StreamedEvent[] = [];
  ws.on("message", (data) => events.push(JSON.parse(String(data)) as StreamedEvent));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return { ws, events, opened };
}

describe("two nodes linked through Redis", () => {
  it("delivers a command issued on node A to a device connected to node B at once", async () => {
    const device = await deviceOnB();
    const issued = await a.api.post<CommandView>(`/devices/${device.deviceId}/commands`, { type: "lock" });
    expect(issued.status).toBe(202);
    const done = await endedOnA(issued.body.id);
    expect(done.state).toBe("succeeded");
    expect(device.executionCount(issued.body.id)).toBe(1);
    // Node B delivered it over the connection it already had.
    expect(b.server.gateway.isOnline(device.deviceId)).toBe(true);
  });

  it("sends a fleet command issued on node A to the devices of both nodes", async () => {
    const onA = await startDevice(a);
    devices.push(onA);
    const onB = await deviceOnB();
    const batch = await a.api.post<{ id: string }>("/batches", {
      target: { deviceIds: [onA.deviceId, onB.deviceId] },
      command: { type: "lock" },
    });
    expect(batch.status).toBe(202);
    await waitUntil(
      a,
      async () => {
        const view = await a.api.get<{ counts: Record<string, number> }>(`/batches/${batch.body.id}`);
        return view.body.counts?.succeeded === 2;
      },
      "both devices succeeded",
      10_000,
    );
  });

  it("pushes the global date & time set on node A to the device on node B", async () => {
    const device = await deviceOnB();
    const set = await a.api.put("/settings/time", { timezone: "Europe/Lisbon", ntpServer: null });
    expect(set.status).toBe(200);
    await waitUntil(
      b,
      () => device.platform.timezone === "Europe/Lisbon",
      "the device on node B runs the new time zone",
      5_000,
    );
  });

  it("closes the connection on node B when node A stops managing the device", async () => {
    const device = await deviceOnB();
    const offline = waitUntil(
      b,
      () => !b.server.gateway.isOnline(device.deviceId),
      "node B closed the device's connection",
      5_000,
    );
    const revoked = await a.api.post(`/devices/${device.deviceId}/revoke-credential`, {});
    expect(revoked.status).toBe(200);
    await offline;
  });

  it("refuses on node A to remove a device that is online on node B", async () => {
    const device = await deviceOnB();
    await waitUntil(
      a,
      async () => (await a.api.get<{ online: boolean }>(`/devices/${device.deviceId}`)).body.online,
      "node A reads the device online",
      5_000,
    );
    const removed = await a.api.post<{ error: { code: string } }>(`/devices/${device.deviceId}/remove`, {});
    expect(removed.status).toBe(409);
    expect(removed.body.error.code).toBe("device_online");
  });

  it("gives node B the clock drift threshold set on node A", async () => {
    const set = await a.api.put("/settings/clock-drift", { thresholdMs: 4321 });
    expect(set.status).toBe(200);
    await waitUntil(
      b,
      () => b.server.services.devices.clockDrift.thresholdMs === 4321,
      "node B judges clock drift by the new threshold",
      5_000,
    );
  });

  it("streams node B's device events on node A", async () => {
    const { ws, events, opened } = stream(a);
    await opened;
    try {
      const device = await deviceOnB();
      const issued = await a.api.post<CommandView>(`/devices/${device.deviceId}/commands`, { type: "lock" });
      await endedOnA(issued.body.id);
      // Node B recorded the result and the state the device reported; node A's stream heard both.
      await waitUntil(
        a,
        () =>
          events.some(
            (e) =>
              e.type === "command.updated" &&
              (e.data.command as CommandView).id === issued.body.id &&
              (e.data.command as CommandView).state === "succeeded",
          ) && events.some((e) => e.type === "device.online" && e.data.deviceId === device.deviceId),
        "node A's stream carried node B's events",
        5_000,
      );
      // Each event once, though both nodes saw the command.
      const succeeded = events.filter(
        (e) =>
          e.type === "command.updated" &&
          (e.data.command as CommandView).id === issued.body.id &&
          (e.data.command as CommandView).state === "succeeded",
      );
      expect(succeeded).toHaveLength(1);
    } finally {
      ws.close();
    }
  });
});
