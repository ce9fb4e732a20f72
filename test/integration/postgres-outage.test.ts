/**
 * PostgreSQL goes away under a running server and comes back. Meanwhile the API answers 503
 * `store_unavailable` with Retry-After, the devices stay connected over MQTT and the process
 * keeps serving (an unhandled rejection would fail this file); once PostgreSQL is back, the API
 * answers again without a restart, a new command reaches its device and succeeds, and the
 * devices' reports are stored again. The server runs on a cluster of its own, so stopping it
 * leaves the run's shared cluster alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { CommandView } from "../../server/commands/command.js";
import type { DeviceView } from "../../server/devices/device.js";
import { isStoreUnavailable } from "../../server/store/unavailable.js";
import { startDevice, waitForCommand } from "../helpers/devices.js";
import {
  createTestDatabase,
  haltCluster,
  type PostgresCluster,
  resumeCluster,
  startPostgresCluster,
} from "../helpers/postgres.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const DEVICES = 3;
/** Often, so that reports keep arriving (and failing to be stored) all through the outage. */
const STATE_REPORT_INTERVAL_MS = 200;

let cluster: PostgresCluster | undefined;
let halted = false;
let t: TestServer;
const devices: (SimulatedDevice & { deviceId: string })[] = [];
/** The device that disconnects while PostgreSQL is down. */
const leaver = () => devices.at(-1)!;

beforeAll(async () => {
  cluster = await startPostgresCluster();
  const databaseUrl = await createTestDatabase(cluster.adminUrl);
  t = await startTestServer({ databaseUrl, databasePoolSize: 4 });
  for (let i = 0; i < DEVICES; i++) {
    devices.push(await startDevice(t, { stateReportIntervalMs: STATE_REPORT_INTERVAL_MS }));
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(devices.map((d) => d.stop({ abrupt: true })));
  // The server closes its pool whether or not PostgreSQL is up.
  await t?.cleanup();
  await cluster?.stop();
});

/** A request with its headers, which the API client does not keep. */
async function request(method: string, path: string, body?: unknown) {
  const response = await fetch(`${t.server.httpUrl}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${t.api.token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: (text ? JSON.parse(text) : null) as { error?: { code: string } } | null,
  };
}

/** A promise to open by hand. */
function gate(): { opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Resolves once every connected device has sent `count` more state reports. */
function reportsSent(count: number): Promise<void> {
  return Promise.all(
    devices
      .filter((device) => device.status === "online")
      .map(
        (device) =>
          new Promise<void>((resolve) => {
            let seen = 0;
            const onReport = () => {
              if (++seen < count) return;
              device.off("stateReported", onReport);
              resolve();
            };
            device.on("stateReported", onReport);
          }),
      ),
  ).then(() => undefined);
}

/** Polls until `probe` holds; the server's event bus stays quiet while its store is away. */
async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("PostgreSQL away and back", () => {
  it("while it is down: 503 store_unavailable with Retry-After, devices stay connected", async () => {
    expect((await request("GET", "/devices")).status).toBe(200);
    // A unit in flight when PostgreSQL goes: its connection is cut between two statements.
    const between = gate();
    const goOn = gate();
    const inFlight = t.server.store
      .unit(async (tx) => {
        await tx.selectFrom("devices").select("id").execute();
        between.open();
        await goOn.opened;
        return tx.selectFrom("devices").select("id").execute();
      })
      .then(
        () => new Error("the unit went on without its database"),
        (err: unknown) => err,
      );
    await between.opened;
    await haltCluster(cluster!);
    halted = true;
    goOn.open();
    const cut = await inFlight;
    expect(isStoreUnavailable(cut), String(cut)).toBe(true);

    const reads = await request("GET", "/devices");
    expect(reads.status).toBe(503);
    expect(reads.body?.error?.code).toBe("store_unavailable");
    expect(Number(reads.retryAfter)).toBeGreaterThan(0);
    const writes = await request("POST", `/devices/${devices[0]!.deviceId}/commands`, { type: "lock" });
    expect(writes.status).toBe(503);
    expect(writes.body?.error?.code).toBe("store_unavailable");
    expect(Number(writes.retryAfter)).toBeGreaterThan(0);

    // Reports keep coming and cannot be stored; the command sweep runs on a dead store too.
    await reportsSent(10);
    expect((await request("GET", `/devices/${devices[1]!.deviceId}`)).status).toBe(503);
    for (const device of devices) {
      expect(device.status, device.serial).toBe("online");
      expect(t.server.gateway.isOnline(device.deviceId), device.serial).toBe(true);
    }
    // A device that leaves meanwhile: its going offline cannot be stored yet.
    await leaver().stop({ abrupt: true });
  });

  it("once it is back: the API answers by itself, a new command succeeds, reports are stored", async () => {
    expect(halted, "the outage step ran").toBe(true);
    await resumeCluster(cluster!);
    halted = false;
    await eventually("the API answers again", async () => (await request("GET", "/devices")).status === 200);

    const [target, reporter] = devices as [SimulatedDevice & { deviceId: string }, SimulatedDevice];
    const lock = await t.api.post<CommandView>(`/devices/${target.deviceId}/commands`, { type: "lock" });
    expect(lock.status).toBe(202);
    expect((await waitForCommand(t, lock.body.id)).state).toBe("succeeded");
    expect(target.platform.locked).toBe(true);
    // The lock's own state report, stored: the device shows locked.
    await eventually("the locked state is stored", async () => {
      const view = await t.api.get<DeviceView>(`/devices/${target.deviceId}`);
      return view.body.reported?.locked === true;
    });

    // A report sent after the store came back is stored.
    const since = (await t.api.get<DeviceView>(`/devices/${reporter.deviceId!}`)).body.reported?.reportedAt;
    await reportsSent(2);
    await eventually("a later report is stored", async () => {
      const view = await t.api.get<DeviceView>(`/devices/${reporter.deviceId!}`);
      const at = view.body.reported?.reportedAt;
      return at !== undefined && (since === undefined || Date.parse(at) > Date.parse(since));
    });
    for (const device of devices.slice(0, -1)) expect(t.server.gateway.isOnline(device.deviceId)).toBe(true);
    // What the devices said while the store was away is written once it is back, not lost:
    // the device that left during the outage shows offline.
    await eventually("the device that left during the outage shows offline", async () => {
      const view = await t.api.get<DeviceView>(`/devices/${leaver().deviceId}`);
      return view.body.online === false;
    });
  });
});
