/** models/: a path, a folder holding model.onnx, or a registry reference -> bytes, sha256, ModelProto, record. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel } from '../../src/models/load-model.js';
import { FolderStore } from '../../src/registry/folder-store.js';
import { promote, registerModel } from '../../src/release/index.js';
import { sha256Bytes } from '../../src/util/hash.js';
import { fixture, tempDir } from '../helpers.js';

const MODEL = fixture('models', 'mlp-dynamo.onnx');

/** The folder store, counting how often a model's history is read. */
class CountingStore extends FolderStore {
  historyReads = 0;
  override readHistory(name: string) {
    this.historyReads++;
    return super.readHistory(name);
  }
}

test('a path and a folder holding model.onnx load the same bytes, with no registry facts', async () => {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'export'));
  copyFileSync(MODEL, path.join(dir, 'export', 'model.onnx'));
  const byPath = await loadModel(MODEL);
  const byFolder = await loadModel(path.join(dir, 'export'));
  assert.equal(byPath.sha256, sha256Bytes(readFileSync(MODEL)));
  assert.equal(byFolder.sha256, byPath.sha256);
  assert.equal(byFolder.path, path.join(dir, 'export', 'model.onnx'));
  assert.ok(byPath.model.graph);
  assert.deepEqual([byPath.registry, byPath.record, byPath.recordedFeatures], [undefined, undefined, undefined]);
});

test('a registry reference (name, name@2, name@alias) loads the version with its record and tags, reading the registry once', async () => {
  const registry = tempDir();
  await registerModel({ registry, name: 'fraud', file: MODEL, description: 'first' });
  const v2 = await registerModel({
    registry,
    name: 'fraud',
    file: MODEL,
    allowDuplicate: true,
    tags: { team: 'risk' },
    features: ['a', 'b', 'c', 'd'],
  });
  await promote({ registry, ref: 'fraud@1', to: 'production' });
  for (const [ref, version] of [
    ['fraud', 2],
    ['fraud@2', 2],
    ['fraud@production', 1],
  ] as const) {
    const store = new CountingStore(registry);
    const loaded = await loadModel(ref, { store });
    assert.equal(store.historyReads, 1, `${ref}: the history is read once`);
    assert.deepEqual(loaded.registry, { name: 'fraud', model_version: version });
    assert.equal(loaded.record?.version, version);
    assert.equal(loaded.sha256, sha256Bytes(readFileSync(MODEL)));
  }
  const latest = await loadModel('fraud', { registry });
  assert.deepEqual(latest.record?.tags, { team: 'risk', features: 'a,b,c,d' });
  assert.equal(latest.record?.description, v2.description);
  assert.deepEqual(latest.recordedFeatures, { names: ['a', 'b', 'c', 'd'], source: 'registry' });
});

test('a stored file that no longer matches its sha256 is refused before it is decoded', async () => {
  const registry = tempDir();
  const v = await registerModel({ registry, name: 'fraud', file: MODEL });
  writeFileSync(v.path, 'not the registered bytes');
  await assert.rejects(
    loadModel('fraud@1', { registry }),
    (e: Error & { code?: string }) => e.code === 'REGISTRY_TAMPERED',
  );
});

test('a model named in a config: a path is read from the config folder, a registry reference stays a reference', async () => {
  const { modelRefIn } = await import('../../src/models/resolve-model.js');
  assert.equal(modelRefIn('/repo/ci', 'models/fraud.onnx'), '/repo/ci/models/fraud.onnx');
  assert.equal(modelRefIn('/repo/ci', 'fraud.onnx'), '/repo/ci/fraud.onnx');
  assert.equal(modelRefIn('/repo/ci', '/abs/fraud.onnx'), '/abs/fraud.onnx');
  assert.equal(modelRefIn('/repo/ci', 'fraud-int8@3'), 'fraud-int8@3');
  assert.equal(modelRefIn('/repo/ci', 'fraud@production'), 'fraud@production');
});
