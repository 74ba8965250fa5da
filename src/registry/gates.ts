/**
 * The gates of one forward alias move: the stored policies that apply to the
 * model and alias, plus the per-call `--require` / `--checklist`. promote and
 * register --alias both go through here, so no path moves an alias past them.
 */
import { existsSync } from 'node:fs';
import { MlopsError } from '../util/errors.js';
import {
  policiesFor,
  policyLabel,
  policySource,
  resolveChecklistPath,
  sha256OfFile,
  type ChecklistRunner,
  type PolicyView,
} from './policy.js';
import type { ModelState } from './state.js';
import type { ChecklistRun } from './types.js';

export interface RequiredAlias {
  alias: string;
  /** The policy that asks for it; none for --require. */
  policy?: PolicyView;
}

export interface ChecklistGate {
  /** The path as given. */
  config: string;
  /** Where it is read here. */
  path: string;
  policy?: PolicyView;
}

export interface Gates {
  requires: RequiredAlias[];
  checklists: ChecklistGate[];
  /** The policies in force (their seq): if they change while checklists run, the move starts over. */
  policySeq: number[];
}

export function gatesFor(
  policies: readonly PolicyView[],
  name: string,
  alias: string,
  perCall: { require?: string; checklist?: string; cwd?: string },
): Gates {
  const applying = policiesFor(policies, name, alias);
  const requires: RequiredAlias[] = [];
  for (const p of applying)
    for (const a of p.require) if (!requires.some((r) => r.alias === a)) requires.push({ alias: a, policy: p });
  if (perCall.require && !requires.some((r) => r.alias === perCall.require)) requires.push({ alias: perCall.require });
  const checklists: ChecklistGate[] = applying
    .filter((p) => p.checklist)
    .map((p) => ({ config: p.checklist!.path, path: resolveChecklistPath(p.checklist!.path, perCall.cwd), policy: p }));
  if (perCall.checklist && !checklists.some((c) => c.path === resolveChecklistPath(perCall.checklist!, perCall.cwd))) {
    checklists.push({ config: perCall.checklist, path: resolveChecklistPath(perCall.checklist, perCall.cwd) });
  }
  return { requires, checklists, policySeq: applying.map((p) => p.seq) };
}

function setBy(p: PolicyView): string {
  return `${policyLabel(p)} requires it, set by ${p.actor} on ${p.at.slice(0, 10)}`;
}

/** Refuse (exit 1) unless `version` holds or has held every required alias; `what` names the version in the message. */
export function checkRequired(
  state: ModelState,
  version: number | null,
  alias: string,
  gates: Gates,
  what = `${state.name}@${version}`,
): void {
  const missing = gates.requires.filter((r) => version === null || !state.aliasHistory.get(version)?.has(r.alias));
  if (missing.length === 0) return;
  const names = missing.map((r) => `"${r.alias}"`).join(' or ');
  const why = missing.filter((r) => r.policy).map((r) => setBy(r.policy!));
  throw new MlopsError(
    'REGISTRY_PROMOTION_ORDER',
    `${what} has never been ${names}, so it cannot go to "${alias}"${why.length ? ` (${why.join('; ')})` : ''}`,
    {
      hint:
        version === null
          ? `register it without \`alias\`, then promote it through ${missing[0].alias}: mlops registry promote ${state.name}@<version> --to ${missing[0].alias}`
          : `promote it to ${missing[0].alias} first: mlops registry promote ${state.name}@${version} --to ${missing[0].alias}`,
    },
  );
}

/** A checklist a move needs must be readable here (exit 2 otherwise), before anything is stored or run. */
export function checkChecklistsPresent(gates: Gates, alias: string): void {
  for (const c of gates.checklists) {
    if (existsSync(c.path)) continue;
    if (c.policy) {
      throw new MlopsError(
        'REGISTRY_POLICY_CHECKLIST_MISSING',
        `${policyLabel(c.policy)} needs checklist ${c.config}, which is not at ${c.path}`,
        {
          hint: `a relative checklist path is read from the current folder: run from the folder the policy expects (usually the repository root), or change the policy: mlops registry policy ${alias}${c.policy.model ? ` --model ${c.policy.model}` : ''} --checklist <file>`,
        },
      );
    }
    throw new MlopsError('CHECKLIST_CONFIG', `checklist ${c.config} does not exist (looked at ${c.path})`, {
      hint: 'relative paths are read from the current folder; mlops checklist init writes a starter',
    });
  }
}

