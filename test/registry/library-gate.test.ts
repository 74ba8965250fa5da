/**
 * The promote gate as a library caller meets it: `promote({ checklist })` from
 * the public API runs the checklist itself (no runner to pass), exactly as
 * `mlops registry promote --checklist` does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { modelHistory, promote, registerModel, showVersion } from '../../src/index.js';
import { modelVariants, tempDir } from './helpers.js';

type Failure = Error & { code?: string; exitCode?: number };

test('promote({ checklist }) runs the checklist itself: a failing one blocks the move and records nothing', async () => {
  const registry = tempDir();
  const dir = tempDir();
  for (const f of modelVariants(dir, 2)) await registerModel({ registry, name: 'fraud', file: f });
  writeFileSync(path.join(dir, 'passing.yml'), 'checks:\n  - id: valid\n    type: model_valid\n');
  writeFileSync(
    path.join(dir, 'failing.yml'),
    'checks:\n  - id: valid\n    type: model_valid\n  - id: tiny\n    type: max_size_mb\n    max: 0.0001\n',
  );
  await promote({ registry, ref: 'fraud@1', to: 'production' });
  const before = await modelHistory({ registry, name: 'fraud' });

  await assert.rejects(
    promote({ registry, ref: 'fraud@2', to: 'production', checklist: path.join(dir, 'failing.yml') }),
    (e: Failure) => {
      assert.equal(e.code, 'REGISTRY_GATE_FAILED');
      assert.equal(e.exitCode, 1);
      assert.match(
        e.message,
        /refusing to promote fraud@2 to production: checklist .*failing\.yml failed: tiny \(fail\)/,
      );
      return true;
    },
  );
  // The alias did not move, and a refusal is not an event (as with the CLI).
  assert.equal((await showVersion({ registry, ref: 'fraud@production' })).model_version, 1);
  assert.deepEqual((await modelHistory({ registry, name: 'fraud' })).events, before.events);

  // A relative path is read from cwd, like the CLI's; a passing checklist is recorded with the move.
  const moved = await promote({ registry, cwd: dir, ref: 'fraud@2', to: 'production', checklist: 'passing.yml' });
  assert.deepEqual(
    [moved.changed, moved.to, moved.event?.checklists?.map((c) => [c.config, c.source, c.passed])],
    [true, 2, [['passing.yml', '--checklist', true]]],
  );
});

test('register({ alias }) goes through the same gate: a failing --checklist keeps the version and leaves the alias alone', async () => {
  const registry = tempDir();
  const dir = tempDir();
  const [file] = modelVariants(dir, 1);
  writeFileSync(path.join(dir, 'failing.yml'), 'checks:\n  - id: tiny\n    type: max_size_mb\n    max: 0.0001\n');
  const { aliasPolicy } = await import('../../src/index.js');
  await aliasPolicy({ registry, cwd: dir, alias: 'staging', checklist: 'failing.yml' });
  await assert.rejects(registerModel({ registry, cwd: dir, name: 'fraud', file, alias: 'staging' }), (e: Failure) => {
    assert.equal(e.code, 'REGISTRY_GATE_FAILED');
    assert.match(e.message, /registered fraud@1, but did not point "staging" at it/);
    return true;
  });
  const events = (await modelHistory({ registry, name: 'fraud' })).events;
  assert.deepEqual(
    events.map((e) => e.type),
    ['register'],
  );
});
