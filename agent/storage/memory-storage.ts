import type { AgentStorage, Identity, JournalEntry, Tombstone } from "./agent-storage.js";
import { Journal } from "./agent-storage.js";

/**
 * Keeps everything in memory. The simulator reuses one instance across a simulated reboot,
 * which is what a disk does for a real device.
 */
export class MemoryAgentStorage implements AgentStorage {
  private currentIdentity: Identity | null = null;
  private currentTombstone: Tombstone | null = null;
  private journal = new Journal();

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
    return this.journal.get(commandId);
  }

  journalEntries(): JournalEntry[] {
    return this.journal.entries();
  }

  async putJournalEntry(entry: JournalEntry): Promise<void> {
    this.journal.put(entry);
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
    this.journal = new Journal();
  }
}
