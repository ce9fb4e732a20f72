/**
 * One suite for every AgentStorage (as aedes does for its persistence backends), then what
 * only the file storage promises: surviving a reload, atomic writes, private files.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AgentStorage,
  type Identity,
  type JournalEntry,
  MAX_JOURNAL_ENTRIES,
} from "../../../../agent/storage/agent-storage.js";
import { writeFileAtomic } from "../../../../agent/storage/atomic-file.js";
import {
  FileAgentStorage,
  IDENTITY_FILE,
  JOURNAL_FILE,
  TOMBSTONE_FILE,
} from "../../../../agent/storage/file-storage.js";
import { MemoryAgentStorage } from "../../../../agent/storage/memory-storage.js";

const IDENTITY: Identity = {
  deviceId: "dev_1",
  secret: "pds_s",
  mqttUrl: "mqtt://h:1883",
  serverUrl: "http://h:8080",
  enrolledAtMs: 1,
};

function entry(seq: number, overrides: Partial<JournalEntry> = {}): JournalEntry {
  return { commandId: `cmd_${seq}`, seq, type: "lock", state: "accepted", ...overrides };
}

let dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pmdm-agent-storage-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  dirs = [];
});

const implementations: [string, () => Promise<AgentStorage>][] = [
  ["MemoryAgentStorage", async () => new MemoryAgentStorage()],
  ["FileAgentStorage", async () => new FileAgentStorage(await tempDir())],
];

describe.each(implementations)("%s", (_name, create) => {
  let storage: AgentStorage;
  beforeEach(async () => {
    storage = await create();
    await storage.load();
  });

  it("starts empty", () => {
    expect(storage.identity()).toBeNull();
    expect(storage.tombstone()).toBeNull();
    expect(storage.journalEntries()).toEqual([]);
    expect(storage.lastSeq()).toBe(0);
    expect(storage.appliedConfigVersion()).toBe(0);
  });

  it("keeps and forgets the identity", async () => {
    await storage.saveIdentity(IDENTITY);
    expect(storage.identity()).toEqual(IDENTITY);
    await storage.clearIdentity();
    expect(storage.identity()).toBeNull();
  });

  it("replaces a journal entry by command id and keeps arrival order", async () => {
    await storage.putJournalEntry(entry(1));
    await storage.putJournalEntry(entry(2));
    const result = { commandId: "cmd_1", status: "succeeded" as const, errorCode: "", message: "", atMs: 5 };
    await storage.putJournalEntry(entry(1, { state: "done", result }));
    expect(storage.journalEntries().map((e) => e.commandId)).toEqual(["cmd_1", "cmd_2"]);
    expect(storage.journalEntry("cmd_1")).toMatchObject({ state: "done", result });
    expect(storage.lastSeq()).toBe(2);
  });

  it("does not let a rejected command raise the seq floor", async () => {
    await storage.putJournalEntry(entry(3));
    const rejected = {
      commandId: "cmd_99",
      status: "rejected" as const,
      errorCode: "expired",
      message: "",
      atMs: 1,
    };
    await storage.putJournalEntry(entry(99, { state: "done", result: rejected }));
    expect(storage.lastSeq()).toBe(3);
  });

  it(`keeps the last ${MAX_JOURNAL_ENTRIES} entries and the highest seq beyond them`, async () => {
    for (let seq = 1; seq <= MAX_JOURNAL_ENTRIES + 100; seq++) storage.putJournalEntry(entry(seq));
    await storage.putJournalEntry(entry(MAX_JOURNAL_ENTRIES + 101));
    expect(storage.journalEntries()).toHaveLength(MAX_JOURNAL_ENTRIES);
    expect(storage.journalEntry("cmd_1")).toBeUndefined();
    expect(storage.journalEntry("cmd_102")).toBeDefined();
    expect(storage.lastSeq()).toBe(MAX_JOURNAL_ENTRIES + 101);
  });

  it("wipes identity, journal and config version, but never the tombstone", async () => {
    await storage.saveIdentity(IDENTITY);
    await storage.putJournalEntry(entry(4));
    await storage.setAppliedConfigVersion(3);
    await storage.writeTombstone({ deviceId: "dev_1", atMs: 2, reason: "deactivated" });
    await storage.wipe();
    expect(storage.identity()).toBeNull();
    expect(storage.journalEntries()).toEqual([]);
    expect(storage.lastSeq()).toBe(0);
    expect(storage.appliedConfigVersion()).toBe(0);
    expect(storage.tombstone()?.reason).toBe("deactivated");
  });
});

describe("FileAgentStorage on disk", () => {
  it("finds everything again after a reload (a restart of the agent)", async () => {
    const dir = await tempDir();
    const first = new FileAgentStorage(dir);
    await first.load();
    await first.saveIdentity(IDENTITY);
    await first.putJournalEntry(entry(7, { state: "rebooting", bootTimeMsAtAccept: 123 }));
    await first.setAppliedConfigVersion(3);
    await first.writeTombstone({ deviceId: "dev_1", atMs: 2, reason: "r" });

    const second = new FileAgentStorage(dir);
    await second.load();
    expect(second.identity()).toEqual(IDENTITY);
    expect(second.journalEntry("cmd_7")).toEqual(entry(7, { state: "rebooting", bootTimeMsAtAccept: 123 }));
    expect(second.lastSeq()).toBe(7);
    expect(second.appliedConfigVersion()).toBe(3);
    expect(second.tombstone()?.reason).toBe("r");

    await second.wipe();
    const third = new FileAgentStorage(dir);
    await third.load();
    expect(third.identity()).toBeNull();
    expect(third.lastSeq()).toBe(0);
    expect(third.tombstone()?.reason).toBe("r");
  });

  it("writes its files readable by the owner only", async () => {
    const dir = await tempDir();
    const storage = new FileAgentStorage(dir);
    await storage.load();
    await storage.saveIdentity(IDENTITY);
    await storage.putJournalEntry(entry(1));
    await storage.writeTombstone({ deviceId: null, atMs: 1, reason: "r" });
    for (const file of [IDENTITY_FILE, JOURNAL_FILE, TOMBSTONE_FILE]) {
      expect((await stat(join(dir, file))).mode & 0o777, file).toBe(0o600);
    }
  });

  it("keeps the last complete write when a crash left a half-written temporary file", async () => {
    const dir = await tempDir();
    const storage = new FileAgentStorage(dir);
    await storage.load();
    await storage.saveIdentity(IDENTITY);
    // A crash mid-write leaves only a partial temporary file; the real file is untouched.
    await writeFile(join(dir, `${IDENTITY_FILE}.0badc0ffee.tmp`), '{"deviceId": "dev_2", "sec');
    const reloaded = new FileAgentStorage(dir);
    await reloaded.load();
    expect(reloaded.identity()).toEqual(IDENTITY);
    expect(await readdir(dir)).not.toContain(`${IDENTITY_FILE}.0badc0ffee.tmp`);
  });

  it("lands concurrent journal writes in order, so the file holds the newest state", async () => {
    const dir = await tempDir();
    const storage = new FileAgentStorage(dir);
    await storage.load();
    await Promise.all(Array.from({ length: 50 }, (_, i) => storage.putJournalEntry(entry(i + 1))));
    const reloaded = new FileAgentStorage(dir);
    await reloaded.load();
    expect(reloaded.journalEntries()).toHaveLength(50);
    expect(reloaded.lastSeq()).toBe(50);
    expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("refuses to start from a corrupt identity rather than enrolling again", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, IDENTITY_FILE), "{not json");
    await expect(new FileAgentStorage(dir).load()).rejects.toThrow(/identity\.json is not valid JSON/);
  });
});

describe("writeFileAtomic", () => {
  it("replaces the whole content and leaves no temporary file", async () => {
    const dir = await tempDir();
    const file = join(dir, "f.json");
    await writeFileAtomic(file, "old");
    await writeFileAtomic(file, "new");
    expect(await readFile(file, "utf8")).toBe("new");
    expect(await readdir(dir)).toEqual(["f.json"]);
  });
});
