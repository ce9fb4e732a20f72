/**
 * The command-signing key ring in the store, with the real server, the admin command as its own
 * process and real agents:
 *
 * - a data dir from before (its ring in `signing-keys.json`, none in the store) starts, imports
 *   the file (logged once) and its devices keep verifying commands;
 * - `npm run admin -- rotate-signing-key` while the server runs: the server signs with the new
 *   key within seconds, the connected devices receive and pin the new key set without a
 *   restart or reconnect, and commands still verify; the rotation is refused while a managed
 *   device has not reported the current set;
 * - `migrate-store` from such a data dir takes the file's ring into PostgreSQL, where a node with
 *   a data dir of its own signs with it;
 * - two servers on one PostgreSQL database, each with a data dir of its own, sign with the same
 *   ring: a device enrolled through one obeys the other, and a rotation reaches both.
 *
 * The first two run on whichever store the project's servers use; the last two make their own
 * PostgreSQL databases, so they run in the sqlite project only.
 */
import { execFile } from "node:child_process";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import { ADMIN_TOKEN_FILE } from "../../server/admins/bootstrap.js";
import type { CommandView } from "../../server/commands/command.js";
import { SIGNING_KEYS_FILE } from "../../server/signing/key-ring-file.js";
import { startDevice, waitForCommand, waitUntil } from "../helpers/devices.js";
import { freePort } from "../helpers/server-process.js";
import { newPostgresDatabase } from "../helpers/stores.js";
import { makeDataDir, removeDataDir, startTestServer, type TestServer } from "../helpers/test-server.js";
import { onPostgres } from "../helpers/test-store.js";

const CLI = fileURLToPath(new URL("../../server/admin-cli.ts", import.meta.url));

const servers: TestServer[] = [];
const devices: SimulatedDevice[] = [];
const dataDirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(devices.map((d) => d.stop({ abrupt: true })));
  for (const t of servers) await t.stop();
  for (const dir of dataDirs) await removeDataDir(dir);
  for (const cleanup of cleanups) await cleanup();
});

async function start(
  overrides: Parameters<typeof startTestServer>[0],
  dataDir: string,
  logger?: pino.Logger,
): Promise<TestServer> {
  const t = await startTestServer(overrides, dataDir, Date.now, logger);
  servers.push(t);
  return t;
}

async function enrolledDevice(t: TestServer): Promise<SimulatedDevice & { deviceId: string }> {
  const device = await startDevice(t);
  devices.push(device);
  return device;
}

