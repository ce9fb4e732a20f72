/**
 * Copying a real server's SQLite store into an empty PostgreSQL database: every row of every
 * table arrives as it was, generated ids keep counting after the copied ones, and a target that
 * is not empty is refused.
 */
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommandView } from "../../../server/commands/command.js";
import { DATABASE_FILE } from "../../../server/server.js";
import { copyStore, TABLES_IN_COPY_ORDER } from "../../../server/store/copy-store.js";
import { openPostgresStore, type PostgresStore } from "../../../server/store/postgres/postgres-store.js";
import { openSqliteStore, type SqliteStore } from "../../../server/store/sqlite/sqlite-store.js";
import type { Store } from "../../../server/store/store.js";
import { validState } from "../../../simulator/fuzz/payload-fuzzer.js";
import { enrollCredentials, uniqueSerial, waitForCommand } from "../../helpers/devices.js";
import { ScriptedDevice } from "../../helpers/scripted-device.js";
import { newPostgresDatabase } from "../../helpers/stores.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";

let t: TestServer;
let source: SqliteStore;
const targets: { store: PostgresStore; drop(): Promise<void> }[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  t = await startTestServer();
  // Real history: devices with reports and commands, tokens, sessions, audit rows.
  for (let i = 0; i < 3; i++) {
    const creds = await enrollCredentials(t, uniqueSerial("COPY"));
    const device = await ScriptedDevice.connect(t.server.mqttUrl, creds, clients);
    await device.reportState(validState(`copied ${i}`));
    const lock = await t.api.post<CommandView>(`/devices/${creds.deviceId}/commands`, { type: "lock" });
    await device.nextCommand((c) => c.id === lock.body.id);
    await device.answer(lock.body.id, "succeeded", { state: validState(`locked ${i}`) });
    await waitForCommand(t, lock.body.id);
  }
  await t.api.post("/batches", { target: { all: true }, command: { type: "reboot" } });
  await t.api.put("/settings/time", { timezone: "Europe/Berlin", ntpServer: null });
  for (const c of clients) c.end(true);
  await t.stop();
  source = await openSqliteStore(join(t.dataDir, DATABASE_FILE));
});
afterAll(async () => {
  await source.close();
  for (const target of targets) {
    await target.store.close();
    await target.drop();
  }
  await t.cleanup();
});

async function emptyTarget(): Promise<PostgresStore> {
  const database = await newPostgresDatabase();
  const store = await openPostgresStore({ url: database.url });
  targets.push({ store, drop: database.drop });
  return store;
}

/** Every row of a table, flags as booleans, in key order. */
async function rowsOf(store: Store, table: (typeof TABLES_IN_COPY_ORDER)[number]) {
  const rows = (await store.db.selectFrom(table).selectAll().execute()) as Record<string, unknown>[];
  const flags = new Set([
    "online",
    "reported_locked",
    "reported_clock_measured",
    "built_in",
    "must_reset_password",
    "active",
  ]);
  return rows
    .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, flags.has(k) ? Boolean(v) : v])))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe("copying a store", () => {
  it("moves every row of every table from SQLite to PostgreSQL, checked by counts", async () => {
    const target = await emptyTarget();
    const progress: string[] = [];
    const report = await copyStore(source, target, (p) => progress.push(p.table));
    expect(report.counts.devices).toBe(3);
    expect(report.counts.commands).toBe(6);
    expect(report.counts.audit_log).toBeGreaterThan(5);
    expect(new Set(progress)).toEqual(new Set(TABLES_IN_COPY_ORDER));
    for (const table of TABLES_IN_COPY_ORDER) {
      expect(await rowsOf(target, table), table).toEqual(await rowsOf(source, table));
    }
    // Generated ids go on after the copied ones.
    const before = await target.db
      .selectFrom("audit_log")
      .select((eb) => eb.fn.max("seq").as("max"))
      .executeTakeFirst();
    const added = await target.db
      .insertInto("audit_log")
      .values({ at: 1, action: "auth.login", target: null, params_json: "{}", outcome: "success" })
      .returning("seq")
      .executeTakeFirstOrThrow();
    expect(added.seq).toBe(Number(before?.max) + 1);
  });

  it("refuses a target that already holds data", async () => {
    const target = await emptyTarget();
    await copyStore(source, target);
    await expect(copyStore(source, target)).rejects.toThrow(/not empty: devices has 3 rows/);
  });
});
