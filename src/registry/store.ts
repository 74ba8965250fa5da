/**
 * What the registry commands need from storage. The folder store implements
 * it on a local or shared directory; a database backend would implement the
 * same calls (history rows, a transaction for `withLock`, blob storage for
 * files) without touching the commands.
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
  /** Run `fn` with exclusive write access to the whole registry. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  /** Copy a file in (outside the lock: it can be large), hashing it on the way. */
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
  /** Path of a version's stored file (for onnxruntime and scripts). */
  filePath(name: string, version: number, file: string): string;
  /** Version folders present in storage, to find leftovers of interrupted registrations. */
  storedVersions(name: string): Promise<StoredFolder[]>;
  /** Folders of interrupted registers set aside (paths). */
  orphans(name: string): Promise<string[]>;
  /** Under the lock: move an unregistered version folder to the model's orphans; returns where. */
  setAside(name: string, version: number): Promise<string>;
  /** After the register event is appended: the folder is no longer pending. */
  settleVersion(name: string, version: number): Promise<void>;
  /** Under the lock, when the register event could not be appended: remove the committed folder. */
  uncommitVersion(name: string, version: number): Promise<void>;
}
