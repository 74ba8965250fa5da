/** `verify` (re-hash every stored file) and `archive`. */
import { MlopsError } from '../util/errors.js';
import { sha256File } from '../util/hash.js';
import { currentActor } from './actor.js';
import { openStore, readHistoryOrDamage, requireModel, type RegistryOptions } from './context.js';
import { parseRef, validateName } from './names.js';
import { aliasesOf, foldHistory, selectVersion } from './state.js';
import { eventView, type EventView } from './views.js';

export interface VerifyProblem {
  name: string;
  /** null for a damaged history: no version of the model can be checked. */
  model_version: number | null;
  problem: 'sha256_mismatch' | 'missing_file' | 'unregistered_folder' | 'damaged_history';
  message: string;
}

export interface VerifyResult {
  checked: number;
  problems: VerifyProblem[];
  passed: boolean;
}

export async function verifyRegistry(options: RegistryOptions & { name?: string }): Promise<VerifyResult> {
  const store = openStore(options);
  const names = options.name ? [validateName(options.name)] : await store.listModels();
  const problems: VerifyProblem[] = [];
  let checked = 0;
  for (const name of names) {
    const read = await readHistoryOrDamage(store, name);
    if ('damaged' in read) {
      // Name the model and its line, and go on: one bad history must not hide damage elsewhere.
      problems.push({ name, model_version: null, problem: 'damaged_history', message: read.damaged.message });
      continue;
    }
    const state = foldHistory(name, read.events);
    if (options.name && state.versions.size === 0) await requireModel(store, name);
    for (const record of [...state.versions.values()].sort((a, b) => a.version - b.version)) {
      checked++;
      const file = store.filePath(name, record.version, record.file);
      const actual = await sha256File(file).catch(() => null);
      if (actual === null) problems.push({ name, model_version: record.version, problem: 'missing_file', message: `${file} is missing` });
      else if (actual !== record.sha256) problems.push({ name, model_version: record.version, problem: 'sha256_mismatch', message: `${file} has sha256 ${actual}, recorded ${record.sha256}` });
    }
    for (const v of await store.storedVersions(name)) {
      if (!state.versions.has(v)) {
        problems.push({ name, model_version: v, problem: 'unregistered_folder', message: `version folder ${v} has no register event (an interrupted register); the next register replaces it` });
      }
    }
  }
  // A leftover folder is harmless (never visible as a version); only real damage fails verify.
  return { checked, problems, passed: problems.every((p) => p.problem === 'unregistered_folder') };
}

export interface ArchiveResult {
  name: string;
  model_version: number;
  changed: boolean;
  event: EventView | null;
}

export async function archiveVersion(options: RegistryOptions & { ref: string; reason?: string }): Promise<ArchiveResult> {
  const parsed = parseRef(options.ref);
  if (parsed.selector.kind === 'latest') {
    throw new MlopsError('USAGE', `archive needs a version: ${parsed.name}@<version>`);
  }
  const store = openStore(options);
  return store.withLock(async () => {
    const state = await requireModel(store, parsed.name);
    const { version } = selectVersion(state, parsed.selector);
    const holding = aliasesOf(state, version);
    if (holding.length) {
      throw new MlopsError('REGISTRY_ALIAS_HELD', `${parsed.name}@${version} cannot be archived while ${holding.map((a) => `"${a}"`).join(', ')} point${holding.length === 1 ? 's' : ''} at it`, {
        hint: `move the alias first: mlops registry promote ${parsed.name}@<other> --to ${holding[0]}`,
      });
    }
    if (state.archived.has(version)) return { name: parsed.name, model_version: version, changed: false, event: null };
    const [event] = await store.append(parsed.name, [{ type: 'archive', version, at: new Date().toISOString(), ...currentActor(), ...(options.reason ? { reason: options.reason } : {}) }]);
    return { name: parsed.name, model_version: version, changed: true, event: eventView(event) };
  });
}
