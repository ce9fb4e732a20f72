/**
 * The server's watch on its database file for commits made by other processes: two real
 * connections to one SQLite file in a temp dir, the server's (watched) and another process's.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AuditEntry, type AuditItem, AuditLog } from "../../../server/admins/audit-log.js";
import { EventBus } from "../../../server/events/event-bus.js";
import type { ServerEvents } from "../../../server/events/server-events.js";
import { createLogger } from "../../../server/logger.js";
import { dialectOf } from "../../../server/store/dialect.js";
import { AuditTargetNames } from "../../../server/store/read-models/audit-target-names.js";
import { AuditRepository } from "../../../server/store/repositories/audit-repository.js";
import { ExternalCommits } from "../../../server/store/sqlite/external-commits.js";
import { openSqliteStore, type SqliteStore } from "../../../server/store/sqlite/sqlite-store.js";

let dir: string;
let serverStore: SqliteStore;
let otherStore: SqliteStore;
let events: EventBus<ServerEvents>;
let serverAudit: AuditLog;
let otherAudit: AuditLog;
let watcher: ExternalCommits;
let announced: AuditItem[];
let accessChanges: number;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pmdm-external-"));
  const file = join(dir, "test.sqlite");
  serverStore = await openSqliteStore(file);
  otherStore = await openSqliteStore(file);
  const logger = createLogger("silent");
  events = new EventBus<ServerEvents>(logger);
  serverAudit = auditLogOver(serverStore, events);
  // The other process has a bus of its own that nobody here hears.
  otherAudit = auditLogOver(otherStore, new EventBus<ServerEvents>(logger));
  announced = [];
  accessChanges = 0;
  events.on("audit.appended", ({ item }) => announced.push(item));
  events.on("access.changed", () => accessChanges++);
  // Looks only when a test asks: no timer races the assertions.
  watcher = new ExternalCommits({
    store: serverStore,
    events,
    audit: serverAudit,
    logger,
    pollIntervalMs: 3_600_000,
  });
  await watcher.start();
});
afterEach(async () => {
  await watcher.stop();
  await otherStore.close();
  await serverStore.close();
  await rm(dir, { recursive: true, force: true });
});

function auditLogOver(store: SqliteStore, bus: EventBus<ServerEvents>): AuditLog {
  const dialect = dialectOf(store.dialect);
  return new AuditLog({
    store,
    repository: new AuditRepository(dialect),
    targetNames: new AuditTargetNames(dialect),
    events: bus,
    clock: Date.now,
  });
}

const entry = (target: string): AuditEntry => ({
  actor: null,
  action: "admin.create",
  target,
  params: {},
  outcome: "success",
  sourceAddress: "test",
});

describe("ExternalCommits", () => {
  it("takes a commit by another connection as an access change, and the server's own never", async () => {
    await serverStore.database.exec("CREATE TABLE scratch (v INTEGER)");
    await serverAudit.record(entry("own"));
    await serverStore.database.write((tx) => tx.run("INSERT INTO scratch VALUES (1)"));
    await watcher.look();
    expect(accessChanges).toBe(0);

    await otherStore.database.write((tx) => tx.run("INSERT INTO scratch VALUES (2)"));
    await watcher.look();
    expect(accessChanges).toBe(1);
    await watcher.look();
    expect(accessChanges).toBe(1);
  });

  it("announces the rows another connection appended, oldest first, and the server's own only once", async () => {
    const before = await serverAudit.record(entry("own-before"));
    await otherAudit.record(entry("other-1"));
    await otherAudit.record(entry("other-2"));
    const after = await serverAudit.record(entry("own-after"));
    await watcher.look();
    expect(announced.map((i) => i.target)).toEqual(["own-before", "own-after", "other-1", "other-2"]);

    await otherAudit.record(entry("other-3"));
    await watcher.look();
    await watcher.look();
    expect(announced.map((i) => i.target)).toEqual([
      "own-before",
      "own-after",
      "other-1",
      "other-2",
      "other-3",
    ]);
    expect(announced.filter((i) => i.id === before.id || i.id === after.id)).toHaveLength(2);
  });

  it("announces more rows than one read takes, each once, in order", async () => {
    await otherStore.unit(async (tx) => {
      for (let i = 0; i < 1234; i++) await otherAudit.append(tx, entry(`other-${i}`));
    });
    await watcher.look();
    expect(announced.map((i) => i.target)).toEqual(Array.from({ length: 1234 }, (_, i) => `other-${i}`));
  });

  it("announces nothing that was in the log before it started", async () => {
    await watcher.stop();
    await otherAudit.record(entry("history"));
    watcher = new ExternalCommits({
      store: serverStore,
      events,
      audit: serverAudit,
      logger: createLogger("silent"),
      pollIntervalMs: 3_600_000,
    });
    await watcher.start();
    await otherAudit.record(entry("news"));
    await watcher.look();
    expect(announced.map((i) => i.target)).toEqual(["news"]);
  });
});
