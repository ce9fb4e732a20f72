import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import { startDevice, waitUntil } from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

type ServerEvent = { type: string; at: string; data: Record<string, unknown> };

let t: TestServer;
let device: SimulatedDevice | undefined;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await device?.stop({ abrupt: true });
  await t.cleanup();
});

const eventsUrl = () => `${t.server.httpUrl.replace("http", "ws")}/api/v1/events`;

/** Collects events until `predicate` has seen what it wants. */
function collect(ws: WebSocket, predicate: (events: ServerEvent[]) => boolean): Promise<ServerEvent[]> {
  const events: ServerEvent[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`got only ${events.map((e) => e.type).join(", ")}`)),
      20_000,
    );
    ws.on("message", (data) => {
      events.push(JSON.parse(String(data)) as ServerEvent);
      if (predicate(events)) {
        clearTimeout(timer);
        resolve(events);
      }
    });
  });
}

describe("GET /api/v1/events", () => {
  it("refuses a connection without a valid token", async () => {
    const ws = new WebSocket(eventsUrl(), { headers: { authorization: "Bearer pat_nope" } });
    const status = await new Promise<number>((resolve) =>
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
  });

  it("streams presence, state and command transitions live", async () => {
    const ws = new WebSocket(eventsUrl(), { headers: { authorization: `Bearer ${t.api.token}` } });
    const hello = new Promise<ServerEvent>((resolve) =>
      ws.once("message", (data) => resolve(JSON.parse(String(data)) as ServerEvent)),
    );
    expect((await hello).type).toBe("hello");

    const sawOnline = collect(ws, (events) => events.some((e) => e.type === "device.online"));
    device = await startDevice(t);
    const online = (await sawOnline).find((e) => e.type === "device.online");
    expect(online?.data.deviceId).toBe(device.deviceId);

    const sawCommand = collect(ws, (events) =>
      events.some(
        (e) => e.type === "command.updated" && (e.data.command as { state: string }).state === "succeeded",
      ),
    );
    await t.api.post(`/devices/${device.deviceId}/commands`, { type: "lock" });
    const events = await sawCommand;
    const states = events
      .filter((e) => e.type === "command.updated")
      .map((e) => (e.data.command as { state: string }).state);
    expect(states[0]).toBe("queued");
    // A quick command goes from sent straight to succeeded (the agent skips the acceptance).
    expect(states.filter((s) => !["queued", "sent", "succeeded"].includes(s))).toEqual([]);
    expect(states.at(-1)).toBe("succeeded");
    ws.close();
    // With no subscriber left, the stream stops listening, so hot paths build no payloads
    // (checked on an event the waiting helper itself does not listen to).
    await waitUntil(
      t,
      () => t.server.services.events.listenerCount("settings.time.updated") === 0,
      "stream idle",
    );
  });
});
