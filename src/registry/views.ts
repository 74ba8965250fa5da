/**
 * The shapes registry results take in the programmatic API and in `--json`.
 * Storage (history.jsonl, version.json) keeps its own field names so existing
 * registries still read; every document we hand out calls a model version
 * `model_version` (as the Open Inference Protocol does), because `version` is
 * the schema version of a `--json` document.
 */
import type { PolicyView } from './policy.js';
import type { RegistryStore } from './store.js';
import { aliasesOf, type ModelState } from './state.js';
import type { AliasEvent, Actor, ChecklistRun, RegistryEvent, VersionRecord } from './types.js';

/** A model version as documents name it. */
export interface ModelVersionRef {
  name: string;
  model_version: number;
}

/** What was recorded when the version was registered, as documents show it. */
export interface RecordView extends Omit<VersionRecord, 'version' | 'parent'> {
  model_version: number;
  parent: ModelVersionRef | null;
}

/** The one version record shape of `show`, `register`, `path`, `promote` and `rollback`. */
export interface VersionView extends RecordView {
  /** Aliases pointing at this version now. */
  aliases: string[];
  archived: boolean;
  /** The stored file. */
  path: string;
  /** Versions registered with this one as parent. */
  children: number[];
  /** The alias policies (gates) that apply to this model: registry-wide ones and its own, with who set them. */
  policies: PolicyView[];
}

interface EventViewBase extends Actor {
  seq: number;
  at: string;
  reason?: string;
}

export type EventView =
  | (EventViewBase & { type: 'register'; model_version: number; record: RecordView })
  | (EventViewBase & { type: 'archive'; model_version: number })
  | Omit<AliasEvent, 'checklist'>;

export function recordView(record: VersionRecord): RecordView {
  const { name, version, parent, ...rest } = record;
  return {
    name,
    model_version: version,
    ...rest,
    parent: parent ? { name: parent.name, model_version: parent.version } : null,
  };
}

export function versionView(
  store: RegistryStore,
  state: ModelState,
  record: VersionRecord,
  policies: PolicyView[],
): VersionView {
  return {
    ...recordView(record),
    aliases: aliasesOf(state, record.version),
    archived: state.archived.has(record.version),
    path: store.filePath(record),
    children: [...state.versions.values()]
      .filter((r) => r.parent?.name === record.name && r.parent.version === record.version)
      .map((r) => r.version)
      .sort((a, b) => a - b),
    policies,
  };
}

export function eventView(event: RegistryEvent): EventView {
  switch (event.type) {
    case 'register': {
      const { version, record, ...rest } = event;
      return { ...rest, model_version: version, record: recordView(record) };
    }
    case 'archive': {
      const { version, ...rest } = event;
      return { ...rest, model_version: version };
    }
    default: {
      // Earlier releases recorded one per-call checklist as `checklist`; documents always say `checklists`.
      const { checklist, ...rest } = event;
      return checklist && !rest.checklists ? { ...rest, checklists: [checklist as unknown as ChecklistRun] } : rest;
    }
  }
}
