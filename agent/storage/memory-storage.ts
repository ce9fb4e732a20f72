import {
  type AgentStorage,
  applyJournalEntry,
  emptyJournal,
  type Identity,
  type JournalEntry,
  type JournalState,
  type Tombstone,
} from "./agent-storage.js";

/**
 * Keeps everything in memory. The simulator reuses one instance across a simulated reboot,
 * which is what a disk does for a real device.
 */
export class MemoryAgentStorage implements AgentStorage {
  private currentIdentity: Identity | null = null;
  private currentTombstone: Tombstone | null = null;
  private journal: JournalState = emptyJournal();
  private readonly index = new Map<string, JournalEntry>();

  async load(): Promise<void> {}

  identity(): Identity | null {
    return this.currentIdentity;
  }
  async saveIdentity(identity: Identity): Promise<void> {
    this.currentIdentity = { ...identity };
  }
  async clearIdentity(): Promise<void> {
    this.currentIdentity = null;
  }
  tombstone(): Tombstone | null {
    return this.currentTombstone;
  }
  async writeTombstone(tombstone: Tombstone): Promise<void> {
    this.currentTombstone = { ...tombstone };
  }
  journalEntry(commandId: string): JournalEntry | undefined {
    return this.index.get(commandId);
  }
  journalEntries(): JournalEntry[] {
    return [...this.journal.entries];
  }
  async putJournalEntry(entry: JournalEntry): Promise<void> {
    applyJournalEntry(this.journal, this.index, { ...entry });
  }
  lastSeq(): number {
    return this.journal.lastSeq;
  }
  appliedConfigVersion(): number {
    return this.journal.appliedConfigVersion;
  }
  async setAppliedConfigVersion(version: number): Promise<void> {
    this.journal.appliedConfigVersion = version;
  }
  async wipe(): Promise<void> {
    this.currentIdentity = null;
    this.journal = emptyJournal();
    this.index.clear();
  }
}
