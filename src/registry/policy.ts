/**
 * Alias policies: the gates a version must pass to move to an alias, stored in
 * the registry so every forward move (promote, register --alias) obeys them,
 * whoever runs it. A policy is registry-wide per alias name (`production` means
 * the same thing for every model of a team); one narrowed to a model adds gates
 * on top of the registry-wide one and never removes any, so narrowing cannot
 * become a way around a gate. Changes are append-only and attributed, like a
 * model's history.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { MlopsError } from '../util/errors.js';
import { sha256File } from '../util/hash.js';
import { currentActor } from './actor.js';
import { openStore, type RegistryOptions } from './context.js';
import { validateName, validateNewModelName } from './names.js';
import { isHistoryDamaged } from './history-lines.js';
import type { RegistryStore } from './store.js';
import type { Actor, PolicyEvent } from './types.js';

/** Runs checklists for gates. The checklist capability sits above the registry, so src/release/ hands it in (src/checklist/gate.ts). */
export interface ChecklistRunner {
  /** Throws an MlopsError naming the problem when `file` is not a valid checklist. */
  validate(file: string): Promise<void>;
  run(
    file: string,
    model: string,
    options: { registry?: string; acks?: string[] },
  ): Promise<{ passed: boolean; counts: Record<string, number>; not_passed: string[]; acked: string[] }>;
}

/** A policy in force, with who set it. */
export interface PolicyView extends Actor {
  alias: string;
  model: string | null;
  require: string[];
  checklist: { path: string; sha256: string } | null;
  /** The change that set it, in the policy history. */
  seq: number;
  at: string;
  reason?: string;
}

/** Fold the policy history into the policies in force, registry-wide ones first, then by alias. */
export function foldPolicies(events: readonly PolicyEvent[]): PolicyView[] {
  const current = new Map<string, PolicyView>();
  for (const e of events) {
    const key = `${e.model ?? ''}\u0000${e.alias}`;
    if (e.action === 'clear') current.delete(key);
    else {
      current.set(key, {
        alias: e.alias,
        model: e.model,
        require: e.require ?? [],
        checklist: e.checklist ?? null,
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        host: e.host,
        ...(e.ci_url ? { ci_url: e.ci_url } : {}),
        ...(e.reason ? { reason: e.reason } : {}),
      });
    }
  }
  return [...current.values()].sort(
    (a, b) => (a.model ?? '').localeCompare(b.model ?? '') || a.alias.localeCompare(b.alias),
  );
}

/** The policies that apply to `name` (for one alias, or all). */
export function policiesFor(policies: readonly PolicyView[], name: string, alias?: string): PolicyView[] {
  return policies.filter((p) => (p.model === null || p.model === name) && (alias === undefined || p.alias === alias));
}

export async function readPolicies(store: RegistryStore): Promise<PolicyView[]> {
  return foldPolicies(await store.readPolicyHistory());
}

/** A damaged line of policies.jsonl, for the commands that report it instead of failing. */
export interface DamagedPolicies {
  file: string;
  line: number;
  message: string;
}

/**
 * The policies, or what is damaged in policies.jsonl. Gated moves must not use
 * this (a gate that cannot be read must not pass): they call readPolicies.
 * list/verify report the damage; rollback (the emergency path, it runs no
 * gate) and a register without --alias go on without the policies.
 */
export async function readPoliciesOrDamage(
  store: RegistryStore,
): Promise<{ policies: PolicyView[]; damaged: DamagedPolicies | null }> {
  try {
    return { policies: await readPolicies(store), damaged: null };
  } catch (err) {
    if (!isHistoryDamaged(err)) throw err;
    return { policies: [], damaged: { file: err.file, line: err.line, message: err.message } };
  }
}

export function policySource(p: PolicyView): string {
  return p.model === null ? 'policy' : `policy for ${p.model}`;
}

/** `the registry policy for "production"`, `the policy for "canary" of fraud`: for messages. */
export function policyLabel(p: { alias: string; model: string | null }): string {
  return p.model === null ? `the registry policy for "${p.alias}"` : `the policy for "${p.alias}" of ${p.model}`;
}

/** Where a checklist path is read: relative paths from the current folder of the process that runs the gate. */
export function resolveChecklistPath(file: string, cwd?: string): string {
  return path.resolve(cwd ?? process.cwd(), file);
}

export function sha256OfFile(file: string): Promise<string | null> {
  return sha256File(file).catch(() => null);
}

