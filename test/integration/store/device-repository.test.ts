/**
 * The device repository, the same on every store backend (see test/helpers/stores.ts): the
 * enrollment guards (a taken serial, a record changed since it was read, a deactivated device
 * that never comes back, also when two units race on PostgreSQL), statuses as conditional
 * updates, credentials, the deny list, desired config versions and command seqs counted in
 * place under units that really overlap, presence and reports written in bulk, and the list:
 * every order both ways walked page by page against a sort done here, every filter with its
 * count, the console's counts and the clock drift queries.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TimeSettings } from "../../../proto/wire.js";
import {
  DEVICE_SORT_KEYS,
  DEVICE_STATUSES,
  type DeviceSort,
  type DeviceSortKey,
  type DeviceStatus,
  type ReportedView,
} from "../../../server/devices/device.js";
import { dialectOf } from "../../../server/store/dialect.js";
import {
  type DeviceKeyset,
  type DeviceRecord,
  type DeviceRecordFilter,
  type DeviceReport,
  DeviceRepository,
  type NewDevice,
} from "../../../server/store/repositories/device-repository.js";
import type { Queryable, Store, StoreDialect } from "../../../server/store/store.js";
import { seededRandom } from "../../../simulator/random.js";
import { openStoreWithPool, secondWaitsForFirst, unitsAtOnce } from "../../helpers/concurrent-units.js";
import { recordStatements } from "../../helpers/statements.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

const UTC: TimeSettings = { timezone: "UTC", ntpServer: null };

const reportedView = (over: Partial<ReportedView> = {}): ReportedView => ({
  name: "Lobby",
  locked: false,
  timezone: "UTC",
  timezoneAutomatic: false,
  ntpServer: null,
  clockOffsetMs: 0,
  lastTimeSyncAt: null,
  timeSyncError: null,
  bootTime: "2024-01-01T00:00:00.000Z",
  agentVersion: "1.0.0",
  appliedConfigVersion: 1,
  signingKeysVersion: 1,
  configError: null,
  telemetry: null,
  reportedAt: "2024-01-01T00:00:00.000Z",
  ...over,
});

const newDevice = (id: string, over: Partial<NewDevice> = {}): NewDevice => ({
  id,
  serial: `SN-${id}`,
  model: "kiosk",
  name: `Display ${id}`,
  atMs: 1_000,
  desiredTime: UTC,
  ...over,
});

/** The raw columns of a device that the repository never hands out. */
async function rawDevice(q: Queryable, id: string) {
  return q
    .selectFrom("devices")
    .select([
      "next_seq",
      "desired_version",
      "reported_json",
      "reported_locked",
      "reported_timezone",
      "reported_clock_offset_ms",
      "reported_clock_measured",
      "reported_agent_version",
      "reported_applied_config_version",
    ])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

/** A flag column as a boolean (SQLite keeps 0/1); null stays null. */
const flag = (value: unknown) => (value === null ? null : Boolean(value));

/** Everything in a random order of its own, so that no two units lock rows in the same order. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Units some tests hold open at once; the PostgreSQL pool of their store is wider. */
const UNITS_AT_ONCE = 20;

/** The server node the presence below is written as. */
const NODE = "node-test";

describe.each(STORE_BACKENDS)("device repository on %s", (dialect: StoreDialect) => {
  let t: TestStore;
  let store: Store;
  let repo: DeviceRepository;
  beforeAll(async () => {
    t = await openStoreWithPool(dialect, UNITS_AT_ONCE + 5);
    store = t.store;
    repo = new DeviceRepository(dialectOf(dialect));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const insert = (id: string, over: Partial<NewDevice> = {}, q: Queryable = store.db) =>
    repo.insertDevice(q, newDevice(id, over));

  describe("enrollment", () => {
    it("inserts an active device and reads it back by id and by serial, its flags as booleans", async () => {
      expect(
        await insert("dev_new", {
          atMs: 1_234,
          desiredTime: { timezone: "Europe/Berlin", ntpServer: "ntp.test" },
        }),
      ).toBe(true);
      const expected: DeviceRecord = {
        id: "dev_new",
        serial: "SN-dev_new",
        model: "kiosk",
        name: "Display dev_new",
        status: "active",
        online: false,
        lastSeenAtMs: null,
        connectedNode: null,
        enrolledAtMs: 1_234,
        createdAtMs: 1_234,
        desiredVersion: 1,
        desiredName: "Display dev_new",
        desiredTimezone: "Europe/Berlin",
        desiredNtpServer: "ntp.test",
        reported: null,
        reportedAtMs: null,
        labels: [],
        site: null,
        desiredTimeSource: "global",
      };
      expect(await repo.deviceById(store.db, "dev_new")).toEqual(expected);
      expect(await repo.deviceBySerial(store.db, "SN-dev_new")).toEqual(expected);
      expect(await repo.deviceById(store.db, "dev_nobody")).toBeNull();
      expect(await repo.deviceBySerial(store.db, "SN-nobody")).toBeNull();
    });

    it("refuses a second device with a serial that is taken, and keeps the first", async () => {
      expect(await insert("dev_first", { serial: "SN-TAKEN" })).toBe(true);
      expect(await insert("dev_second", { serial: "SN-TAKEN", model: "other" })).toBe(false);
      expect(await repo.deviceById(store.db, "dev_second")).toBeNull();
      expect(await repo.deviceBySerial(store.db, "SN-TAKEN")).toMatchObject({
        id: "dev_first",
        model: "kiosk",
      });
    });

    it("leaves one device when two units insert one new serial at once", async () => {
      const [first, second] = await secondWaitsForFirst(
        store,
        (tx) => insert("dev_race_a", { serial: "SN-RACE" }, tx),
        (tx) => insert("dev_race_b", { serial: "SN-RACE" }, tx),
      );
      expect([first, second]).toEqual([true, false]);
      const rows = await store.db
        .selectFrom("devices")
        .select("id")
        .where("serial", "=", "SN-RACE")
        .execute();
      expect(rows).toEqual([{ id: "dev_race_a" }]);
    });

    it("re-enrolls a known device only while its record is as it was read", async () => {
      await insert("dev_back", { atMs: 1_000 });
      await repo.setStatus(store.db, ["dev_back"], "reset");
      const seen = (await repo.deviceById(store.db, "dev_back"))!;
      expect(await repo.reenroll(store.db, seen, { model: "kiosk-2", atMs: 5_000 })).toBe(true);
      expect(await repo.deviceById(store.db, "dev_back")).toMatchObject({
        status: "active",
        model: "kiosk-2",
        enrolledAtMs: 5_000,
        createdAtMs: 1_000,
      });
      // The same read again: its status and enrollment time are no longer what the record holds.
      expect(await repo.reenroll(store.db, seen, { model: "kiosk-3", atMs: 6_000 })).toBe(false);
      // The status as it is but another enrollment time: someone enrolled it in between.
      expect(
        await repo.reenroll(
          store.db,
          { ...seen, status: "active", enrolledAtMs: 4_999 },
          { model: "x", atMs: 7_000 },
        ),
      ).toBe(false);
      expect(await repo.reenroll(store.db, { ...seen, id: "dev_nobody" }, { model: "x", atMs: 7_000 })).toBe(
        false,
      );
      expect(await repo.deviceById(store.db, "dev_back")).toMatchObject({
        model: "kiosk-2",
        enrolledAtMs: 5_000,
      });
    });

    it("lets one of two units re-enroll the record both read", async () => {
      await insert("dev_twice", { atMs: 1_000 });
      await repo.setStatus(store.db, ["dev_twice"], "unmanaged");
      const seen = (await repo.deviceById(store.db, "dev_twice"))!;
      const [first, second] = await secondWaitsForFirst(
        store,
        (tx) => repo.reenroll(tx, seen, { model: "first", atMs: 2_000 }),
        (tx) => repo.reenroll(tx, seen, { model: "second", atMs: 3_000 }),
      );
      expect([first, second]).toEqual([true, false]);
      expect(await repo.deviceById(store.db, "dev_twice")).toMatchObject({
        status: "active",
        model: "first",
        enrolledAtMs: 2_000,
      });
    });

    it("never brings a deactivated device back", async () => {
      await insert("dev_gone", { serial: "SN-GONE" });
      const beforeDeactivation = (await repo.deviceById(store.db, "dev_gone"))!;
      expect(await repo.setStatus(store.db, ["dev_gone"], "deactivated")).toBe(1);
      const deactivated = (await repo.deviceById(store.db, "dev_gone"))!;
      expect(deactivated.status).toBe("deactivated");
      expect(await repo.reenroll(store.db, deactivated, { model: "x", atMs: 9_000 })).toBe(false);
      expect(await repo.reenroll(store.db, beforeDeactivation, { model: "x", atMs: 9_000 })).toBe(false);
      for (const status of DEVICE_STATUSES) {
        expect(await repo.setStatus(store.db, ["dev_gone"], status)).toBe(0);
      }
      expect(await insert("dev_gone_again", { serial: "SN-GONE" })).toBe(false);
      expect(await repo.deviceBySerial(store.db, "SN-GONE")).toEqual(deactivated);
    });

    it("keeps a device deactivated when a re-enrollment of an earlier read races the deactivation", async () => {
      await insert("dev_raced", { serial: "SN-RACED" });
      await repo.setStatus(store.db, ["dev_raced"], "reset");
      const seen = (await repo.deviceById(store.db, "dev_raced"))!;
      const [deactivated, reenrolled] = await secondWaitsForFirst(
        store,
        (tx) => repo.setStatus(tx, ["dev_raced"], "deactivated"),
        (tx) => repo.reenroll(tx, seen, { model: "x", atMs: 9_000 }),
      );
      expect([deactivated, reenrolled]).toEqual([1, false]);
      expect((await repo.deviceById(store.db, "dev_raced"))!.status).toBe("deactivated");

      // The other way round: the re-enrollment commits first, and the deactivation still applies.
      await insert("dev_raced_2", { serial: "SN-RACED-2" });
      await repo.setStatus(store.db, ["dev_raced_2"], "reset");
      const seen2 = (await repo.deviceById(store.db, "dev_raced_2"))!;
      const [reenrolled2, deactivated2] = await secondWaitsForFirst(
        store,
        (tx) => repo.reenroll(tx, seen2, { model: "x", atMs: 9_000 }),
        (tx) => repo.setStatus(tx, ["dev_raced_2"], "deactivated"),
      );
      expect([reenrolled2, deactivated2]).toEqual([true, 1]);
      expect((await repo.deviceById(store.db, "dev_raced_2"))!.status).toBe("deactivated");
    });
  });

  describe("status", () => {
    it("changes the status of those of the devices not deactivated, and counts only those", async () => {
      for (const id of ["dev_st_a", "dev_st_b", "dev_st_c"]) await insert(id);
      await repo.setStatus(store.db, ["dev_st_b"], "reset");
      await repo.setStatus(store.db, ["dev_st_c"], "deactivated");
      expect(
        await repo.setStatus(store.db, ["dev_st_a", "dev_st_b", "dev_st_c", "dev_nobody"], "unmanaged"),
      ).toBe(2);
      const statuses = await Promise.all(
        ["dev_st_a", "dev_st_b", "dev_st_c"].map(async (id) => (await repo.deviceById(store.db, id))!.status),
      );
      expect(statuses).toEqual(["unmanaged", "unmanaged", "deactivated"]);
      expect(await repo.setStatus(store.db, [], "active")).toBe(0);
    });

    it("lets a status change that waited for a deactivation find the device deactivated", async () => {
      await insert("dev_st_race");
      const [deactivated, changed] = await secondWaitsForFirst(
        store,
        (tx) => repo.setStatus(tx, ["dev_st_race"], "deactivated"),
        (tx) => repo.setStatus(tx, ["dev_st_race"], "active"),
      );
      expect([deactivated, changed]).toEqual([1, 0]);
      expect((await repo.deviceById(store.db, "dev_st_race"))!.status).toBe("deactivated");
    });
  });

  describe("credentials and the deny list", () => {
    it("creates, replaces, renews and deletes a device's one credential", async () => {
      await insert("dev_cred");
      await insert("dev_nocred");
      const createdAt = async (id: string) =>
        (
          await store.db
            .selectFrom("device_credentials")
            .select("created_at")
            .where("device_id", "=", id)
            .executeTakeFirst()
        )?.created_at;

      await repo.setCredential(store.db, "dev_cred", "hash-1", 10);
      expect(await repo.credentialHashes(store.db, ["dev_cred"])).toEqual(new Map([["dev_cred", "hash-1"]]));
      await repo.setCredential(store.db, "dev_cred", "hash-2", 20);
      expect(await repo.credentialHashes(store.db, ["dev_cred"])).toEqual(new Map([["dev_cred", "hash-2"]]));
      expect(Number(await createdAt("dev_cred"))).toBe(20);

      expect(await repo.renewCredential(store.db, "dev_cred", "hash-3", 30)).toBe(true);
      expect(Number(await createdAt("dev_cred"))).toBe(30);
      // Renewing creates nothing.
      expect(await repo.renewCredential(store.db, "dev_nocred", "hash-x", 30)).toBe(false);
      expect(await repo.credentialHashes(store.db, ["dev_cred", "dev_nocred"])).toEqual(
        new Map([["dev_cred", "hash-3"]]),
      );

      await repo.deleteCredential(store.db, "dev_cred");
      expect(await repo.credentialHashes(store.db, ["dev_cred"])).toEqual(new Map());
      expect(await repo.renewCredential(store.db, "dev_cred", "hash-4", 40)).toBe(false);
      await repo.deleteCredential(store.db, "dev_cred");
    });

    it("reads the hashes of many devices in one statement, only of those that have one", async () => {
      const ids = Array.from({ length: 40 }, (_, i) => `dev_bulk_cred_${String(i).padStart(2, "0")}`);
      await store.unit(async (tx) => {
        for (const id of ids) await insert(id, {}, tx);
        for (const id of ids.filter((_, i) => i % 3 !== 0)) await repo.setCredential(tx, id, `h-${id}`, 1);
      });
      const recorder = recordStatements(store.db);
      const hashes = await repo.credentialHashes(store.db, [...ids, "dev_nobody"]);
      recorder.stop();
      expect(recorder.statements).toHaveLength(1);
      expect(recorder.statements[0]!.parameters).toHaveLength(1);
      expect(hashes).toEqual(new Map(ids.filter((_, i) => i % 3 !== 0).map((id) => [id, `h-${id}`])));
      expect(await repo.credentialHashes(store.db, [])).toEqual(new Map());
    });

    it("denies the serials of devices for good, keeping the first entry of a serial", async () => {
      await insert("dev_deny_a", { serial: "SN-DENY-A" });
      await insert("dev_deny_b", { serial: "SN-DENY-B" });
      expect(await repo.isSerialDenied(store.db, "SN-DENY-A")).toBe(false);
      await repo.denySerialsOf(store.db, ["dev_deny_a", "dev_deny_b", "dev_nobody"], 100);
      await repo.denySerialsOf(store.db, ["dev_deny_a"], 200);
      await repo.denySerialsOf(store.db, [], 300);
      expect(await repo.isSerialDenied(store.db, "SN-DENY-A")).toBe(true);
      expect(await repo.isSerialDenied(store.db, "SN-DENY-B")).toBe(true);
      expect(await repo.isSerialDenied(store.db, "SN-deny-a")).toBe(false);
      const rows = await store.db
        .selectFrom("denied_serials")
        .selectAll()
        .where("serial", "like", "SN-DENY-%")
        .orderBy("serial")
        .execute();
      expect(rows.map((r) => ({ ...r, denied_at: Number(r.denied_at) }))).toEqual([
        { serial: "SN-DENY-A", device_id: "dev_deny_a", denied_at: 100 },
        { serial: "SN-DENY-B", device_id: "dev_deny_b", denied_at: 100 },
      ]);
    });
  });

  describe("desired config and command seqs", () => {
    it("moves the desired version on with each change of name or time", async () => {
      await insert("dev_cfg", { name: "Old" });
      await repo.setDesiredName(store.db, "dev_cfg", "New name");
      expect(await repo.deviceById(store.db, "dev_cfg")).toMatchObject({
        name: "New name",
        desiredName: "New name",
        desiredVersion: 2,
      });
      await repo.setDesiredTime(store.db, "dev_cfg", { timezone: "Asia/Kolkata", ntpServer: "10.0.0.5" });
      expect(await repo.configsByIds(store.db, ["dev_cfg", "dev_nobody"])).toEqual(
        new Map([
          [
            "dev_cfg",
            {
              id: "dev_cfg",
              status: "active",
              desiredVersion: 3,
              desiredName: "New name",
              desiredTimezone: "Asia/Kolkata",
              desiredNtpServer: "10.0.0.5",
            },
          ],
        ]),
      );
      expect(await repo.configsByIds(store.db, [])).toEqual(new Map());
    });

    it("sets the time of every managed device and leaves deactivated ones as they were", async () => {
      const byStatus = Object.fromEntries(DEVICE_STATUSES.map((s) => [s, `dev_managed_${s}`])) as Record<
        DeviceStatus,
        string
      >;
      for (const [status, id] of Object.entries(byStatus)) {
        await insert(id);
        await repo.setStatus(store.db, [id], status as DeviceStatus);
      }
      const versions = async () =>
        new Map(
          [...(await repo.configsByIds(store.db, Object.values(byStatus))).values()].map((c) => [c.id, c]),
        );
      const before = await versions();
      const berlin: TimeSettings = { timezone: "Europe/Berlin", ntpServer: "ntp.example.com" };
      await repo.setDesiredTimeOfManaged(store.db, berlin);
      const after = await versions();
      for (const [status, id] of Object.entries(byStatus)) {
        if (status === "deactivated") {
          expect(after.get(id)).toEqual(before.get(id));
        } else {
          expect(after.get(id)).toMatchObject({
            desiredVersion: before.get(id)!.desiredVersion + 1,
            desiredTimezone: "Europe/Berlin",
            desiredNtpServer: "ntp.example.com",
          });
        }
      }
    });

    it("counts every change of the desired config from units that overlap", async () => {
      await insert("dev_cfg_race");
      const run = await unitsAtOnce(store, UNITS_AT_ONCE, async (tx, i) => {
        if (i % 2 === 0) await repo.setDesiredName(tx, "dev_cfg_race", `name ${i}`);
        else
          await repo.setDesiredTime(tx, "dev_cfg_race", { timezone: `Etc/GMT+${i % 12}`, ntpServer: null });
      });
      expect(run.mostOpenAtOnce).toBe(dialect === "postgres" ? UNITS_AT_ONCE : 1);
      expect((await repo.deviceById(store.db, "dev_cfg_race"))!.desiredVersion).toBe(1 + UNITS_AT_ONCE);
    });

    it("takes each device's next seqs one after another", async () => {
      await insert("dev_seq_a");
      await insert("dev_seq_b");
      expect(await repo.takeSeqs(store.db, ["dev_seq_a", "dev_seq_b", "dev_nobody"])).toEqual(
        new Map([
          ["dev_seq_a", 1],
          ["dev_seq_b", 1],
        ]),
      );
      expect(await repo.takeSeqs(store.db, ["dev_seq_a"])).toEqual(new Map([["dev_seq_a", 2]]));
      expect(await repo.takeSeqs(store.db, ["dev_seq_b", "dev_seq_a"])).toEqual(
        new Map([
          ["dev_seq_a", 3],
          ["dev_seq_b", 2],
        ]),
      );
      expect(await repo.takeSeqs(store.db, [])).toEqual(new Map());
      expect(Number((await rawDevice(store.db, "dev_seq_a")).next_seq)).toBe(4);
    });

    it("takes seqs of active devices only when asked, checked by the statement that takes them", async () => {
      await insert("dev_seq_active");
      await insert("dev_seq_reset");
      await repo.setStatus(store.db, ["dev_seq_reset"], "reset");
      expect(
        await repo.takeSeqs(store.db, ["dev_seq_active", "dev_seq_reset", "dev_nobody"], {
          onlyActive: true,
        }),
      ).toEqual(new Map([["dev_seq_active", 1]]));
      expect(Number((await rawDevice(store.db, "dev_seq_reset")).next_seq)).toBe(1);
      // Without the check every device found takes one.
      expect(await repo.takeSeqs(store.db, ["dev_seq_reset"])).toEqual(new Map([["dev_seq_reset", 1]]));
    });

    it("gives units that take seqs of the same devices at once distinct, contiguous seqs", async () => {
      const ids = Array.from({ length: 50 }, (_, i) => `dev_seqs_${String(i).padStart(2, "0")}`);
      await store.unit(async (tx) => {
        for (const id of ids) await insert(id, {}, tx);
      });
      const random = seededRandom(7);
      const orders = Array.from({ length: UNITS_AT_ONCE }, () => shuffled(ids, random));
      const run = await unitsAtOnce(store, UNITS_AT_ONCE, (tx, i) => repo.takeSeqs(tx, orders[i]!));
      expect(run.mostOpenAtOnce).toBe(dialect === "postgres" ? UNITS_AT_ONCE : 1);
      expect(run.attempts, "units run again after losing a deadlock").toBe(UNITS_AT_ONCE);
      const everySeq = Array.from({ length: UNITS_AT_ONCE }, (_, i) => i + 1);
      for (const id of ids) {
        const taken = run.results.map((seqs) => seqs.get(id));
        expect(
          [...taken].sort((a, b) => a! - b!),
          id,
        ).toEqual(everySeq);
        expect(Number((await rawDevice(store.db, id)).next_seq), id).toBe(UNITS_AT_ONCE + 1);
      }
      for (const seqs of run.results) expect(seqs.size).toBe(ids.length);
    });

    it("keeps seqs distinct and contiguous when overlapping units take them for different sets of devices", async () => {
      // Overlapping sets of rows, each locked in whatever order its statement meets them, would
      // deadlock on PostgreSQL now and then: no unit may lose one (and be run again by the store).
      const ids = Array.from({ length: 50 }, (_, i) => `dev_subset_${String(i).padStart(2, "0")}`);
      await store.unit(async (tx) => {
        for (const id of ids) await insert(id, {}, tx);
      });
      const random = seededRandom(11);
      const taken = new Map<string, number[]>(ids.map((id) => [id, []]));
      for (let round = 0; round < 5; round++) {
        const sets = Array.from({ length: UNITS_AT_ONCE }, () =>
          shuffled(ids, random).slice(0, 10 + Math.floor(random() * 40)),
        );
        const run = await unitsAtOnce(store, UNITS_AT_ONCE, (tx, i) => repo.takeSeqs(tx, sets[i]!));
        expect(run.attempts, "units run again after losing a deadlock").toBe(UNITS_AT_ONCE);
        for (const [i, seqs] of run.results.entries()) {
          expect([...seqs.keys()].sort()).toEqual([...sets[i]!].sort());
          for (const [id, seq] of seqs) taken.get(id)!.push(seq);
        }
      }
      for (const [id, seqs] of taken) {
        const sorted = [...seqs].sort((a, b) => a - b);
        expect(sorted, id).toEqual(Array.from({ length: seqs.length }, (_, k) => k + 1));
        expect(Number((await rawDevice(store.db, id)).next_seq), id).toBe(seqs.length + 1);
      }
    });

    it("sweeps a gone node's devices offline while others write their presence, without a deadlock", async () => {
      // Rows stored in another order than their ids': a sweep that locked them as its scan meets
      // them would hold some rows a presence write (which locks in id order) waits for, and wait
      // for others it holds.
      const random = seededRandom(5);
      const ids = Array.from({ length: 200 }, (_, i) => `dev_sweep_${String(i).padStart(3, "0")}`);
      await store.unit(async (tx) => {
        for (const id of shuffled(ids, random)) await insert(id, {}, tx);
      });
      for (let round = 0; round < 5; round++) {
        await repo.writePresence(
          store.db,
          "node-gone",
          ids.map((deviceId) => ({ deviceId, online: true, atMs: 1000 + round })),
        );
        const sets = Array.from({ length: UNITS_AT_ONCE - 1 }, () => shuffled(ids, random).slice(0, 60));
        const run = await unitsAtOnce(store, UNITS_AT_ONCE, async (tx, i) => {
          if (i === 0) return repo.markOfflineHeldBy(tx, ["node-gone"]);
          await repo.writePresence(
            tx,
            NODE,
            sets[i - 1]!.map((deviceId) => ({ deviceId, online: true, atMs: 2000 + round })),
          );
          return [];
        });
        expect(run.attempts, "units run again after losing a deadlock").toBe(UNITS_AT_ONCE);
        // Each device is online held by this node, or offline held by nobody: never held by the
        // gone node, never offline with a holder.
        const rows = await store.db
          .selectFrom("devices")
          .select(["id", "online", "connected_node"])
          .where("id", "like", "dev_sweep_%")
          .execute();
        for (const row of rows) {
          if (row.online) expect(row.connected_node, row.id).toBe(NODE);
          else expect(row.connected_node, row.id).toBeNull();
        }
      }
    });

    it("finds when a command of some types last succeeded on a device", async () => {
      await insert("dev_cmds");
      const command = (id: string, type: string, state: "succeeded" | "failed", finishedAt: number) => ({
        id,
        device_id: "dev_cmds",
        seq: Number(id.slice(-1)),
        type,
        params_json: "{}",
        state,
        created_at: 1,
        expires_at: 2,
        updated_at: finishedAt,
        finished_at: finishedAt,
      });
      await store.db
        .insertInto("commands")
        .values([
          command("cmd_1", "reboot", "succeeded", 500),
          command("cmd_2", "reboot", "succeeded", 900),
          command("cmd_3", "lock", "succeeded", 1_200),
          command("cmd_4", "reboot", "failed", 1_500),
        ])
        .execute();
      expect(await repo.lastCommandSucceededAt(store.db, "dev_cmds", ["reboot"])).toBe(900);
      expect(await repo.lastCommandSucceededAt(store.db, "dev_cmds", ["reboot", "lock"])).toBe(1_200);
      expect(await repo.lastCommandSucceededAt(store.db, "dev_cmds", ["factory_reset"])).toBeNull();
      expect(await repo.lastCommandSucceededAt(store.db, "dev_nobody", ["reboot"])).toBeNull();
    });
  });

  describe("presence and reports", () => {
    it("writes the presence of many devices in one statement", async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `dev_presence_${String(i).padStart(2, "0")}`);
      await store.unit(async (tx) => {
        for (const id of ids) await insert(id, {}, tx);
      });
      const recorder = recordStatements(store.db);
      await repo.writePresence(store.db, NODE, [
        ...ids.map((deviceId, i) => ({ deviceId, online: i % 2 === 0, atMs: 10_000 + i })),
        { deviceId: "dev_nobody", online: true, atMs: 1 },
      ]);
      await repo.writePresence(store.db, NODE, []);
      recorder.stop();
      // On PostgreSQL the rows are locked in id order first (no deadlock between writers).
      const writes = recorder.statements.slice(dialect === "postgres" ? 1 : 0);
      expect(recorder.statements).toHaveLength(dialect === "postgres" ? 2 : 1);
      // The rows as one JSON parameter, whatever their number, and the node's id.
      expect(writes[0]!.parameters).toHaveLength(3);
      for (const [i, id] of ids.entries()) {
        const device = (await repo.deviceById(store.db, id))!;
        expect(device.online).toBe(i % 2 === 0);
        expect(device.lastSeenAtMs).toBe(10_000 + i);
      }
      expect(await repo.deviceById(store.db, "dev_nobody")).toBeNull();
    });

    it("writes many reports in one statement, the list's columns in step with reported_json", async () => {
      const ids = Array.from({ length: 12 }, (_, i) => `dev_report_${String(i).padStart(2, "0")}`);
      await store.unit(async (tx) => {
        for (const id of ids) await insert(id, {}, tx);
      });
      const reports: DeviceReport[] = ids.map((deviceId, i) => ({
        deviceId,
        atMs: 20_000 + i,
        reported: reportedView({
          name: `It's "${i}"`,
          locked: i % 2 === 0,
          timezone: ["UTC", "Asia/Kolkata", "America/St_Johns"][i % 3]!,
          clockOffsetMs: [0, -1_500, 2 ** 40, -(2 ** 40)][i % 4]!,
          lastTimeSyncAt: i % 3 === 0 ? null : "2024-05-01T10:00:00.000Z",
          agentVersion: `1.${i}.0`,
          appliedConfigVersion: i,
          configError: i === 5 ? { version: 6, message: "time zone 'Mars/Olympus' is not installed" } : null,
          telemetry:
            i === 7
              ? {
                  cpuLoadPercent: 12.5,
                  memoryTotalBytes: 8 * 2 ** 30,
                  memoryUsedBytes: 2 ** 31,
                  diskTotalBytes: 2 ** 40,
                  diskUsedBytes: 2 ** 39,
                  uptimeSeconds: 3_600,
                  os: "Debian GNU/Linux",
                  osVersion: "12",
                  batteryPercent: -1,
                  interfaces: [
                    { name: "eth0", mac: "aa:bb:cc:dd:ee:ff", addresses: ["10.0.0.7", "fe80::1"] },
                  ],
                }
              : null,
        }),
      }));
      const recorder = recordStatements(store.db);
      await repo.writeReports(store.db, [
        ...reports,
        { deviceId: "dev_nobody", atMs: 1, reported: reportedView() },
      ]);
      await repo.writeReports(store.db, []);
      recorder.stop();
      // On PostgreSQL the rows are locked in id order first (no deadlock between writers).
      expect(recorder.statements).toHaveLength(dialect === "postgres" ? 2 : 1);

      for (const report of reports) {
        const device = (await repo.deviceById(store.db, report.deviceId))!;
        expect(device.reported).toEqual(report.reported);
        expect(typeof device.reported!.locked).toBe("boolean");
        expect(device.reportedAtMs).toBe(report.atMs);
        expect(device.lastSeenAtMs).toBe(report.atMs);
        const raw = await rawDevice(store.db, report.deviceId);
        const stored = JSON.parse(raw.reported_json!) as ReportedView;
        expect(stored).toEqual(report.reported);
        expect({
          locked: flag(raw.reported_locked),
          timezone: raw.reported_timezone,
          clockOffsetMs: Number(raw.reported_clock_offset_ms),
          measured: flag(raw.reported_clock_measured),
          agentVersion: raw.reported_agent_version,
          appliedConfigVersion: Number(raw.reported_applied_config_version),
        }).toEqual({
          locked: stored.locked,
          timezone: stored.timezone,
          clockOffsetMs: stored.clockOffsetMs,
          measured: stored.lastTimeSyncAt !== null,
          agentVersion: stored.agentVersion,
          appliedConfigVersion: stored.appliedConfigVersion,
        });
      }
      // A later report replaces every column.
      const [first] = reports;
      const later = reportedView({
        locked: false,
        timezone: "Europe/Kyiv",
        clockOffsetMs: 3,
        agentVersion: "9.0.0",
      });
      await repo.writeReports(store.db, [{ deviceId: first!.deviceId, atMs: 30_000, reported: later }]);
      const raw = await rawDevice(store.db, first!.deviceId);
      expect(JSON.parse(raw.reported_json!)).toEqual(later);
      expect([
        flag(raw.reported_locked),
        raw.reported_timezone,
        Number(raw.reported_clock_offset_ms),
      ]).toEqual([false, "Europe/Kyiv", 3]);
    });

    it("writes a tick's reports and presence in one unit: rows locked once, the later time kept, offline last", async () => {
      const ids = ["dev_tick_a", "dev_tick_b", "dev_tick_c"];
      await store.unit(async (tx) => {
        for (const id of ids) await insert(id, {}, tx);
      });
      const recorder = recordStatements(store.db);
      await repo.writeDeviceRows(store.db, NODE, {
        reports: [
          { deviceId: "dev_tick_a", atMs: 60_500, reported: reportedView({ timezone: "Asia/Tokyo" }) },
          { deviceId: "dev_tick_b", atMs: 60_900, reported: reportedView({ locked: true }) },
        ],
        presences: [
          // Came online, then reported: last seen is the report's time.
          { deviceId: "dev_tick_a", online: true, atMs: 60_000 },
          // Reported, then went offline in the same tick: offline, seen at the disconnect.
          { deviceId: "dev_tick_b", online: false, atMs: 61_000 },
          { deviceId: "dev_tick_c", online: true, atMs: 62_000 },
        ],
      });
      recorder.stop();
      // One statement per kind, and on PostgreSQL one lock of every row, in id order, first.
      const statements = recorder.statements.map((st) => st.sql.trimStart().slice(0, 6).toLowerCase());
      expect(statements).toEqual(
        dialect === "postgres" ? ["select", "update", "update"] : ["update", "update"],
      );
      expect(await repo.deviceById(store.db, "dev_tick_a")).toMatchObject({
        online: true,
        lastSeenAtMs: 60_500,
        reportedAtMs: 60_500,
        reported: { timezone: "Asia/Tokyo" },
      });
      expect(await repo.deviceById(store.db, "dev_tick_b")).toMatchObject({
        online: false,
        lastSeenAtMs: 61_000,
        reported: { locked: true },
      });
      expect(await repo.deviceById(store.db, "dev_tick_c")).toMatchObject({
        online: true,
        lastSeenAtMs: 62_000,
      });
      expect((await repo.heldByOtherNodes(store.db, ids, "node-other")).sort()).toEqual([
        "dev_tick_a",
        "dev_tick_c",
      ]);
    });

    it("marks offline the devices a node held, and at its start those nobody held, keeping last seen", async () => {
      await insert("dev_off_a");
      await insert("dev_off_b");
      await insert("dev_off_c");
      await repo.writePresence(store.db, NODE, [
        { deviceId: "dev_off_a", online: true, atMs: 40_000 },
        { deviceId: "dev_off_b", online: true, atMs: 41_000 },
      ]);
      await repo.writePresence(store.db, "node-other", [
        { deviceId: "dev_off_c", online: true, atMs: 42_000 },
      ]);
      // The store is shared by this file's tests: only this test's devices count.
      const mine = (ids: string[]) => ids.filter((id) => id.startsWith("dev_off_")).sort();
      expect(mine(await repo.markOfflineHeldBy(store.db, [NODE]))).toEqual(["dev_off_a", "dev_off_b"]);
      expect((await repo.deviceById(store.db, "dev_off_b"))!).toMatchObject({
        online: false,
        lastSeenAtMs: 41_000,
      });
      expect((await repo.deviceById(store.db, "dev_off_c"))!.online).toBe(true);
      // Online without a holder: only when asked.
      await store.db
        .updateTable("devices")
        .set({ connected_node: null })
        .where("id", "=", "dev_off_c")
        .execute();
      expect(mine(await repo.markOfflineHeldBy(store.db, [NODE]))).toEqual([]);
      expect(mine(await repo.markOfflineHeldBy(store.db, [NODE], { unheld: true }))).toEqual(["dev_off_c"]);
    });

    it("never lets a late disconnect seen by one node mark offline a device another node now holds", async () => {
      await insert("dev_moved");
      await repo.writePresence(store.db, NODE, [{ deviceId: "dev_moved", online: true, atMs: 50_000 }]);
      await repo.writePresence(store.db, "node-other", [
        { deviceId: "dev_moved", online: true, atMs: 50_100 },
      ]);
      await repo.writePresence(store.db, NODE, [{ deviceId: "dev_moved", online: false, atMs: 50_200 }]);
      const moved = await store.db
        .selectFrom("devices")
        .select(["online", "connected_node", "last_seen_at"])
        .where("id", "=", "dev_moved")
        .executeTakeFirstOrThrow();
      expect({ ...moved, online: Boolean(moved.online) }).toEqual({
        online: true,
        connected_node: "node-other",
        last_seen_at: 50_100,
      });
      await repo.writePresence(store.db, "node-other", [
        { deviceId: "dev_moved", online: false, atMs: 50_300 },
      ]);
      expect((await repo.deviceById(store.db, "dev_moved"))!).toMatchObject({
        online: false,
        lastSeenAtMs: 50_300,
      });
    });
  });
});

// ---- the list ---------------------------------------------------------------------------------

/** What a fleet device is, as the fixture below made it: what the list must show and sort by. */
interface FleetDevice {
  id: string;
  serial: string;
  model: string;
  name: string;
  status: DeviceStatus;
  online: boolean;
  lastSeenAtMs: number | null;
  enrolledAtMs: number;
  desiredVersion: number;
  desiredTimezone: string;
  desiredNtpServer: string | null;
  reported: ReportedView | null;
}

const FLEET_SIZE = 48;
const NAMES = [
  "Lobby",
  "lobby",
  "LOBBY",
  "Meeting Room 1",
  "meeting room 1",
  "Äpfel",
  "äpfel",
  "Zeta",
  "_under",
];
const MODELS = ["kiosk", "Kiosk", "panel-10", "panel-8", "Z-board"];
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Calcutta"];
const OFFSETS = [0, 500, -500, 1_000, -1_001, 1_500, -1_500, 20_000, -20_000];
const AGENTS = ["1.2.0", "1.10.0", "2.0.0"];
const SEEN_AT = [5_000, 6_000, 7_000];
const ENROLLED_AT = [1_000, 2_000, 3_000];
const SYNCED_AT = [null, "2024-05-01T10:00:00.000Z"];
const SERIAL_PREFIXES = ["SN", "sn", "A1", "zz", "Ωmega"];

/**
 * A fleet with ties in every order (names that differ only in case, shared models, zones and
 * times, clock offsets of one size either way), devices that never reported or were never seen,
 * every status, names and serials that sort differently by bytes than by letters.
 */
function fleet(): { devices: FleetDevice[]; presence: Map<string, { online: boolean; atMs: number }> } {
  const random = seededRandom(2024);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const devices: FleetDevice[] = [];
  const presence = new Map<string, { online: boolean; atMs: number }>();
  for (let i = 0; i < FLEET_SIZE; i++) {
    // Ids in another order than the devices are inserted in.
    const id = `dev_${String((i * 29) % FLEET_SIZE).padStart(3, "0")}`;
    const reported =
      random() < 0.75
        ? reportedView({
            locked: random() < 0.5,
            timezone: pick(ZONES),
            clockOffsetMs: pick(OFFSETS),
            lastTimeSyncAt: pick(SYNCED_AT),
            agentVersion: pick(AGENTS),
            appliedConfigVersion: pick([0, 1, 2, 3]),
          })
        : null;
    const reportedAt = reported ? pick(SEEN_AT) : null;
    const seen = random() < 0.5 ? { online: random() < 0.5, atMs: pick(SEEN_AT) } : null;
    if (seen) presence.set(id, seen);
    const bumps = pick([0, 0, 1, 2]);
    devices.push({
      id,
      serial: `${SERIAL_PREFIXES[i % SERIAL_PREFIXES.length]}-${String(i).padStart(3, "0")}`,
      model: pick(MODELS),
      name: i === 0 ? "100% Room" : pick(NAMES),
      status: pick(DEVICE_STATUSES),
      online: seen?.online ?? false,
      lastSeenAtMs: seen?.atMs ?? reportedAt,
      enrolledAtMs: pick(ENROLLED_AT),
      desiredVersion: 1 + bumps,
      desiredTimezone: bumps === 2 ? "Europe/Berlin" : pick(["UTC", "Europe/Berlin"]),
      desiredNtpServer: bumps === 2 ? null : pick([null, "ntp.example.com"]),
      reported: reported && { ...reported, reportedAt: new Date(reportedAt!).toISOString() },
    });
  }
  return { devices, presence };
}

const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Each order's value, as the repository documents it: text compared by bytes, never null. */
const SORT_VALUE: Record<DeviceSortKey, (d: FleetDevice) => string | number> = {
  name: (d) => asciiLower(d.name),
  serial: (d) => d.serial,
  model: (d) => d.model,
  status: (d) => d.status,
  online: (d) => (d.online ? 1 : 0),
  lastSeenAt: (d) => d.lastSeenAtMs ?? 0,
  enrolledAt: (d) => d.enrolledAtMs,
  locked: (d) => (d.reported?.locked ? 1 : 0),
  timezone: (d) => d.reported?.timezone ?? "",
  clockOffsetMs: (d) => (d.reported ? Math.abs(d.reported.clockOffsetMs) : -1),
  agentVersion: (d) => d.reported?.agentVersion ?? "",
};

/** Compares as the stores do: numbers by value, text by code point (for these texts, UTF-8 byte order). */
const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

function sortedIds(devices: readonly FleetDevice[], sort: DeviceSort | null): string[] {
  const key = sort ? SORT_VALUE[sort.by] : () => 0;
  const ascending = [...devices].sort((a, b) => compare(key(a), key(b)) || compare(a.id, b.id));
  return (sort?.descending ? ascending.reverse() : ascending).map((d) => d.id);
}

const measured = (d: FleetDevice) => d.reported !== null && d.reported.lastTimeSyncAt !== null;
const drifts = (d: FleetDevice, thresholdMs: number) =>
  measured(d) && Math.abs(d.reported!.clockOffsetMs) > thresholdMs;
const configPending = (d: FleetDevice) => (d.reported?.appliedConfigVersion ?? -1) < d.desiredVersion;

/** Each filter of the list, with what it keeps. */
const FILTERS: { label: string; filter: DeviceRecordFilter; keeps: (d: FleetDevice) => boolean }[] = [
  { label: "nothing", filter: {}, keeps: () => true },
  { label: "online", filter: { online: true }, keeps: (d) => d.online },
  { label: "offline", filter: { online: false }, keeps: (d) => !d.online },
  ...DEVICE_STATUSES.map((status) => ({
    label: `status ${status}`,
    filter: { status },
    keeps: (d: FleetDevice) => d.status === status,
  })),
  { label: "model Kiosk", filter: { model: "Kiosk" }, keeps: (d) => d.model === "Kiosk" },
  { label: "model unknown", filter: { model: "nope" }, keeps: () => false },
  {
    label: "text lobby",
    filter: { text: "lobby" },
    keeps: (d) => asciiLower(d.name).includes("lobby") || asciiLower(d.serial).includes("lobby"),
  },
  {
    label: "text SN-01 (name or serial, any case)",
    filter: { text: "SN-01" },
    keeps: (d) => asciiLower(d.serial).includes("sn-01") || asciiLower(d.name).includes("sn-01"),
  },
  { label: "text % literally", filter: { text: "0%" }, keeps: (d) => d.name.includes("0%") },
  {
    label: "text _ literally",
    filter: { text: "_" },
    keeps: (d) => d.name.includes("_") || d.serial.includes("_"),
  },
  { label: "locked", filter: { locked: true }, keeps: (d) => d.reported?.locked === true },
  { label: "unlocked", filter: { locked: false }, keeps: (d) => !d.reported?.locked },
  {
    label: "clock drift beyond 1000 ms",
    filter: { clockDrift: { exceeds: true, thresholdMs: 1_000 } },
    keeps: (d) => drifts(d, 1_000),
  },
  {
    label: "clock within 1000 ms",
    filter: { clockDrift: { exceeds: false, thresholdMs: 1_000 } },
    keeps: (d) => !drifts(d, 1_000),
  },
  {
    label: "clock drift beyond 1 ms",
    filter: { clockDrift: { exceeds: true, thresholdMs: 1 } },
    keeps: (d) => drifts(d, 1),
  },
  { label: "config pending", filter: { configPending: true }, keeps: configPending },
  { label: "config applied", filter: { configPending: false }, keeps: (d) => !configPending(d) },
  {
    label: "offline and not seen since 6000",
    filter: { offlineAndNotSeenSinceMs: 6_000 },
    keeps: (d) => !d.online && (d.lastSeenAtMs ?? 0) <= 6_000,
  },
  {
    label: "agent version 1.10.0",
    filter: { agentVersion: "1.10.0" },
    keeps: (d) => d.reported?.agentVersion === "1.10.0",
  },
  {
    label: "time zones Asia/Kolkata and Asia/Calcutta",
    filter: { timezones: ["Asia/Kolkata", "Asia/Calcutta"] },
    keeps: (d) => ["Asia/Kolkata", "Asia/Calcutta"].includes(d.reported?.timezone ?? ""),
  },
  {
    label: "active, offline and unlocked",
    filter: { status: "active", online: false, locked: false },
    keeps: (d) => d.status === "active" && !d.online && !d.reported?.locked,
  },
];

describe.each(STORE_BACKENDS)("the device list on %s", (dialect: StoreDialect) => {
  let t: TestStore;
  let repo: DeviceRepository;
  const { devices, presence } = fleet();
  beforeAll(async () => {
    t = await openTestStore(dialect);
    repo = new DeviceRepository(dialectOf(dialect));
    await t.store.unit(async (tx) => {
      for (const d of devices) {
        expect(
          await repo.insertDevice(tx, {
            id: d.id,
            serial: d.serial,
            model: d.model,
            name: d.name,
            atMs: d.enrolledAtMs,
            desiredTime: { timezone: d.desiredTimezone, ntpServer: d.desiredNtpServer },
          }),
        ).toBe(true);
        if (d.status !== "active") await repo.setStatus(tx, [d.id], d.status);
        if (d.desiredVersion >= 2) await repo.setDesiredName(tx, d.id, d.name);
        if (d.desiredVersion >= 3)
          await repo.setDesiredTime(tx, d.id, { timezone: d.desiredTimezone, ntpServer: null });
      }
      await repo.writeReports(
        tx,
        devices
          .filter((d) => d.reported)
          .map((d) => ({ deviceId: d.id, atMs: Date.parse(d.reported!.reportedAt), reported: d.reported! })),
      );
      await repo.writePresence(
        tx,
        NODE,
        [...presence].map(([deviceId, seen]) => ({ deviceId, ...seen })),
      );
    });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  /** Every page of a listing, in order, checking each page's cursor on the way. */
  async function walk(filter: DeviceRecordFilter, sort: DeviceSort | null, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let after: DeviceKeyset | null = null;
    for (let pages = 1; ; pages++) {
      const page = await repo.listPage(t.store.db, { filter, sort, after, limit });
      ids.push(...page.records.map((r) => r.id));
      if (!page.next) {
        if (pages > 1) expect(page.records.length).toBeGreaterThan(0);
        return ids;
      }
      expect(page.records).toHaveLength(limit);
      const last = devices.find((d) => d.id === page.next!.id)!;
      expect(page.next).toEqual({
        id: page.records.at(-1)!.id,
        sortValue: sort ? SORT_VALUE[sort.by](last) : null,
      });
      after = page.next;
      if (pages > FLEET_SIZE) throw new Error("the pages do not end");
    }
  }

  it("holds each device as it was written, its flags as booleans", async () => {
    for (const d of devices) {
      const record = await repo.deviceById(t.store.db, d.id);
      expect(record, d.id).toEqual({
        id: d.id,
        serial: d.serial,
        model: d.model,
        name: d.name,
        status: d.status,
        online: d.online,
        lastSeenAtMs: d.lastSeenAtMs,
        // Online as this node saw it: held by it.
        connectedNode: d.online ? NODE : null,
        enrolledAtMs: d.enrolledAtMs,
        createdAtMs: d.enrolledAtMs,
        desiredVersion: d.desiredVersion,
        desiredName: d.name,
        desiredTimezone: d.desiredTimezone,
        desiredNtpServer: d.desiredNtpServer,
        reported: d.reported,
        reportedAtMs: d.reported ? Date.parse(d.reported.reportedAt) : null,
        labels: [],
        site: null,
        // A time settings command for the device alone set its time (version 3 and up).
        desiredTimeSource: d.desiredVersion >= 3 ? "device" : "global",
      });
    }
  });

  it("has ties in every order but the serial's, which is unique", () => {
    for (const key of DEVICE_SORT_KEYS) {
      const values = devices.map(SORT_VALUE[key]);
      const distinct = new Set(values).size;
      if (key === "serial") expect(distinct).toBe(FLEET_SIZE);
      else expect(distinct, key).toBeLessThan(FLEET_SIZE / 2);
    }
  });

  it("pages in id order without a sort", async () => {
    for (const limit of [1, 7, FLEET_SIZE, FLEET_SIZE + 1]) {
      expect(await walk({}, null, limit)).toEqual(sortedIds(devices, null));
    }
  });

  it.each(DEVICE_SORT_KEYS.flatMap((by) => [false, true].map((descending) => ({ by, descending }))))(
    "pages by $by (descending: $descending), ties by id, each device once",
    async (sort: DeviceSort) => {
      const expected = sortedIds(devices, sort);
      for (const limit of [1, 5, 7]) {
        const ids = await walk({}, sort, limit);
        expect(new Set(ids).size, "no device twice").toBe(ids.length);
        expect(ids).toEqual(expected);
      }
    },
  );

  it.each(FILTERS)("filters by $label, and counts the same", async ({ filter, keeps }) => {
    const kept = devices.filter(keeps);
    if (filter.model !== "nope")
      expect(kept.length, "the fixture has devices of this filter").toBeGreaterThan(0);
    expect(await repo.count(t.store.db, filter)).toBe(kept.length);
    expect(await repo.idsMatching(t.store.db, filter)).toEqual(sortedIds(kept, null));
    expect(await walk(filter, null, 4)).toEqual(sortedIds(kept, null));
    const byName: DeviceSort = { by: "name", descending: true };
    expect(await walk(filter, byName, 3)).toEqual(sortedIds(kept, byName));
  });

  it("combines filters with a sort by clock offset on every page", async () => {
    const filter: DeviceRecordFilter = {
      online: false,
      text: "o",
      clockDrift: { exceeds: false, thresholdMs: 1_000 },
    };
    const kept = devices.filter((d) => !d.online && !drifts(d, 1_000) && /o/i.test(`${d.name} ${d.serial}`));
    expect(kept.length).toBeGreaterThan(3);
    for (const descending of [false, true]) {
      const sort: DeviceSort = { by: "clockOffsetMs", descending };
      expect(await walk(filter, sort, 2)).toEqual(sortedIds(kept, sort));
    }
  });

  it("counts the managed devices for every tile in one scan", async () => {
    for (const thresholdMs of [1_000, 1]) {
      const active = devices.filter((d) => d.status === "active");
      expect(await repo.countsOfManaged(t.store.db, thresholdMs)).toEqual({
        total: active.length,
        online: active.filter((d) => d.online).length,
        offline: active.filter((d) => !d.online).length,
        locked: active.filter((d) => d.reported?.locked).length,
        clockDrift: active.filter((d) => drifts(d, thresholdMs)).length,
        configPending: active.filter(configPending).length,
      });
    }
  });

  it("finds every device whose measured clock drifts beyond the threshold, with its signed offset", async () => {
    for (const thresholdMs of [1_000, 1_500, 1]) {
      const expected = new Map(
        devices.filter((d) => drifts(d, thresholdMs)).map((d) => [d.id, d.reported!.clockOffsetMs]),
      );
      expect(expected.size).toBeGreaterThan(0);
      expect(await repo.clockOffsetsExceeding(t.store.db, thresholdMs)).toEqual(expected);
    }
  });

  it("counts and lists the active devices that have not applied a time", async () => {
    for (const time of [
      UTC,
      { timezone: "Europe/Berlin", ntpServer: null },
      { timezone: "UTC", ntpServer: "ntp.example.com" },
    ]) {
      const active = devices.filter((d) => d.status === "active");
      const applied = (d: FleetDevice) =>
        d.desiredTimezone === time.timezone &&
        d.desiredNtpServer === time.ntpServer &&
        (d.reported?.appliedConfigVersion ?? 0) >= d.desiredVersion;
      // No sites: every device follows the global time, counted under no site.
      expect(await repo.countTimeAppliedBySite(t.store.db, time)).toEqual([
        { siteId: null, followsGlobal: true, total: active.length, applied: active.filter(applied).length },
      ]);
      const pending: string[] = [];
      for (let afterId: string | null = null; ; ) {
        const page = await repo.listTimePending(t.store.db, time, "global", { afterId, limit: 4 });
        pending.push(...page.map((r) => r.id));
        if (page.length < 4) break;
        afterId = page.at(-1)!.id;
      }
      expect(pending).toEqual(
        sortedIds(
          active.filter((d) => !applied(d)),
          null,
        ),
      );
    }
  });
});
