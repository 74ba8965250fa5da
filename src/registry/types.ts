/** Registry records and events. History is the source of truth; state is folded from it. */
/** An input or output as recorded (the JSON of onnx/'s ValueSignature: the registry stores it, it does not read models). */
export interface RecordedValue {
  name: string;
  kind: 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse_tensor' | 'unknown';
  type: string;
  shape: Array<number | string | null> | null;
}

export interface ModelSignature {
  inputs: RecordedValue[];
  outputs: RecordedValue[];
}

export interface VersionRef {
  name: string;
  version: number;
}

/** Everything recorded about a version when it is registered; never changes afterwards. */
export interface VersionRecord {
  name: string;
  version: number;
  /** File name inside the version folder. */
  file: string;
  sha256: string;
  size_bytes: number;
  source_path: string;
  description: string;
  tags: Record<string, string>;
  metrics: Record<string, number>;
  signature: ModelSignature;
  producer: string;
  ir_version: number;
  opsets: Record<string, number>;
  git_commit: string | null;
  parent: VersionRef | null;
  created_at: string;
  created_by: string;
}

/** What the registry records about a model's content; decided by check/registrable.ts, which reads the model. */
export type ModelFacts = Pick<VersionRecord, 'signature' | 'producer' | 'ir_version' | 'opsets'>;

export interface Actor {
  /** Who: `github:octocat`, `gitlab:jane`, or the local user name. */
  actor: string;
  /** The CI job that acted, when there is one. */
  ci_url?: string;
  host: string;
}

interface EventBase extends Actor {
  /** Position in the model's history, from 1. */
  seq: number;
  at: string;
  reason?: string;
}

export interface RegisterEvent extends EventBase {
  type: 'register';
  version: number;
  record: VersionRecord;
}

export interface AliasEvent extends EventBase {
  type: 'alias';
  action: 'promote' | 'rollback';
  alias: string;
  from: number | null;
  to: number;
  /** Recorded when a promotion gate (checklist) was overridden. */
  forced?: boolean;
  /** The checklists that gated this promotion: config, where it came from, sha256, verdict, what did not pass. */
  checklists?: ChecklistRun[];
  /** Written by earlier releases (one per-call checklist); read as `checklists: [checklist]`. */
  checklist?: Record<string, unknown>;
  /** The policy changes (their seq in the policy history) in force for this promotion. */
  policy_seq?: number[];
}

/** One checklist run by a promotion gate, as history records it. */
export interface ChecklistRun {
  /** The path as the policy or --checklist gave it. */
  config: string;
  /** Where it was read on the promoting machine. */
  path: string;
  sha256: string;
  /** `--checklist`, `policy` (registry-wide) or `policy for <model>`. */
  source: string;
  /** The sha256 recorded when the policy was set, when the file has changed since. */
  policy_sha256?: string;
  passed: boolean;
  counts: Record<string, number>;
  not_passed: string[];
}

/** The gates an alias policy sets; a change replaces the whole policy. */
export interface PolicyEvent extends EventBase {
  type: 'policy';
  action: 'set' | 'clear';
  alias: string;
  /** null: every model in the registry; a name: that model only, on top of the registry-wide policy. */
  model: string | null;
  /** Aliases the version must hold or have held before it moves to `alias`. */
  require?: string[];
  /** A checklist to pass: the path as given (a relative path is read from the promoting process's folder), sha256 when set. */
  checklist?: { path: string; sha256: string } | null;
}

export type NewPolicyEvent = Omit<PolicyEvent, 'seq'>;

export interface ArchiveEvent extends EventBase {
  type: 'archive';
  version: number;
}

export type RegistryEvent = RegisterEvent | AliasEvent | ArchiveEvent;

/** An event before the store numbers it. */
export type NewEvent = Omit<RegisterEvent, 'seq'> | Omit<AliasEvent, 'seq'> | Omit<ArchiveEvent, 'seq'>;
