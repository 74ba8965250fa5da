/** `verify` (re-hash every stored file) and `archive`. */
import { MlopsError } from '../util/errors.js';
import { currentActor } from './actor.js';
import { openStore, readHistoryOrDamage, requireModel, type RegistryOptions } from './context.js';
import { parseRef, validateName } from './names.js';
import path from 'node:path';
import { aliasesOf, foldHistory, selectVersion, type ModelState } from './state.js';
import type { RegistryStore } from './store.js';
import { eventView, type EventView } from './views.js';
import { readPoliciesOrDamage } from './policy.js';

export interface VerifyProblem {
  /** null for the registry-wide policies.jsonl. */
  name: string | null;
  /** null for a damaged history: no version of the model can be checked. */
  model_version: number | null;
  problem:
    | 'sha256_mismatch'
    | 'missing_file'
    | 'unregistered_folder'
    | 'damaged_history'
    | 'damaged_policies'
    | 'interrupted_register'
    | 'orphan'
    | 'duplicate_version';
  /** A warning (an interrupted register's leftovers) does not fail verify. */
  severity: 'error' | 'warning';
  message: string;
}

const WARNINGS = new Set<VerifyProblem['problem']>(['interrupted_register', 'orphan']);

export interface VerifyResult {
  checked: number;
  problems: VerifyProblem[];
  passed: boolean;
}

export async function verifyRegistry(options: RegistryOptions & { name?: string }): Promise<VerifyResult> {
  const store = openStore(options);
  const names = options.name ? [validateName(options.name)] : await store.listModels();
  const problems: VerifyProblem[] = [];
  const hashed = new Map<string, Promise<{ where: string; sha256: string | null }>>();
  let checked = 0;
  for (const name of names) {
    const read = await readHistoryOrDamage(store, name);
    if ('damaged' in read) {
      // Name the model and its line, and go on: one bad history must not hide damage elsewhere.
      problems.push({
        name,
        model_version: null,
        problem: 'damaged_history',
        severity: 'error',
        message: read.damaged.message,
      });
      continue;
    }
    // Two writers that both believed they held the lock (one paused past the stale limit) leave
    // the same version registered twice: the history no longer says which bytes it is.
    const registered = new Map<number, number>();
    for (const e of read.events)
      if (e.type === 'register') registered.set(e.version, (registered.get(e.version) ?? 0) + 1);
    for (const [version, count] of registered) {
      if (count > 1)
        problems.push({
          name,
          model_version: version,
          problem: 'duplicate_version',
          severity: 'error',
          message: `${name}@${version} is registered ${count} times in its history: two writers raced (one had lost the lock); check which bytes versions/${version} holds`,
        });
    }
    const state = foldHistory(name, read.events);
    if (options.name && state.versions.size === 0) await requireModel(store, name);
    for (const record of [...state.versions.values()].sort((a, b) => a.version - b.version)) {
      checked++;
      // Read from storage itself (a database's blob, not a local cache); identical bytes are hashed once.
      const key = `${store.filePath(record)}\0${record.sha256}`;
      let stored = hashed.get(key);
      if (!stored) {
        stored = store.storedSha256(record);
        hashed.set(key, stored);
      }
      const { where: file, sha256: actual } = await stored;
      if (actual === null)
        problems.push({
          name,
          model_version: record.version,
          problem: 'missing_file',
          severity: 'error',
          message: `${file} is missing`,
        });
      else if (actual !== record.sha256)
        problems.push({
          name,
          model_version: record.version,
          problem: 'sha256_mismatch',
          severity: 'error',
          message: `${file} has sha256 ${actual}, recorded ${record.sha256}`,
        });
    }
    problems.push(...(await leftoverProblems(store, name, state)));
  }
  // The gates of every model: a damaged line there fails verify as a damaged history does.
  const policies = await readPoliciesOrDamage(store);
  if (policies.damaged)
    problems.push({
      name: null,
      model_version: null,
      problem: 'damaged_policies',
      severity: 'error',
      message: policies.damaged.message,
    });
  // Nothing verified and nothing wrong (an empty folder, models without versions) is no pass.
  if (checked === 0 && problems.every((p) => WARNINGS.has(p.problem))) await requireSomethingToVerify(store, []);
  // An interrupted register's leftovers are warnings (never visible as versions); anything else fails verify.
  return { checked, problems, passed: problems.every((p) => WARNINGS.has(p.problem)) };
}

