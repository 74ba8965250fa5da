/** `promote` and `rollback`: move an alias, with the move recorded in history. A rollback goes back to a version that held the alias (it passed the gates then), so it needs no gate. */
import { MlopsError } from '../util/errors.js';
import { currentActor } from './actor.js';
import { openStore, readState, requireModel, type RegistryOptions } from './context.js';
import { parseRef, validateName } from './names.js';
import { selectVersion, type ModelState } from './state.js';
import type { RegistryStore } from './store.js';
import type { AliasEvent, ChecklistRun } from './types.js';
import {
  checkChecklistsPresent,
  checklistFailure,
  checkRequired,
  gatesFor,
  runChecklists,
  type RunGateOptions,
} from './gates.js';
import { policiesFor, readPolicies, readPoliciesOrDamage, type PolicyView } from './policy.js';
import { versionView, type VersionView } from './views.js';

export interface PromoteOptions extends RegistryOptions, RunGateOptions {
  /** `name@version` (or `name@alias`: promote what another alias points at). */
  ref: string;
  to: string;
  reason?: string;
  /** Refuse unless the version holds or has held this alias (on top of the stored policy). */
  require?: string;
  /** Run this checklist on the version first (on top of the stored policy's); a failure refuses unless `force`. */
  checklist?: string;
  /** Move even when a checklist fails; recorded in history as forced. */
  force?: boolean;
}

/** The version the alias points at now (the record `show` gives), and the move. */
export interface AliasMoveResult extends VersionView {
  alias: string;
  from: number | null;
  to: number;
  /** False when the alias already pointed there: nothing was recorded. */
  changed: boolean;
  event: AliasEvent | null;
}

function refuseArchived(state: ModelState, version: number, what: string): void {
  if (state.archived.has(version)) {
    throw new MlopsError('REGISTRY_ARCHIVED', `${state.name}@${version} is archived and cannot be ${what}`, {
      hint: 'choose another version (mlops registry list ' + state.name + ')',
    });
  }
}

/** The result of a move (or of no move, when `event` is null), read from the state after it. */
function moved(
  store: RegistryStore,
  state: ModelState,
  policies: PolicyView[],
  alias: string,
  from: number | null,
  event: AliasEvent | null,
): AliasMoveResult {
  const to = state.aliases.get(alias)!;
  return {
    ...versionView(store, state, state.versions.get(to)!, policies),
    alias,
    from,
    to,
    changed: event !== null,
    event,
  };
}

/** A forward move: every gate (stored policy, --require, --checklist) must pass. */
export async function promote(options: PromoteOptions): Promise<AliasMoveResult> {
  const parsed = parseRef(options.ref);
  if (parsed.selector.kind === 'latest') {
    throw new MlopsError('REGISTRY_VERSION_REQUIRED', `promote needs a version: ${parsed.name}@<version>`, {
      hint: `e.g. mlops registry promote ${parsed.name}@3 --to ${options.to}`,
    });
  }
  const alias = validateName(options.to, 'alias');
  if (options.require) validateName(options.require, 'alias');
  const store = openStore(options);
  const plan = async () => {
    const state = await requireModel(store, parsed.name);
    const policies = policiesFor(await readPolicies(store), parsed.name);
    const version = selectVersion(state, parsed.selector).version;
    return { state, policies, version, gates: gatesFor(policies, parsed.name, alias, options) };
  };
  // The checklists can take seconds (benchmarks): run them before taking the lock, not while others wait.
  const before = await plan();
  let runs: ChecklistRun[] = [];
  if (before.gates.checklists.length && before.state.aliases.get(alias) !== before.version) {
    refuseArchived(before.state, before.version, 'promoted');
    checkRequired(before.state, before.version, alias, before.gates);
    checkChecklistsPresent(before.gates, alias);
    runs = await runChecklists(before.gates, `${parsed.name}@${before.version}`, alias, options);
  }
  return store.withLock(async () => {
    const { state, policies, version, gates } = await plan();
    if (version !== before.version) {
      throw new MlopsError(
        'REGISTRY_CHANGED',
        `${options.ref} moved from version ${before.version} to ${version} while this promotion ${runs.length ? 'ran its checklist' : 'started'}`,
        { hint: 'run the promotion again' },
      );
    }
    if (gates.policySeq.join() !== before.gates.policySeq.join()) {
      throw new MlopsError(
        'REGISTRY_CHANGED',
        `the policy for "${alias}" changed while this promotion ${runs.length ? 'ran its checklist' : 'started'}`,
        { hint: `see it with mlops registry policy ${alias}, then run the promotion again` },
      );
    }
    refuseArchived(state, version, 'promoted');
    checkRequired(state, version, alias, gates);
    const from = state.aliases.get(alias) ?? null;
    if (from === version) return moved(store, state, policies, alias, from, null);
    if (gates.checklists.length && runs.length === 0) {
      throw new MlopsError(
        'REGISTRY_CHANGED',
        `"${alias}" moved away from ${parsed.name}@${version} while this promotion started`,
        { hint: 'run the promotion again' },
      );
    }
    const failure = checklistFailure(runs);
    // Only --force gets past a policy checklist that changed (runChecklists refuses otherwise): recorded.
    const swapped = runs.some((r) => r.policy_sha256);
    if (failure && !options.force) {
      throw new MlopsError(
        'REGISTRY_GATE_FAILED',
        `refusing to promote ${parsed.name}@${version} to ${alias}: ${failure}`,
        { hint: 'fix the failing checks, or pass `force` (recorded in history)' },
      );
    }
    const [event] = await store.append(parsed.name, [
      {
        type: 'alias',
        action: 'promote',
        alias,
        from,
        to: version,
        at: new Date().toISOString(),
        ...currentActor(),
        ...(options.reason ? { reason: options.reason } : {}),
        ...(failure || swapped ? { forced: true } : {}),
        ...(runs.length ? { checklists: runs } : {}),
        ...(gates.policySeq.length ? { policy_seq: gates.policySeq } : {}),
      },
    ]);
    return moved(store, await readState(store, parsed.name), policies, alias, from, event as AliasEvent);
  });
}

