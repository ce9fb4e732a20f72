/**
 * Which ring a server signs with, on every store backend: the store's; a data dir's
 * `signing-keys.json` from before imported into a store that has none (same keys, same
 * version; logged once, the file left as it was); a new ring when there is neither, one ring
 * however many nodes start at once; a stored ring that cannot be read stops the start; and a
 * running node's signer follows a rotation written through another connection.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { SIGNING_KEYS_FILE, signingKeysFile } from "../../../server/signing/key-ring-file.js";
import { loadOrCreateSigningKeys } from "../../../server/signing/load-signing-keys.js";
import { SharedCommandSigner } from "../../../server/signing/shared-signer.js";
import {
  encodeSigningKeyRing,
  newSigningKeyRing,
  rotatedSigningKeyRing,
  type SigningKeyRing,
  SigningKeyRingError,
  sameSigningKeyRing,
} from "../../../server/signing/signing-keys.js";
import { SigningKeyRingConflict, StoredKeyRing } from "../../../server/signing/stored-key-ring.js";
import type { StoreDialect } from "../../../server/store/store.js";
import { storesOverOneDatabase } from "../../helpers/shared-database.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

const NODES = 5;

/** A logger whose lines the test reads. */
function recordingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines, messages: () => lines.map((l) => l.msg) };
}

const keyIds = (ring: SigningKeyRing) => [ring.version, ring.active.keyId, ring.next.keyId];

const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pmdm-ring-dir-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe.each(STORE_BACKENDS)("the signing key ring at start, on %s", (dialect: StoreDialect) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(dialect);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("is created in the store when there is none, and the same at the next start; no file is written", async () => {
    const dir = await dataDir();
    const log = recordingLogger();
    const first = await loadOrCreateSigningKeys({ store: t.store, dataDir: dir, logger: log.logger });
    expect(first.version).toBe(1);
    expect(log.messages()).toEqual(["created the command-signing key ring in the store"]);
    const stored = await new StoredKeyRing(t.store).read();
    expect(stored && keyIds(stored)).toEqual(keyIds(first));
    // Another node, with a data dir of its own: the store's ring.
    const again = await loadOrCreateSigningKeys({
      store: t.store,
      dataDir: await dataDir(),
      logger: log.logger,
    });
    expect(keyIds(again)).toEqual(keyIds(first));
    expect(log.lines).toHaveLength(1);
    await expect(readFile(signingKeysFile(dir))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("imports a data dir's signing-keys.json from before: same keys and version, logged once, the file left as it was", async () => {
    const dir = await dataDir();
    const fromBefore = rotatedSigningKeyRing(rotatedSigningKeyRing(newSigningKeyRing()));
    const fileText = encodeSigningKeyRing(fromBefore);
    await writeFile(join(dir, SIGNING_KEYS_FILE), fileText, { mode: 0o600 });
    const log = recordingLogger();

    const loaded = await loadOrCreateSigningKeys({ store: t.store, dataDir: dir, logger: log.logger });
    expect(keyIds(loaded)).toEqual(keyIds(fromBefore));
    expect(loaded.version).toBe(3);
    const stored = await new StoredKeyRing(t.store).read();
    expect(stored && keyIds(stored)).toEqual(keyIds(fromBefore));
    expect(log.lines).toHaveLength(1);
    expect(log.messages()[0]).toContain("imported the data dir's key ring into the store");
    expect(log.messages()[0]).toContain("is no longer used (it is left in place)");

    // The next start reads the store and says nothing of the file, which is as it was.
    const again = await loadOrCreateSigningKeys({ store: t.store, dataDir: dir, logger: log.logger });
    expect(keyIds(again)).toEqual(keyIds(fromBefore));
    expect(log.lines).toHaveLength(1);
    expect(await readFile(join(dir, SIGNING_KEYS_FILE), "utf8")).toBe(fileText);

    // Once the store's ring has rotated, the file is older still: nothing to say either.
    const keys = new StoredKeyRing(t.store);
    await keys.replace(t.store.db, fromBefore, rotatedSigningKeyRing(fromBefore), 1);
    expect(
      (await loadOrCreateSigningKeys({ store: t.store, dataDir: dir, logger: log.logger })).version,
    ).toBe(4);
    expect(log.lines).toHaveLength(1);
  });

  it("uses the store's ring over a data dir file with other keys, and warns of that file", async () => {
    const storeRing = await new StoredKeyRing(t.store).storeFirst(newSigningKeyRing(), 1);
    const dir = await dataDir();
    await writeFile(join(dir, SIGNING_KEYS_FILE), encodeSigningKeyRing(newSigningKeyRing()));
    const log = recordingLogger();
    const loaded = await loadOrCreateSigningKeys({ store: t.store, dataDir: dir, logger: log.logger });
    expect(keyIds(loaded)).toEqual(keyIds(storeRing));
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 40 });
    expect(log.messages()[0]).toContain("holds other keys than the store's key ring");
  });

  it("stops the start when the store's ring cannot be read, and does not fall back to the file", async () => {
    const dir = await dataDir();
    await writeFile(join(dir, SIGNING_KEYS_FILE), encodeSigningKeyRing(newSigningKeyRing()));
    const stored = JSON.parse(encodeSigningKeyRing(newSigningKeyRing()));
    stored.active.keyId = "ed25519:0000000000000000";
    await t.store.db
      .insertInto("signing_key_ring")
      .values({ id: 1, version: 1, ring_json: JSON.stringify(stored), updated_at: 1 })
      .execute();
    const start = loadOrCreateSigningKeys({ store: t.store, dataDir: dir, logger: recordingLogger().logger });
    await expect(start).rejects.toBeInstanceOf(SigningKeyRingError);
    await expect(start).rejects.toThrow(
      /the store's signing key ring \(table signing_key_ring\): the active key's id/,
    );

    await t.store.db.updateTable("signing_key_ring").set({ ring_json: "{}" }).execute();
    await expect(
      loadOrCreateSigningKeys({ store: t.store, dataDir: dir, logger: recordingLogger().logger }),
    ).rejects.toThrow(/signing_key_ring\): expected \{version, active, next\}/);
  });

  it("stops the start when the data dir's file cannot be read and the store has no ring", async () => {
    const dir = await dataDir();
    await writeFile(join(dir, SIGNING_KEYS_FILE), "{ not json");
    await expect(
      loadOrCreateSigningKeys({ store: t.store, dataDir: dir, logger: recordingLogger().logger }),
    ).rejects.toThrow(signingKeysFile(dir));
    expect(await new StoredKeyRing(t.store).version()).toBeNull();
  });

  it("refuses a rotation from a ring that is no longer the stored one, changing nothing", async () => {
    const keys = new StoredKeyRing(t.store);
    const first = await keys.storeFirst(newSigningKeyRing(), 1);
    const winner = rotatedSigningKeyRing(first);
    await keys.replace(t.store.db, first, winner, 2);
    const late = keys.replace(t.store.db, first, rotatedSigningKeyRing(first), 3);
    await expect(late).rejects.toBeInstanceOf(SigningKeyRingConflict);
    await expect(late).rejects.toThrow(
      /it was version 1, it is now version 2 \(another rotation came first\)/,
    );
    const stored = await keys.read();
    expect(stored && sameSigningKeyRing(stored, winner)).toBe(true);
  });
});

