import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  archiveVersion,
  listRegistry,
  modelHistory,
  resolveModelRef,
  rollback,
  showVersion,
  verifyRegistry,
} from '../../src/registry/index.js';
import { promote, registerModel } from '../../src/release/index.js';
import { loadModel } from '../../src/models/load-model.js';
import { sha256Bytes } from '../../src/util/hash.js';
import { currentOwner } from '../../src/util/process-owner.js';
import { fixture } from '../helpers.js';
import { modelVariants, tempDir } from './helpers.js';

test('register stores an immutable copy with its sha256, signature and metadata', async () => {
  const registry = tempDir();
  const r = await registerModel({
    registry,
    name: 'fraud',
    file: fixture('models', 'mlp.onnx'),
    description: 'first',
    tags: { team: 'risk' },
    metrics: { auc: 0.91 },
    gitCommit: 'abc123',
  });
  assert.equal(r.model_version, 1);
  assert.equal(r.duplicate, false);
  const original = readFileSync(fixture('models', 'mlp.onnx'));
  assert.equal(r.sha256, sha256Bytes(original));
  assert.equal(r.size_bytes, original.length);
  assert.deepEqual(r.signature.inputs, [{ name: 'input', kind: 'tensor', type: 'float32', shape: ['batch', 30] }]);
  assert.deepEqual(r.opsets, { 'ai.onnx': 17 });
  assert.equal(r.git_commit, 'abc123');
  const shown = await showVersion({ registry, ref: 'fraud@1' });
  assert.deepEqual(readFileSync(shown.path), original);
  assert.deepEqual(shown.tags, { team: 'risk' });
  assert.deepEqual(shown.metrics, { auc: 0.91 });
  // The stored file is read-only (mode 0444; root could still write, so check the mode).
  assert.equal(statSync(shown.path).mode & 0o777, 0o444);
});

test('identical bytes return the existing version unless --allow-duplicate', async () => {
  const registry = tempDir();
  await registerModel({ registry, name: 'm', file: fixture('models', 'mlp.onnx') });
  const again = await registerModel({ registry, name: 'm', file: fixture('models', 'mlp.onnx') });
  assert.equal(again.duplicate, true);
  assert.equal(again.model_version, 1);
  const forced = await registerModel({
    registry,
    name: 'm',
    file: fixture('models', 'mlp.onnx'),
    allowDuplicate: true,
  });
  assert.equal(forced.model_version, 2);
  const list = await listRegistry({ registry, name: 'm' });
  assert.ok('versions' in list);
  assert.deepEqual(
    list.versions.map((v) => v.model_version),
    [1, 2],
  );
});

test('invalid files are refused before anything is stored', async () => {
  const registry = tempDir();
  await assert.rejects(registerModel({ registry, name: 'm', file: fixture('broken', 'dangling-input.onnx') }), {
    code: 'REGISTRY_INVALID_MODEL',
  });
  await assert.rejects(
    registerModel({ registry, name: 'm', file: fixture('broken', 'truncated.onnx') }),
    (e: Error & { code?: string }) => e.code === 'ONNX_DECODE_FAILED',
  );
  await assert.rejects(registerModel({ registry, name: 'm', file: fixture('broken', 'custom-domain.onnx') }), {
    code: 'REGISTRY_INVALID_MODEL',
  });
  await assert.rejects(registerModel({ registry, name: 'm', file: fixture('models', 'external-data', 'model.onnx') }), {
    code: 'REGISTRY_EXTERNAL_DATA',
  });
  assert.deepEqual(await listRegistry({ registry }), { models: [], damaged: [] });
});

test('names that could escape the store are rejected', async () => {
  const registry = tempDir();
  for (const name of ['../evil', 'a/b', '', 'UPPER', '..', 'a..b', 'x'.repeat(65), '-lead', 'sp ace']) {
    await assert.rejects(
      registerModel({ registry, name, file: fixture('models', 'mlp.onnx') }),
      { code: 'REGISTRY_BAD_NAME' },
      JSON.stringify(name),
    );
  }
  await assert.rejects(promote({ registry, ref: 'm@1', to: '../prod' }), { code: 'REGISTRY_BAD_NAME' });
  await assert.rejects(promote({ registry, ref: 'm@1', to: '7' }), { code: 'REGISTRY_BAD_NAME' });
});