/** `npm run admin -- ...` as its own process; `databaseUrl`: the store it opens ("": SQLite in the data dir). */
function admin(
  dataDir: string,
  args: string[],
  databaseUrl = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ["--import", "tsx", CLI, "--data-dir", dataDir, ...args],
      { env: { ...process.env, PMDM_DATABASE_URL: databaseUrl } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** `npm run admin -- rotate-signing-key` on the server's store. */
const rotate = (t: TestServer, ...flags: string[]) =>
  admin(t.dataDir, ["rotate-signing-key", ...flags], t.config.databaseUrl);

async function commandSucceeds(t: TestServer, deviceId: string): Promise<void> {
  const res = await t.api.post<CommandView>(`/devices/${deviceId}/commands`, { type: "refresh_state" });
  expect(res.status).toBe(202);
  const done = await waitForCommand(t, res.body.id);
  expect(done, `command ${done.id}: ${done.errorCode} ${done.errorMessage}`).toMatchObject({
    state: "succeeded",
  });
}

/** Resolves once the device has pinned key set `version`. */
function keysPinned(device: SimulatedDevice, version: number): Promise<void> {
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
async function reportedKeys(t: TestServer, deviceId: string, version: number): Promise<void> {
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

/** A logger whose messages the test reads, at info. */
function recordingLogger() {
  const messages: string[] = [];
  const logger = pino(
    { level: "info" },
    { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) },
  );
  return { logger, messages };
}

describe("the signing key ring in the store", () => {
  it("imports an old data dir's signing-keys.json at start; its devices keep verifying commands", async () => {
    const dataDir = await makeDataDir();
    dataDirs.push(dataDir);
    const ports = { httpPort: await freePort(), mqttPort: await freePort() };
    const before = await start(ports, dataDir);
    const device = await enrolledDevice(before);
    await commandSucceeds(before, device.deviceId);
    const pinned = device.storage.identity()?.serverKeys;
    expect(pinned?.version).toBe(1);

    // The data dir as a server from before the store held the ring left it: the ring in
    // signing-keys.json (the same stored shape), none in the store.
    const row = await before.server.store.db
      .selectFrom("signing_key_ring")
      .selectAll()
      .executeTakeFirstOrThrow();
    await before.server.store.db.deleteFrom("signing_key_ring").execute();
    await before.stop();
    const file = join(dataDir, SIGNING_KEYS_FILE);
    await writeFile(file, row.ring_json, { mode: 0o600 });

    const first = recordingLogger();
    const t = await start(ports, dataDir, first.logger);
    expect(
      first.messages.filter((m) => m.includes("imported the data dir's key ring into the store")),
    ).toHaveLength(1);
    expect(t.server.signer.publishedKeySet()).toEqual(pinned);
    const imported = await t.server.store.db
      .selectFrom("signing_key_ring")
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(JSON.parse(imported.ring_json)).toEqual(JSON.parse(row.ring_json));
    expect(Number(imported.version)).toBe(1);
    // The device comes back by itself and obeys: the keys it pinned still sign.
    await waitUntil(t, () => t.server.gateway.isOnline(device.deviceId), "the device back online");
    await commandSucceeds(t, device.deviceId);
    expect(device.storage.identity()?.serverKeys).toEqual(pinned);

    // The file stays as it was, and the next start reads the store without a word about it.
    await t.stop();
    const second = recordingLogger();
    const again = await start(ports, dataDir, second.logger);
    expect(second.messages.filter((m) => m.includes(SIGNING_KEYS_FILE) || m.includes("key ring"))).toEqual(
      [],
    );
    expect(again.server.signer.publishedKeySet()).toEqual(pinned);
    expect(await readFile(file, "utf8")).toBe(row.ring_json);
    await waitUntil(again, () => again.server.gateway.isOnline(device.deviceId), "the device back online");
    await commandSucceeds(again, device.deviceId);
    await again.stop();
  });

  it("follows a rotation by the admin command while it runs: devices pin the new key set and keep obeying", async () => {
    const dataDir = await makeDataDir();
    dataDirs.push(dataDir);
    const t = await start({}, dataDir);
    expect(await readFile(join(dataDir, SIGNING_KEYS_FILE)).catch(() => null)).toBeNull();
    const staying = await enrolledDevice(t);
    const v1 = t.server.signer.publishedKeySet();
    await reportedKeys(t, staying.deviceId, 1);

    const pinnedV2 = keysPinned(staying, 2);
    const rotated = await rotate(t);
    expect(rotated.stderr).toBe("");
    expect(rotated.stdout).toContain("key ring version 2");
    // No restart and no reconnect: the server notices and sends the new set to the device.
    await pinnedV2;
    expect(t.server.signer.version).toBe(2);
    expect(t.server.signer.activeKeyId).toBe(v1.keys[1]?.keyId);
    expect(staying.storage.identity()?.serverKeys).toEqual(t.server.signer.publishedKeySet());
    await commandSucceeds(t, staying.deviceId);
    await reportedKeys(t, staying.deviceId, 2);

    // A device that trusts set 2 and is then away.
    const away = await enrolledDevice(t);
    await reportedKeys(t, away.deviceId, 2);
    await away.stop();

    const pinnedV3 = keysPinned(staying, 3);
    expect((await rotate(t)).stdout).toContain("key ring version 3");
    await pinnedV3;
    await commandSucceeds(t, staying.deviceId);
    await reportedKeys(t, staying.deviceId, 3);
    // The first ring's keys are trusted no longer.
    const pinnedIds = staying.storage.identity()?.serverKeys?.keys.map((k) => k.keyId);
    expect(pinnedIds).not.toContain(v1.keys[0]?.keyId);
    expect(pinnedIds).not.toContain(v1.keys[1]?.keyId);
    expect(pinnedIds).toContain(t.server.signer.activeKeyId);

    // The away device last reported set 2: another rotation would strand it.
    const refused = await rotate(t);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("1 managed device(s) may not trust key ring version 3");
    const ring = await t.server.store.db
      .selectFrom("signing_key_ring")
      .select("version")
      .executeTakeFirstOrThrow();
    expect(Number(ring.version)).toBe(3);
    expect(t.server.signer.version).toBe(3);

    // The away device comes back, pins set 3 from its config and obeys.
    const awayPinned = keysPinned(away, 3);
    await away.start();
    await awayPinned;
    await commandSucceeds(t, away.deviceId);
    const audit = await t.api.get<{ items: { action: string }[] }>("/audit?action=signing_key.rotate");
    expect(audit.body.items).toHaveLength(2);
  });
});

describe.skipIf(onPostgres)("on PostgreSQL databases of the test's own", () => {
  it("migrate-store takes an old data dir's signing-keys.json into PostgreSQL, for nodes with any data dir", async () => {
    const dataDir = await makeDataDir();
    dataDirs.push(dataDir);
    const ports = { httpPort: await freePort(), mqttPort: await freePort() };
    const onSqlite = await start({ ...ports, databaseUrl: "" }, dataDir);
    expect(onSqlite.server.store.dialect).toBe("sqlite");
    const device = await enrolledDevice(onSqlite);
    const pinned = device.storage.identity()?.serverKeys;
    // As a server from before left it: the ring in the file only.
    const row = await onSqlite.server.store.db
      .selectFrom("signing_key_ring")
      .selectAll()
      .executeTakeFirstOrThrow();
    await onSqlite.server.store.db.deleteFrom("signing_key_ring").execute();
    await onSqlite.stop();
    await writeFile(join(dataDir, SIGNING_KEYS_FILE), row.ring_json, { mode: 0o600 });

    const database = await newPostgresDatabase();
    cleanups.push(() => database.drop());
    const migrated = await admin(dataDir, ["migrate-store", "--to", database.url]);
    expect(migrated.stderr).not.toContain("failed");
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/^ +signing_key_ring +1 +1$/m);
    expect(migrated.stdout).toContain(
      `imported from ${join(dataDir, SIGNING_KEYS_FILE)}, which is no longer used`,
    );

    // A node whose data dir never held the file signs with the migrated ring.
    const otherDir = await makeDataDir();
    dataDirs.push(otherDir);
    await copyFile(join(dataDir, ADMIN_TOKEN_FILE), join(otherDir, ADMIN_TOKEN_FILE));
    const node = await start({ ...ports, databaseUrl: database.url }, otherDir);
    expect(node.server.signer.publishedKeySet()).toEqual(pinned);
    await waitUntil(
      node,
      () => node.server.gateway.isOnline(device.deviceId),
      "the device at the PostgreSQL node",
    );
    await commandSucceeds(node, device.deviceId);
    await node.stop();
  });

  it("two servers on one database sign with one ring: a device enrolled through one obeys the other, and a rotation reaches both", async () => {
    const database = await newPostgresDatabase();
    cleanups.push(() => database.drop());
    const dirs = [await makeDataDir(), await makeDataDir()];
    dataDirs.push(...dirs);
    // One after the other: the first admin is made by the first start (concurrent first starts
    // are tested on the ring alone, in store/signing-key-loading.test.ts); the second server
    // gets the admin token through its data dir, as a node's operator would copy it.
    const a = await start({ databaseUrl: database.url }, dirs[0]!);
    await copyFile(a.server.adminTokenFile, join(dirs[1]!, ADMIN_TOKEN_FILE));
    const b = await start({ databaseUrl: database.url }, dirs[1]!);
    expect(a.server.store.dialect).toBe("postgres");
    expect(a.server.signer.publishedKeySet()).toEqual(b.server.signer.publishedKeySet());
    const rings = await a.server.store.db.selectFrom("signing_key_ring").selectAll().execute();
    expect(rings).toHaveLength(1);

    const device = await enrolledDevice(a);
    await commandSucceeds(a, device.deviceId);
    // The same device, its broker connection moved to the other server.
    await device.stop();
    const identity = device.storage.identity()!;
    await device.storage.saveIdentity({
      ...identity,
      mqttUrl: b.server.mqttUrl,
      mqttUrls: [b.server.mqttUrl],
    });
    await device.start();
    await waitUntil(
      b,
      () => b.server.gateway.isOnline(device.deviceId),
      "the device online at the second server",
    );
    await commandSucceeds(b, device.deviceId);

    const pinned = keysPinned(device, 2);
    const rotated = await rotate(a);
    expect(rotated.stdout, rotated.stderr).toContain("key ring version 2");
    await waitUntil(a, () => a.server.signer.version === 2, "the first server on ring 2");
    await waitUntil(b, () => b.server.signer.version === 2, "the second server on ring 2");
    expect(a.server.signer.publishedKeySet()).toEqual(b.server.signer.publishedKeySet());
    await pinned;
    await commandSucceeds(b, device.deviceId);
  });
});
