/**
 * The audit repository and the read model of its targets' names, the same on every store
 * backend (see test/helpers/stores.ts): rows read back as appended, every filter, paging newest
 * first, the names of every kind of target (a deleted one too), the newest seq and the
 * announcement of later rows, and appends from many units at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditEntry, type AuditItem, AuditLog } from "../../../server/admins/audit-log.js";
import { EventBus } from "../../../server/events/event-bus.js";
import type { ServerEvents } from "../../../server/events/server-events.js";
import { createLogger } from "../../../server/logger.js";
import { dialectOf } from "../../../server/store/dialect.js";
import { AuditTargetNames, targetKey } from "../../../server/store/read-models/audit-target-names.js";
import {
  type AuditRecordFilter,
  AuditRepository,
  type NewAuditRecord,
} from "../../../server/store/repositories/audit-repository.js";
import type { Queryable, Store, StoreDialect } from "../../../server/store/store.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

const ANA = { actorId: "adm_ana", actorEmail: "Ana.Smith@Example.com" };
const BOB = { actorId: "adm_bob", actorEmail: "bob@example.com" };

const entry = (over: Partial<NewAuditRecord>): NewAuditRecord => ({
  atMs: 1000,
  actorId: null,
  actorEmail: null,
  credentialId: null,
  action: "admin.create",
  target: null,
  params: {},
  outcome: "success",
  errorCode: null,
  sourceAddress: null,
  ...over,
});

/** What the audit rows below name: one row of each kind, as their own repositories would write them. */
async function insertTargets(q: Queryable): Promise<void> {
  await q
    .insertInto("devices")
    .values({
      id: "dev_lobby",
      serial: "SN-LOBBY",
      model: "kiosk",
      name: "Lobby Display",
      status: "active",
      enrolled_at: 1,
      created_at: 1,
      desired_name: "Lobby Display",
      desired_timezone: "UTC",
    })
    .execute();
  await q
    .insertInto("commands")
    .values({
      id: "cmd_reboot",
      device_id: "dev_lobby",
      seq: 1,
      type: "reboot",
      params_json: "{}",
      state: "queued",
      created_at: 1,
      expires_at: 2,
      updated_at: 1,
    })
    .execute();
  await q
    .insertInto("batches")
    .values([
      { id: "bat_one", type: "reboot", params_json: "{}", target_json: "{}", total: 1, created_at: 1 },
      { id: "bat_three", type: "lock", params_json: "{}", target_json: "{}", total: 3, created_at: 1 },
    ])
    .execute();
  await q
    .insertInto("roles")
    .values([
      { id: "rol_ops", name: "Ops Team", rights_json: "[]", built_in: false, created_at: 1, updated_at: 1 },
      { id: "rol_gone", name: "Gone Role", rights_json: "[]", built_in: false, created_at: 1, updated_at: 1 },
    ])
    .execute();
  await q
    .insertInto("admins")
    .values({
      id: "adm_bob",
      email: "bob@example.com",
      name: "Bob Builder",
      role_id: "rol_ops",
      password_hash: "x",
      created_at: 1,
      updated_at: 1,
    })
    .execute();
  await q
    .insertInto("admin_tokens")
    .values({ id: "tok_ci", token_hash: "h-ci", name: "CI deploy", created_at: 1, admin_id: "adm_bob" })
    .execute();
  await q
    .insertInto("enrollment_tokens")
    .values([
      {
        id: "tok_enr",
        token_hash: "h-enr",
        name: "Warehouse batch",
        max_uses: 5,
        expires_at: 9,
        created_at: 1,
      },
      { id: "tok_unnamed", token_hash: "h-unnamed", name: "", max_uses: 5, expires_at: 9, created_at: 1 },
    ])
    .execute();
  await q.deleteFrom("roles").where("id", "=", "rol_gone").execute();
}

