/** Read-only registry commands: list, show, history, path, and model references. */
import { sha256File } from '../util/hash.js';
import { isMlopsError, MlopsError } from '../util/errors.js';
import { parseNameList } from '../util/name-list.js';
import {
  openStore,
  readHistoryOrDamage,
  readState,
  requireModel,
  type DamagedModel,
  type RegistryOptions,
} from './context.js';
import { parseRef, validateName } from './names.js';
import { TAMPERED_HINT } from './storage-errors.js';
import { aliasesOf, foldHistory, latestVersion, selectVersion } from './state.js';
import { eventView, versionView, type EventView, type VersionView } from './views.js';
import {
  foldPolicies,
  policiesFor,
  policyEventsFor,
  policyEventsOf,
  readPolicies,
  readPoliciesOrDamage,
  type DamagedPolicies,
} from './policy.js';
import type { PolicyEvent, VersionRecord } from './types.js';

export interface ModelSummary {
  name: string;
  versions: number;
  latest: number | null;
  aliases: Record<string, number>;
  updated_at: string;
}

export interface VersionSummary {
  model_version: number;
  created_at: string;
  created_by: string;
  size_bytes: number;
  sha256: string;
  description: string;
  aliases: string[];
  archived: boolean;
}

/** `damaged` is never missing from the all-models listing, so a script can test its length. */
export type ListResult =
  | { models: ModelSummary[]; damaged: DamagedModel[]; damaged_policies?: DamagedPolicies }
  | { name: string; versions: VersionSummary[] };

export async function listRegistry(options: RegistryOptions & { name?: string }): Promise<ListResult> {
  const store = openStore(options);
  if (options.name) {
    const state = await requireModel(store, validateName(options.name));
    const versions = [...state.versions.values()]
      .sort((a, b) => a.version - b.version)
      .map((r) => ({
        model_version: r.version,
        created_at: r.created_at,
        created_by: r.created_by,
        size_bytes: r.size_bytes,
        sha256: r.sha256,
        description: r.description,
        aliases: aliasesOf(state, r.version),
        archived: state.archived.has(r.version),
      }));
    return { name: state.name, versions };
  }
  const models: ModelSummary[] = [];
  const damaged: DamagedModel[] = [];
  for (const name of await store.listModels()) {
    const read = await readHistoryOrDamage(store, name);
    if ('damaged' in read) {
      damaged.push(read.damaged);
      continue;
    }
    const { events } = read;
    if (events.length === 0) continue;
    const state = foldHistory(name, events);
    models.push({
      name,
      versions: state.versions.size,
      latest: latestVersion(state) ?? null,
      aliases: Object.fromEntries([...state.aliases].sort(([a], [b]) => a.localeCompare(b))),
      updated_at: events[events.length - 1].at,
    });
  }
  // Only when there is one: the listing of a sound registry keeps its shape.
  const policies = (await readPoliciesOrDamage(store)).damaged;
  return { models, damaged, ...(policies ? { damaged_policies: policies } : {}) };
}

export type ShowResult = VersionView;

/** `show` and `path`: one version's record; `verify` re-hashes its stored file first (`path` is for scripts that will read it). */
export async function showVersion(options: RegistryOptions & { ref: string; verify?: boolean }): Promise<ShowResult> {
  const parsed = parseRef(options.ref);
  const store = openStore(options);
  const state = await requireModel(store, parsed.name);
  const record = selectVersion(state, parsed.selector);
  const view = versionView(store, state, record, policiesFor(await readPolicies(store), state.name));
  if (options.verify) {
    // A database store downloads the bytes into its cache here: `path` prints a file that exists.
    const local = await store.materialize(record);
    if (!local.verified)
      assertUntampered(
        { path: local.path, name: view.name, model_version: view.model_version, sha256: view.sha256 },
        await sha256File(local.path).catch(() => null),
      );
  }
  return view;
}

export interface HistoryResult {
  name: string;
  events: EventView[];
  /** Changes to the alias policies that apply to this model (registry-wide and its own), numbered in the policy history. */
  policy_events: PolicyEvent[];
}

