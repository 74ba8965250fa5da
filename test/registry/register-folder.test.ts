/** A folder in the ONNX test-data layout is a model everywhere, register included (it named the folder a registry write error). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { registerModel } from '../../src/release/index.js';
import { showVersion } from '../../src/registry/index.js';
import { fixture, tempDir } from '../helpers.js';

test('register takes a folder holding model.onnx, and records the file it stored', async () => {
  const dir = tempDir('mlops-register-folder-');
  const folder = path.join(dir, 'exported');
  mkdirSync(folder);
  copyFileSync(fixture('models', 'mlp.onnx'), path.join(folder, 'model.onnx'));
  const registry = path.join(dir, 'reg');
  const r = await registerModel({ registry, name: 'fraud', file: folder });
  assert.equal(r.model_version, 1);
  const shown = await showVersion({ registry, ref: 'fraud@1' });
  assert.equal(shown.source_path, path.join(folder, 'model.onnx'));
});
