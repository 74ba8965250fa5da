/**
 * A metric's labels: numeric classes compare by value ("1.0" is class 1, as
 * pandas writes it), and a missing or (for a regression) non-numeric label is a
 * bad row, skipped and counted, never read as 0 or scored as a wrong class.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { evaluateMetric } from '../../src/checklist/quality.js';
import { fixture, tempDir } from '../helpers.js';

const IRIS = readFileSync(fixture('data', 'iris.csv'), 'utf8').trimEnd().split('\n');
const model = fixture('models', 'iris-zipmap.onnx');

function irisWith(edit: (label: string, i: number) => string): string {
  const file = path.join(tempDir('mlops-labels-'), 'iris.csv');
  const rows = IRIS.slice(1).map((line, i) => {
    const cells = line.split(',');
    cells[4] = edit(cells[4], i);
    return cells.join(',');
  });
  writeFileSync(file, `${IRIS[0]}\n${rows.join('\n')}\n`);
  return file;
}

test('float-written classes ("1.0") score the same as integer ones', async () => {
  const base = await evaluateMetric(model, { data: fixture('data', 'iris.csv'), label: 'species', metric: 'accuracy' });
  const floats = await evaluateMetric(model, {
    data: irisWith((l) => `${l}.0`),
    label: 'species',
    metric: 'accuracy',
  });
  assert.ok(base > 0.9, `accuracy on iris is ${base}`);
  assert.equal(floats, base);
});

test('a missing label is a skipped bad row, not a wrong prediction', async () => {
  const notes: string[] = [];
  const value = await evaluateMetric(model, {
    data: irisWith((l, i) => (i === 0 ? '' : i === 1 ? 'NaN' : l)),
    label: 'species',
    metric: 'accuracy',
    onNote: (m) => notes.push(m),
  });
  // The same as on the file without those two rows (scored as wrong classes, it would be lower).
  const without = path.join(tempDir('mlops-labels-'), 'rest.csv');
  writeFileSync(without, `${[IRIS[0], ...IRIS.slice(3)].join('\n')}\n`);
  assert.equal(value, await evaluateMetric(model, { data: without, label: 'species', metric: 'accuracy' }));
  assert.match(notes.join('\n'), /2 bad rows? .*line 2.*column "species": a missing label \(empty\)/s);
});

test('a regression label that is not a number is skipped, never read as 0', async () => {
  await assert.rejects(evaluateMetric(model, { data: irisWith(() => 'abc'), label: 'species', metric: 'rmse' }), {
    code: 'CSV_EMPTY',
    message: /no usable rows: .*label "abc" is not a number/,
  });
});

test('a named label output is read as labels, not as scores (it predicted class 0 for every row)', async () => {
  const data = fixture('data', 'iris.csv');
  const auto = await evaluateMetric(model, { data, label: 'species', metric: 'accuracy' });
  const named = await evaluateMetric(model, { data, label: 'species', metric: 'accuracy', output: 'output_label' });
  assert.ok(auto > 0.9);
  assert.equal(named, auto);
  const byScores = await evaluateMetric(model, {
    data,
    label: 'species',
    metric: 'accuracy',
    output: 'output_probability',
  });
  assert.equal(byScores, auto);
  await assert.rejects(evaluateMetric(model, { data, label: 'species', metric: 'auc', output: 'output_label' }), {
    code: 'CHECKLIST_OUTPUT',
  });
});