export interface PolicyOptions extends RegistryOptions {
  /** Omitted: every policy. */
  alias?: string;
  /** Narrow to one model (on top of the registry-wide policy). */
  model?: string;
  /** Set the policy to these gates (replacing it). */
  require?: string[];
  checklist?: string;
  clear?: boolean;
  reason?: string;
  /** Validates a checklist before it is stored; needed with `checklist`. */
  checklists?: ChecklistRunner;
}

export interface PolicyResult {
  /** What was asked: show the policies, set one, or clear one. */
  action: 'show' | 'set' | 'clear';
  /** The policies in force afterwards (for the alias and model asked about, or all). */
  policies: PolicyView[];
  /** False when nothing was asked to change, or the policy already was so. */
  changed: boolean;
  event: PolicyEvent | null;
}

/** `mlops registry policy`: show, set or clear the gates of an alias. */
export async function aliasPolicy(options: PolicyOptions): Promise<PolicyResult> {
  const alias = options.alias === undefined ? undefined : validateName(options.alias, 'alias');
  // A name that could never be registered (x.onnx) would narrow a policy to nothing.
  const model = options.model === undefined ? null : validateNewModelName(options.model);
  const requires = [...new Set((options.require ?? []).map((a) => validateName(a, 'alias')))];
  const setting = requires.length > 0 || options.checklist !== undefined;
  if ((setting || options.clear) && alias === undefined) {
    throw new MlopsError('OPTION_MISSING', 'name the alias the policy is for', {
      hint: 'e.g. mlops registry policy production --require staging --checklist mlops.checklist.yml',
    });
  }
  if (setting && options.clear)
    throw new MlopsError('OPTIONS_CONFLICT', '`clear` cannot be combined with `require` or `checklist`', {
      hint: 'setting a policy replaces the previous one; `clear` removes it',
    });
  if (alias !== undefined && requires.includes(alias)) {
    throw new MlopsError('REGISTRY_POLICY_INVALID', `"${alias}" cannot require itself`, {
      hint: `require the alias a version passes through before ${alias}, e.g. \`require\` staging`,
    });
  }
  const store = openStore(options);
  const shown = (policies: PolicyView[]) =>
    policies.filter(
      (p) => (alias === undefined || p.alias === alias) && (model === null || p.model === null || p.model === model),
    );
  const action = options.clear ? 'clear' : setting ? 'set' : 'show';
  if (action === 'show') return { action, policies: shown(await readPolicies(store)), changed: false, event: null };

  let checklist: PolicyEvent['checklist'] = null;
  if (options.checklist !== undefined) {
    const resolved = resolveChecklistPath(options.checklist, options.cwd);
    const sha256 = await sha256OfFile(resolved);
    if (sha256 === null) {
      const folder = (await stat(resolved).catch(() => undefined))?.isDirectory();
      throw new MlopsError(
        'REGISTRY_POLICY_CHECKLIST_MISSING',
        `checklist ${options.checklist} ${folder ? 'is a folder' : 'does not exist'} (looked at ${resolved})`,
        { hint: 'pass the path of a checklist file (mlops checklist init writes a starter)' },
      );
    }
    if (!options.checklists) throw new Error('aliasPolicy: a checklist needs options.checklists to validate it');
    await options.checklists.validate(resolved);
    // Stored as given: a relative path is read from the folder each promotion runs in (the repository root in CI).
    checklist = { path: options.checklist, sha256 };
  }
  return store.withLock(async () => {
    const before = await readPolicies(store);
    const existing = before.find((p) => p.alias === alias && p.model === model);
    if (options.clear ? !existing : existing && sameGates(existing, requires, checklist))
      return { action, policies: shown(before), changed: false, event: null };
    const [event] = await store.appendPolicy([
      {
        type: 'policy',
        action: options.clear ? 'clear' : 'set',
        alias: alias!,
        model,
        ...(options.clear ? {} : { require: requires, checklist }),
        at: new Date().toISOString(),
        ...currentActor(),
        ...(options.reason ? { reason: options.reason } : {}),
      },
    ]);
    return { action, policies: shown(await readPolicies(store)), changed: true, event };
  });
}

function sameGates(p: PolicyView, requires: string[], checklist: PolicyEvent['checklist']): boolean {
  return JSON.stringify([[...p.require].sort(), p.checklist]) === JSON.stringify([[...requires].sort(), checklist]);
}

/** A model's view of the policy history: the changes to registry-wide policies and to its own. */
export async function policyEventsFor(store: RegistryStore, name: string): Promise<PolicyEvent[]> {
  return policyEventsOf(await store.readPolicyHistory(), name);
}

export function policyEventsOf(events: readonly PolicyEvent[], name: string): PolicyEvent[] {
  return events.filter((e) => e.model === null || e.model === name);
}
