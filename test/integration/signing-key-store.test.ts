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
 *
 * Both run on whichever store the project's servers use. `migrate-store` of the ring and two
 * servers on one ring, on PostgreSQL databases of their own: signing-key-store-postgres.test.ts.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SIGNING_KEYS_FILE } from "../../server/signing/key-ring-file.js";
import { keysPinned, reportedKeys, waitUntil } from "../helpers/devices.js";
import { freePort } from "../helpers/server-process.js";
import {
  commandSucceeds,
  dataDirs,
  enrolledDevice,
  recordingLogger,
  rotate,
  start,
} from "../helpers/signing-keys.js";
import { makeDataDir } from "../helpers/test-server.js";

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
