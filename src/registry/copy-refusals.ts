/**
 * What `registry copy` refuses and how it says so: histories that split, a
 * damaged or tampered source, a target that changed under it, a registry
 * copied onto itself. Per-model refusals are MlopsErrors the copy catches,
 * records and goes on from (see copy.ts).
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { MlopsError, isMlopsError } from '../util/errors.js';
import { type Relation, describeEvent, firstSeqGap } from './copy-compare.js';
import { FolderStore } from './folder-store.js';
import { isHistoryDamaged } from './history-lines.js';
import { PostgresStore } from './postgres/pg-store.js';
import type { RegistryStore } from './store.js';
import type { PolicyEvent, RegisterEvent, RegistryEvent } from './types.js';

/** The relation, unless the histories split: then the model (or the policies) is refused. */
export function unlessDiverged<E extends RegistryEvent | PolicyEvent>(
  relation: Relation,
  events: E[],
  have: E[],
  stores: { source: RegistryStore; target: RegistryStore },
  name: string | null,
): Exclude<Relation, { kind: 'diverged' }> {
  if (relation.kind !== 'diverged') return relation;
  const seq = relation.at + 1;
  const what = name === null ? 'the alias policies differ' : `model "${name}" differs`;
  throw new DivergedError(
    `${what} between the registries from event ${seq}: ${stores.source.location} has ${describeEvent(events[relation.at])}, ${stores.target.location} has ${describeEvent(have[relation.at])}; ${name === null ? 'they were' : 'it was'} not copied`,
    name === null
      ? 'compare them with mlops registry policy on each side; the target keeps its own policy history'
      : `compare mlops registry history ${name} on each side; to keep both, copy into a registry without "${name}" (a new folder or database)`,
    seq,
  );
}

export class DivergedError extends MlopsError {
  constructor(
    message: string,
    hint: string,
    readonly seq: number,
  ) {
    super('REGISTRY_COPY_DIVERGED', message, { hint });
  }
}

/** A read of the source: a history's seqs must run 1, 2, 3... (copies keep them); a missing folder names `from`. */
export async function readSource<T>(source: RegistryStore, name: string | null, read: () => Promise<T>): Promise<T> {
  try {
    const value = await read();
    if (Array.isArray(value)) {
      const gap = firstSeqGap(value);
      if (gap !== null)
        throw new MlopsError(
          'REGISTRY_CORRUPT',
          `${name === null ? 'the alias policy history' : `the history of "${name}"`} in ${source.location} skips from seq ${gap} to ${value[gap].seq}, so it cannot be copied as it is`,
          { hint: 'restore that history from a backup; mlops registry verify shows what else is wrong' },
        );
    }
    return value;
  } catch (err) {
    throw asSourceError(err);
  }
}

/** A damaged history is refused for its model (REGISTRY_CORRUPT); a missing source registry names `from`. */
export function asSourceError(err: unknown): unknown {
  if (isHistoryDamaged(err)) return err;
  return naming('from', err, 'copy from an existing registry folder or a postgres:// URL');
}

/** The target's folder cannot be one (a file on the way): name `to`, not `registry`. */
export function asTargetError(err: unknown): unknown {
  return naming('to', err, 'point `to` at a folder (created when missing) or a postgres:// URL');
}

function naming(option: 'from' | 'to', err: unknown, hint: string): unknown {
  if (isMlopsError(err) && (err.code === 'REGISTRY_NOT_FOUND' || err.code === 'REGISTRY_NOT_A_FOLDER'))
    return new MlopsError(err.code, `\`${option}\`: ${err.message}`, { hint });
  return err;
}

export function tampered(source: RegistryStore, event: RegisterEvent, why: string): MlopsError {
  return new MlopsError(
    'REGISTRY_TAMPERED',
    `${event.record.name}@${event.version} in ${source.location}: ${why}; the model was copied up to the event before its registration`,
    { hint: 'run mlops registry verify on the source and restore the file from a backup, then copy again' },
  );
}

export function changed(target: RegistryStore, name: string | null): MlopsError {
  return new MlopsError(
    'REGISTRY_CHANGED',
    `${name === null ? 'the alias policy history' : `the history of "${name}"`} in ${target.location} changed in a way a copy cannot follow`,
    { hint: 'run the copy again' },
  );
}

/** The same registry on both sides would copy nothing; saying so beats a silent no-op. */
export async function refuseSameRegistry(source: RegistryStore, target: RegistryStore): Promise<void> {
  let same = false;
  if (source instanceof FolderStore && target instanceof FolderStore) {
    same = (await canonicalPath(source.root)) === (await canonicalPath(target.root));
  } else if (source instanceof PostgresStore && target instanceof PostgresStore) {
    // Each database registry records a random id when its tables are made: the same id is the
    // same registry, whatever host name, role or search_path reached it.
    const [a, b] = await Promise.all([source.registryId(), target.registryId()]);
    same = a !== null && a === b;
  }
  if (same)
    throw new MlopsError('REGISTRY_COPY_SAME', `\`from\` and \`to\` are the same registry (${target.location})`, {
      hint: 'copy into another folder or database',
    });
}

async function canonicalPath(p: string): Promise<string> {
  return realpath(p).catch(() => path.resolve(p));
}

export async function exists(p: string): Promise<boolean> {
  return realpath(p).then(
    () => true,
    () => false,
  );
}
