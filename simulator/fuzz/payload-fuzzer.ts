/**
 * Payload fuzzing: enrolled devices publish garbage and mutated protobuf on their own `res` and
 * `state` topics, then one valid report each. Afterwards every device's stored state must be
 * exactly what its last valid report set, its finished commands must be untouched, and the
 * healthy device's commands must be untouched by anyone else's results.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import mqtt, { type MqttClient } from "mqtt";
import { decodeSignedCommand, encodeCommandResult, encodeDeviceState } from "../../proto/codec.js";
import { deviceTopic } from "../../proto/topics.js";
import type { DeviceState } from "../../proto/wire.js";
import { PublishRateLimiter } from "../../server/broker/publish-rate-limit.js";
import type { AdminClient } from "../admin-client.js";
import type { FuzzIdentity } from "./mqtt-cases.js";
import { type PayloadCase, payloadCaseArbitrary } from "./payload-cases.js";

export interface PayloadFuzzOptions {
  mqttUrl: string;
  admin: AdminClient;
  /** Devices that send the payloads, one connection each. */
  devices: readonly FuzzIdentity[];
  /** The healthy device: its command ids are aimed at, its records must not move. */
  victimId: string;
  seed: number;
  payloads: number;
  /** Publishes per second per device, kept under the server's limit. Default 40. */
  perDevicePerSecond?: number;
  deadlineMs?: number;
  /** Stops the run at once (the server is gone). */
  signal?: AbortSignal;
  onProgress?: (sent: number) => void;
}

export interface PayloadFuzzReport {
  seed: number;
  payloadsSent: number;
  payloadsByKind: Record<string, number>;
  /** Connections of payload devices the server closed: a bad payload must not cost that. */
  disconnects: number;
  /** What was found wrong in the store afterwards; empty when nothing was. */
  problems: string[];
  elapsedMs: number;
}

interface CommandSnapshot {
  id: string;
  state: string;
  errorCode: string | null;
  errorMessage: string | null;
  finishedAt: string | null;
}

interface DeviceView {
  reported: Record<string, unknown> | null;
}

/** The healthy device's newest finished commands, whose records fuzzed results aim at. */
const VICTIM_COMMANDS_CHECKED = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A state as an agent sends it; `name` marks which report the store should end up with. */
export function validState(name: string): DeviceState {
  return {
    atMs: Date.now(),
    name,
    locked: true,
    timezone: "Europe/Paris",
    timezoneAutomatic: false,
    ntpServer: "ntp.example.org",
    clockOffsetMs: -12,
    lastTimeSyncAtMs: Date.UTC(2026, 0, 2, 3, 4, 5),
    timeSyncError: null,
    bootTimeMs: Date.UTC(2026, 0, 1),
    agentVersion: "1.0.0",
    appliedConfigVersion: 3,
    signingKeysVersion: 1,
    model: "Portal",
    serial: name,
    telemetry: {
      cpuLoadPercent: 12.5,
      memoryTotalBytes: 2_000_000_000,
      memoryUsedBytes: 1_000_000_000,
      diskTotalBytes: 8_000_000_000,
      diskUsedBytes: 4_000_000_000,
      uptimeSeconds: 3600,
      os: "Linux",
      osVersion: "6.1",
      batteryPercent: -1,
      interfaces: [{ name: "wlan0", mac: "00:11:22:33:44:55", addresses: ["192.0.2.7"] }],
    },
  };
}

/** What the API must show for {@link validState} (everything but the receive time). */
function expectedReported(state: DeviceState): Record<string, unknown> {
  return {
    name: state.name,
    locked: state.locked,
    timezone: state.timezone,
    timezoneAutomatic: state.timezoneAutomatic,
    ntpServer: state.ntpServer,
    clockOffsetMs: state.clockOffsetMs,
    lastTimeSyncAt: new Date(state.lastTimeSyncAtMs!).toISOString(),
    timeSyncError: state.timeSyncError,
    bootTime: new Date(state.bootTimeMs).toISOString(),
    agentVersion: state.agentVersion,
    appliedConfigVersion: state.appliedConfigVersion,
    signingKeysVersion: state.signingKeysVersion,
    configError: state.configError ?? null,
    telemetry: state.telemetry,
  };
}

function connectDevice(mqttUrl: string, device: FuzzIdentity): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(mqttUrl, {
      clientId: device.deviceId,
      username: device.deviceId,
      password: device.secret,
      protocolVersion: 4,
      reconnectPeriod: 500,
      connectTimeout: 10_000,
    });
    client.once("connect", () => resolve(client));
    client.once("error", reject);
  });
}

