/** Registry records and events. History is the source of truth; state is folded from it. */
import type { ValueSignature } from '../onnx/graph.js';

export interface ModelSignature {
  inputs: ValueSignature[];
  outputs: ValueSignature[];
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
  /** The checklist that gated this promotion: config, verdict, what did not pass. */
  checklist?: Record<string, unknown>;
}

export interface ArchiveEvent extends EventBase {
  type: 'archive';
  version: number;
}

export type RegistryEvent = RegisterEvent | AliasEvent | ArchiveEvent;

/** An event before the store numbers it. */
export type NewEvent = Omit<RegisterEvent, 'seq'> | Omit<AliasEvent, 'seq'> | Omit<ArchiveEvent, 'seq'>;
