/**
 * Simulated devices (the real agent core over real MQTT) against a test server, and waits on
 * the server's own event bus instead of sleeps.
 */
import { pino } from "pino";
import type { SimulatedDeviceOptions } from "../../agent/simulated-device.js";
import { SimulatedDevice } from "../../agent/simulated-device.js";
import type { BatchView } from "../../server/commands/batch-service.js";
import type { CommandState, CommandView } from "../../server/commands/command.js";
import type { TestServer } from "./test-server.js";

const quiet = pino({ level: process.env.PMDM_TEST_LOG_LEVEL ?? "silent" });
let serialCounter = 0;

export function uniqueSerial(prefix = "SIM"): string {
  serialCounter++;
  return `${prefix}-${process.pid}-${serialCounter}`;
}

export async function createEnrollmentToken(t: TestServer, maxUses = 1): Promise<string> {
  const res = await t.api.post<{ token: string }>("/enrollment-tokens", { maxUses, expiresInSeconds: 3600 });
  if (res.status !== 201) throw new Error(`token creation failed: ${res.status}`);
  return res.body.token;
}

/** What the server hands a device that enrolls: its id and MQTT credential. */
export interface DeviceCredentials {
  deviceId: string;
  secret: string;
}

/** Enrolls a serial through the API with a fresh token, without any agent: raw credentials. */
export async function enrollCredentials(t: TestServer, serial: string): Promise<DeviceCredentials> {
  const res = await t.api.post<DeviceCredentials>("/enrollment/enroll", {
    token: await createEnrollmentToken(t),
    serial,
    model: "Portal",
    agentVersion: "1.0.0",
  });
  if (res.status !== 201) throw new Error(`enrollment failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * A device without an enrollment token, not started: once started it enrolls by showing a code,
 * and `userCode` resolves with it.
 */
export function deviceShowingCode(
  t: TestServer,
  options: Partial<SimulatedDeviceOptions> = {},
): { device: SimulatedDevice; userCode: Promise<string> } {
  const device = new SimulatedDevice({
    serial: uniqueSerial("CODE"),
    serverUrl: t.server.httpUrl,
    logger: quiet,
    stateReportIntervalMs: 0,
    ...options,
  });
  const userCode = new Promise<string>((resolve) => device.once("userCode", (g) => resolve(g.userCode)));
  return { device, userCode };
}

/** A simulated device that has enrolled: it has its id. */
export type EnrolledDevice = SimulatedDevice & { deviceId: string };

/** A device enrolled by token and online. */
export async function startDevice(
  t: TestServer,
  options: Partial<SimulatedDeviceOptions> = {},
): Promise<EnrolledDevice> {
  const device = new SimulatedDevice({
    serial: options.serial ?? uniqueSerial(),
    serverUrl: t.server.httpUrl,
    logger: quiet,
    enrollmentToken: options.enrollmentToken ?? (await createEnrollmentToken(t)),
    stateReportIntervalMs: 0,
    ...options,
  });
  const online = device.waitForStatus("online");
  await device.start();
  await online;
  await waitUntil(t, () => t.server.gateway.isOnline(device.deviceId!), "device online at the server");
  return device as EnrolledDevice;
}

/**
 * `count` devices, each enrolled and online ({@link startDevice}), by one enrollment token of
 * `count` uses unless the options name one. Every device takes the options, device `i` also
 * `each(i)` and the serial `serial(i)`. One after the other, or with `concurrently` all at
 * once; in index order either way.
 */
export async function startDevices(
  t: TestServer,
  count: number,
  serial: (i: number) => string,
  {
    each,
    concurrently = false,
    ...shared
  }: Partial<SimulatedDeviceOptions> & {
    each?: (i: number) => Partial<SimulatedDeviceOptions>;
    concurrently?: boolean;
  } = {},
): Promise<EnrolledDevice[]> {
  const enrollmentToken = shared.enrollmentToken ?? (await createEnrollmentToken(t, count));
  const start = (i: number) =>
    startDevice(t, { ...shared, enrollmentToken, ...each?.(i), serial: serial(i) });
  if (concurrently) return Promise.all(Array.from({ length: count }, (_, i) => start(i)));
  const devices: EnrolledDevice[] = [];
  for (let i = 0; i < count; i++) devices.push(await start(i));
  return devices;
}

const TERMINAL: ReadonlySet<CommandState> = new Set([
  "succeeded",
  "failed",
  "rejected",
  "expired",
  "canceled",
]);

/** Resolves with the command once it reaches a terminal state (or the one asked for). */
export function waitForCommand(
  t: TestServer,
  commandId: string,
  until: (c: CommandView) => boolean = (c) => TERMINAL.has(c.state),
  timeoutMs = 20_000,
): Promise<CommandView> {
  const { events, commands } = t.server.services;
  return new Promise((resolve, reject) => {
    let off = () => {};
    const timer = setTimeout(() => {
      off();
      void commands.get(commandId).then((c) => reject(new Error(`command ${commandId} is still ${c.state}`)));
    }, timeoutMs);
    const done = (c: CommandView) => {
      clearTimeout(timer);
      off();
      resolve(c);
    };
    off = events.on("command.updated", ({ command }) => {
      if (command.id === commandId && until(command)) done(command);
    });
    void commands.get(commandId).then((c) => {
      if (until(c)) done(c);
    });
  });
}

/**
 * Re-checks `condition` whenever the server announces anything, until it holds. For
 * conditions on stored state that no single event names.
 */
export function waitUntil(
  t: TestServer,
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const { events } = t.server.services;
  return new Promise((resolve, reject) => {
    const offs: (() => void)[] = [];
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(ticker);
      for (const off of offs) off();
      if (err) reject(err);
      else resolve();
    };
    const check = async () => {
      try {
        if (await condition()) finish();
      } catch (err) {
        finish(err as Error);
      }
    };
    const timer = setTimeout(() => finish(new Error(`timed out waiting for: ${what}`)), timeoutMs);
    // Some conditions (a broker connection, a file) change without a server event.
    const ticker = setInterval(() => void check(), 50);
    for (const name of [
      "device.online",
      "device.offline",
      "device.state",
      "device.updated",
      "command.updated",
    ] as const) {
      offs.push(events.on(name, () => void check()));
    }
    void check();
  });
}

/** Resolves with the batch once none of its commands is still open. */
export async function waitForBatch(t: TestServer, batchId: string, timeoutMs = 90_000): Promise<BatchView> {
  let batch: BatchView | undefined;
  await waitUntil(
    t,
    async () => {
      batch = (await t.api.get<BatchView>(`/batches/${batchId}`)).body;
      return batch.done;
    },
    `batch ${batchId} done`,
    timeoutMs,
  );
  return batch!;
}

/** Resolves once the device has pinned key set `version`. */
export function keysPinned(device: SimulatedDevice, version: number): Promise<void> {
  return new Promise((resolve) => {
    const onPinned = (pinned: { version: number }) => {
      if (pinned.version !== version) return;
      device.off("keysPinned", onPinned);
      resolve();
    };
    device.on("keysPinned", onPinned);
  });
}

/** Waits until the server has stored the key set version the device reports trusting. */
export async function reportedKeys(t: TestServer, deviceId: string, version: number): Promise<void> {
  await waitUntil(
    t,
    async () => {
      const device = await t.api.get<{ reported: { signingKeysVersion?: number } | null }>(
        `/devices/${deviceId}`,
      );
      return device.body.reported?.signingKeysVersion === version;
    },
    `device ${deviceId} reports key set ${version}`,
  );
}
