import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, tempDir } from '../helpers.js';
import { modelVariants } from '../registry/helpers.js';

const FAILING = 'checks:\n  - id: valid\n    type: model_valid\n  - id: tiny\n    type: max_size_mb\n    max: 0.0001\n';
const PERMISSIVE = 'checks:\n  - id: valid\n    type: model_valid\n';

test('a policy checklist swapped for another file of the same name (another folder) is refused unless --force, which is recorded', () => {
  const dir = tempDir();
  const registry = path.join(dir, '.mlops');
  const [model] = modelVariants(dir, 1);
  writeFileSync(path.join(dir, 'gate.yml'), FAILING);
  const other = path.join(dir, 'other');
  mkdirSync(other);
  writeFileSync(path.join(other, 'gate.yml'), PERMISSIVE);
  assert.equal(runCli(['registry', 'register', 'm', model, '--registry', registry], { cwd: dir }).status, 0);
  assert.equal(
    runCli(['registry', 'policy', 'canary', '--checklist', 'gate.yml', '--registry', registry], { cwd: dir }).status,
    0,
  );

  const swapped = runCli(['registry', 'promote', 'm@1', '--to', 'canary', '--registry', '../.mlops'], { cwd: other });
  assert.equal(swapped.status, 2, swapped.stdout + swapped.stderr);
  assert.match(
    swapped.stderr,
    /error: the registry policy for "canary" needs checklist gate\.yml with sha256 [0-9a-f]{12}\.\.\., but .*other\/gate\.yml has sha256 [0-9a-f]{12}\.\.\.: it is not the checklist the policy was set with/,
  );
  assert.match(
    swapped.stderr,
    /hint: if the change is intended, set the policy again from this file: mlops registry policy canary --checklist gate\.yml; --force/,
  );
  const json = JSON.parse(
    runCli(['registry', 'promote', 'm@1', '--to', 'canary', '--registry', '../.mlops', '--json'], { cwd: other })
      .stdout,
  );
  assert.equal(json.error.code, 'REGISTRY_POLICY_CHECKLIST_CHANGED');
  // register --alias goes through the same gate, and stores nothing when it refuses.
  const [again] = modelVariants(other, 2).slice(1);
  const registered = runCli(['registry', 'register', 'm', again, '--alias', 'canary', '--registry', '../.mlops'], {
    cwd: other,
  });
  assert.equal(registered.status, 2, registered.stderr);
  assert.match(registered.stderr, /not the checklist the policy was set with/);
  assert.match(runCli(['registry', 'list', 'm', '--registry', registry]).stdout, /^1 /m);
  assert.doesNotMatch(runCli(['registry', 'list', 'm', '--registry', registry]).stdout, /^2 /m);

  const forced = runCli(['registry', 'promote', 'm@1', '--to', 'canary', '--force', '--registry', '../.mlops'], {
    cwd: other,
  });
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stdout, /forced/);
  const history = runCli(['registry', 'history', 'm', '--registry', registry]);
  assert.match(history.stdout, /promote canary: - -> 1 \(forced past gate\.yml changed since the policy was set\)/);
});