export async function modelHistory(options: RegistryOptions & { name: string }): Promise<HistoryResult> {
  const store = openStore(options);
  const name = validateName(options.name);
  await requireModel(store, name);
  return {
    name,
    events: (await store.readHistory(name)).map(eventView),
    policy_events: await policyEventsFor(store, name),
  };
}

/**
 * One version as `show` gives it, with its model's `history`, from one read of
 * the history and one of the policies (a checklist's registry checks need both).
 */
export async function versionWithHistory(
  options: RegistryOptions & { ref: string },
): Promise<{ version: ShowResult; history: HistoryResult }> {
  const parsed = parseRef(options.ref);
  const store = openStore(options);
  const events = await store.readHistory(parsed.name);
  const state = foldHistory(parsed.name, events);
  if (state.versions.size === 0) await requireModel(store, parsed.name); // refuses, naming the models there
  const record = selectVersion(state, parsed.selector);
  const policyEvents = await store.readPolicyHistory();
  return {
    version: versionView(store, state, record, policiesFor(foldPolicies(policyEvents), state.name)),
    history: {
      name: state.name,
      events: events.map(eventView),
      policy_events: policyEventsOf(policyEvents, state.name),
    },
  };
}

export interface ResolvedModel {
  path: string;
  name: string;
  model_version: number;
  sha256: string;
  /** Feature names recorded with the version (tag `features`), in the model's order. */
  features?: string[];
  /** Everything recorded with the version (tags, metrics, signature...), so a caller need not read the registry again. */
  record: VersionRecord;
}

/**
 * `name`, `name@3` or `name@production` -> the stored file, after checking
 * its sha256 against the record: a tampered file is refused.
 */
export async function resolveModelRef(
  options: RegistryOptions & { ref: string; verify?: boolean },
): Promise<ResolvedModel> {
  const parsed = parseRef(options.ref);
  const store = openStore(options);
  const state = await readState(store, parsed.name).catch((err) => {
    // Say both things the reference could have been: a file path, or a model in a registry that is not there.
    if (isMlopsError(err) && err.code === 'REGISTRY_NOT_FOUND') {
      throw new MlopsError(
        err.code,
        `"${options.ref}" is not a file, and the ${err.message.replace(/ does not exist/, ' to look it up in does not exist')}`,
        { hint: err.hint },
      );
    }
    throw err;
  });
  if (state.versions.size === 0) {
    throw new MlopsError(
      'MODEL_NOT_FOUND',
      `"${options.ref}" is neither a file nor a model in the registry at ${store.location}`,
      {
        hint: 'pass a path to an .onnx file, or a registry reference such as name@3 or name@production (`registry` or MLOPS_REGISTRY select the registry)',
      },
    );
  }
  const record = selectVersion(state, parsed.selector);
  const local = await store.materialize(record);
  const file = local.path;
  const features = parseNameList(record.tags?.features);
  const resolved = {
    path: file,
    name: record.name,
    model_version: record.version,
    sha256: record.sha256,
    ...(features ? { features } : {}),
    record,
  };
  // Callers that read the whole file anyway (models/ loadModel) check the hash of what they read instead.
  if (options.verify !== false && !local.verified) assertUntampered(resolved, await sha256File(file).catch(() => null));
  return resolved;
}

/** The stored file must be the bytes that were registered. */
export function assertUntampered(
  resolved: Pick<ResolvedModel, 'path' | 'name' | 'model_version' | 'sha256'>,
  actual: string | null,
): void {
  if (actual === resolved.sha256) return;
  throw new MlopsError(
    'REGISTRY_TAMPERED',
    actual === null
      ? `${resolved.name}@${resolved.model_version}: the stored file ${resolved.path} is missing`
      : `${resolved.name}@${resolved.model_version}: the stored file ${resolved.path} does not match its recorded sha256 (recorded ${resolved.sha256.slice(0, 12)}..., found ${actual.slice(0, 12)}...)`,
    { hint: TAMPERED_HINT },
  );
}
