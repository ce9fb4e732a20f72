import type { CommandResult, CommandType } from "../../proto/wire.js";

/** What the agent received at enrollment. */
export interface Identity {
  deviceId: string;
  secret: string;
  mqttUrl: string;
  serverUrl: string;
  enrolledAtMs: number;
}

/**
 * One command the agent has seen. An entry is written before the agent acts, so after a
 * crash it knows the command was started and never runs it a second time.
 */
export interface JournalEntry {
  commandId: string;
  seq: number;
  type: CommandType | "unknown";
  /** `accepted`: being executed (or interrupted); `rebooting`: waiting for the restart; `done`: result final. */
  state: "accepted" | "rebooting" | "done";
  result?: CommandResult;
  /** Boot time when a reboot was accepted; a different boot time later proves the reboot. */
  bootTimeMsAtAccept?: number;
}

export interface Tombstone {
  deviceId: string | null;
  atMs: number;
  reason: string;
}

/**
 * The agent's durable memory. Reads are synchronous (everything is loaded by `load()`);
 * every write resolves only once it is durable.
 */
export interface AgentStorage {
  load(): Promise<void>;
  identity(): Identity | null;
  saveIdentity(identity: Identity): Promise<void>;
  clearIdentity(): Promise<void>;
  tombstone(): Tombstone | null;
  writeTombstone(tombstone: Tombstone): Promise<void>;
  journalEntry(commandId: string): JournalEntry | undefined;
  journalEntries(): JournalEntry[];
  /** Records an entry and raises the highest seq seen when the entry's is higher. */
  putJournalEntry(entry: JournalEntry): Promise<void>;
  /** Highest seq ever accepted; survives trimming of old entries. */
  lastSeq(): number;
  appliedConfigVersion(): number;
  setAppliedConfigVersion(version: number): Promise<void>;
  /** Forgets commands and config (factory reset); the tombstone is never wiped. */
  wipe(): Promise<void>;
}

/** Journal entries kept; older ones are trimmed (their seq stays covered by lastSeq). */
export const MAX_JOURNAL_ENTRIES = 1000;

export interface JournalState {
  entries: JournalEntry[];
  lastSeq: number;
  appliedConfigVersion: number;
}

export function emptyJournal(): JournalState {
  return { entries: [], lastSeq: 0, appliedConfigVersion: 0 };
}

/** Shared by both storages: insert or replace, trim, raise lastSeq. */
export function applyJournalEntry(
  state: JournalState,
  index: Map<string, JournalEntry>,
  entry: JournalEntry,
): void {
  const existing = index.get(entry.commandId);
  if (existing) {
    state.entries[state.entries.indexOf(existing)] = entry;
  } else {
    state.entries.push(entry);
    if (state.entries.length > MAX_JOURNAL_ENTRIES) {
      const dropped = state.entries.splice(0, state.entries.length - MAX_JOURNAL_ENTRIES);
      for (const old of dropped) index.delete(old.commandId);
    }
  }
  index.set(entry.commandId, entry);
  if (entry.seq > state.lastSeq) state.lastSeq = entry.seq;
}
