/**
 * The command-signing key ring in PostgreSQL databases the test makes itself, with real servers,
 * the admin command as its own process and real agents:
 *
 * - `migrate-store` from a data dir from before (its ring in `signing-keys.json`) takes the
 *   file's ring into PostgreSQL, where a node with a data dir of its own signs with it;
 * - two servers on one PostgreSQL database, each with a data dir of its own, sign with the same
 *   ring: a device enrolled through one obeys the other, and a rotation reaches both.
 */
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN_FILE } from "../../server/admins/bootstrap.js";
import { SIGNING_KEYS_FILE } from "../../server/signing/key-ring-file.js";
import { keysPinned, waitUntil } from "../helpers/devices.js";
import { freePort } from "../helpers/server-process.js";
import {
  admin,
  cleanups,
  commandSucceeds,
  dataDirs,
  enrolledDevice,
  rotate,
  start,
} from "../helpers/signing-keys.js";
import { newPostgresDatabase } from "../helpers/stores.js";
import { makeDataDir } from "../helpers/test-server.js";

describe("on PostgreSQL databases of the test's own", () => {
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
