/** `mlops registry register`: copy in and record a model whose facts check/registrable.ts established. */
import path from 'node:path';
import { isMlopsError, MlopsError } from '../util/errors.js';
import { promote } from './aliases.js';
import {
  checkChecklistsPresent,
  checkChecklistsUnchanged,
  checkRequired,
  gatesFor,
  type RunGateOptions,
} from './gates.js';
import { policiesFor, readPolicies, readPoliciesOrDamage } from './policy.js';
import { ciGitCommit, currentActor } from './actor.js';
import { openStore, readState, type RegistryOptions } from './context.js';
import { parseRef, validateName, validateNewModelName } from './names.js';
import { maxVersion, selectVersion, type ModelState } from './state.js';
import type { RegistryStore } from './store.js';
import type { ModelFacts, VersionRecord, VersionRef } from './types.js';
import { featureListFor } from './feature-list.js';
import { versionView, type VersionView } from './views.js';

export interface RegisterOptions extends RegistryOptions, RunGateOptions {
  name: string;
  file: string;
  description?: string;
  tags?: Record<string, string>;
  metrics?: Record<string, number>;
  /**
   * Point this alias at the new version, through the alias's stored policy like a promotion:
   * a required alias refuses the registration (a new version has held none); a checklist runs
   * on the registered version before the alias moves.
   */
  alias?: string;
  /** `name@version` (or any reference) this version derives from. */
  parent?: string;
  gitCommit?: string;
  /** Register even when identical bytes are already a version. */
  allowDuplicate?: boolean;
  reason?: string;
  /** Feature names to record (tag `features`), so tables are mapped by name: see feature-list.ts. */
  features?: string[];
  featuresFrom?: string;
  ignore?: string[];
}

/** The model's facts, decided above the registry (check/registrable.ts reads the model); with `alias`, the checklist runner (src/release/). */
export interface RegisterVersionOptions extends RegisterOptions {
  model: ModelFacts;
}

/** The version record (as `show` gives it), and whether it was already there. */
export interface RegisterResult extends VersionView {
  /** True when identical bytes were already registered and that version is returned. */
  duplicate: boolean;
  /** With --alias: the move of the alias (through its gates), also when the bytes were already a version. */
  alias_move?: { alias: string; from: number | null; to: number; changed: boolean };
}

/**
 * Store a model whose facts are known as the next version. The registry does not
 * read models: check/registrable.ts loads and checks the file, then calls this
 * (through src/release/ registerModel, which also wires the checklist gate).
 */
