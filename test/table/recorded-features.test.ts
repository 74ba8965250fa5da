/**
 * A feature list recorded with the model (ONNX metadata feature_names) maps
 * columns by name in every command that feeds a model rows, not only in
 * predict-batch: check, quantize (calibration and validation), bench and a
 * checklist metric read the same reordered file the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, tempDir } from '../helpers.js';
import { checkModel } from '../../src/check/index.js';
import { quantizeModel } from '../../src/quantize/index.js';
import { benchModel } from '../../src/benchmark/index.js';
import { evaluateMetric } from '../../src/checklist/quality.js';
import { decodeModelBytes, encodeModel } from '../../src/onnx/proto.js';

const FEATURES = Array.from({ length: 30 }, (_, i) => `f${i}`);

/** mlp.onnx with feature_names metadata, and mlp.csv with its features reversed, an extra numeric column and a label. */
function setUp(): { dir: string; named: string; shuffled: string } {
  const dir = tempDir('mlops-recorded-');
  const model = decodeModelBytes(readFileSync(fixture('models', 'mlp.onnx')));
  model.metadataProps = [...(model.metadataProps ?? []), { key: 'feature_names', value: FEATURES.join(',') } as never];
  const named = path.join(dir, 'named.onnx');
  writeFileSync(named, encodeModel(model));
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));
  const header = lines[0];
  const expected = readFileSync(fixture('data', 'mlp.expected.csv'), 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number));
  const order = [...FEATURES].reverse().map((f) => header.indexOf(f));
  const rows = lines
    .slice(1)
    .map((r, k) =>
      [String(k % 3), ...order.map((i) => r[i]), r[0], expected[k][1] > expected[k][0] ? '1' : '0'].join(','),
    );
  const shuffled = path.join(dir, 'shuffled.csv');
  writeFileSync(shuffled, [['extra', ...[...FEATURES].reverse(), 'id', 'label'].join(','), ...rows].join('\n') + '\n');
  return { dir, named, shuffled };
}

test('check maps a reordered file by the recorded feature_names (parity passes), and the file really is reordered', async () => {
  const { named, shuffled } = setUp();
  const r = await checkModel({ model: named, input: shuffled, expected: fixture('data', 'mlp.expected.csv') });
  assert.equal(r.parity?.passed, true);
  assert.ok(!r.problems.some((p) => p.code === 'FEATURES_BY_ORDER'));
  const blind = await checkModel({
    model: fixture('models', 'mlp.onnx'),
    input: shuffled,
    expected: fixture('data', 'mlp.expected.csv'),
    features: [...FEATURES].reverse(),
  });
  assert.equal(blind.parity?.passed, false, 'the reversed columns fed in file order give other outputs');
});

test('quantize calibrates and validates on a reordered file by the recorded feature_names', async () => {
  const { dir, named, shuffled } = setUp();
  const r = await quantizeModel({
    model: named,
    output: path.join(dir, 'q.onnx'),
    mode: 'static',
    calibration: shuffled,
    validate: shuffled,
  });
  assert.equal(r.calibration?.rows, 200);
  assert.ok(!r.warnings.some((w) => /by their order/.test(w)), r.warnings.join('\n'));
  // Taken from the file instead, extra, the features and id are 32 numeric columns: refused.
  await assert.rejects(
    quantizeModel({ model: fixture('models', 'mlp.onnx'), output: path.join(dir, 'q2.onnx'), validate: shuffled }),
    { code: 'CSV_FEATURE_COUNT' },
  );
});

test('bench and a checklist metric read a reordered file by the recorded feature_names', async () => {
  const { named, shuffled } = setUp();
  const b = await benchModel({ model: named, input: shuffled, batchSizes: [8], warmup: 0, iterations: 1 });
  assert.equal(b.inputs, 'csv');
  await assert.rejects(
    benchModel({ model: fixture('models', 'mlp.onnx'), input: shuffled, batchSizes: [8], warmup: 0, iterations: 1 }),
    { code: 'CSV_FEATURE_COUNT' },
  );
  // The labels are the source model's own argmax: mapped by name, the exported model agrees on every row.
  assert.equal(await evaluateMetric(named, { data: shuffled, label: 'label', metric: 'accuracy' }), 1);
});

test("a checklist metric's baseline without a feature list of its own is scored on the model's recorded columns", async () => {
  const { dir, named, shuffled } = setUp();
  const { runChecklist } = await import('../../src/checklist/index.js');
  const { validateConfig } = await import('../../src/checklist/config.js');
  const check = {
    id: 'acc',
    type: 'metric',
    data: shuffled,
    label: 'label',
    metric: 'accuracy',
    ignore: ['extra', 'id'],
    baseline: fixture('models', 'mlp.onnx'),
    min_absolute_change: 0,
  };
  const r = await runChecklist({
    checklist: validateConfig({ checks: [check] }, path.join(dir, 'c.yml')),
    model: named,
  });
  // The same network: fed the same columns, the baseline scores 1 too (by file order it scored about 0.5).
  assert.match(r.checks[0].message, /accuracy 1 \(baseline .*mlp\.onnx: 1\)/);
  assert.equal(r.checks[0].status, 'pass');
});

test('every command warns when `features` overrides the recorded list, or `ignore` names a column still read', async () => {
  const { named, shuffled } = setUp();
  const expected = fixture('data', 'mlp.expected.csv');
  const reversed = [...FEATURES].reverse();
  const overridden = await checkModel({ model: named, input: shuffled, expected, features: reversed });
  assert.ok(overridden.problems.some((p) => p.code === 'FEATURES_NOT_RECORDED_ORDER'));
  const ignored = await checkModel({ model: named, input: shuffled, expected, ignore: ['f3'] });
  const problem = ignored.problems.find((p) => p.code === 'IGNORE_READ_ANYWAY');
  assert.match(
    problem?.message ?? '',
    /`ignore` names "f3", which the model still reads \(it is in the feature list recorded/,
  );
  assert.equal(ignored.parity?.passed, true, 'f3 is still fed: the recorded list wins');
  const warnings: string[] = [];
  const { readSamples } = await import('../../src/quantize/samples.js');
  const { loadModel } = await import('../../src/models/load-model.js');
  await readSamples(shuffled, await loadModel(named), {
    rows: 50,
    features: reversed,
    what: 'validation',
    onWarning: (w) => warnings.push(w),
  });
  assert.match(warnings.join('\n'), /`features` differs from the feature list recorded with the model/);
});
