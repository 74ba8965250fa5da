/**
 * One release scenario, every registry command with its error cases, run as
 * a user would (bin/mlops) on a folder registry and on a PostgreSQL database:
 * the exit codes, stdout (text and --json) and stderr must be the same once
 * only what must differ is normalized: times, the registry's location, the
 * stored file's path (a version folder vs the local cache).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, tempDir } from '../helpers.js';
import { modelVariants } from '../registry/helpers.js';
import { runScenario, type Step } from './compare.js';
import { openStoreUnderTest } from './stores.js';

/** The scenario: each step with the exit code it must give (on both stores). */
function scenario(models: string[]): Step[] {
  const [m0, m1, m2] = models;
  const ok = (...args: string[]): Step => ({ args, status: 0 });
  const fails = (status: number, ...args: string[]): Step => ({ args, status });
  const both = (status: number, ...args: string[]): Step[] => [
    { args, status },
    { args: [...args, '--json'], status },
  ];
  return [
    ...both(0, 'registry', 'list'),
    ...both(
      0,
      'registry',
      'register',
      'fraud',
      m0,
      '--description',
      'first',
      '--tag',
      'team=risk',
      '--metric',
      'auc=0.91',
    ),
    ...both(0, 'registry', 'register', 'fraud', m0), // duplicate bytes: the same version back
    ok('registry', 'register', 'fraud', m0, '--allow-duplicate', '--reason', 'again', '--json'),
    ok('registry', 'register', 'fraud', m1, '--parent', 'fraud@1', '--alias', 'staging', '--features', 'a,b,c,d'),
    ok('registry', 'register', 'churn', m2, '--git-commit', 'cafe0123'),
    ...both(0, 'registry', 'list'),
    ...both(0, 'registry', 'list', 'fraud'),
    ...both(0, 'registry', 'show', 'fraud'),
    ...both(0, 'registry', 'show', 'fraud@1'),
    ...both(0, 'registry', 'show', 'fraud@staging'),
    // promote --require: refused (exit 1), then through staging.
    ...both(1, 'registry', 'promote', 'fraud@1', '--to', 'production', '--require', 'staging'),
    ...both(0, 'registry', 'promote', 'fraud@3', '--to', 'production', '--require', 'staging'),
    ok('registry', 'promote', 'fraud@1', '--to', 'staging', '--reason', 'retry v1'),
    ...both(
      0,
      'registry',
      'promote',
      'fraud@1',
      '--to',
      'production',
      '--require',
      'staging',
      '--checklist',
      'release.yml',
    ),
    ...both(0, 'registry', 'promote', 'fraud@1', '--to', 'production'), // already there: unchanged
    ok('registry', 'rollback', 'fraud', '--alias', 'production', '--reason', 'latency'),
    ok('registry', 'promote', 'fraud@1', '--to', 'production'),
    ok('registry', 'rollback', 'fraud', '--alias', 'production', '--json'),
    ok('registry', 'rollback', 'fraud', '--alias', 'production', '--to', '1', '--json'),
    ...both(0, 'registry', 'show', 'fraud@production'),
    ...both(2, 'registry', 'rollback', 'fraud', '--alias', 'production', '--to', '2'), // never held production
    fails(2, 'registry', 'rollback', 'fraud', '--alias', 'canary'), // never set
    // policy: set, show, obeyed, cleared.
    ...both(
      0,
      'registry',
      'policy',
      'production',
      '--require',
      'staging',
      '--checklist',
      'release.yml',
      '--reason',
      'process',
    ),
    ...both(0, 'registry', 'policy'),
    ...both(0, 'registry', 'policy', 'production'),
    ...both(1, 'registry', 'promote', 'fraud@2', '--to', 'production'),
    ...both(1, 'registry', 'register', 'churn', m1, '--alias', 'production'),
    ...both(0, 'registry', 'policy', 'production', '--clear'),
    // archive: refused while an alias points at it, then hidden from latest.
    ...both(2, 'registry', 'archive', 'fraud@1'),
    ok('registry', 'archive', 'fraud@2', '--reason', 'superseded', '--json'),
    ok('registry', 'archive', 'churn@1'),
    ...both(2, 'registry', 'promote', 'fraud@2', '--to', 'canary'),
    ...both(0, 'registry', 'show', 'fraud'),
    ...both(0, 'registry', 'history', 'fraud'),
    ...both(0, 'registry', 'history', 'churn'),
    ...both(0, 'registry', 'path', 'fraud@production'),
    ...both(0, 'registry', 'verify'),
    ...both(0, 'registry', 'verify', 'fraud'),
    // user errors: exit 2, a message and a hint, no stack.
    ...both(2, 'registry', 'show', 'nope'),
    ...both(2, 'registry', 'show', 'fraud@99'),
    ...both(2, 'registry', 'show', 'fraud@nowhere'),
    ...both(2, 'registry', 'show', 'fraud@'),
    ...both(2, 'registry', 'show', 'Fraud Model'),
    ...both(2, 'registry', 'history', 'nope'),
    ...both(2, 'registry', 'path', 'nope@production'),
    ...both(2, 'registry', 'list', 'nope'),
    ...both(2, 'registry', 'verify', 'nope'),
    ...both(2, 'registry', 'rollback', 'nope', '--alias', 'production'),
    ...both(2, 'registry', 'register', 'fraud', 'missing.onnx'),
    ...both(2, 'registry', 'register', 'fraud', fixture('broken', 'garbage.onnx')),
    ...both(2, 'registry', 'register', '../x', m2),
    ...both(2, 'registry', 'register', 'fraud', m2, '--parent', 'fraud@42'),
    ...both(2, 'registry', 'promote', 'fraud@9', '--to', 'staging'),
    // every model command takes references
    ok('check', 'fraud@production'),
    ...both(2, 'check', 'ghost@production'),
  ];
}

test('every registry command gives the same exit code, stdout (text and --json) and stderr on both stores', {
  timeout: 600_000,
}, async () => {
  const work = tempDir('mlops-conf-work-');
  writeFileSync(path.join(work, 'release.yml'), 'checks:\n  - id: valid\n    type: model_valid\n');
  const models = modelVariants(work, 3);
  const steps = scenario(models.map((m) => path.basename(m)));
  const folder = await openStoreUnderTest('folder');
  const postgres = await openStoreUnderTest('postgres');
  // The two stores run side by side (separate registries, separate caches).
  const [a, b] = await Promise.all([runScenario(folder, work, steps), runScenario(postgres, work, steps)]);
  for (let i = 0; i < steps.length; i++) assert.deepEqual(b[i], a[i], `step ${i + 1}: mlops ${a[i].args}`);

  // path prints a real file holding the registered bytes, on both stores.
  const sha = createHash('sha256').update(readFileSync(models[0])).digest('hex');
  for (const store of [folder, postgres]) {
    const r = store.cli(['registry', 'path', 'fraud@production'], { cwd: work });
    assert.equal(createHash('sha256').update(readFileSync(r.stdout.trim())).digest('hex'), sha, store.kind);
  }
});