test('promote, --require order, rollback walking back through history', async () => {
  const registry = tempDir();
  const files = modelVariants(registry, 3);
  for (const f of files) await registerModel({ registry, name: 'fraud', file: f });
  await promote({ registry, ref: 'fraud@1', to: 'staging' });
  await promote({ registry, ref: 'fraud@1', to: 'production', require: 'staging', reason: 'first release' });
  await assert.rejects(
    promote({ registry, ref: 'fraud@3', to: 'production', require: 'staging' }),
    (e: Error & { exitCode?: number }) => {
      assert.equal((e as { code?: string }).code, 'REGISTRY_PROMOTION_ORDER');
      assert.match(e.message, /fraud@3 has never been "staging"/);
      assert.equal(e.exitCode, 1);
      return true;
    },
  );
  await promote({ registry, ref: 'fraud@2', to: 'staging' });
  await promote({ registry, ref: 'fraud@2', to: 'production', require: 'staging' });
  await promote({ registry, ref: 'fraud@3', to: 'staging' });
  await promote({ registry, ref: 'fraud@3', to: 'production', require: 'staging' });
  // A version that has held staging keeps qualifying after staging moved on.
  await promote({ registry, ref: 'fraud@1', to: 'production', require: 'staging' });
  const noop = await promote({ registry, ref: 'fraud@1', to: 'production' });
  assert.equal(noop.changed, false);

  // production went 1 -> 2 -> 3 -> 1; rollbacks walk back 3, 2, 1, then stop.
  const steps = [];
  for (let i = 0; i < 3; i++)
    steps.push((await rollback({ registry, name: 'fraud', alias: 'production', reason: `step ${i}` })).to);
  assert.deepEqual(steps, [3, 2, 1]);
  await assert.rejects(rollback({ registry, name: 'fraud', alias: 'production' }), {
    code: 'REGISTRY_NOTHING_TO_ROLL_BACK',
  });
  const to = await rollback({ registry, name: 'fraud', alias: 'production', to: 3 });
  assert.deepEqual([to.from, to.to], [1, 3]);
  assert.equal((await resolveModelRef({ registry, ref: 'fraud@production' })).model_version, 3);

  const history = await modelHistory({ registry, name: 'fraud' });
  const moves = history.events
    .filter((e) => e.type === 'alias' && e.alias === 'production')
    .map((e) => e.type === 'alias' && [e.action, e.from, e.to]);
  assert.deepEqual(moves, [
    ['promote', null, 1],
    ['promote', 1, 2],
    ['promote', 2, 3],
    ['promote', 3, 1],
    ['rollback', 1, 3],
    ['rollback', 3, 2],
    ['rollback', 2, 1],
    ['rollback', 1, 3],
  ]);
  assert.deepEqual(
    history.events.map((e) => e.seq),
    history.events.map((_, i) => i + 1),
  );
  assert.ok(history.events.every((e) => e.actor && e.at && e.host));
});

test('archive hides a version from latest and is refused while an alias holds it', async () => {
  const registry = tempDir();
  for (const f of modelVariants(registry, 2)) await registerModel({ registry, name: 'm', file: f });
  await promote({ registry, ref: 'm@2', to: 'production' });
  await assert.rejects(archiveVersion({ registry, ref: 'm@2' }), { code: 'REGISTRY_ALIAS_HELD' });
  await promote({ registry, ref: 'm@1', to: 'production' });
  await archiveVersion({ registry, ref: 'm@2', reason: 'bad labels' });
  assert.equal((await resolveModelRef({ registry, ref: 'm' })).model_version, 1);
  assert.equal((await showVersion({ registry, ref: 'm@2' })).archived, true);
  await assert.rejects(promote({ registry, ref: 'm@2', to: 'canary' }), { code: 'REGISTRY_ARCHIVED' });
});

test('references resolve for every model command and a tampered file is refused', async () => {
  const registry = tempDir();
  await registerModel({ registry, name: 'mlp', file: fixture('models', 'mlp.onnx'), alias: 'production' });
  const loaded = await loadModel('mlp@production', { registry });
  assert.deepEqual(loaded.registry, { name: 'mlp', model_version: 1 });
  assert.equal(loaded.sha256, sha256Bytes(readFileSync(fixture('models', 'mlp.onnx'))));
  await assert.rejects(loadModel('mlp@staging', { registry }), {
    code: 'REGISTRY_ALIAS_NOT_FOUND',
    message: /has no alias "staging" \(aliases: production\)/,
  });
  await assert.rejects(loadModel('nosuch@1', { registry }), { code: 'MODEL_NOT_FOUND' });
  await assert.rejects(loadModel('mlp@9', { registry }), {
    code: 'REGISTRY_VERSION_NOT_FOUND',
    message: /has no version 9 \(versions 1 to 1\)/,
  });

  const stored = (await showVersion({ registry, ref: 'mlp@1' })).path;
  chmodSync(stored, 0o644);
  const bytes = readFileSync(stored);
  bytes[bytes.length - 1] ^= 0xff;
  writeFileSync(stored, bytes);
  await assert.rejects(
    loadModel('mlp@1', { registry }),
    (e: Error & { code?: string }) => e.code === 'REGISTRY_TAMPERED',
  );
  const verify = await verifyRegistry({ registry });
  assert.equal(verify.passed, false);
  assert.deepEqual(
    verify.problems.map((p) => [p.name, p.model_version, p.problem]),
    [['mlp', 1, 'sha256_mismatch']],
  );
});

test('a stale lock left by a dead process does not block the registry', async () => {
  const registry = tempDir();
  writeFileSync(
    path.join(registry, 'lock'),
    JSON.stringify({ ...currentOwner(), pid: 2 ** 22 + 12345, token: 'dead', at: Date.now() }),
  );
  const r = await registerModel({ registry, name: 'm', file: fixture('models', 'mlp-dynamo.onnx') });
  assert.equal(r.model_version, 1);
  assert.equal(existsSync(path.join(registry, 'lock')), false);
});

test('a live lock makes writers wait, then time out with a clear error', async () => {
  const registry = tempDir();
  writeFileSync(
    path.join(registry, 'lock'),
    JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), token: 'mine', at: Date.now() }),
  );
  process.env.MLOPS_LOCK_TIMEOUT_MS = '300';
  try {
    await assert.rejects(registerModel({ registry, name: 'm', file: fixture('models', 'mlp-dynamo.onnx') }), {
      code: 'REGISTRY_LOCKED',
      message: /timed out after 300 ms waiting for the lock .* \(held by pid \d+/,
    });
  } finally {
    delete process.env.MLOPS_LOCK_TIMEOUT_MS;
  }
  assert.equal(
    existsSync(path.join(registry, 'staging'))
      ? (await import('node:fs')).readdirSync(path.join(registry, 'staging')).length
      : 0,
    0,
    'nothing left staged',
  );
});