/** Version folders without a register event, and folders set aside from interrupted registers. */
async function leftoverProblems(store: RegistryStore, name: string, state: ModelState): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  const stored = await store.storedVersions(name);
  if (store.listsEveryVersion) {
    const rows = new Map(stored.map((f) => [f.version, f]));
    for (const record of [...state.versions.values()].sort((a, b) => a.version - b.version)) {
      const row = rows.get(record.version);
      if (!row || (row.sha256 && row.sha256 !== record.sha256))
        problems.push({
          name,
          model_version: record.version,
          problem: row ? 'sha256_mismatch' : 'missing_file',
          severity: 'error',
          message: row
            ? `${row.path} points at blob ${row.sha256?.slice(0, 12)}..., its register event recorded ${record.sha256.slice(0, 12)}...`
            : `${store.location}: ${name}@${record.version} has a register event but no version row (mlops_versions): edited by hand?`,
        });
    }
  }
  for (const folder of stored) {
    if (state.versions.has(folder.version)) continue;
    if (folder.pending) {
      problems.push({
        name,
        model_version: folder.version,
        problem: 'interrupted_register',
        severity: 'warning',
        message: `${folder.path} was left by a register stopped before it recorded the version (never visible); the next register of ${name} moves it to orphans/`,
      });
    } else {
      problems.push({
        name,
        model_version: folder.version,
        problem: 'unregistered_folder',
        severity: 'error',
        message:
          folder.detail ??
          `${folder.path} holds ${folder.complete ? 'a complete version (model.onnx and version.json)' : 'files'} but history.jsonl has no register event for it (was the history restored from an older backup?). ` +
            'Nothing replaces it: new versions are numbered above it. To recover it, restore history.jsonl from a backup that records it; ' +
            `or move the folder out of the registry and register its model.onnx again (its record is in version.json)`,
      });
    }
  }
  for (const orphan of await store.orphans(name)) {
    problems.push({
      name,
      model_version: Number(/^(\d+)-/.exec(path.basename(orphan))?.[1]) || null,
      problem: 'orphan',
      severity: 'warning',
      message: `${orphan}: set aside from an interrupted register (never a version); delete it once you no longer need it`,
    });
  }
  return problems;
}

/** Verify passes only on something verified: an empty folder or one that is not a registry is exit 2. */
async function requireSomethingToVerify(store: RegistryStore, names: string[]): Promise<void> {
  if (names.length) return;
  throw new MlopsError('REGISTRY_EMPTY', `${store.location} holds no registered models: there is nothing to verify`, {
    hint: 'check `registry` or MLOPS_REGISTRY (the default is ./.mlops in the current folder); mlops registry register creates a registry',
  });
}

export interface ArchiveResult {
  name: string;
  model_version: number;
  changed: boolean;
  event: EventView | null;
}

export async function archiveVersion(
  options: RegistryOptions & { ref: string; reason?: string },
): Promise<ArchiveResult> {
  const parsed = parseRef(options.ref);
  if (parsed.selector.kind === 'latest') {
    throw new MlopsError('REGISTRY_VERSION_REQUIRED', `archive needs a version: ${parsed.name}@<version>`);
  }
  const store = openStore(options);
  return store.withLock(async () => {
    const state = await requireModel(store, parsed.name);
    const { version } = selectVersion(state, parsed.selector);
    const holding = aliasesOf(state, version);
    if (holding.length) {
      throw new MlopsError(
        'REGISTRY_ALIAS_HELD',
        `${parsed.name}@${version} cannot be archived while ${holding.map((a) => `"${a}"`).join(', ')} point${holding.length === 1 ? 's' : ''} at it`,
        {
          hint: `move the alias first: mlops registry promote ${parsed.name}@<other> --to ${holding[0]}`,
        },
      );
    }
    if (state.archived.has(version)) return { name: parsed.name, model_version: version, changed: false, event: null };
    const [event] = await store.append(parsed.name, [
      {
        type: 'archive',
        version,
        at: new Date().toISOString(),
        ...currentActor(),
        ...(options.reason ? { reason: options.reason } : {}),
      },
    ]);
    return { name: parsed.name, model_version: version, changed: true, event: eventView(event) };
  });
}
