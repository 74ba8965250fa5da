import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { archiveVersion, FolderStore } from '../../src/registry/index.js';
import { promote, registerModel } from '../../src/release/index.js';
import { currentOwner, startHeartbeat } from '../../src/util/process-owner.js';
import { fixture, ROOT } from '../helpers.js';
import { modelVariants, tempDir } from './helpers.js';

/** A pid no process has here (above the default pid_max of 4194304). */
const DEAD_PID = 2 ** 22 + 12345;
const HOUR_AGO = new Date(Date.now() - 3600_000);

function stagingEntry(registry: string, name: string, old: boolean): string {
  const dir = path.join(registry, 'staging', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.onnx'), 'partial');
  if (old) utimesSync(dir, HOUR_AGO, HOUR_AGO);
  return name;
}

test('staging entries: dead owners in our pid namespace go at once; owners in another namespace or host go only when not refreshed', async () => {
  const registry = tempDir();
  await registerModel({ registry, name: 'm', file: fixture('models', 'mlp-dynamo.onnx') });
  const me = currentOwner();
  const foreignNs = String(Number(me.pidns || 1) + 1);
  const entries = {
    // Another container with our hostname: its pid means nothing here, whether or not it runs here.
    foreignFresh: stagingEntry(registry, `${me.host}~${me.boot}~${foreignNs}~${DEAD_PID}~aaaaaaaaaaaa`, false),
    foreignFreshLivePid: stagingEntry(
      registry,
      `${me.host}~${me.boot}~${foreignNs}~${process.pid}~bbbbbbbbbbbb`,
      false,
    ),
    foreignOld: stagingEntry(registry, `${me.host}~${me.boot}~${foreignNs}~${process.pid}~cccccccccccc`, true),
    otherHostFresh: stagingEntry(registry, `build-7~${me.boot}~${me.pidns}~${DEAD_PID}~dddddddddddd`, false),
    otherHostOld: stagingEntry(registry, `build-7~${me.boot}~${me.pidns}~${DEAD_PID}~eeeeeeeeeeee`, true),
    // Ours: a dead pid goes at once; a live one (maybe reused) once not refreshed.
    oursDead: stagingEntry(registry, `${me.host}~${me.boot || '-'}~${me.pidns || '-'}~${DEAD_PID}~ffffffffffff`, false),
    oursAliveOld: stagingEntry(
      registry,
      `${me.host}~${me.boot || '-'}~${me.pidns || '-'}~${process.pid}~000000000000`,
      true,
    ),
    // A live pid whose entry is fresh: in flight.
    oursAliveFresh: stagingEntry(registry, `${me.host}~${me.boot || '-'}~${me.pidns || '-'}~1~333333333333`, false),
    // Written by an older mlops (host~pid~random): judged by age.
    legacyFresh: stagingEntry(registry, `${me.host}~${DEAD_PID}~111111111111`, false),
    legacyOld: stagingEntry(registry, `${me.host}~${DEAD_PID}~222222222222`, true),
  };
  // Any writer cleans staging, not only register.
  await promote({ registry, ref: 'm@1', to: 'production' });
  const left = new Set(readdirSync(path.join(registry, 'staging')));
  const kept = Object.entries(entries)
    .filter(([, name]) => left.has(name))
    .map(([label]) => label)
    .sort();
  assert.deepEqual(kept, ['foreignFresh', 'foreignFreshLivePid', 'legacyFresh', 'otherHostFresh', 'oursAliveFresh']);
});

test('a lock held in another pid namespace is waited for while fresh and broken once it is not refreshed', async () => {
  const registry = tempDir();
  await registerModel({ registry, name: 'm', file: fixture('models', 'mlp-dynamo.onnx') });
  const me = currentOwner();
  const lock = path.join(registry, 'lock');
  writeFileSync(
    lock,
    JSON.stringify({
      host: me.host,
      boot: me.boot,
      pidns: String(Number(me.pidns || 1) + 1),
      pid: DEAD_PID,
      token: 'foreign',
      at: Date.now(),
    }),
  );
  process.env.MLOPS_LOCK_TIMEOUT_MS = '300';
  try {
    await assert.rejects(archiveVersion({ registry, ref: 'm@1' }), { code: 'REGISTRY_LOCKED' });
  } finally {
    delete process.env.MLOPS_LOCK_TIMEOUT_MS;
  }
  utimesSync(lock, HOUR_AGO, HOUR_AGO);
  assert.equal((await archiveVersion({ registry, ref: 'm@1' })).changed, true);
  assert.equal(existsSync(lock), false);
});

test('a lock left by a dead process in our own pid namespace is broken at once', async () => {
  const registry = tempDir();
  await registerModel({ registry, name: 'm', file: fixture('models', 'mlp-dynamo.onnx') });
  writeFileSync(
    path.join(registry, 'lock'),
    JSON.stringify({ ...currentOwner(), pid: DEAD_PID, token: 'dead', at: Date.now() }),
  );
  process.env.MLOPS_LOCK_TIMEOUT_MS = '2000';
  try {
    assert.equal((await archiveVersion({ registry, ref: 'm@1' })).changed, true);
  } finally {
    delete process.env.MLOPS_LOCK_TIMEOUT_MS;
  }
});

test('a lock of a live pid in our namespace (a reused pid, e.g. 1 in a container) is broken once not refreshed', async () => {
  const registry = tempDir();
  await registerModel({ registry, name: 'm', file: fixture('models', 'mlp-dynamo.onnx') });
  const lock = path.join(registry, 'lock');
  // No "at": a lock from an older mlops or written by hand.
  writeFileSync(lock, JSON.stringify({ ...currentOwner(), pid: 1, token: 'reused' }));
  process.env.MLOPS_LOCK_TIMEOUT_MS = '300';
  try {
    await assert.rejects(promote({ registry, ref: 'm@1', to: 'production' }), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'REGISTRY_LOCKED');
      assert.match(e.message, /held by pid 1 on .*, last refreshed \d{4}-.*it is broken once not refreshed for 60 s/);
      assert.doesNotMatch(e.message, /1970/);
      return true;
    });
    utimesSync(lock, HOUR_AGO, HOUR_AGO);
    assert.equal((await promote({ registry, ref: 'm@1', to: 'production' })).changed, true);
  } finally {
    delete process.env.MLOPS_LOCK_TIMEOUT_MS;
  }
});

