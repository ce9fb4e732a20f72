/**
 * One device cannot fill the disk: every string it reports is cut to its bound before it is
 * stored, and its state history holds a bounded number of rows per hour and in all. The device
 * is played by the test, sending the largest reports a packet can carry.
 */
import { sql } from "kysely";
import type { MqttClient } from "mqtt";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DeviceState } from "../../proto/wire.js";
import type { DeviceView } from "../../server/devices/device.js";
import { REPORTED_LIMITS } from "../../server/devices/reported-bounds.js";
import { validState } from "../../simulator/fuzz/payload-fuzzer.js";
import { enrollCredentials, uniqueSerial, waitUntil } from "../helpers/devices.js";
import { ScriptedDevice } from "../helpers/scripted-device.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
let clockOffsetMs = 0;
const clients: MqttClient[] = [];
const logLines: { msg: string; refusal?: string; fields?: string[]; deviceId?: string }[] = [];

const ROWS_PER_HOUR = 5;
const MAX_ROWS = 12;

beforeAll(async () => {
  const logger = pino(
    { level: "info" },
    { write: (line: string) => void logLines.push(JSON.parse(line) as (typeof logLines)[number]) },
  );
  t = await startTestServer(
    { stateHistoryRowsPerHour: ROWS_PER_HOUR, stateHistoryMaxRowsPerDevice: MAX_ROWS },
    undefined,
    () => Date.now() + clockOffsetMs,
    logger,
  );
});
afterEach(() => {
  for (const c of clients.splice(0)) c.end(true);
});
afterAll(async () => {
  await t.cleanup();
});

/** The biggest state a 64 KiB packet carries: every string far past its bound. */
function hugeState(name: string): DeviceState {
  const base = validState(name);
  const long = (n: number) => "x".repeat(n);
  return {
    ...base,
    name: `${name}${long(4000)}`,
    timezone: long(4000),
    ntpServer: long(4000),
    timeSyncError: `\u0000\u001b[31m${long(8000)}`,
    agentVersion: long(4000),
    telemetry: {
      ...base.telemetry!,
      os: long(4000),
      osVersion: long(4000),
      interfaces: Array.from({ length: 40 }, (_, i) => ({
        name: `if${i}${long(100)}`,
        mac: long(100),
        addresses: Array.from({ length: 20 }, () => long(20)),
      })),
    },
  };
}

async function stored(
  deviceId: string,
): Promise<{ reportedBytes: number; historyRows: number; historyBytes: number }> {
  const device = await t.server.store.db
    .selectFrom("devices")
    .select(sql<number>`length(reported_json)`.as("n"))
    .where("id", "=", deviceId)
    .executeTakeFirst();
  // PostgreSQL's sum() of integers is a NUMERIC, which node-postgres hands over as text.
  const history = await t.server.store.db
    .selectFrom("state_history")
    .select([
      (eb) => eb.fn.countAll<number>().as("rows"),
      sql<number | null>`CAST(sum(length(state_json)) AS BIGINT)`.as("bytes"),
    ])
    .where("device_id", "=", deviceId)
    .executeTakeFirst();
  return {
    reportedBytes: device?.n ?? 0,
    historyRows: history?.rows ?? 0,
    historyBytes: history?.bytes ?? 0,
  };
}

describe("a device's reports", () => {
  it("are cut to their bounds before they are stored, with a logged reason", async () => {
    const creds = await enrollCredentials(t, uniqueSerial("HUGE"));
    const device = await ScriptedDevice.connect(t.server.mqttUrl, creds, clients);
    await device.reportState(hugeState("big"));
    await waitUntil(
      t,
      async () => (await t.api.get<DeviceView>(`/devices/${creds.deviceId}`)).body.reported !== null,
      "report stored",
    );
    const reported = (await t.api.get<DeviceView>(`/devices/${creds.deviceId}`)).body.reported!;
    expect(reported.name).toHaveLength(REPORTED_LIMITS.name);
    expect(reported.name.startsWith("big")).toBe(true);
    expect(reported.timezone).toHaveLength(REPORTED_LIMITS.timezone);
    expect(reported.ntpServer).toHaveLength(REPORTED_LIMITS.ntpServer);
    expect(reported.timeSyncError).toHaveLength(REPORTED_LIMITS.timeSyncError);
    expect(reported.timeSyncError!.startsWith("\ufffd\ufffd[31m")).toBe(true);
    expect(reported.agentVersion).toHaveLength(REPORTED_LIMITS.agentVersion);
    expect(reported.telemetry!.interfaces).toHaveLength(REPORTED_LIMITS["telemetry.interfaces"]);
    expect(reported.telemetry!.interfaces[0]!.addresses).toHaveLength(
      REPORTED_LIMITS["telemetry.interfaces.addresses"],
    );
    expect((await stored(creds.deviceId)).reportedBytes).toBeLessThan(32 * 1024);
    const line = logLines.find((l) => l.refusal === "device_report_cut" && l.deviceId === creds.deviceId);
    expect(line?.fields).toEqual(expect.arrayContaining(["name", "timeSyncError", "telemetry.interfaces"]));
  });

  it("leave a bounded state history: rows per hour, and rows in all", async () => {
    const creds = await enrollCredentials(t, uniqueSerial("CHURN"));
    const device = await ScriptedDevice.connect(t.server.mqttUrl, creds, clients);
    // Every report a new name: each a change worth a history row. Each is stored before the
    // next is sent, so that none is merged with another in one write.
    const reportAll = async (prefix: string, n: number) => {
      for (let i = 0; i < n; i++) {
        await device.reportState(hugeState(`${prefix}-${i}`));
        await waitUntil(
          t,
          async () =>
            (await t.api.get<DeviceView>(`/devices/${creds.deviceId}`)).body.reported?.name.startsWith(
              `${prefix}-${i}x`,
            ) ?? false,
          `report ${prefix}-${i} stored`,
        );
      }
      await t.server.services.devices.drainWrites();
    };
    await reportAll("hour0", 40);
    expect((await stored(creds.deviceId)).historyRows).toBe(ROWS_PER_HOUR);
    for (let hour = 1; hour <= 3; hour++) {
      clockOffsetMs += 3_600_000;
      await reportAll(`hour${hour}`, 10);
    }
    const after = await stored(creds.deviceId);
    expect(after.historyRows).toBe(MAX_ROWS);
    // History rows carry no telemetry, so each is small whatever the device sends.
    expect(after.historyBytes / after.historyRows).toBeLessThan(3 * 1024);
    const history = await t.api.get<{ items: { reported: { name: string } }[] }>(
      `/devices/${creds.deviceId}/state-history?limit=100`,
    );
    expect(history.body.items).toHaveLength(MAX_ROWS);
    // The newest rows are the ones kept.
    expect(history.body.items[0]!.reported.name.startsWith("hour3-")).toBe(true);
  });
});
