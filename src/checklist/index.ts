/** `mlops checklist`: run a deployment checklist; every check runs, whatever the others do. */
import path from 'node:path';
import { loadModel, type LoadedModel } from '../models/load-model.js';
import { modelRefIn } from '../models/resolve-model.js';
import { MlopsError, isMlopsError, errorMessage } from '../util/errors.js';
import { currentActor } from '../registry/actor.js';
import { CHECKS, resolverFor, type CheckContext } from './checks.js';
import { loadConfig, type ChecklistConfig, type Severity } from './config.js';

export { CHECK_TYPES } from './config.js';

export interface ChecklistOptions {
  config?: string;
  /** Loaded config instead of a file (library use). */
  checklist?: ChecklistConfig;
  /** Overrides the config's model. */
  model?: string;
  registry?: string;
  /** Manual items signed off for this run. */
  acks?: string[];
  failOn?: Severity;
}

export type CheckStatus = 'pass' | 'fail' | 'error' | 'pending';

export interface CheckResult {
  id: string;
  type: string;
  severity: Severity;
  status: CheckStatus;
  message: string;
  value: number | string | null;
  threshold: string | null;
  duration_ms: number;
  /** Whether this check fails the run (not passed, at or above --fail-on). */
  blocking: boolean;
  acknowledged_by?: string;
}

export interface ChecklistResult {
  model: string;
  config: string | null;
  fail_on: Severity;
  checks: CheckResult[];
  counts: Record<CheckStatus, number>;
  passed: boolean;
  /** Why the run failed when no single check is to blame (no check passed); null otherwise. */
  reason: string | null;
}

/** A check at or above the --fail-on level that did not pass (failed, errored or pending) fails the run. */
export function blocking(check: Pick<CheckResult, 'status' | 'severity'>, failOn: Severity): boolean {
  return check.status !== 'pass' && (failOn === 'warn' || check.severity === 'error');
}

export async function runChecklist(options: ChecklistOptions): Promise<ChecklistResult> {
  const checklist = options.checklist ?? (await loadConfig(options.config ?? 'mlops.checklist.yml'));
  const model = options.model ?? checklist.model;
  if (!model)
    throw new MlopsError('CHECKLIST_CONFIG', 'no model to check', {
      hint: 'set `model:` in the config or pass `model` <path or name@version>',
    });
  const failOn = options.failOn ?? 'error';
  const baseDir = options.config ? path.dirname(path.resolve(options.config)) : process.cwd();
  const rel = resolverFor(baseDir);
  const unknownAcks = (options.acks ?? []).filter(
    (a) => !checklist.checks.some((c) => c.id === a && c.type === 'manual'),
  );
  if (unknownAcks.length)
    throw new MlopsError('CHECKLIST_CONFIG', `\`acks\` ${unknownAcks.join(', ')}: no manual check with that id`);
  let loading: Promise<LoadedModel> | undefined;
  // --model is relative to the current folder; the config's model to the config file.
  const modelRef = options.model ? options.model : modelRefIn(baseDir, model);
  const ctx: CheckContext = {
    model: modelRef,
    registry: options.registry,
    baseDir,
    load: () => (loading ??= loadModel(ctx.model, { registry: options.registry })),
  };
  const actor = currentActor().actor;
  const results: Array<Omit<CheckResult, 'blocking'>> = [];
  for (const check of checklist.checks) {
    const started = performance.now();
    const base = { id: check.id, type: check.type, severity: check.severity };
    if (check.type === 'manual') {
      const acked = options.acks?.includes(check.id);
      results.push({
        ...base,
        status: acked ? 'pass' : 'pending',
        message: `${check.text}${acked ? ` (acknowledged by ${actor})` : ' (needs --ack ' + check.id + ')'}`,
        value: null,
        threshold: null,
        duration_ms: 0,
        ...(acked ? { acknowledged_by: actor } : {}),
      });
      continue;
    }
    try {
      const v = await CHECKS[check.type](ctx, check, rel);
      results.push({
        ...base,
        status: v.status,
        message: v.message,
        value: v.value ?? null,
        threshold: v.threshold ?? null,
        duration_ms: Math.round(performance.now() - started),
      });
    } catch (err) {
      // One broken check (a missing file, a model that does not load) does not stop the others.
      const message = isMlopsError(err) ? asConfigKeys(err.message) : `internal error: ${errorMessage(err)}`;
      results.push({
        ...base,
        status: 'error',
        message,
        value: null,
        threshold: null,
        duration_ms: Math.round(performance.now() - started),
      });
    }
  }
  const counts = { pass: 0, fail: 0, error: 0, pending: 0 } as Record<CheckStatus, number>;
  for (const r of results) counts[r.status]++;
  const checks: CheckResult[] = results.map((r) => ({ ...r, blocking: blocking(r, failOn) }));
  // A run in which nothing passed (every check a warning or pending below --fail-on) has shown nothing: it does not pass.
  const reason =
    counts.pass === 0 ? `no check passed (0 of ${results.length}): a run that shows nothing holds does not pass` : null;
  return {
    model,
    config: options.config ?? null,
    fail_on: failOn,
    checks,
    counts,
    passed: reason === null && !checks.some((r) => r.blocking),
    reason,
  };
}

/**
 * Library messages name options as a library caller spells them (`allowMissing`); in a checklist
 * the user wrote YAML keys, so name those (`allow_missing`).
 */
function asConfigKeys(message: string): string {
  return message.replace(
    /`([a-z]+(?:[A-Z][a-z0-9]*)+)`/g,
    (_, name: string) => `\`${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}\``,
  );
}
