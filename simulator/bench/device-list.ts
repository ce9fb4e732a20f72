/**
 * `npx tsx simulator/bench/device-list.ts [--store postgres --postgres-url URL]`: how long the
 * device list and its counts take on a fleet of 50 000 (by default), through the server's own
 * DeviceService and repositories. The store is filled first: the device rows in bulk, then a
 * report from every device and presence from half of them through the batched writers, with
 * reported values spread so that each sort has ties and each filter a share of the fleet. Then
 * each query is run 15 times after 3 warm-up runs; the median, fastest and slowest are printed,
 * and at the end how long 10 000 reports take to be written.
 *
 * SQLite goes to a temp dir beside `--dir`; PostgreSQL to the database of `--postgres-url`,
 * which must be empty (it is migrated, filled and left as it is).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { Command, Option } from "commander";
import type { Insertable } from "kysely";
import type { DeviceState } from "../../proto/wire.js";
import type { DeviceGateway } from "../../server/broker/device-gateway.js";
import { DEVICE_SORT_KEYS, type DeviceFilter, DeviceService } from "../../server/devices/device-service.js";
import { EventBus } from "../../server/events/event-bus.js";
import type { ServerEvents } from "../../server/events/server-events.js";
import { createLogger } from "../../server/logger.js";
import { dialectOf } from "../../server/store/dialect.js";
import { openPostgresStore } from "../../server/store/postgres/postgres-store.js";
import { DeviceRepository } from "../../server/store/repositories/device-repository.js";
import { SettingsRepository } from "../../server/store/repositories/settings-repository.js";
import { StateHistoryRepository } from "../../server/store/repositories/state-history-repository.js";
import type { DevicesTable } from "../../server/store/schema.js";
import { openSqliteStore } from "../../server/store/sqlite/sqlite-store.js";
import type { Store } from "../../server/store/store.js";
import { validState } from "../fuzz/payload-fuzzer.js";

const program = new Command("portal-bench-device-list")
  .addOption(new Option("--store <store>", "which store").choices(["sqlite", "postgres"]).default("sqlite"))
  .option("--postgres-url <url>", "an empty PostgreSQL database (with --store postgres)")
  .addOption(new Option("--devices <n>", "devices in the fleet").argParser(Number).default(50_000))
  .option("--dir <dir>", "where the SQLite file goes", ".")
  .parse();
const opts = program.opts<{
  store: "sqlite" | "postgres";
  postgresUrl?: string;
  devices: number;
  dir: string;
}>();

const RUNS = 15;
const WARM_UP_RUNS = 3;
const ZONES = ["Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC", "Europe/Berlin"];

const deviceId = (i: number) => `dev_${i.toString(16).padStart(16, "0")}`;

async function openStore(): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (opts.store === "postgres") {
    if (!opts.postgresUrl) throw new Error("--store postgres needs --postgres-url");
    const store = await openPostgresStore({ url: opts.postgresUrl });
    return { store, cleanup: () => store.close() };
  }
  const dir = await mkdtemp(join(opts.dir, ".tmp-device-list-"));
  const store = await openSqliteStore(join(dir, "bench.sqlite"));
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function reportOf(i: number): DeviceState {
  return {
    ...validState(deviceId(i)),
    locked: i % 3 === 0,
    timezone: ZONES[i % ZONES.length]!,
    clockOffsetMs: ((i * 7907) % 4001) - 2000,
    lastTimeSyncAtMs: i % 4 === 0 ? null : Date.now(),
    agentVersion: `1.${i % 12}.0`,
    appliedConfigVersion: 1 + (i % 2),
  };
}

async function fill(store: Store, devices: DeviceService): Promise<void> {
  const now = Date.now();
  for (let start = 0; start < opts.devices; start += 1000) {
    const rows: Insertable<DevicesTable>[] = [];
    for (let i = start; i < Math.min(opts.devices, start + 1000); i++) {
      rows.push({
        id: deviceId(i),
        serial: `SN${(i * 7919) % 1_000_003}x${i}`,
        model: `Portal ${i % 7}`,
        name: `Room ${(i * 31) % 9973} ${i}`,
        status: i % 10 === 0 ? ("reset" as const) : ("active" as const),
        enrolled_at: now - i * 1000,
        created_at: now - i * 1000,
        desired_name: "x",
        desired_timezone: "auto",
        desired_ntp_server: null,
        desired_version: 1 + (i % 3),
      });
    }
    await store.unit((tx) => tx.insertInto("devices").values(rows).execute());
  }
  const writes: Promise<void>[] = [];
  for (let i = 0; i < opts.devices; i++) {
    writes.push(devices.recordState(deviceId(i), reportOf(i)));
    if (i % 2 === 0) writes.push(devices.recordPresence(deviceId(i), i % 4 === 0));
  }
  await Promise.all(writes);
  await devices.drainWrites();
}

async function time(label: string, run: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < WARM_UP_RUNS; i++) await run();
  const runsMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    runsMs.push(performance.now() - start);
  }
  runsMs.sort((a, b) => a - b);
  const ms = (n: number) => n.toFixed(1).padStart(6);
  console.log(
    `${label.padEnd(44)} median ${ms(runsMs[Math.floor(RUNS / 2)]!)} ms   fastest ${ms(runsMs[0]!)}   slowest ${ms(runsMs.at(-1)!)}`,
  );
}

async function main(): Promise<void> {
  const { store, cleanup } = await openStore();
  const logger = createLogger("silent");
  const offline = { isOnline: () => false } as unknown as DeviceGateway;
  const dialect = dialectOf(store.dialect);
  const devices = new DeviceService({
    store,
    nodeId: "bench",
    repository: new DeviceRepository(dialect),
    history: new StateHistoryRepository(dialect),
    settings: new SettingsRepository(dialect),
    gateway: () => offline,
    events: new EventBus<ServerEvents>(logger),
    logger,
    clock: Date.now,
    stateHistory: { rowsPerHour: 0, maxRowsPerDevice: 1 },
  });
  try {
    const fillStart = performance.now();
    await fill(store, devices);
    console.log(
      `${opts.store}: ${opts.devices} devices filled in ${(performance.now() - fillStart).toFixed(0)} ms`,
    );
    await time("page of 50 by id", () => devices.list({}, 50, null));
    for (const by of DEVICE_SORT_KEYS) {
      await time(`page of 50 by ${by}`, () => devices.list({}, 50, null, { by, descending: false }));
    }
    const byOffset = { by: "clockOffsetMs", descending: true } as const;
    const first = await devices.list({}, 50, null, byOffset);
    await time("2nd page by clockOffsetMs, descending", () =>
      devices.list({}, 50, first.nextCursor, byOffset),
    );
    const filters: [string, DeviceFilter][] = [
      ["locked", { locked: true }],
      ["clockDrift", { clockDrift: true }],
      ["configPending", { configPending: true }],
      ["timezone", { timezone: "Asia/Kolkata" }],
      ["notSeenForDays", { notSeenForDays: 1 }],
      ["q (name or serial)", { q: "room 12" }],
    ];
    for (const [name, filter] of filters)
      await time(`filtered by ${name}, with its count`, () => devices.list(filter, 50, null));
    await time("filtered by agentVersion, sorted by name", () =>
      devices.list({ agentVersion: "1.3.0" }, 50, null, { by: "name", descending: false }),
    );
    await time("/devices/counts", () => devices.counts());
    for (let round = 0; round < 3; round++) {
      const start = performance.now();
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 10_000; i++) {
        const n = (i * 5) % opts.devices;
        writes.push(devices.recordState(deviceId(n), { ...reportOf(n), locked: (i + round) % 2 === 0 }));
      }
      await Promise.all(writes);
      await devices.drainWrites();
      console.log(`10 000 reports written in ${(performance.now() - start).toFixed(0)} ms`);
    }
  } finally {
    await cleanup();
  }
}

await main();
