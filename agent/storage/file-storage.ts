/**
 * The agent's state on disk, for real devices: `identity.json` (the credential),
 * `journal.json` (commands seen, highest seq, applied config version) and `tombstone.json`
 * (written once, when the device is permanently deactivated). Every write is atomic: a
 * temporary file is written and fsynced, renamed over the old one, and the directory fsynced,
 * so a power cut leaves either the old or the new content, never a mix.
 */
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  type AgentStorage,
  applyJournalEntry,
  emptyJournal,
  type Identity,
  type JournalEntry,
  type JournalState,
  type Tombstone,
} from "./agent-storage.js";

const IDENTITY_FILE = "identity.json";
const JOURNAL_FILE = "journal.json";
const TOMBSTONE_FILE = "tombstone.json";

export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await open(tmp, "w", 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  const dir = await open(join(file, ".."), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
}

export class FileAgentStorage implements AgentStorage {
  private currentIdentity: Identity | null = null;
  private currentTombstone: Tombstone | null = null;
  private journal: JournalState = emptyJournal();
  private readonly index = new Map<string, JournalEntry>();
  /** Journal writes are serialized so an older snapshot never lands after a newer one. */
  private journalWrite: Promise<void> = Promise.resolve();

  constructor(readonly dataDir: string) {}

  private path(name: string): string {
    return join(this.dataDir, name);
  }

  async load(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    this.currentIdentity = await readJson<Identity>(this.path(IDENTITY_FILE));
    this.currentTombstone = await readJson<Tombstone>(this.path(TOMBSTONE_FILE));
    this.journal = (await readJson<JournalState>(this.path(JOURNAL_FILE))) ?? emptyJournal();
    this.index.clear();
    for (const entry of this.journal.entries) this.index.set(entry.commandId, entry);
  }

  identity(): Identity | null {
    return this.currentIdentity;
  }
  async saveIdentity(identity: Identity): Promise<void> {
    await writeFileAtomic(this.path(IDENTITY_FILE), JSON.stringify(identity, null, 2));
    this.currentIdentity = { ...identity };
  }
  async clearIdentity(): Promise<void> {
    await rm(this.path(IDENTITY_FILE), { force: true });
    this.currentIdentity = null;
  }
  tombstone(): Tombstone | null {
    return this.currentTombstone;
  }
  async writeTombstone(tombstone: Tombstone): Promise<void> {
    await writeFileAtomic(this.path(TOMBSTONE_FILE), JSON.stringify(tombstone, null, 2));
    this.currentTombstone = { ...tombstone };
  }
  journalEntry(commandId: string): JournalEntry | undefined {
    return this.index.get(commandId);
  }
  journalEntries(): JournalEntry[] {
    return [...this.journal.entries];
  }
  putJournalEntry(entry: JournalEntry): Promise<void> {
    applyJournalEntry(this.journal, this.index, { ...entry });
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
    await this.clearIdentity();
    this.journal = emptyJournal();
    this.index.clear();
    await this.persistJournal();
  }

  private persistJournal(): Promise<void> {
    const snapshot = JSON.stringify(this.journal);
    const write = this.journalWrite.then(() => writeFileAtomic(this.path(JOURNAL_FILE), snapshot));
    this.journalWrite = write.catch(() => undefined);
    return write;
  }
}