export interface RunGateOptions {
  checklists?: ChecklistRunner;
  registry?: string;
  acks?: string[];
  /** Run a policy checklist even when it changed since the policy was set (recorded in history as forced). */
  force?: boolean;
}

/**
 * A policy records the sha256 of its checklist: running another file under
 * the same name (edited, or another folder's gate.yml) would let the gate be
 * swapped. Refused (exit 2) unless forced; a forced run is recorded.
 */
export function refuseChangedChecklist(
  c: ChecklistGate,
  sha256: string | null,
  alias: string,
  force: boolean | undefined,
): void {
  const recorded = c.policy?.checklist?.sha256;
  if (!c.policy || !recorded || sha256 === recorded || force) return;
  throw new MlopsError(
    'REGISTRY_POLICY_CHECKLIST_CHANGED',
    `${policyLabel(c.policy)} needs checklist ${c.config} with sha256 ${recorded.slice(0, 12)}..., but ${c.path} has sha256 ${(sha256 ?? 'unreadable').slice(0, 12)}...: it is not the checklist the policy was set with`,
    {
      hint: `if the change is intended, set the policy again from this file: mlops registry policy ${alias}${c.policy.model ? ` --model ${c.policy.model}` : ''} --checklist ${c.config}${c.policy.require.map((r) => ` --require ${r}`).join('')}; --force runs this file anyway (recorded in history)`,
    },
  );
}

/** Every policy checklist of the move must be the file the policy recorded (see refuseChangedChecklist). */
export async function checkChecklistsUnchanged(gates: Gates, alias: string, force?: boolean): Promise<void> {
  for (const c of gates.checklists) refuseChangedChecklist(c, await sha256OfFile(c.path), alias, force);
}

/** Run every checklist of the move on `ref` (outside the lock: checklists can take seconds). */
export async function runChecklists(
  gates: Gates,
  ref: string,
  alias: string,
  options: RunGateOptions,
): Promise<ChecklistRun[]> {
  if (gates.checklists.length === 0) return [];
  if (!options.checklists)
    throw new Error(
      'a checklist gate applies but no checklist runner was given (call promote and register through src/release/, which runs the checklist)',
    );
  const runs: ChecklistRun[] = [];
  const acked = new Set<string>();
  for (const c of gates.checklists) {
    const sha256 = (await sha256OfFile(c.path)) ?? '';
    refuseChangedChecklist(c, sha256, alias, options.force);
    const r = await options.checklists.run(c.path, ref, { registry: options.registry, acks: options.acks });
    r.acked.forEach((a) => acked.add(a));
    runs.push({
      config: c.config,
      path: c.path,
      sha256,
      source: c.policy ? policySource(c.policy) : '--checklist',
      ...(c.policy?.checklist && c.policy.checklist.sha256 !== sha256
        ? { policy_sha256: c.policy.checklist.sha256 }
        : {}),
      passed: r.passed,
      counts: r.counts,
      not_passed: r.not_passed,
    });
  }
  const unused = (options.acks ?? []).filter((a) => !acked.has(a));
  if (unused.length)
    throw new MlopsError(
      'CHECKLIST_CONFIG',
      `\`acks\` ${unused.join(', ')}: no manual check with that id in ${gates.checklists.map((c) => c.config).join(', ')}`,
    );
  return runs;
}

/** Why the checklists refuse the move, or null when they all passed. */
export function checklistFailure(runs: readonly ChecklistRun[]): string | null {
  const failed = runs.filter((r) => !r.passed);
  if (failed.length === 0) return null;
  return failed
    .map(
      (r) =>
        `checklist ${r.config}${r.source === '--checklist' ? '' : ` (${r.source === 'policy' ? 'registry policy' : r.source})`} failed: ${r.not_passed.join(', ')}`,
    )
    .join('; ');
}
