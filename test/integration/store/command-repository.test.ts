/**
 * The command repository (commands and fleet commands), the same on every store backend (see
 * test/helpers/stores.ts): seqs taken by units running at once, every transition's guard, the
 * deadline sweep's bounds, batch counts and pages.
 */
import { CompiledQuery } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVER_COMMAND_CODE } from "../../../proto/result-codes.js";
import type { CommandRow, CommandState } from "../../../server/commands/command.js";
import { newTimeOrderedId } from "../../../server/ids.js";
import { dialectOf } from "../../../server/store/dialect.js";
import {
  type CommandReport,
  CommandRepository,
  type NewCommand,
} from "../../../server/store/repositories/command-repository.js";
import { DeviceRepository } from "../../../server/store/repositories/device-repository.js";
import { SiteRepository } from "../../../server/store/repositories/site-repository.js";
import type { Queryable } from "../../../server/store/store.js";
import { recordStatements } from "../../helpers/statements.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

describe.each(STORE_BACKENDS)("command repository on %s", (dialect) => {
  let t: TestStore;
  let repo: CommandRepository;
  let devices: DeviceRepository;
  let deviceCount = 0;
  beforeAll(async () => {
    t = await openTestStore(dialect);
    repo = new CommandRepository(dialectOf(dialect));
    devices = new DeviceRepository(dialectOf(dialect));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const newDevices = async (n: number, name = "Room"): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = `dev_${(++deviceCount).toString(16).padStart(16, "0")}`;
      await devices.insertDevice(t.store.db, {
        id,
        serial: `SER-${dialect}-${deviceCount}`,
        model: "Portal",
        name: `${name} ${deviceCount}`,
        atMs: 1,
        desiredTime: { timezone: "auto", ntpServer: null },
      });
      ids.push(id);
    }
    return ids;
  };

  /** Issues one command to each device in `q`, the way the command service does. */
  const issue = async (
    q: Queryable,
    deviceIds: readonly string[],
    options: {
      batchId?: string;
      type?: NewCommand["type"];
      nowMs?: number;
      ttlMs?: number;
      windowHold?: NewCommand["windowHold"];
    } = {},
  ): Promise<CommandRow[]> => {
    const now = options.nowMs ?? 1000;
    const seqs = await devices.takeSeqs(q, deviceIds);
    return repo.insertCommands(
      q,
      [...seqs].map(([deviceId, seq]) => ({
        id: newTimeOrderedId("cmd", now),
        deviceId,
        seq,
        batchId: options.batchId ?? null,
        type: options.type ?? "lock",
        paramsJson: "{}",
        createdAtMs: now,
        expiresAtMs: now + (options.ttlMs ?? 60_000),
        createdBy: "ana@example.com",
        windowHold: options.windowHold ?? null,
      })),
    );
  };

  const report = (
    row: CommandRow,
    state: CommandState,
    extra: Partial<CommandReport> = {},
  ): CommandReport => ({
    commandId: row.id,
    deviceId: row.device_id,
    state,
    atMs: 5000,
    errorCode: null,
    message: null,
    signatureRefusal: false,
    ...extra,
  });

  const stateOf = async (id: string) => (await repo.byId(t.store.db, id))?.state;

  it("gives every command of units issuing at once its own seq, in order, per device", async () => {
    const ids = await newDevices(30);
    const units = 12;
    await Promise.all(Array.from({ length: units }, () => t.store.unit((tx) => issue(tx, ids))));
    for (const deviceId of ids.slice(0, 5)) {
      const rows = await repo.pageOfDevice(t.store.db, deviceId, 100, null);
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: units }, (_, i) => units - i));
    }
    const open = await repo.openOfDevices(t.store.db, ids);
    expect(open.size).toBe(ids.length);
    for (const rows of open.values())
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: units }, (_, i) => i + 1));
  });

  it("inserts a fleet's commands in one statement and returns them whole", async () => {
    const ids = await newDevices(300);
    const rows = await issue(t.store.db, ids, { nowMs: 2000 });
    expect(rows).toHaveLength(300);
    expect(new Set(rows.map((r) => r.device_id))).toEqual(new Set(ids));
    expect(rows[0]).toMatchObject({
      state: "queued",
      type: "lock",
      seq: 1,
      created_at: 2000,
      updated_at: 2000,
      expires_at: 62_000,
      sent_at: null,
      batch_id: null,
      created_by: "ana@example.com",
    });
    expect(typeof rows[0]!.created_at).toBe("number");
  });

  it("marks only queued commands sent, each at its own time", async () => {
    const [a, b] = await issue(t.store.db, await newDevices(2));
    await repo.cancel(t.store.db, { ids: [b!.id], from: ["queued"], atMs: 1500 });
    const moved = await repo.markSent(
      t.store.db,
      new Map([
        [a!.id, 1100],
        [b!.id, 1200],
      ]),
    );
    expect(moved.map((r) => [r.id, r.state, r.sent_at])).toEqual([[a!.id, "sent", 1100]]);
    expect(await repo.markSent(t.store.db, new Map([[a!.id, 1300]]))).toEqual([]);
  });

  it("moves commands forward on a device's word only, never back, never for another device", async () => {
    const [one, two, three, four] = await issue(t.store.db, await newDevices(4));
    const [foreign] = await newDevices(1);
    const moved = await repo.applyReports(t.store.db, [
      report(one!, "accepted"),
      report(two!, "succeeded"),
      report(three!, "succeeded", { deviceId: foreign! }),
      report(four!, "failed", { errorCode: "unsupported", message: "no screen" }),
    ]);
    expect(moved.map((r) => r.id).sort()).toEqual([one!.id, two!.id, four!.id].sort());
    expect(await repo.byId(t.store.db, one!.id)).toMatchObject({
      state: "accepted",
      accepted_at: 5000,
      finished_at: null,
    });
    expect(await repo.byId(t.store.db, four!.id)).toMatchObject({
      state: "failed",
      error_code: "unsupported",
      error_message: "no screen",
      finished_at: 5000,
    });
    expect(await stateOf(three!.id)).toBe("queued");
    // A final state takes no other report; an accepted one takes only a final one.
    expect(await repo.applyReports(t.store.db, [report(two!, "failed"), report(one!, "accepted")])).toEqual(
      [],
    );
    const done = await repo.applyReports(t.store.db, [report(one!, "succeeded", { atMs: 6000 })]);
    expect(done[0]).toMatchObject({ state: "succeeded", accepted_at: 5000, finished_at: 6000 });
  });

  it("lets a device's word replace what the server decided alone, but a forged copy's refusal replace nothing", async () => {
    const [expired, running, timedOut] = await issue(t.store.db, await newDevices(3), {
      nowMs: 1000,
      ttlMs: 10,
    });
    await repo.applyReports(t.store.db, [report(running!, "accepted", { atMs: 1001 })]);
    await repo.applyReports(t.store.db, [report(timedOut!, "accepted", { atMs: 1001 })]);
    expect((await repo.expire(t.store.db, 2000)).map((r) => r.id)).toEqual([expired!.id]);
    await repo.cancel(t.store.db, {
      ids: [running!.id],
      from: ["accepted"],
      atMs: 2000,
      errorCode: SERVER_COMMAND_CODE.ended_by_admin,
      message: "ended",
    });
    await repo.failOverdue(t.store.db, {
      state: "accepted",
      since: "accepted_at",
      bounds: new Map([["lock", 500]]),
      atMs: 2000,
      didNot: "did not finish",
    });
    expect(await stateOf(timedOut!.id)).toBe("failed");
    const refusal = { errorCode: "signature_invalid", signatureRefusal: true } as const;
    expect(
      await repo.applyReports(t.store.db, [
        report(expired!, "rejected", refusal),
        report(running!, "rejected", refusal),
        report(timedOut!, "rejected", refusal),
      ]),
    ).toEqual([]);
    const revised = await repo.applyReports(t.store.db, [
      report(expired!, "succeeded"),
      report(running!, "succeeded"),
      report(timedOut!, "succeeded"),
    ]);
    expect(revised.map((r) => r.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(revised.every((r) => r.error_code === null)).toBe(true);
  });

  it("applies in one statement only the reports that end no command of a type with end effects", async () => {
    const ids = await newDevices(4);
    const [lock] = await issue(t.store.db, [ids[0]!], { type: "lock" });
    const [rename] = await issue(t.store.db, [ids[1]!], { type: "rename" });
    const [renameAccepted] = await issue(t.store.db, [ids[2]!], { type: "rename" });
    const [renameRejected] = await issue(t.store.db, [ids[3]!], { type: "rename" });
    const moved = await repo.applyPlainReports(
      t.store.db,
      [
        report(lock!, "succeeded"),
        report(rename!, "succeeded"),
        report(renameAccepted!, "accepted"),
        report(renameRejected!, "rejected", { errorCode: "unsupported" }),
      ],
      ["lock", "reboot"],
    );
    // An accepted report ends nothing, so it goes whatever the type; the ends of renames wait.
    expect(moved.map((r) => r.id).sort()).toEqual([lock!.id, renameAccepted!.id].sort());
    expect(await stateOf(rename!.id)).toBe("queued");
    expect(await stateOf(renameRejected!.id)).toBe("queued");
    expect(await stateOf(renameAccepted!.id)).toBe("accepted");
    // The same guards as every report: a finished command takes no other word.
    expect(await repo.applyPlainReports(t.store.db, [report(lock!, "failed")], ["lock"])).toEqual([]);
  });

  // How PostgreSQL plans them (SQLite's planner has no row guess to get wrong).
  if (dialect === "postgres")
    it("finds the commands of a tick's marks and reports by their ids, not by scanning the table", async () => {
      const rows = await issue(t.store.db, await newDevices(50));
      const plan = async (statement: string, params: unknown[]) => {
        const explained = await t.store.db.executeQuery<{ "QUERY PLAN": string }>(
          CompiledQuery.raw(`EXPLAIN ${statement}`, params),
        );
        return explained.rows.map((r) => r["QUERY PLAN"]).join("\n");
      };
      const recorder = recordStatements(t.store.db);
      await repo.markSent(t.store.db, new Map([[rows[0]!.id, 1100]]));
      await repo.applyReports(t.store.db, [report(rows[1]!, "succeeded")]);
      await repo.applyPlainReports(t.store.db, [report(rows[2]!, "succeeded")], ["lock"]);
      recorder.stop();
      expect(recorder.statements).toHaveLength(3);
      for (const statement of recorder.statements) {
        const text = await plan(statement.sql, [...statement.parameters]);
        expect(text).toMatch(/Index Scan using commands_pkey/);
        expect(text).not.toMatch(/Seq Scan on commands/);
      }
    });

  it("gives one transition to exactly one of the units that race for it", async () => {
    const [row] = await issue(t.store.db, await newDevices(1));
    const results = await Promise.all([
      ...Array.from({ length: 6 }, () =>
        t.store.unit((tx) => repo.applyReports(tx, [report(row!, "succeeded")])),
      ),
      ...Array.from({ length: 6 }, () =>
        t.store.unit((tx) => repo.cancel(tx, { ids: [row!.id], from: ["queued", "sent"], atMs: 3000 })),
      ),
    ]);
    expect(results.filter((moved) => moved.length === 1)).toHaveLength(1);
    expect(["succeeded", "canceled"]).toContain(await stateOf(row!.id));
  });

  it("ends the open commands of devices with a reason, keeping the ones named and the closed ones", async () => {
    const ids = await newDevices(2);
    const first = await issue(t.store.db, ids);
    const second = await issue(t.store.db, ids);
    await repo.applyReports(t.store.db, [report(first[0]!, "accepted"), report(first[1]!, "succeeded")]);
    const ended = await repo.endOpenOfDevices(t.store.db, {
      deviceIds: ids,
      states: ["queued", "sent", "accepted"],
      exceptCommandIds: [second[1]!.id],
      code: SERVER_COMMAND_CODE.device_removed,
      message: "removed before it ran",
      messageIfRunning: "removed while it ran",
      atMs: 7000,
    });
    const byId = new Map(ended.map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual([first[0]!.id, second[0]!.id].sort());
    expect(byId.get(first[0]!.id)).toMatchObject({
      state: "canceled",
      error_message: "removed while it ran",
    });
    expect(byId.get(second[0]!.id)).toMatchObject({
      error_code: SERVER_COMMAND_CODE.device_removed,
      error_message: "removed before it ran",
      finished_at: 7000,
    });
    expect(await stateOf(first[1]!.id)).toBe("succeeded");
    expect(await stateOf(second[1]!.id)).toBe("queued");
  });

  it("sweeps deadlines: undelivered past their TTL expire, overdue ones fail timed_out per type", async () => {
    const ids = await newDevices(4);
    const [ttlPassed, ttlLeft] = await issue(t.store.db, ids.slice(0, 2), { nowMs: 10_000, ttlMs: 100 });
    await repo.cancel(t.store.db, { ids: [ttlLeft!.id], from: ["queued"], atMs: 10_001 });
    const [slowLock] = await issue(t.store.db, [ids[2]!], { nowMs: 10_000, type: "lock" });
    const [slowReset] = await issue(t.store.db, [ids[3]!], { nowMs: 10_000, type: "factory_reset" });
    await repo.markSent(
      t.store.db,
      new Map([
        [slowLock!.id, 10_000],
        [slowReset!.id, 10_000],
      ]),
    );
    // The store is shared by this file's tests: only this test's commands count.
    const mine = new Set([ttlPassed!.id, ttlLeft!.id, slowLock!.id, slowReset!.id]);
    const ofMine = (rows: CommandRow[]) => rows.filter((r) => mine.has(r.id));
    expect(ofMine(await repo.expire(t.store.db, 10_100)).map((r) => r.id)).toEqual([ttlPassed!.id]);
    const bounds = new Map([
      ["lock", 2000],
      ["factory_reset", 60_000],
    ]);
    const sweep = async (atMs: number) =>
      ofMine(
        await repo.failOverdue(t.store.db, {
          state: "sent",
          since: "sent_at",
          bounds,
          atMs,
          didNot: "no answer",
        }),
      );
    expect(await sweep(11_999)).toEqual([]);
    const failed = await sweep(12_000);
    expect(failed.map((r) => [r.id, r.state, r.error_code, r.error_message])).toEqual([
      [slowLock!.id, "failed", SERVER_COMMAND_CODE.timed_out, "no answer within 2 s"],
    ]);
    expect(await stateOf(slowReset!.id)).toBe("sent");
  });

  it("pages a device's commands newest first by seq", async () => {
    const [deviceId] = await newDevices(1);
    for (let i = 0; i < 7; i++) await issue(t.store.db, [deviceId!]);
    const first = await repo.pageOfDevice(t.store.db, deviceId!, 3, null);
    const second = await repo.pageOfDevice(t.store.db, deviceId!, 3, first.at(-1)!.seq);
    const third = await repo.pageOfDevice(t.store.db, deviceId!, 3, second.at(-1)!.seq);
    expect([...first, ...second, ...third].map((r) => r.seq)).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });

  it("keeps fleet commands: counts per state, pages of commands with device names, retryable devices", async () => {
    const ids = await newDevices(5, "Lobby");
    const batchId = newTimeOrderedId("bat", 20_000);
    await repo.insertBatch(t.store.db, {
      id: batchId,
      type: "reboot",
      paramsJson: "{}",
      targetJson: JSON.stringify({ target: { all: true }, skipped: 1 }),
      total: 5,
      createdAtMs: 20_000,
      createdBy: null,
    });
    const rows = await issue(t.store.db, ids, { batchId, type: "reboot" });
    await repo.applyReports(t.store.db, [
      report(rows[0]!, "succeeded"),
      report(rows[1]!, "failed"),
      report(rows[2]!, "rejected"),
      report(rows[3]!, "accepted"),
    ]);
    expect(Object.fromEntries(await repo.countsOfBatch(t.store.db, batchId))).toEqual({
      succeeded: 1,
      failed: 1,
      rejected: 1,
      accepted: 1,
      queued: 1,
    });
    expect(await repo.devicesOfBatchIn(t.store.db, batchId, ["failed", "rejected", "expired"])).toEqual(
      [rows[1]!.device_id, rows[2]!.device_id].sort(),
    );
    expect((await repo.undeliveredOfBatch(t.store.db, batchId)).map((c) => c.id)).toEqual([rows[4]!.id]);
    const all: string[] = [];
    let afterId: string | null = null;
    for (;;) {
      const page = await repo.pageOfBatch(t.store.db, {
        batchId,
        states: ["queued", "accepted", "succeeded", "failed", "rejected"],
        afterId,
        limit: 2,
      });
      if (page.length === 0) break;
      for (const row of page) expect(row.device_name).toMatch(/^Lobby /);
      all.push(...page.map((r) => r.id));
      afterId = page.at(-1)!.id;
    }
    expect(all).toEqual(rows.map((r) => r.id).sort());
    const failedOnly = await repo.pageOfBatch(t.store.db, {
      batchId,
      states: ["failed"],
      afterId: null,
      limit: 10,
    });
    expect(failedOnly.map((r) => r.id)).toEqual([rows[1]!.id]);
    expect(await repo.batchById(t.store.db, batchId)).toMatchObject({
      id: batchId,
      type: "reboot",
      total: 5,
    });
  });

  it("holds commands for maintenance windows, releases them with new seqs once, and holds them again", async () => {
    const sites = new SiteRepository(dialectOf(dialect));
    const site = (id: string) => ({ id, name: id, time: null, window: null, createdAtMs: 1, updatedAtMs: 1 });
    const closedSite = `site_closed_${dialect}`;
    const openSite = `site_open_${dialect}`;
    await sites.insert(t.store.db, site(closedSite));
    await sites.insert(t.store.db, site(openSite));
    const [inClosed, inOpen, inNone] = await newDevices(3);
    const time = { settings: { timezone: "auto", ntpServer: null }, source: "site" as const };
    await devices.moveToSite(t.store.db, [inClosed!], closedSite, time);
    await devices.moveToSite(t.store.db, [inOpen!], openSite, time);
    const all = [inClosed!, inOpen!, inNone!];

    const held = await issue(t.store.db, all, { windowHold: "held", nowMs: 40_000 });
    expect(held.map((r) => [r.seq, r.window_hold])).toEqual(all.map(() => [1, "held"]));
    const plain = await issue(t.store.db, all, { nowMs: 40_000 });
    expect(plain.every((r) => r.seq === 2 && r.window_hold === null)).toBe(true);
    // Delivery never sees what is held.
    const open = await repo.openOfDevices(t.store.db, all);
    expect(
      [...open.values()]
        .flat()
        .map((r) => r.id)
        .sort(),
    ).toEqual(plain.map((r) => r.id).sort());

    const toRelease = await repo.heldToRelease(t.store.db, [closedSite], 100);
    expect(toRelease.map((c) => c.deviceId).sort()).toEqual([inOpen!, inNone!].sort());
    const released = await t.store.unit(async (tx) => {
      const first = await devices.takeSeqRanges(tx, new Map(toRelease.map((c) => [c.deviceId, 1])));
      return repo.release(
        tx,
        toRelease.map((c) => ({ commandId: c.id, seq: first.get(c.deviceId)! })),
        41_000,
      );
    });
    expect(released.map((r) => [r.seq, r.window_hold, r.state, r.updated_at])).toEqual(
      released.map(() => [3, "released", "queued", 41_000]),
    );
    // Released once: a second release of the same commands changes nothing.
    expect(await repo.release(t.store.db, [{ commandId: released[0]!.id, seq: 99 }], 42_000)).toEqual([]);
    expect((await repo.openOfDevices(t.store.db, [inOpen!])).get(inOpen!)!.map((r) => r.seq)).toEqual([2, 3]);
    // The next seq of a device comes after every range taken.
    expect((await devices.takeSeqRanges(t.store.db, new Map([[inOpen!, 2]]))).get(inOpen!)).toBe(4);
    expect((await devices.takeSeqs(t.store.db, [inOpen!])).get(inOpen!)).toBe(6);

    // Its window closed: the released, undelivered command of the open site's device waits again.
    const again = await repo.holdAgain(t.store.db, [openSite], 43_000);
    expect(again.map((r) => [r.device_id, r.window_hold])).toEqual([[inOpen!, "held"]]);
    expect(await repo.holdAgain(t.store.db, [], 43_000)).toEqual([]);
    // One held past its TTL expires and says why.
    const stillHeld = held.find((r) => r.device_id === inClosed)!;
    const [expired] = await repo.expire(t.store.db, 40_000 + 60_000, [stillHeld.id]);
    expect(expired).toMatchObject({ state: "expired", window_hold: "held" });
    expect(expired!.error_message).toContain("maintenance window");
  });

  it("counts a fleet command's commands waiting for maintenance windows", async () => {
    const batchId = newTimeOrderedId("bat", 21_000);
    await repo.insertBatch(t.store.db, {
      id: batchId,
      type: "lock",
      paramsJson: "{}",
      targetJson: "{}",
      total: 3,
      createdAtMs: 21_000,
      createdBy: null,
    });
    const rows = await issue(t.store.db, await newDevices(3), { batchId, windowHold: "held" });
    await repo.cancel(t.store.db, { ids: [rows[0]!.id], from: ["queued"], atMs: 21_001 });
    const progress = await repo.progressOfBatch(t.store.db, batchId);
    expect(Object.fromEntries(progress.byState)).toEqual({ queued: 2, canceled: 1 });
    expect(progress).toMatchObject({ waitingForWindow: 2, inWindow: true });
  });

  it("pages fleet commands newest first", async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = newTimeOrderedId("bat", 30_000 + i);
      made.push(id);
      await repo.insertBatch(t.store.db, {
        id,
        type: "lock",
        paramsJson: "{}",
        targetJson: "{}",
        total: 0,
        createdAtMs: 30_000 + i,
        createdBy: null,
      });
    }
    const newest = made.at(-1)!;
    const first = await repo.pageOfBatches(t.store.db, 3, null);
    expect(first[0]!.id).toBe(newest);
    const rest = await repo.pageOfBatches(t.store.db, 100, first.at(-1)!.id);
    const seen = [...first, ...rest].map((b) => b.id);
    expect(seen).toEqual([...seen].sort().reverse());
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of made) expect(seen).toContain(id);
  });
});
