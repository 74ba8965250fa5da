/**
 * What the registry commands need from storage. The folder store implements
 * it on a local or shared directory (folder-store.ts), the PostgreSQL store on
 * a database (postgres/pg-store.ts: history rows, a transaction for
 * `withLock`, chunked blobs for files); the commands do not know which.
 */
import type { NewEvent, NewPolicyEvent, PolicyEvent, RegistryEvent, VersionRecord } from './types.js';

/** A version folder present in storage. */
export interface StoredFolder {
  version: number;
  path: string;
  /** Its register never appended its event (killed between rename and append). */
  pending: boolean;
  /** Holds the model file and version.json. */
  complete: boolean;
  /** A database's version row: the blob it points at, and what verify says when no event records it. */
  sha256?: string;
  detail?: string;
}

/** What a store needs to find a version's bytes. */
export type StoredRecord = Pick<VersionRecord, 'name' | 'version' | 'file' | 'sha256'>;

export interface SchemaStatus {
  /** 0: not initialized (an empty database). */
  current: number;
  /** What this mlops writes. */
  supported: number;
}

/** A model file copied into the store's staging area, not yet a version. */
export interface StagedFile {
  id: string;
  sha256: string;
  sizeBytes: number;
}

export interface RegistryStore {
  /** Human-readable location, for messages. */
  readonly location: string;
  listModels(): Promise<string[]>;
  /** Events of one model in order; [] when the model does not exist. */
  readHistory(name: string): Promise<RegistryEvent[]>;
  /**
   * Run `fn` with exclusive write access to the whole registry. With `staged`, the
   * staged file is stored first (in PostgreSQL: in the same transaction, before the lock).
   */
  withLock<T>(fn: () => Promise<T>, staged?: StagedFile): Promise<T>;
  /** Take a file in (outside the lock: it can be large), hashing it on the way. */
  stage(sourcePath: string): Promise<StagedFile>;
  discard(staged: StagedFile): Promise<void>;
  /** Under the lock: make a staged file version `record.version` (atomic), then its register event is appended. */
  commitVersion(staged: StagedFile, record: VersionRecord): Promise<void>;
  /** Under the lock: append events; returns them numbered. */
  append(name: string, events: NewEvent[]): Promise<RegistryEvent[]>;
  /** Registry-wide alias policy changes in order; [] when there are none. */
  readPolicyHistory(): Promise<PolicyEvent[]>;
  /** Under the lock: append policy changes; returns them numbered (their own sequence, from 1). */
  appendPolicy(events: NewPolicyEvent[]): Promise<PolicyEvent[]>;
  /** Path of a version's file on this machine (for onnxruntime and scripts); see `materialize`. */
  filePath(record: StoredRecord): string;
  /**
   * Make `filePath(record)` hold the version's bytes (a database store downloads them
   * into its cache, checking the sha256). `verified`: the bytes were hashed on the way.
   */
  materialize(record: StoredRecord): Promise<{ path: string; verified: boolean }>;
  /** The sha256 of the stored bytes, read from storage itself (not a cache); null when they are missing. */
  storedSha256(record: StoredRecord): Promise<{ where: string; sha256: string | null }>;
  /**
   * Call `onChange` when histories may have changed (the names, or null for "any"),
   * until `signal` aborts. It calls `onChange(null)` once it is watching, so a caller
   * that read state before calling misses nothing; `onError` hears of lost
   * connections, after which it reconnects and calls `onChange(null)` again.
   */
  watchChanges(
    onChange: (names: string[] | null) => void,
    signal: AbortSignal,
    onError?: (err: unknown) => void,
  ): Promise<void>;
  /** Schema state of a database store; a folder has none. */
  schema?(): Promise<SchemaStatus>;
  /** Bring a database store's schema up to `target` (default: what this mlops writes). */
  migrate?(target?: number): Promise<{ from: number; to: number }>;
  /** Version folders present in storage, to find leftovers of interrupted registrations. */
  storedVersions(name: string): Promise<StoredFolder[]>;
  /** storedVersions lists every version (a database's version rows), so a registered version missing from it is damage. */
  readonly listsEveryVersion?: boolean;
  /** Folders of interrupted registers set aside (paths). */
  orphans(name: string): Promise<string[]>;
  /** Under the lock: move an unregistered version folder to the model's orphans; returns where. */
  setAside(name: string, version: number): Promise<string>;
  /** After the register event is appended: the folder is no longer pending. */
  settleVersion(name: string, version: number): Promise<void>;
  /** Under the lock, when the register event could not be appended: remove the committed folder. */
  uncommitVersion(name: string, version: number): Promise<void>;
}
