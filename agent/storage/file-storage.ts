/**
 * The agent's state on disk, for real devices: `identity.json` (the credential),
 * `journal.json` (commands seen, highest seq, applied config version) and `tombstone.json`
 * (written once, when the device is permanently deactivated). Every write is atomic and
 * durable before it resolves (see atomic-file.ts); files are readable by the owner only.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  type AgentStorage,
  type Identity,
  Journal,
  type JournalEntry,
  type JournalSnapshot,
  type Tombstone,
} from "./agent-storage.js";
import { readJsonFile, removeFileDurably, removeStaleTempFiles, writeFileAtomic } from "./atomic-file.js";

export const IDENTITY_FILE = "identity.json";
export const JOURNAL_FILE = "journal.json";
export const TOMBSTONE_FILE = "tombstone.json";

export class FileAgentStorage implements AgentStorage {
  private currentIdentity: Identity | null = null;
  private currentTombstone: Tombstone | null = null;
  private journal = new Journal();
  /**
   * All writes go through one chain: an older journal snapshot never lands after a newer
   * one, and a wipe is never overtaken by a write it should have erased.
   */
  private writes: Promise<void> = Promise.resolve();
  /** A journal write waiting its turn in `writes`. */
  private queuedJournalWrite: Promise<void> | null = null;

  constructor(readonly dataDir: string) {}

  private path(name: string): string {
    return join(this.dataDir, name);
  }

  async load(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    await removeStaleTempFiles(this.dataDir, [IDENTITY_FILE, JOURNAL_FILE, TOMBSTONE_FILE]);
    this.currentIdentity = await readJsonFile<Identity>(this.path(IDENTITY_FILE));
    this.currentTombstone = await readJsonFile<Tombstone>(this.path(TOMBSTONE_FILE));
    const snapshot = await readJsonFile<JournalSnapshot>(this.path(JOURNAL_FILE));
    this.journal = snapshot ? Journal.from(snapshot) : new Journal();
  }

  identity(): Identity | null {
    return this.currentIdentity;
  }

  async saveIdentity(identity: Identity): Promise<void> {
    const saved = { ...identity };
    await this.write(() => writeFileAtomic(this.path(IDENTITY_FILE), JSON.stringify(saved, null, 2)));
    this.currentIdentity = saved;
  }

  async clearIdentity(): Promise<void> {
    this.currentIdentity = null;
    await this.write(() => removeFileDurably(this.path(IDENTITY_FILE)));
  }

  tombstone(): Tombstone | null {
    return this.currentTombstone;
  }

  async writeTombstone(tombstone: Tombstone): Promise<void> {
    const saved = { ...tombstone };
    await this.write(() => writeFileAtomic(this.path(TOMBSTONE_FILE), JSON.stringify(saved, null, 2)));
    this.currentTombstone = saved;
  }

  journalEntry(commandId: string): JournalEntry | undefined {
    return this.journal.get(commandId);
  }

  journalEntries(): JournalEntry[] {
    return this.journal.entries();
  }

  putJournalEntry(entry: JournalEntry): Promise<void> {
    this.journal.put(entry);
    return this.persistJournal();
  }

  lastSeq(): number {
    return this.journal.lastSeq;
  }

  appliedConfigVersion(): number {
    return this.journal.appliedConfigVersion;
  }

  setAppliedConfigVersion(version: number): Promise<void> {
    this.journal.appliedConfigVersion = version;
    return this.persistJournal();
  }

  async wipe(): Promise<void> {
    this.journal = new Journal();
    await Promise.all([this.clearIdentity(), this.persistJournal()]);
  }

  /**
   * A burst of journal changes costs one or two file writes: a write that has not started yet
   * takes the newest state when it starts, and everyone waiting on it is covered by it.
   */
  private persistJournal(): Promise<void> {
    if (this.queuedJournalWrite) return this.queuedJournalWrite;
    const queued = this.write(() => {
      this.queuedJournalWrite = null;
      return writeFileAtomic(this.path(JOURNAL_FILE), JSON.stringify(this.journal.snapshot()));
    });
    this.queuedJournalWrite = queued;
    return queued;
  }

  private write(step: () => Promise<void>): Promise<void> {
    const done = this.writes.then(step);
    this.writes = done.catch(() => undefined);
    return done;
  }
}