function publish(
  client: MqttClient,
  topic: string,
  bytes: Uint8Array,
  qos: 0 | 1,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error("the run was stopped"));
    signal?.addEventListener("abort", onAbort, { once: true });
    client.publish(topic, Buffer.from(bytes), { qos }, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

async function commandsOf(admin: AdminClient, deviceId: string): Promise<CommandSnapshot[]> {
  const page = await admin.request<{ items: CommandSnapshot[] }>(
    "GET",
    `/devices/${deviceId}/commands?limit=100`,
  );
  return page.items.map(snapshot);
}

function snapshot({ id, state, errorCode, errorMessage, finishedAt }: CommandSnapshot): CommandSnapshot {
  return { id, state, errorCode, errorMessage, finishedAt };
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Connects the device, gives it two commands and answers them as an agent would, so that it
 * has finished commands whose records fuzzed results must not move.
 */
async function prepareDevice(options: PayloadFuzzOptions, device: FuzzIdentity): Promise<MqttClient> {
  const client = await connectDevice(options.mqttUrl, device);
  client.on("message", (topic, payload) => {
    if (!topic.endsWith("/cmd")) return;
    const { command } = decodeSignedCommand(payload);
    for (const status of ["accepted", "succeeded"] as const) {
      const result = { commandId: command.id, status, errorCode: "", message: "", atMs: Date.now() };
      client.publish(deviceTopic(device.deviceId, "res"), Buffer.from(encodeCommandResult(result)), {
        qos: 1,
      });
    }
  });
  await client.subscribeAsync([deviceTopic(device.deviceId, "cmd"), deviceTopic(device.deviceId, "cfg")], {
    qos: 1,
  });
  for (const type of ["lock", "refresh_state"]) {
    await options.admin.request("POST", `/devices/${device.deviceId}/commands`, { type });
  }
  await until(`commands of ${device.deviceId} succeeded`, async () =>
    (await commandsOf(options.admin, device.deviceId)).every((c) => c.state === "succeeded"),
  );
  return client;
}

export async function runPayloadFuzz(options: PayloadFuzzOptions): Promise<PayloadFuzzReport> {
  const report: PayloadFuzzReport = {
    seed: options.seed,
    payloadsSent: 0,
    payloadsByKind: {},
    disconnects: 0,
    problems: [],
    elapsedMs: 0,
  };
  const startedMs = performance.now();
  const clients = await Promise.all(options.devices.map((d) => prepareDevice(options, d)));
  for (const client of clients) client.on("close", () => report.disconnects++);

  const ownBefore = new Map<string, CommandSnapshot[]>();
  for (const d of options.devices) ownBefore.set(d.deviceId, await commandsOf(options.admin, d.deviceId));
  const victimBefore = (await commandsOf(options.admin, options.victimId))
    .filter((c) => c.finishedAt !== null)
    .slice(0, VICTIM_COMMANDS_CHECKED);

  const cases = fc.sample(
    payloadCaseArbitrary({
      ownCommandIds: [...ownBefore.values()].flat().map((c) => c.id),
      foreignCommandIds: victimBefore.map((c) => c.id),
    }),
    { seed: options.seed, numRuns: options.payloads },
  );
  // Each device keeps under the server's publish limit: the payloads are under test here,
  // not the rate limit.
  const perSecond = options.perDevicePerSecond ?? 40;
  const pacing = new PublishRateLimiter({ perSecond, burst: perSecond * 2 });
  let next = 0;
  await Promise.all(
    options.devices.map(async (device, i) => {
      const client = clients[i]!;
      const stopped = () =>
        options.signal?.aborted === true ||
        (options.deadlineMs !== undefined && Date.now() > options.deadlineMs);
      while (next < cases.length && !stopped()) {
        if (!pacing.take(device.deviceId)) {
          await sleep(1000 / perSecond);
          continue;
        }
        const c: PayloadCase = cases[next++]!;
        const qos = next % 2 === 0 ? 1 : 0;
        await publish(client, deviceTopic(device.deviceId, c.channel), c.bytes, qos, options.signal);
        report.payloadsSent++;
        report.payloadsByKind[c.kind] = (report.payloadsByKind[c.kind] ?? 0) + 1;
        options.onProgress?.(report.payloadsSent);
      }
      await publish(
        client,
        deviceTopic(device.deviceId, "state"),
        encodeDeviceState(validState(`final-${device.deviceId}`)),
        1,
        options.signal,
      );
    }),
  );

  for (const device of options.devices) {
    const expected = expectedReported(validState(`final-${device.deviceId}`));
    try {
      await until(`the final report of ${device.deviceId}`, async () => {
        const view = await options.admin.request<DeviceView>("GET", `/devices/${device.deviceId}`);
        return view.reported?.name === expected.name;
      });
      const view = await options.admin.request<DeviceView>("GET", `/devices/${device.deviceId}`);
      const { reportedAt: _receivedAt, ...stored } = view.reported ?? {};
      if (!isDeepStrictEqual(stored, expected)) {
        report.problems.push(
          `${device.deviceId}: stored state ${JSON.stringify(stored)} is not the last valid report`,
        );
      }
      await options.admin.request("GET", `/devices/${device.deviceId}/state-history?limit=100`);
    } catch (err) {
      report.problems.push(`${device.deviceId}: ${(err as Error).message}`);
    }
    const after = await commandsOf(options.admin, device.deviceId);
    if (!isDeepStrictEqual(after, ownBefore.get(device.deviceId))) {
      report.problems.push(`${device.deviceId}: finished commands changed: ${JSON.stringify(after)}`);
    }
  }
  for (const before of victimBefore) {
    const after = snapshot(await options.admin.request<CommandSnapshot>("GET", `/commands/${before.id}`));
    if (!isDeepStrictEqual(after, before)) {
      report.problems.push(`healthy device's command ${before.id} changed: ${JSON.stringify(after)}`);
    }
  }
  // The API still lists every device (one bad stored row would fail the whole page).
  await options.admin.request("GET", "/devices?limit=500").catch((err: Error) => {
    report.problems.push(`device list: ${err.message}`);
  });

  for (const client of clients) client.removeAllListeners("close");
  await Promise.all(clients.map((c) => c.endAsync(true)));
  report.elapsedMs = performance.now() - startedMs;
  return report;
}
