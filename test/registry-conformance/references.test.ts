/**
 * Model references (name, name@3, name@production) in the commands that run
 * models, on both stores: quantize --register records the result with its
 * parent, and predict-batch by reference writes exactly what it writes from
 * the file itself.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, tempDir } from '../helpers.js';
import { forEachStore } from './stores.js';

const mlp = fixture('models', 'mlp.onnx');
const csv = fixture('data', 'mlp.csv');

forEachStore(
  'quantize a registered version with --register, then predict-batch by alias equals predict-batch on the file',
  async (store) => {
    const out = tempDir('mlops-conf-ref-');
    const reg = store.cli(['registry', 'register', 'fraud', mlp, '--alias', 'staging']);
    assert.equal(reg.status, 0, reg.stderr);

    const int8 = path.join(out, 'fraud.int8.onnx');
    const q = await store.cliAsync([
      'quantize',
      'fraud@staging',
      '--output',
      int8,
      '--validate',
      csv,
      '--ignore',
      'id',
      '--register',
      'fraud-int8',
      '--json',
    ]);
    assert.equal(q.status, 0, q.stderr);
    const shown = JSON.parse(store.cli(['registry', 'show', 'fraud-int8@1', '--json']).stdout);
    assert.deepEqual(shown.parent, { name: 'fraud', model_version: 1 });
    assert.ok(Object.keys(shown.metrics).length > 0, 'validation figures are recorded as metrics');
    assert.equal(shown.sha256, JSON.parse(store.cli(['registry', 'path', 'fraud-int8', '--json']).stdout).sha256);
    assert.equal(store.cli(['registry', 'promote', 'fraud-int8@1', '--to', 'production']).status, 0);

    for (const [ref, file] of [
      ['fraud@staging', mlp],
      ['fraud-int8@production', int8],
    ]) {
      const byRef = path.join(out, 'by-ref.csv');
      const byFile = path.join(out, 'by-file.csv');
      const a = await store.cliAsync(['predict-batch', ref, '--input', csv, '--ignore', 'id', '--output', byRef]);
      assert.equal(a.status, 0, `${ref}: ${a.stderr}`);
      const b = await store.cliAsync(['predict-batch', file, '--input', csv, '--ignore', 'id', '--output', byFile]);
      assert.equal(b.status, 0, b.stderr);
      assert.equal(readFileSync(byRef, 'utf8'), readFileSync(byFile, 'utf8'), ref);
      assert.ok(readFileSync(byRef, 'utf8').split('\n').length > 10);
    }
    const missing = store.cli(['predict-batch', 'fraud@canary', '--input', csv, '--output', path.join(out, 'x.csv')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /error: .*canary/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /);
  },
);