/** Nine rows, seq 1 to 9 in a fresh store, each there to be told apart by some filter. */
const ROWS: readonly NewAuditRecord[] = [
  entry({ ...ANA, action: "admin.create", target: "adm_bob", atMs: 1000 }),
  entry({ ...ANA, action: "auth.login", target: "adm_ana", atMs: 2000 }),
  entry({
    actorEmail: "mallory_x@evil.test",
    action: "auth.login",
    outcome: "failure",
    errorCode: "invalid_credentials",
    atMs: 3000,
  }),
  entry({ ...BOB, action: "role.create", target: "rol_ops", atMs: 4000 }),
  entry({ ...BOB, action: "admin.update", target: "dev_100%", outcome: "failure", atMs: 5000 }),
  entry({ ...BOB, action: "Admin.Create", target: "tok_a\\b", atMs: 6000 }),
  entry({ ...ANA, action: "administrator.grant", target: "dev_lobby", atMs: 7000 }),
  entry({ ...ANA, action: "token.create", target: "tok_ci", atMs: 7000 }),
  entry({ ...ANA, action: "enrollment_token.create", target: "tok_enr", atMs: 7000 }),
];

function auditLogOver(store: Store, dialect: StoreDialect, events: EventBus<ServerEvents>): AuditLog {
  const sqlDialect = dialectOf(dialect);
  return new AuditLog({
    store,
    repository: new AuditRepository(sqlDialect),
    targetNames: new AuditTargetNames(sqlDialect),
    events,
    clock: () => 1_700_000_000_000,
  });
}