export interface RollbackOptions extends RegistryOptions {
  name: string;
  alias: string;
  /** Go to this version instead of the previous one. */
  to?: number;
  reason?: string;
}

export async function rollback(options: RollbackOptions): Promise<AliasMoveResult> {
  const name = validateName(options.name);
  const alias = validateName(options.alias, 'alias');
  const store = openStore(options);
  return store.withLock(async () => {
    const state = await requireModel(store, name);
    const current = state.aliases.get(alias);
    if (current === undefined) {
      throw new MlopsError('REGISTRY_ALIAS_NOT_FOUND', `"${name}" has no alias "${alias}" to roll back`, {
        hint: state.aliases.size ? `aliases: ${[...state.aliases.keys()].sort().join(', ')}` : undefined,
      });
    }
    let target = options.to;
    if (target === undefined) {
      const stack = state.aliasStacks.get(alias) ?? [];
      if (stack.length < 2) {
        throw new MlopsError(
          'REGISTRY_NOTHING_TO_ROLL_BACK',
          `"${alias}" of "${name}" is at ${current}, the first version in its history: there is nothing earlier to roll back to`,
          {
            hint: `name a version: mlops registry rollback ${name} --alias ${alias} --to <version>`,
          },
        );
      }
      target = stack[stack.length - 2];
    } else if (!state.versions.has(target)) {
      throw new MlopsError('REGISTRY_VERSION_NOT_FOUND', `"${name}" has no version ${target}`);
    } else if (!state.aliasHistory.get(target)?.has(alias)) {
      // Going back is only safe to a version that passed this alias's gates once; anything else is a promotion.
      const held = [...state.aliasHistory]
        .filter(([, aliases]) => aliases.has(alias))
        .map(([v]) => v)
        .sort((a, b) => a - b);
      throw new MlopsError(
        'REGISTRY_ROLLBACK_TARGET',
        `${name}@${target} has never been "${alias}", so ${alias} cannot roll back to it (versions that held it: ${held.join(', ')})`,
        {
          hint: `a version reaches ${alias} through its gates: mlops registry promote ${name}@${target} --to ${alias}`,
        },
      );
    }
    refuseArchived(state, target, 'rolled back to');
    // A rollback runs no gate: a damaged policies.jsonl must not block the emergency path.
    const policies = policiesFor((await readPoliciesOrDamage(store)).policies, name);
    if (target === current) return moved(store, state, policies, alias, current, null);
    const [event] = await store.append(name, [
      {
        type: 'alias',
        action: 'rollback',
        alias,
        from: current,
        to: target,
        at: new Date().toISOString(),
        ...currentActor(),
        ...(options.reason ? { reason: options.reason } : {}),
      },
    ]);
    return moved(store, await readState(store, name), policies, alias, current, event as AliasEvent);
  });
}
