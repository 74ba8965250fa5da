import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { listRegistry, modelHistory, resolveModelRef, verifyRegistry } from '../../src/registry/index.js';
import { registerModel, promote } from '../../src/release/index.js';
import { ROOT, runCli } from '../helpers.js';
import { modelVariants, tempDir } from './helpers.js';

interface Exit {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function mlops(args: string[], env: NodeJS.ProcessEnv = {}, killAfterMs?: number): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'mlops'), ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

test('16 parallel register processes get 16 distinct versions and lose nothing', async () => {
  const registry = tempDir();
  const files = modelVariants(registry, 16);
  const results = await Promise.all(
    files.map((f) => mlops(['registry', 'register', 'fraud', f, '--registry', registry, '--json'])),
  );
  for (const r of results) assert.equal(r.status, 0, r.stderr);
  const versions = results.map((r) => JSON.parse(r.stdout).model_version).sort((a, b) => a - b);
  assert.deepEqual(
    versions,
    Array.from({ length: 16 }, (_, i) => i + 1),
  );
  const history = await modelHistory({ registry, name: 'fraud' });
  assert.equal(history.events.filter((e) => e.type === 'register').length, 16);
  const bySha = new Set(history.events.map((e) => e.type === 'register' && e.record.sha256));
  assert.equal(bySha.size, 16);
  assert.equal((await verifyRegistry({ registry })).passed, true);
});

test('racing promotes and rollbacks leave an alias map that matches the last event', async () => {
  const registry = tempDir();
  for (const f of modelVariants(registry, 3)) await registerModel({ registry, name: 'm', file: f });
  await promote({ registry, ref: 'm@1', to: 'production' });
  const jobs = Array.from({ length: 10 }, (_, i) =>
    i % 2 === 0
      ? mlops(['registry', 'promote', `m@${(i % 3) + 1}`, '--to', 'production', '--registry', registry])
      : mlops(['registry', 'rollback', 'm', '--alias', 'production', '--registry', registry]),
  );
  const results = await Promise.all(jobs);
  for (const r of results)
    assert.ok(r.status === 0 || (r.status === 2 && /nothing earlier to roll back to/.test(r.stderr)), r.stderr);
  const moves = (await modelHistory({ registry, name: 'm' })).events.flatMap((e) => (e.type === 'alias' ? [e] : []));
  for (let i = 1; i < moves.length; i++)
    assert.equal(moves[i].from, moves[i - 1].to, `event ${moves[i].seq} continues from the previous move`);
  assert.equal((await resolveModelRef({ registry, ref: 'm@production' })).model_version, moves[moves.length - 1].to);
  assert.ok(moves.length >= 1 + results.filter((r) => r.status === 0 && !/nothing changed/.test(r.stdout)).length);
});

test('a register killed at any step leaves the old state or the new one, and the registry works on', async () => {
  const registry = tempDir();
  const files = modelVariants(registry, 5);
  await registerModel({ registry, name: 'm', file: files[0] });
  let expected = 1;
  for (const [i, point] of ['after-stage', 'after-commit-version', 'append-torn'].entries()) {
    const killed = await mlops(['registry', 'register', 'm', files[i + 1], '--registry', registry], {
      MLOPS_FAILPOINT: point,
    });
    assert.equal(killed.signal, 'SIGKILL', `${point}: ${killed.stderr}`);
    const list = await listRegistry({ registry, name: 'm' });
    assert.ok('versions' in list);
    assert.deepEqual(
      list.versions.map((v) => v.model_version),
      Array.from({ length: expected }, (_, k) => k + 1),
      `${point}: no half-registered version`,
    );
    const verify = await verifyRegistry({ registry });
    assert.equal(verify.passed, true, `${point}: ${JSON.stringify(verify.problems)}`);
    // The next register sets aside what the killed one left (never deleting it) and takes the number.
    const next = await registerModel({ registry, name: 'm', file: files[i + 1] });
    assert.equal(next.model_version, ++expected);
    assert.deepEqual(
      (await verifyRegistry({ registry })).problems.filter((p) => p.severity === 'error'),
      [],
    );
  }
  const torn = await mlops(['registry', 'promote', 'm@2', '--to', 'production', '--registry', registry], {
    MLOPS_FAILPOINT: 'append-torn',
  });
  assert.equal(torn.signal, 'SIGKILL');
  await assert.rejects(resolveModelRef({ registry, ref: 'm@production' }), { code: 'REGISTRY_ALIAS_NOT_FOUND' });
  assert.equal(runCli(['registry', 'promote', 'm@2', '--to', 'production', '--registry', registry]).status, 0);
  assert.equal((await resolveModelRef({ registry, ref: 'm@production' })).model_version, 2);
});

test('registers killed at random moments never corrupt the registry', async () => {
  const registry = tempDir();
  const files = modelVariants(registry, 9);
  // One whole register first: it times a register on this machine (a loaded CI runner is several
  // times slower), and leaves a version, so verify always has something to check.
  const started = Date.now();
  const first = await mlops(['registry', 'register', 'm', files[8], '--registry', registry]);
  assert.equal(first.status, 0, first.stderr);
  const whole = Date.now() - started;
  const outcomes = [];
  // Kills spread from a fifth of a register's time to past its end: before, during and after each step.
  for (const [i, file] of files.slice(0, 8).entries()) {
    outcomes.push(
      (
        await mlops(
          ['registry', 'register', 'm', file, '--registry', registry],
          {},
          Math.round(whole * (0.2 + i * 0.15)),
        )
      ).signal ?? 'finished',
    );
  }
  const verify = await verifyRegistry({ registry });
  assert.deepEqual(
    verify.problems.filter((p) => p.severity === 'error'),
    [],
    JSON.stringify(outcomes),
  );
  const list = await listRegistry({ registry, name: 'm' }).catch(() => ({ name: 'm', versions: [] }));
  const versions = 'versions' in list ? list.versions.map((v) => v.model_version) : [];
  assert.deepEqual(
    versions,
    versions.map((_, k) => k + 1),
    'versions stay contiguous',
  );
  const after = await registerModel({ registry, name: 'm', file: files[0], allowDuplicate: true });
  assert.equal(after.model_version, versions.length + 1);
});