describe.each(STORE_BACKENDS)("nodes sharing one %s store", (dialect: StoreDialect) => {
  it("end with one ring when they all start at once on an empty store, each with its own data dir", async () => {
    const nodes = await storesOverOneDatabase(dialect, NODES);
    try {
      const dataDirs = await Promise.all(nodes.stores.map(() => dataDir()));
      // One of them from before, with a file: whichever stores first, all sign with one ring.
      await writeFile(join(dataDirs[2]!, SIGNING_KEYS_FILE), encodeSigningKeyRing(newSigningKeyRing()));
      const loaded = await Promise.all(
        nodes.stores.map((store, i) =>
          loadOrCreateSigningKeys({ store, dataDir: dataDirs[i]!, logger: recordingLogger().logger }),
        ),
      );
      for (const ring of loaded) expect(keyIds(ring)).toEqual(keyIds(loaded[0]!));
      const rows = await nodes.stores[0]!.db.selectFrom("signing_key_ring").selectAll().execute();
      expect(rows).toHaveLength(1);
    } finally {
      await nodes.cleanup();
    }
  });

  it("follow a rotation another process writes: the signer switches and the server's hook runs once", async () => {
    const nodes = await storesOverOneDatabase(dialect, 2);
    try {
      const [node, cli] = nodes.stores as [(typeof nodes.stores)[0], (typeof nodes.stores)[0]];
      const log = recordingLogger();
      const first = await loadOrCreateSigningKeys({
        store: node,
        dataDir: await dataDir(),
        logger: log.logger,
      });
      const signer = new SharedCommandSigner(first, { keys: new StoredKeyRing(node), logger: log.logger });
      let rotations = 0;
      signer.follow(async () => {
        rotations++;
      });
      try {
        expect(await signer.look()).toBe(false);
        const keys = new StoredKeyRing(cli);
        const rotated = rotatedSigningKeyRing(first);
        await keys.replace(cli.db, first, rotated, 2);
        expect(await signer.look()).toBe(true);
        expect(signer.version).toBe(2);
        expect(signer.activeKeyId).toBe(first.next.keyId);
        expect(signer.publishedKeySet().keys.map((k) => k.keyId)).toEqual([
          rotated.active.keyId,
          rotated.next.keyId,
        ]);
        expect(await signer.look()).toBe(false);
        expect(rotations).toBe(1);

        // A ring that cannot be read: still signing with the one in use, said once.
        await cli.db.updateTable("signing_key_ring").set({ version: 3, ring_json: "{}" }).execute();
        expect(await signer.look()).toBe(false);
        expect(await signer.look()).toBe(false);
        expect(signer.version).toBe(2);
        expect(log.messages().filter((m) => m.includes("cannot be read"))).toHaveLength(1);
        expect(rotations).toBe(1);
      } finally {
        await signer.stop();
      }
    } finally {
      await nodes.cleanup();
    }
  });
});