export async function registerVersion(options: RegisterVersionOptions): Promise<RegisterResult> {
  const name = validateNewModelName(options.name);
  if (options.alias) validateName(options.alias, 'alias');
  const store = openStore(options);
  const source = path.resolve(options.cwd ?? process.cwd(), options.file);
  const { model } = options;
  const features = await featureListFor(options, model.signature, options.file);
  const tags = { ...(options.tags ?? {}), ...(features ? { features: features.join(',') } : {}) };
  const staged = await store.stage(source);
  const actor = currentActor();
  let committed = false;
  let gated: { version: number; alias: string } | undefined;
  try {
    const registered = await store.withLock(async () => {
      const state = await readState(store, name);
      // Only a move of an alias needs the policies (a gate that cannot be read refuses it); a plain register shows them.
      const policies = policiesFor(
        options.alias ? await readPolicies(store) : (await readPoliciesOrDamage(store)).policies,
        name,
      );
      if (!options.allowDuplicate) {
        const same = [...state.versions.values()].find((r) => r.sha256 === staged.sha256);
        if (same && features && same.tags.features !== tags.features) {
          throw new MlopsError(
            'REGISTRY_DUPLICATE',
            `${name}@${same.version} already holds these bytes, ${same.tags.features ? `recording other features (${same.tags.features.slice(0, 80)})` : 'with no feature list'}; a version is immutable`,
            {
              hint: 'pass `allowDuplicate` to register the same bytes as a new version with this feature list',
            },
          );
        }
        if (same) {
          // --alias still moves: to the existing version, through promote's gates (after the lock, below).
          if (options.alias) gated = { version: same.version, alias: options.alias };
          return { ...versionView(store, state, same, policies), duplicate: true };
        }
      }
      const gates = options.alias ? gatesFor(policies, name, options.alias, { cwd: options.cwd }) : undefined;
      if (gates && options.alias) {
        checkRequired(state, null, options.alias, gates, `a new version of "${name}"`);
        checkChecklistsPresent(gates, options.alias);
        // Before anything is stored: register has no --force, so a swapped gate refuses here.
        await checkChecklistsUnchanged(gates, options.alias);
      }
      const parent = options.parent ? await resolveParent(options, options.parent) : null;
      const version = await nextVersion(store, name, state);
      const at = new Date().toISOString();
      const record: VersionRecord = {
        name,
        version,
        file: 'model.onnx',
        sha256: staged.sha256,
        size_bytes: staged.sizeBytes,
        source_path: source,
        description: options.description ?? '',
        tags,
        metrics: options.metrics ?? {},
        ...model,
        git_commit: options.gitCommit ?? ciGitCommit(),
        parent,
        created_at: at,
        created_by: actor.actor,
      };
      const events = [
        {
          type: 'register' as const,
          at,
          ...actor,
          version,
          record,
          ...(options.reason ? { reason: options.reason } : {}),
        },
      ];
      // With a checklist to pass, the version is registered now and the alias moves through promote (the checklist needs name@version).
      if (options.alias && gates?.checklists.length) gated = { version, alias: options.alias };
      const from = options.alias ? (state.aliases.get(options.alias) ?? null) : null;
      const appendEvents = () =>
        store.append(
          name,
          options.alias && !gated
            ? [
                ...events,
                {
                  type: 'alias' as const,
                  action: 'promote' as const,
                  alias: options.alias,
                  from,
                  to: version,
                  at,
                  ...actor,
                  ...(options.reason ? { reason: options.reason } : {}),
                  ...(gates?.policySeq.length ? { policy_seq: gates.policySeq } : {}),
                },
              ]
            : events,
        );
      await store.commitVersion(staged, record);
      committed = true;
      try {
        await appendEvents();
      } catch (err) {
        // No event, no version: take the stored copy back out while we still hold the lock.
        await store.uncommitVersion(name, version).catch(() => {});
        throw err;
      }
      await store.settleVersion(name, version);
      return { ...versionView(store, await readState(store, name), record, policies), duplicate: false };
    }, staged);
    if (!gated) return registered;
    try {
      const {
        alias,
        from,
        to,
        changed,
        event: _event,
        ...view
      } = await promote({ ...options, force: false, ref: `${name}@${gated.version}`, to: gated.alias });
      return { ...view, duplicate: registered.duplicate, alias_move: { alias, from, to, changed } };
    } catch (err) {
      if (!isMlopsError(err)) throw err;
      throw new MlopsError(
        err.code,
        `${registered.duplicate ? `these bytes already are ${name}@${gated.version}` : `registered ${name}@${gated.version}`}, but did not point "${gated.alias}" at it: ${err.message}`,
        {
          hint: `the version is kept; once its checks pass: mlops registry promote ${name}@${gated.version} --to ${gated.alias} (--force promotes past failing checks, recorded in history)`,
        },
      );
    }
  } finally {
    if (!committed) await store.discard(staged);
  }
}

/**
 * Above every registered version and every folder present, so a folder without
 * an event is never reused or replaced. Folders an interrupted register left
 * (still pending) are set aside to orphans/ first, under the lock.
 */
async function nextVersion(store: RegistryStore, name: string, state: ModelState): Promise<number> {
  let highest = maxVersion(state);
  for (const folder of await store.storedVersions(name)) {
    if (state.versions.has(folder.version)) continue;
    if (folder.pending) await store.setAside(name, folder.version);
    else highest = Math.max(highest, folder.version);
  }
  return highest + 1;
}

async function resolveParent(options: RegistryOptions, ref: string): Promise<VersionRef> {
  const parsed = parseRef(ref);
  const store = openStore(options);
  const state = await readState(store, parsed.name);
  if (state.versions.size === 0) {
    throw new MlopsError(
      'REGISTRY_MODEL_NOT_FOUND',
      `\`parent\` ${ref}: model "${parsed.name}" is not in the registry`,
    );
  }
  const record = selectVersion(state, parsed.selector);
  return { name: record.name, version: record.version };
}