describe.each(STORE_BACKENDS)("audit repository on %s", (dialect) => {
  let t: TestStore;
  let repo: AuditRepository;
  let names: AuditTargetNames;
  let seqs: number[];
  beforeAll(async () => {
    t = await openTestStore(dialect);
    repo = new AuditRepository(dialectOf(dialect));
    names = new AuditTargetNames(dialectOf(dialect));
    await insertTargets(t.store.db);
    seqs = [];
    for (const row of ROWS) seqs.push((await repo.append(t.store.db, row)).seq);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  /** The rows' numbers (1 = the first of ROWS) that `filter` lists, newest first. */
  const listed = async (filter: AuditRecordFilter) =>
    (await repo.list(t.store.db, filter, { limit: 100, beforeSeq: null })).map(
      (r) => seqs.indexOf(r.seq) + 1,
    );

  it("appends rows with seqs that only grow, and reads each back as it was given", async () => {
    expect(seqs.slice(1).every((seq, i) => seq > seqs[i]!)).toBe(true);
    const stored = await repo.list(t.store.db, {}, { limit: 100, beforeSeq: null });
    expect(stored.map((r) => r.seq)).toEqual([...seqs].reverse());
    expect(stored.map(({ seq: _, ...rest }) => rest)).toEqual([...ROWS].reverse());

    const fresh = await openTestStore(dialect);
    try {
      const full = entry({
        ...BOB,
        credentialId: "ses_1",
        action: "command.issue",
        target: "dev_x",
        params: { type: "reboot", nested: { list: [1, "two", null] }, quote: 'it\'s "here"' },
        outcome: "failure",
        errorCode: "device_offline",
        sourceAddress: "::1",
        atMs: 1_700_000_000_123,
      });
      const appended = await fresh.store.unit((tx) => repo.append(tx, full));
      expect(appended).toEqual({ ...full, seq: appended.seq });
      expect(await repo.list(fresh.store.db, {}, { limit: 10, beforeSeq: null })).toEqual([appended]);
    } finally {
      await fresh.cleanup();
    }
  });

  it("keeps nothing of a unit that appended and then failed", async () => {
    const before = await repo.latestSeq(t.store.db);
    await expect(
      t.store.unit(async (tx) => {
        await repo.append(tx, entry({ action: "role.delete", target: "rol_rolled_back" }));
        throw new Error("the action failed after its row");
      }),
    ).rejects.toThrow("the action failed");
    expect(await repo.latestSeq(t.store.db)).toBe(before);
    expect(await listed({ target: "rol_rolled_back" })).toEqual([]);
  });

  it("filters by actor id, and by actor email in any case", async () => {
    expect(await listed({ actorId: "adm_ana" })).toEqual([9, 8, 7, 2, 1]);
    expect(await listed({ actorEmail: "ana.smith@EXAMPLE.COM" })).toEqual([9, 8, 7, 2, 1]);
    expect(await listed({ actorEmail: "MALLORY_X@evil.test" })).toEqual([3]);
    expect(await listed({ actorEmail: "ana.smith@example" })).toEqual([]);
  });

  it("filters by an exact action, and by a prefix compared exactly", async () => {
    expect(await listed({ action: "auth.login" })).toEqual([3, 2]);
    expect(await listed({ action: "admin.create" })).toEqual([1]);
    // Not 'Admin.Create' (case) nor 'administrator.grant' (no dot).
    expect(await listed({ actionPrefix: "admin." })).toEqual([5, 1]);
    expect(await listed({ actionPrefix: "admin" })).toEqual([7, 5, 1]);
  });

  it("filters by exact target, outcome and time (from inclusive, until exclusive)", async () => {
    expect(await listed({ target: "adm_bob" })).toEqual([1]);
    expect(await listed({ target: "ADM_BOB" })).toEqual([]);
    expect(await listed({ outcome: "failure" })).toEqual([5, 3]);
    expect(await listed({ sinceMs: 2000, untilMs: 5000 })).toEqual([4, 3, 2]);
    expect(await listed({ sinceMs: 7000 })).toEqual([9, 8, 7]);
    expect(await listed({ actorId: "adm_bob", outcome: "success" })).toEqual([6, 4]);
  });

  it("matches parts of the actor's email and the action in any case, LIKE's wildcards literally", async () => {
    expect(await listed({ actorEmailContains: "SMITH@" })).toEqual([9, 8, 7, 2, 1]);
    expect(await listed({ actorEmailContains: "y_x" })).toEqual([3]);
    expect(await listed({ actorEmailContains: "y%x" })).toEqual([]);
    expect(await listed({ actorEmailContains: "%" })).toEqual([]);
    expect(await listed({ actorEmailContains: "_" })).toEqual([3]);
    expect(await listed({ actionContains: "LOGIN" })).toEqual([3, 2]);
    expect(await listed({ actionContains: "admin.c" })).toEqual([6, 1]);
    expect(await listed({ actionContains: "n_c" })).toEqual([]);
  });

  it("matches part of the target's id literally, backslash included", async () => {
    expect(await listed({ targetContains: "0%" })).toEqual([5]);
    expect(await listed({ targetContains: "v_1" })).toEqual([5]);
    expect(await listed({ targetContains: "V%1" })).toEqual([]);
    expect(await listed({ targetContains: "a\\b" })).toEqual([6]);
    expect(await listed({ targetContains: "A\\" })).toEqual([6]);
    expect(await listed({ targetContains: "ab" })).toEqual([]);
  });

  it("matches part of the name of the device, admin, role or token a target is, in any case", async () => {
    expect(await listed({ targetContains: "LOBBY disp" })).toEqual([7]);
    expect(await listed({ targetContains: "builder" })).toEqual([1]);
    expect(await listed({ targetContains: "BOB@EXAMPLE" })).toEqual([1]);
    expect(await listed({ targetContains: "ops team" })).toEqual([4]);
    expect(await listed({ targetContains: "Deploy" })).toEqual([8]);
    expect(await listed({ targetContains: "warehouse" })).toEqual([9]);
    expect(await listed({ targetContains: "nobody's name" })).toEqual([]);
  });

  it("pages newest first, each page below the last one's seq, across rows of the same time", async () => {
    const pages: number[][] = [];
    let beforeSeq: number | null = null;
    for (;;) {
      const page = await repo.list(t.store.db, {}, { limit: 4, beforeSeq });
      if (page.length === 0) break;
      pages.push(page.map((r) => seqs.indexOf(r.seq) + 1));
      beforeSeq = page.at(-1)!.seq;
    }
    expect(pages).toEqual([[9, 8, 7, 6], [5, 4, 3, 2], [1]]);
    const sameTime = await repo.list(t.store.db, { sinceMs: 7000 }, { limit: 2, beforeSeq: null });
    const rest = await repo.list(
      t.store.db,
      { sinceMs: 7000 },
      { limit: 2, beforeSeq: sameTime.at(-1)!.seq },
    );
    expect([...sameTime, ...rest].map((r) => seqs.indexOf(r.seq) + 1)).toEqual([9, 8, 7]);
    const filtered = await repo.list(t.store.db, { actorId: "adm_ana" }, { limit: 3, beforeSeq: seqs[8]! });
    expect(filtered.map((r) => seqs.indexOf(r.seq) + 1)).toEqual([8, 7, 2]);
  });

  it("reads the rows after a seq oldest first, and the newest seq", async () => {
    const after = await repo.after(t.store.db, seqs[5]!, 2);
    expect(after.map((r) => r.seq)).toEqual([seqs[6], seqs[7]]);
    expect(await repo.after(t.store.db, seqs[8]!, 10)).toEqual([]);
    expect(await repo.latestSeq(t.store.db)).toBeGreaterThanOrEqual(seqs[8]!);
    const fresh = await openTestStore(dialect);
    try {
      expect(await repo.latestSeq(fresh.store.db)).toBe(0);
      const first = await repo.append(fresh.store.db, entry({}));
      expect(await repo.latestSeq(fresh.store.db)).toBe(first.seq);
    } finally {
      await fresh.cleanup();
    }
  });

  it("names every kind of target in one read, leaving out what is gone or of another kind", async () => {
    const found = await names.namesOf(t.store.db, [
      { kind: "device", id: "dev_lobby" },
      { kind: "command", id: "cmd_reboot" },
      { kind: "batch", id: "bat_one" },
      { kind: "batch", id: "bat_three" },
      { kind: "admin", id: "adm_bob" },
      { kind: "admin", id: "adm_bob" },
      { kind: "role", id: "rol_ops" },
      { kind: "role", id: "rol_gone" },
      { kind: "api_token", id: "tok_ci" },
      { kind: "enrollment_token", id: "tok_enr" },
      { kind: "enrollment_token", id: "tok_unnamed" },
      { kind: "enrollment_token", id: "tok_ci" },
      { kind: "device", id: "dev_nowhere" },
    ]);
    expect(Object.fromEntries(found)).toEqual({
      [targetKey("device", "dev_lobby")]: "Lobby Display",
      [targetKey("command", "cmd_reboot")]: "reboot on Lobby Display",
      [targetKey("batch", "bat_one")]: "reboot to 1 device",
      [targetKey("batch", "bat_three")]: "lock to 3 devices",
      [targetKey("admin", "adm_bob")]: "bob@example.com",
      [targetKey("role", "rol_ops")]: "Ops Team",
      [targetKey("api_token", "tok_ci")]: "CI deploy",
      [targetKey("enrollment_token", "tok_enr")]: "Warehouse batch",
      [targetKey("enrollment_token", "tok_unnamed")]: null,
    });
    expect((await names.namesOf(t.store.db, [])).size).toBe(0);
  });

  it("shows each item's target name, the recorded one for a target that is gone", async () => {
    const events = new EventBus<ServerEvents>(createLogger("silent"));
    const audit = auditLogOver(t.store, dialect, events);
    const record = (e: Omit<AuditEntry, "actor" | "outcome" | "sourceAddress">) =>
      audit.record({ actor: null, outcome: "success", sourceAddress: "test", ...e });
    const items: AuditItem[] = [
      await record({ action: "device.config_resend", target: "dev_lobby", params: {} }),
      await record({ action: "command.cancel", target: "cmd_reboot", params: {} }),
      await record({ action: "batch.cancel", target: "bat_three", params: {} }),
      await record({ action: "admin.update", target: "adm_bob", params: {} }),
      await record({ action: "role.update", target: "rol_ops", params: {} }),
      await record({ action: "role.delete", target: "rol_gone", params: { name: "Gone Role" } }),
      await record({ action: "token.revoke", target: "tok_ci", params: {} }),
      await record({ action: "enrollment_token.revoke", target: "tok_enr", params: {} }),
      await record({ action: "settings.time.update", target: "settings/time", params: {} }),
      await record({ action: "device.remove", target: "dev_gone", params: {} }),
    ];
    const expected = [
      ["device", "Lobby Display"],
      ["command", "reboot on Lobby Display"],
      ["batch", "lock to 3 devices"],
      ["admin", "bob@example.com"],
      ["role", "Ops Team"],
      ["role", "Gone Role"],
      ["api_token", "CI deploy"],
      ["enrollment_token", "Warehouse batch"],
      ["setting", "Date and time"],
      ["device", null],
    ];
    expect(items.map((i) => [i.targetKind, i.targetName])).toEqual(expected);
    const page = await audit.list({ sinceMs: 1_700_000_000_000 }, 100, null);
    expect(page.items.map((i) => [i.targetKind, i.targetName]).reverse()).toEqual(expected);
    expect(page.items.map((i) => i.id).reverse()).toEqual(items.map((i) => i.id));
  });

  it("announces the rows after a seq that the bus has not carried, oldest first, with their names", async () => {
    const fresh = await openTestStore(dialect);
    try {
      const events = new EventBus<ServerEvents>(createLogger("silent"));
      const heard: AuditItem[] = [];
      events.on("audit.appended", ({ item }) => heard.push(item));
      const audit = auditLogOver(fresh.store, dialect, events);
      expect(await audit.latestSeq()).toBe(0);
      await insertTargets(fresh.store.db);
      const repoOfOther = new AuditRepository(dialectOf(dialect));
      const written: { seq: number }[] = [];
      for (const target of ["dev_lobby", "rol_ops", "adm_bob"]) {
        written.push(await repoOfOther.append(fresh.store.db, entry({ action: "admin.update", target })));
      }
      const [first, second, third] = written.map((r) => r.seq);
      expect(await audit.latestSeq()).toBe(third);
      expect(await audit.announceSince(0, new Set([String(second)]))).toBe(third);
      expect(heard.map((i) => [i.id, i.target])).toEqual([
        [String(first), "dev_lobby"],
        [String(third), "adm_bob"],
      ]);
      // Names as the kind of the action says: an admin's email for admin.update.
      expect(heard[1]?.targetName).toBe("bob@example.com");
      expect(await audit.announceSince(third!, new Set())).toBe(third);
      expect(heard).toHaveLength(2);
    } finally {
      await fresh.cleanup();
    }
  });

  it("numbers appends from many units at once each once, in order within a unit, losing none", async () => {
    const fresh = await openTestStore(dialect);
    try {
      const units = 40;
      const perUnit = await Promise.all(
        Array.from({ length: units }, (_, u) =>
          fresh.store.unit(async (tx) => {
            const a = await repo.append(tx, entry({ target: `unit-${u}`, params: { n: 0 } }));
            const b = await repo.append(tx, entry({ target: `unit-${u}`, params: { n: 1 } }));
            return [a.seq, b.seq] as const;
          }),
        ),
      );
      for (const [a, b] of perUnit) expect(b).toBeGreaterThan(a);
      const all = perUnit.flat();
      expect(new Set(all).size).toBe(units * 2);
      const stored = await repo.list(fresh.store.db, {}, { limit: 1000, beforeSeq: null });
      expect(stored).toHaveLength(units * 2);
      expect(stored.map((r) => r.seq)).toEqual([...all].sort((x, y) => y - x));
      expect(await repo.latestSeq(fresh.store.db)).toBe(Math.max(...all));

      // Through the log: every row recorded at once is announced once.
      const events = new EventBus<ServerEvents>(createLogger("silent"));
      const heard: string[] = [];
      events.on("audit.appended", ({ item }) => heard.push(item.id));
      const audit = auditLogOver(fresh.store, dialect, events);
      const recorded = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          audit.record({
            actor: null,
            action: "admin.update",
            target: `adm_${i}`,
            params: {},
            outcome: "success",
            sourceAddress: null,
          }),
        ),
      );
      expect(new Set(recorded.map((i) => i.id)).size).toBe(30);
      expect([...heard].sort()).toEqual(recorded.map((i) => i.id).sort());
    } finally {
      await fresh.cleanup();
    }
  });
});
