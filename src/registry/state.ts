/** Fold a model's history into its current state: versions, aliases, archive flags. */
import { MlopsError } from '../util/errors.js';
import type { ModelSelector } from './names.js';
import type { RegistryEvent, VersionRecord } from './types.js';

export interface ModelState {
  name: string;
  versions: Map<number, VersionRecord>;
  archived: Set<number>;
  /** Current alias -> version. */
  aliases: Map<string, number>;
  /** Per alias, the versions it moved through, newest last; rollback pops. */
  aliasStacks: Map<string, number[]>;
  /** Every alias each version has ever held. */
  aliasHistory: Map<number, Set<string>>;
  lastSeq: number;
}

export function foldHistory(name: string, events: readonly RegistryEvent[]): ModelState {
  const state: ModelState = {
    name,
    versions: new Map(),
    archived: new Set(),
    aliases: new Map(),
    aliasStacks: new Map(),
    aliasHistory: new Map(),
    lastSeq: 0,
  };
  for (const event of events) {
    state.lastSeq = event.seq;
    switch (event.type) {
      case 'register':
        state.versions.set(event.version, event.record);
        break;
      case 'archive':
        state.archived.add(event.version);
        break;
      case 'alias': {
        const stack = state.aliasStacks.get(event.alias) ?? [];
        // A plain rollback returns to the previous entry; promote and rollback --to push a new one.
        if (event.action === 'rollback' && stack.length >= 2 && stack[stack.length - 2] === event.to) stack.pop();
        else stack.push(event.to);
        state.aliasStacks.set(event.alias, stack);
        state.aliases.set(event.alias, event.to);
        const held = state.aliasHistory.get(event.to) ?? new Set();
        held.add(event.alias);
        state.aliasHistory.set(event.to, held);
        break;
      }
    }
  }
  return state;
}

export function aliasesOf(state: ModelState, version: number): string[] {
  return [...state.aliases]
    .filter(([, v]) => v === version)
    .map(([a]) => a)
    .sort();
}

export function latestVersion(state: ModelState): number | undefined {
  let latest: number | undefined;
  for (const v of state.versions.keys()) if (!state.archived.has(v) && (latest === undefined || v > latest)) latest = v;
  return latest;
}

export function maxVersion(state: ModelState): number {
  let max = 0;
  for (const v of state.versions.keys()) max = Math.max(max, v);
  return max;
}

/** The version a selector names, or a clear error. */
export function selectVersion(state: ModelState, selector: ModelSelector): VersionRecord {
  const { name } = state;
  let version: number | undefined;
  if (selector.kind === 'latest') {
    version = latestVersion(state);
    if (version === undefined)
      throw new MlopsError('REGISTRY_VERSION_NOT_FOUND', `every version of "${name}" is archived`, {
        hint: `name a version explicitly: ${name}@<version>`,
      });
  } else if (selector.kind === 'version') {
    version = selector.version;
    if (!state.versions.has(version)) {
      throw new MlopsError(
        'REGISTRY_VERSION_NOT_FOUND',
        `"${name}" has no version ${version} (versions 1 to ${maxVersion(state)})`,
      );
    }
  } else {
    version = state.aliases.get(selector.alias);
    if (version === undefined) {
      const known = [...state.aliases.keys()].sort();
      throw new MlopsError(
        'REGISTRY_ALIAS_NOT_FOUND',
        `"${name}" has no alias "${selector.alias}"${known.length ? ` (aliases: ${known.join(', ')})` : ''}`,
        {
          hint: `point it at a version with: mlops registry promote ${name}@<version> --to ${selector.alias}`,
        },
      );
    }
  }
  return state.versions.get(version)!;
}
