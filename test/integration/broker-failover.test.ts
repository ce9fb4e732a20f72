/**
 * Devices that know several broker URLs fail over by themselves, against real servers on
 * 127.0.0.1 and real agents over MQTT, with both transports (MQTT.js, which devices run, and the
 * lean one of simulated fleets): an unreachable first URL is passed over; a server stopped and a
 * new one started on the same data dir at the list's second URL is found again and runs the next
 * command; a desired config's new list is stored, and a bad one refused with the old one kept.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import { leanTransport } from "../../agent/transport/lean-transport.js";
import { mqttJsTransport } from "../../agent/transport/mqtt-transport.js";
import type { TransportFactory } from "../../agent/transport/transport.js";
import { failoverOrder } from "../../server/cluster/failover-order.js";
import type { CommandView } from "../../server/commands/command.js";
import { startDevice, waitForCommand, waitUntil } from "../helpers/devices.js";
import { freePort } from "../helpers/server-process.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

/** Nothing listens on port 1 of 127.0.0.1: a connection there is refused at once. */
const CLOSED = "mqtt://127.0.0.1:1";
/** Short waits between attempts, so a test does not sit out a real device's backoff. */
const FAST = { reconnectDelayMs: 50, maxReconnectDelayMs: 400 };
const TRANSPORTS: [string, () => TransportFactory][] = [
  ["MQTT.js", () => mqttJsTransport(FAST)],
  ["lean", () => leanTransport(FAST)],
];

const servers: TestServer[] = [];
const devices: SimulatedDevice[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.stop({ abrupt: true })));
  // Servers that share a data dir: stop them all before any removes it.
  const stopping = servers.splice(0);
  await Promise.all(stopping.map((s) => s.stop()));
  for (const dir of new Set(stopping.map((s) => s.dataDir))) {
    await stopping.find((s) => s.dataDir === dir)?.cleanup();
  }
});

async function server(
  overrides: Parameters<typeof startTestServer>[0],
  dataDir?: string,
): Promise<TestServer> {
  const started = await startTestServer(overrides, dataDir);
  servers.push(started);
  return started;
}

async function runs(t: TestServer, device: SimulatedDevice, name: string): Promise<void> {
  const issued = await t.api.post<CommandView>(`/devices/${device.deviceId}/commands`, {
    type: "rename",
    name,
  });
  expect(issued.status).toBe(202);
  const done = await waitForCommand(t, issued.body.id);
  expect(done.state).toBe("succeeded");
  expect(device.executionCount(issued.body.id)).toBe(1);
  expect(device.platform.name).toBe(name);
}

describe.each(TRANSPORTS)("a device with several broker URLs, on the %s transport", (_name, transport) => {
  it("enrolled with two URLs whose first is a closed port, connects through the second and stays there", async () => {
    const mqttPort = await freePort();
    const own = `mqtt://127.0.0.1:${mqttPort}`;
    const t = await server({ mqttPort, publicMqttUrls: `${CLOSED},${own}` });
    const moves: { from: string; to: string }[] = [];
    const device = await startDevice(t, { transport: transport() });
    devices.push(device);
    device.on("brokerChanged", ({ from, to }) => moves.push({ from, to }));

    expect(device.storage.identity()).toMatchObject({ mqttUrl: CLOSED, mqttUrls: [CLOSED, own] });
    await runs(t, device, "Second URL");
    // The desired config carried the same list: the device stayed on the URL that works.
    expect(moves).toEqual([]);
    expect(device.storage.identity()?.mqttUrls).toEqual([CLOSED, own]);
  });

  it("finds a new server started on the same data dir at the list's second URL, and runs a new command", async () => {
    const [first, second] = [await freePort(), await freePort()];
    const urls = [`mqtt://127.0.0.1:${first}`, `mqtt://127.0.0.1:${second}`];
    const before = await server({ mqttPort: first, publicMqttUrls: urls.join(",") });
    const device = await startDevice(before, { transport: transport() });
    devices.push(device);
    await runs(before, device, "Before");

    const moves: string[] = [];
    device.on("brokerChanged", ({ to }) => moves.push(to));
    await before.stop();
    await device.waitForStatus("offline");
    const after = await server({ mqttPort: second, publicMqttUrls: urls.join(",") }, before.dataDir);
    await device.waitForStatus("online");
    await waitUntil(
      after,
      () => after.server.gateway.isOnline(device.deviceId!),
      "device online at the new server",
    );

    expect(moves).toContain(urls[1]);
    await runs(after, device, "After");
  });
});

describe("the broker URLs of the desired config", () => {
  it("replace the stored list when valid; a bad list is refused and the old one kept", async () => {
    const mqttPort = await freePort();
    const own = `mqtt://127.0.0.1:${mqttPort}`;
    const enrolledWith = [own, CLOSED];
    const first = await server({ mqttPort, publicMqttUrls: enrolledWith.join(",") });
    const device = await startDevice(first, { transport: mqttJsTransport(FAST) });
    devices.push(device);
    expect(device.storage.identity()?.mqttUrls).toEqual(enrolledWith);

    // The operator adds a node and restarts the server: the next config carries the new list.
    const newList = [own, "wss://node-b.example.com/mqtt", "mqtts://node-c.example.com:8883"];
    await first.stop();
    const stored = new Promise<string[]>((resolve) =>
      device.once("brokerUrlsStored", ({ urls }) => resolve(urls)),
    );
    const t = await server({ mqttPort, publicMqttUrls: newList.join(",") }, first.dataDir);
    // The node's own URL first, the others in the device's own order (see failover-order.ts).
    const devicesList = failoverOrder(newList, device.deviceId!);
    expect(await stored).toEqual(devicesList);
    expect(device.storage.identity()).toMatchObject({ mqttUrl: own, mqttUrls: devicesList });
    await waitUntil(t, () => t.server.gateway.isOnline(device.deviceId!), "device online again");

    // A config whose list would send the device elsewhere than a broker: refused whole.
    const deviceId = device.deviceId!;
    const refused = new Promise<{ code: string; message: string }>((resolve) =>
      device.once("problem", resolve),
    );
    const { desired } = await t.server.services.devices.get(deviceId);
    expect(
      await t.server.gateway.publishConfig(deviceId, {
        version: desired.version,
        name: desired.name,
        time: { timezone: desired.timezone, ntpServer: desired.ntpServer },
        mqttUrls: [own, "http://127.0.0.1:8080/"],
      }),
    ).toBe(true);
    expect(await refused).toMatchObject({
      code: "broker_urls_rejected",
      message: expect.stringContaining('broker URL 2 "http://127.0.0.1:8080/" is not an mqtt'),
    });
    expect(device.storage.identity()?.mqttUrls).toEqual(devicesList);

    // Cut off, it comes back through the list it kept, and works.
    t.server.gateway.disconnect(deviceId);
    await device.waitForStatus("offline");
    await device.waitForStatus("online");
    await runs(t, device, "Still managed");
  });
});
