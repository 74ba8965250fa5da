import { FolderStore } from './folder-store.js';
import { registryLocation } from './location.js';
import { checkRegistryWritable } from './registry-folder.js';
import { PostgresStore } from './postgres/pg-store.js';
import { foldHistory, type ModelState } from './state.js';
import type { RegistryStore } from './store.js';
import { isMlopsError, MlopsError } from '../util/errors.js';
import { isHistoryDamaged } from './history-lines.js';
import type { RegistryEvent } from './types.js';

/** Options every registry function takes. */
export interface RegistryOptions {
  /** Registry folder or `postgres://` URL (default: MLOPS_REGISTRY, else .mlops in cwd). */
  registry?: string;
  cwd?: string;
  /** Another backend; the folder store otherwise. */
  store?: RegistryStore;
}

/** One PostgreSQL store (one connection pool) per URL in a process. */
const databases = new Map<string, PostgresStore>();

export function openStore(options: RegistryOptions): RegistryStore {
  if (options.store) return options.store;
  const location = registryLocation(options.registry, options.cwd);
  if (location.kind === 'folder') return new FolderStore(location.root);
  let store = databases.get(location.url);
  if (!store) {
    // The class loads `pg` on first use, so folder registries never pay for it.
    store = new PostgresStore(location.url);
    databases.set(location.url, store);
  }
  return store;
}

/** Close the database connections this process opened (a long-lived caller, a test); folder stores hold none. */
export async function closeStores(): Promise<void> {
  const open = [...databases.values()];
  databases.clear();
  await Promise.all(open.map((s) => s.close()));
}

export async function readState(store: RegistryStore, name: string): Promise<ModelState> {
  return foldHistory(name, await store.readHistory(name));
}

export async function requireModel(store: RegistryStore, name: string): Promise<ModelState> {
  const state = await readState(store, name);
  if (state.versions.size === 0) {
    const models = await store.listModels();
    throw new MlopsError('REGISTRY_MODEL_NOT_FOUND', `model "${name}" is not in the registry at ${store.location}`, {
      hint: models.length
        ? `registered models: ${models.slice(0, 10).join(', ')}${models.length > 10 ? ', ...' : ''}`
        : 'register it first: mlops registry register <name> <file.onnx>',
    });
  }
  return state;
}

/** A model left out of `list`/`verify` because its history is damaged (a line) or cannot be read (line null). */
export interface DamagedModel {
  name: string;
  file: string;
  line: number | null;
  message: string;
}

/**
 * One model's events, or what is wrong with them: one bad or unreadable
 * history (EACCES, EISDIR...) must not hide the other models.
 */
export async function readHistoryOrDamage(
  store: RegistryStore,
  name: string,
): Promise<{ events: RegistryEvent[] } | { damaged: DamagedModel }> {
  try {
    return { events: await store.readHistory(name) };
  } catch (err) {
    if (isHistoryDamaged(err)) return { damaged: { name, file: err.file, line: err.line, message: err.message } };
    if (isMlopsError(err) && err.code === 'REGISTRY_UNREADABLE') {
      const file = /^cannot read (.*): /.exec(err.message)?.[1] ?? name;
      return { damaged: { name, file, line: null, message: err.message } };
    }
    throw err;
  }
}

/**
 * Whether a later register could write here, for a command that registers its
 * result after minutes of work: a writable folder, or a database whose schema
 * this mlops writes and whose role may insert (or create the tables).
 */
export async function checkCanRegister(options: RegistryOptions, option: string): Promise<void> {
  const location = registryLocation(options.registry, options.cwd);
  if (location.kind === 'folder') return checkRegistryWritable(location.root, option);
  await (openStore(options) as PostgresStore).checkWritable(option);
}
