import type { CommandResult, CommandType } from "../../proto/wire.js";

/** The server's command-signing keys that the agent trusts. */
export interface PinnedKeys {
  /** The server's key ring version; a key set with a version not above it is ignored. */
  version: number;
  /** Ed25519 public keys, raw 32 bytes in base64. */
  keys: { keyId: string; publicKey: string }[];
}

/** What the agent received at enrollment. */
export interface Identity {
  deviceId: string;
  secret: string;
  /**
   * The first of `mqttUrls`, kept so that an older agent reading this identity still connects;
   * changed alone (by hand), it becomes the preferred URL (see brokerUrlsOf).
   */
  mqttUrl: string;
  /**
   * The broker URLs to try, preferred first (the nodes of the service): from enrollment, then
   * replaced by each valid list a desired config carries. Absent in an identity saved by an
   * agent that knew one URL only: then `mqttUrl` is the list.
   */
  mqttUrls?: string[];
  serverUrl: string;
  enrolledAtMs: number;
  /**
   * Pinned at enrollment, replaced by newer key sets the server signs. Absent only in an
   * identity saved by an agent from before commands were signed (see AgentCore.trustKeySet).
   */
  serverKeys?: PinnedKeys;
}

/**
 * The broker URLs an identity names, preferred first. The agent keeps `mqttUrl` the first of
 * `mqttUrls`; when the two disagree, `mqttUrl` was changed on purpose (by hand, to move the
 * device) and goes first.
 */
export function brokerUrlsOf(identity: Identity): string[] {
  const listed = identity.mqttUrls ?? [];
  return [identity.mqttUrl, ...listed.filter((url) => url !== identity.mqttUrl)];
}

export type JournalState = "accepted" | "rebooting" | "done";

/**
 * One command the agent has seen. An entry is written before the agent acts, so after a
 * crash it knows the command was started and never runs it a second time.
 */
export interface JournalEntry {
  commandId: string;
  seq: number;
  type: CommandType;
  /** `accepted`: being executed (or interrupted); `rebooting`: waiting for the restart; `done`: result final. */
  state: JournalState;
  /** The final result, once `state` is `done`. */
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
  /** Oldest first. */
  journalEntries(): JournalEntry[];
  /** Inserts or replaces the entry for its command id; see {@link raisesLastSeq}. */
  putJournalEntry(entry: JournalEntry): Promise<void>;
  /** Highest seq of a command the agent took on; survives trimming of old entries. */
  lastSeq(): number;
  appliedConfigVersion(): number;
  setAppliedConfigVersion(version: number): Promise<void>;
  /** Forgets identity, commands and config (factory reset); the tombstone is never wiped. */
  wipe(): Promise<void>;
}

/** Journal entries kept; older ones are trimmed (their seq stays covered by lastSeq). */
export const MAX_JOURNAL_ENTRIES = 1000;

export interface JournalSnapshot {
  entries: JournalEntry[];
  lastSeq: number;
  appliedConfigVersion: number;
}

export function emptyJournal(): JournalSnapshot {
  return { entries: [], lastSeq: 0, appliedConfigVersion: 0 };
}

/**
 * Only a command the agent took on moves the seq floor. A rejected one (expired, out of
 * order) must not: a stale command carrying a huge seq would otherwise make the device
 * refuse every later command.
 */
export function raisesLastSeq(entry: JournalEntry): boolean {
  return entry.result?.status !== "rejected";
}

/**
 * The journal in memory, shared by both storages: entries by id in insertion order,
 * trimmed to {@link MAX_JOURNAL_ENTRIES}, plus the seq floor and the applied config version.
 */
export class Journal {
  /** A Map iterates in insertion order, which is the order commands arrived. */
  private readonly entriesById = new Map<string, JournalEntry>();
  private highestSeq = 0;
  private configVersion = 0;

  static from(snapshot: JournalSnapshot): Journal {
    const journal = new Journal();
    for (const entry of snapshot.entries) journal.entriesById.set(entry.commandId, entry);
    journal.highestSeq = snapshot.lastSeq;
    journal.configVersion = snapshot.appliedConfigVersion;
    return journal;
  }

  get(commandId: string): JournalEntry | undefined {
    return this.entriesById.get(commandId);
  }

  entries(): JournalEntry[] {
    return [...this.entriesById.values()];
  }

  put(entry: JournalEntry): void {
    this.entriesById.set(entry.commandId, { ...entry });
    if (raisesLastSeq(entry) && entry.seq > this.highestSeq) this.highestSeq = entry.seq;
    for (const oldest of this.entriesById.keys()) {
      if (this.entriesById.size <= MAX_JOURNAL_ENTRIES) break;
      this.entriesById.delete(oldest);
    }
  }

  get lastSeq(): number {
    return this.highestSeq;
  }

  get appliedConfigVersion(): number {
    return this.configVersion;
  }

  set appliedConfigVersion(version: number) {
    this.configVersion = version;
  }

  snapshot(): JournalSnapshot {
    return { entries: this.entries(), lastSeq: this.highestSeq, appliedConfigVersion: this.configVersion };
  }
}
