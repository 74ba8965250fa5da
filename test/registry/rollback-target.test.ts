import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelHistory, rollback } from '../../src/registry/index.js';
import { promote, registerModel } from '../../src/release/index.js';
import { runCli } from '../helpers.js';
import { modelVariants, tempDir } from './helpers.js';

test('rollback --to only goes back to a version that held the alias; anything else is a promotion', async () => {
  const registry = tempDir();
  for (const f of modelVariants(registry, 4)) await registerModel({ registry, name: 'fraud', file: f });
  await promote({ registry, ref: 'fraud@1', to: 'production' });
  await promote({ registry, ref: 'fraud@2', to: 'production' });
  await promote({ registry, ref: 'fraud@4', to: 'staging' });

  // Version 4 never held production (only staging): going there would skip every gate of a promotion.
  await assert.rejects(
    rollback({ registry, name: 'fraud', alias: 'production', to: 4 }),
    (e: Error & { code?: string; exitCode?: number; hint?: string }) => {
      assert.equal(e.code, 'REGISTRY_ROLLBACK_TARGET');
      assert.equal(e.exitCode, 2);
      assert.match(
        e.message,
        /fraud@4 has never been "production", so production cannot roll back to it \(versions that held it: 1, 2\)/,
      );
      assert.match(e.hint!, /mlops registry promote fraud@4 --to production/);
      return true;
    },
  );
  await assert.rejects(rollback({ registry, name: 'fraud', alias: 'production', to: 3 }), {
    code: 'REGISTRY_ROLLBACK_TARGET',
  });
  const before = (await modelHistory({ registry, name: 'fraud' })).events.length;

  // A version that held it before is a rollback.
  const back = await rollback({ registry, name: 'fraud', alias: 'production', to: 1 });
  assert.deepEqual([back.from, back.to], [2, 1]);
  assert.equal(
    (await modelHistory({ registry, name: 'fraud' })).events.length,
    before + 1,
    'only the legal rollback was recorded',
  );
});

test('CLI: rollback to a version that never held the alias exits 2 with a hint to promote', async () => {
  const registry = tempDir();
  const env = { MLOPS_REGISTRY: registry };
  for (const f of modelVariants(registry, 2)) await registerModel({ registry, name: 'fraud', file: f });
  await promote({ registry, ref: 'fraud@1', to: 'production' });
  const r = runCli(['registry', 'rollback', 'fraud', '--alias', 'production', '--to', '2'], { env });
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /error: fraud@2 has never been "production", so production cannot roll back to it \(versions that held it: 1\)\nhint: a version reaches production through its gates: mlops registry promote fraud@2 --to production/,
  );
  const json = runCli(['registry', 'rollback', 'fraud', '--alias', 'production', '--to', '2', '--json'], { env });
  assert.equal(json.status, 2);
  assert.equal(JSON.parse(json.stdout).error.code, 'REGISTRY_ROLLBACK_TARGET');
});
