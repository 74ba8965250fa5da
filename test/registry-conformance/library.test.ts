/**
 * The registry library's tests (test/registry/registry.test.ts,
 * rollback-target.test.ts, library-gate.test.ts: those about what a registry
 * does, not how a folder stores it), run in-process against both stores.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { aliasPolicy } from '../../src/index.js';
import { loadModel } from '../../src/models/load-model.js';
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
import { sha256Bytes } from '../../src/util/hash.js';
import { fixture, tempDir } from '../helpers.js';
import { modelVariants } from '../registry/helpers.js';
import { forEachStore, tamperVersion } from './stores.js';

type Failure = Error & { code?: string; exitCode?: number; hint?: string };

forEachStore('register stores an immutable copy with its sha256, signature and metadata', async ({ registry }) => {
  const r = await registerModel({
    registry,
    name: 'fraud',
    file: fixture('models', 'mlp.onnx'),
    description: 'first',
    tags: { team: 'risk' },
    metrics: { auc: 0.91 },
    gitCommit: 'abc123',
  });
  assert.deepEqual([r.model_version, r.duplicate, r.git_commit], [1, false, 'abc123']);
  const original = readFileSync(fixture('models', 'mlp.onnx'));
  assert.deepEqual([r.sha256, r.size_bytes], [sha256Bytes(original), original.length]);
  assert.deepEqual(r.signature.inputs, [{ name: 'input', kind: 'tensor', type: 'float32', shape: ['batch', 30] }]);
  assert.deepEqual(r.opsets, { 'ai.onnx': 17 });
  // verify: the file is there (a database store downloads it), as `registry path` needs.
  const shown = await showVersion({ registry, ref: 'fraud@1', verify: true });
  assert.deepEqual(readFileSync(shown.path), original);
  assert.deepEqual([shown.tags, shown.metrics, shown.description], [{ team: 'risk' }, { auc: 0.91 }, 'first']);
  assert.equal(statSync(shown.path).mode & 0o777, 0o444, 'the local file is read-only');
});

forEachStore('identical bytes return the existing version unless allowDuplicate', async ({ registry }) => {
  await registerModel({ registry, name: 'm', file: fixture('models', 'mlp.onnx') });
  const again = await registerModel({ registry, name: 'm', file: fixture('models', 'mlp.onnx') });
  assert.deepEqual([again.duplicate, again.model_version], [true, 1]);
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

forEachStore('invalid files and names are refused before anything is stored', async ({ registry }) => {
  await assert.rejects(registerModel({ registry, name: 'm', file: fixture('broken', 'dangling-input.onnx') }), {
    code: 'REGISTRY_INVALID_MODEL',
  });
  await assert.rejects(registerModel({ registry, name: 'm', file: fixture('broken', 'truncated.onnx') }), {
    code: 'ONNX_DECODE_FAILED',
  });
  await assert.rejects(registerModel({ registry, name: 'm', file: fixture('models', 'external-data', 'model.onnx') }), {
    code: 'REGISTRY_EXTERNAL_DATA',
  });
  for (const name of ['../evil', 'a/b', '', 'UPPER', '..', 'a..b', 'x'.repeat(65), '-lead', 'sp ace'])
    await assert.rejects(
      registerModel({ registry, name, file: fixture('models', 'mlp.onnx') }),
      { code: 'REGISTRY_BAD_NAME' },
      JSON.stringify(name),
    );
  await assert.rejects(promote({ registry, ref: 'm@1', to: '../prod' }), { code: 'REGISTRY_BAD_NAME' });
  assert.deepEqual(await listRegistry({ registry }), { models: [], damaged: [] });
});

forEachStore('promote, require order, rollback walking back through history', async ({ registry }) => {
  for (const f of modelVariants(tempDir(), 3)) await registerModel({ registry, name: 'fraud', file: f });
  await promote({ registry, ref: 'fraud@1', to: 'staging' });
  await promote({ registry, ref: 'fraud@1', to: 'production', require: 'staging', reason: 'first release' });
  await assert.rejects(promote({ registry, ref: 'fraud@3', to: 'production', require: 'staging' }), (e: Failure) => {
    assert.deepEqual([e.code, e.exitCode], ['REGISTRY_PROMOTION_ORDER', 1]);
    assert.match(e.message, /fraud@3 has never been "staging"/);
    return true;
  });
  for (const v of [2, 3]) {
    await promote({ registry, ref: `fraud@${v}`, to: 'staging' });
    await promote({ registry, ref: `fraud@${v}`, to: 'production', require: 'staging' });
  }
  await promote({ registry, ref: 'fraud@1', to: 'production', require: 'staging' });
  assert.equal((await promote({ registry, ref: 'fraud@1', to: 'production' })).changed, false);
  const steps = [];
  for (let i = 0; i < 3; i++) steps.push((await rollback({ registry, name: 'fraud', alias: 'production' })).to);
  assert.deepEqual(steps, [3, 2, 1]);
  await assert.rejects(rollback({ registry, name: 'fraud', alias: 'production' }), {
    code: 'REGISTRY_NOTHING_TO_ROLL_BACK',
  });
  const to = await rollback({ registry, name: 'fraud', alias: 'production', to: 3 });
  assert.deepEqual([to.from, to.to], [1, 3]);
  assert.equal((await resolveModelRef({ registry, ref: 'fraud@production' })).model_version, 3);
  const history = await modelHistory({ registry, name: 'fraud' });
  assert.deepEqual(
    history.events.flatMap((e) => (e.type === 'alias' && e.alias === 'production' ? [[e.action, e.from, e.to]] : [])),
    [
      ['promote', null, 1],
      ['promote', 1, 2],
      ['promote', 2, 3],
      ['promote', 3, 1],
      ['rollback', 1, 3],
      ['rollback', 3, 2],
      ['rollback', 2, 1],
      ['rollback', 1, 3],
    ],
  );
  assert.deepEqual(
    history.events.map((e) => e.seq),
    history.events.map((_, i) => i + 1),
  );
  assert.ok(history.events.every((e) => e.actor && e.at && e.host));
});

forEachStore('rollback to only goes back to a version that held the alias', async ({ registry }) => {
  for (const f of modelVariants(tempDir(), 4)) await registerModel({ registry, name: 'fraud', file: f });
  await promote({ registry, ref: 'fraud@1', to: 'production' });
  await promote({ registry, ref: 'fraud@2', to: 'production' });
  await promote({ registry, ref: 'fraud@4', to: 'staging' });
  await assert.rejects(rollback({ registry, name: 'fraud', alias: 'production', to: 4 }), (e: Failure) => {
    assert.deepEqual([e.code, e.exitCode], ['REGISTRY_ROLLBACK_TARGET', 2]);
    assert.match(
      e.message,
      /fraud@4 has never been "production", so production cannot roll back to it \(versions that held it: 1, 2\)/,
    );
    assert.match(e.hint ?? '', /mlops registry promote fraud@4 --to production/);
    return true;
  });
  const before = (await modelHistory({ registry, name: 'fraud' })).events.length;
  const back = await rollback({ registry, name: 'fraud', alias: 'production', to: 1 });
  assert.deepEqual([back.from, back.to], [2, 1]);
  assert.equal((await modelHistory({ registry, name: 'fraud' })).events.length, before + 1);
});

forEachStore('archive hides a version from latest and is refused while an alias holds it', async ({ registry }) => {
  for (const f of modelVariants(tempDir(), 2)) await registerModel({ registry, name: 'm', file: f });
  await promote({ registry, ref: 'm@2', to: 'production' });
  await assert.rejects(archiveVersion({ registry, ref: 'm@2' }), { code: 'REGISTRY_ALIAS_HELD' });
  await promote({ registry, ref: 'm@1', to: 'production' });
  await archiveVersion({ registry, ref: 'm@2', reason: 'bad labels' });
  assert.equal((await resolveModelRef({ registry, ref: 'm' })).model_version, 1);
  assert.equal((await showVersion({ registry, ref: 'm@2' })).archived, true);
  await assert.rejects(promote({ registry, ref: 'm@2', to: 'canary' }), { code: 'REGISTRY_ARCHIVED' });
});

forEachStore('references resolve for every model command and tampered bytes are refused', async (store) => {
  const { registry } = store;
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
  // The in-process cache of a database store already holds a good copy: damage the stored bytes and
  // that copy both, as a fresh pod would meet them.
  await tamperVersion(store, 'mlp', 1);
  if (store.kind === 'postgres') {
    const copy = loaded.path;
    const bytes = readFileSync(copy);
    bytes[0] ^= 0xff;
    writeFileSync(copy, bytes);
  }
  await assert.rejects(loadModel('mlp@1', { registry }), { code: 'REGISTRY_TAMPERED' });
  const verify = await verifyRegistry({ registry });
  assert.equal(verify.passed, false);
  assert.deepEqual(
    verify.problems.map((p) => [p.name, p.model_version, p.problem]),
    [['mlp', 1, 'sha256_mismatch']],
  );
});

forEachStore(
  'promote({ checklist }) runs the checklist itself: a failing one blocks the move and records nothing',
  async ({ registry }) => {
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
        assert.deepEqual([e.code, e.exitCode], ['REGISTRY_GATE_FAILED', 1]);
        assert.match(
          e.message,
          /refusing to promote fraud@2 to production: checklist .*failing\.yml failed: tiny \(fail\)/,
        );
        return true;
      },
    );
    assert.equal((await showVersion({ registry, ref: 'fraud@production' })).model_version, 1);
    assert.deepEqual((await modelHistory({ registry, name: 'fraud' })).events, before.events);
    const moved = await promote({ registry, cwd: dir, ref: 'fraud@2', to: 'production', checklist: 'passing.yml' });
    assert.deepEqual(
      [moved.changed, moved.to, moved.event?.checklists?.map((c) => [c.config, c.source, c.passed])],
      [true, 2, [['passing.yml', '--checklist', true]]],
    );
  },
);

forEachStore(
  'register({ alias }) goes through the alias policy: a failing checklist keeps the version, not the alias',
  async ({ registry }) => {
    const dir = tempDir();
    const [file] = modelVariants(dir, 1);
    writeFileSync(path.join(dir, 'failing.yml'), 'checks:\n  - id: tiny\n    type: max_size_mb\n    max: 0.0001\n');
    await aliasPolicy({ registry, cwd: dir, alias: 'staging', checklist: 'failing.yml' });
    await assert.rejects(registerModel({ registry, cwd: dir, name: 'fraud', file, alias: 'staging' }), (e: Failure) => {
      assert.equal(e.code, 'REGISTRY_GATE_FAILED');
      assert.match(e.message, /registered fraud@1, but did not point "staging" at it/);
      return true;
    });
    assert.deepEqual(
      (await modelHistory({ registry, name: 'fraud' })).events.map((e) => e.type),
      ['register'],
    );
  },
);