test('the heartbeat keeps refreshing an entry while the work runs', async () => {
  const dir = tempDir();
  utimesSync(dir, HOUR_AGO, HOUR_AGO);
  const stop = startHeartbeat(dir, 20);
  await new Promise((resolve) => setTimeout(resolve, 120));
  stop();
  assert.ok(Date.now() - statSync(dir).mtimeMs < 5_000, 'refreshed');
});

test('a staged copy removed by another process is a clear error when it is committed', async () => {
  const registry = tempDir();
  const store = new FolderStore(registry);
  const staged = await store.stage(fixture('models', 'mlp-dynamo.onnx'));
  const [entry] = readdirSync(path.join(registry, 'staging'));
  assert.equal(entry, staged.id);
  (await import('node:fs')).rmSync(path.join(registry, 'staging', entry), { recursive: true, force: true });
  const record = { name: 'm', version: 1 } as Parameters<FolderStore['commitVersion']>[1];
  await assert.rejects(
    store.withLock(() => store.commitVersion(staged, record)),
    (e: Error & { code?: string }) =>
      e.code === 'REGISTRY_STAGING_LOST' && /removed by another process/.test(e.message),
  );
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`a register interrupted by ${signal} while staging removes its staging entry`, async () => {
    const registry = tempDir();
    const [file] = modelVariants(registry, 1);
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin', 'mlops'), 'registry', 'register', 'm', file, '--registry', registry],
      {
        env: { ...process.env, NO_COLOR: '1', MLOPS_FAILPOINT: 'after-stage:hang' },
      },
    );
    let stderr = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, sig) => resolve(sig)));
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (d) => {
        stderr += d;
        if (stderr.includes('failpoint after-stage reached')) resolve();
      }),
    );
    assert.equal(readdirSync(path.join(registry, 'staging')).length, 1, 'the copy is staged');
    child.kill(signal);
    assert.equal(await exited, signal);
    assert.deepEqual(readdirSync(path.join(registry, 'staging')), [], stderr);
  });
}
