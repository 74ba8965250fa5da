/**
 * A writer killed while taking the folder registry's lock never leaves an empty
 * lock file (which holds no owner, so others could only judge it by its age and
 * would wait a minute): the lock is a hard link of a written temporary, and the
 * temporary a killed writer leaves is removed by the next one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { registerModel } from '../../src/release/index.js';
import { fixture, ROOT, tempDir } from '../helpers.js';
import { modelVariants } from './helpers.js';

test('a register killed between writing its lock and linking it leaves no lock; the next writer goes at once', async () => {
  const registry = tempDir();
  const [a, b] = modelVariants(tempDir(), 2);
  await registerModel({ registry, name: 'm', file: fixture('models', 'mlp-dynamo.onnx') });
  const killed = spawnSync(
    process.execPath,
    [path.join(ROOT, 'bin', 'mlops'), 'registry', 'register', 'm', a, '--registry', registry],
    {
      env: { ...process.env, MLOPS_FAILPOINT: 'lock-temp-written' },
      encoding: 'utf8',
    },
  );
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  const left = readdirSync(registry).filter((f) => f.startsWith('.lock.tmp-'));
  assert.equal(left.length, 1, 'the killed writer left its temporary');
  assert.ok(!readdirSync(registry).includes('lock'), 'and no lock');
  const started = Date.now();
  const next = await registerModel({ registry, name: 'm', file: b });
  assert.equal(next.model_version, 2);
  assert.ok(Date.now() - started < 10_000, 'no waiting on a lock');
  assert.deepEqual(
    readdirSync(registry).filter((f) => f.startsWith('.lock')),
    [],
    'the temporary was removed',
  );
});
