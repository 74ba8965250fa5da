import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { predictBatch } from '../../src/predict/index.js';
import { fixture, tempDir } from '../helpers.js';
import { readCsv } from './helpers.js';

test('a header-only CSV on a model that rejects an empty batch: the header names the fetched outputs by their own declared shapes', async () => {
  // first-row-then-sum.onnx: first_row [1, 2] (left out: no batch axis) comes before sum [N, 1], and a
  // zero-row batch fails in its Gather, so the output widths come from declared shapes.
  const dir = tempDir('mlops-pred-empty-');
  const input = path.join(dir, 'empty.csv');
  writeFileSync(input, 'id,a,b\n');
  const out = path.join(dir, 'preds.csv');
  const warnings: string[] = [];
  const result = await predictBatch({
    model: fixture('models', 'first-row-then-sum.onnx'),
    inputs: [input],
    output: out,
    features: ['a', 'b'],
    keep: ['id'],
    onWarning: (w) => warnings.push(w),
  });
  assert.equal(result.rows_written, 0);
  // Before the fix: first_row's [1, 2] was paired with "sum", giving sum_0, sum_1.
  assert.deepEqual(readCsv(out).header, ['id', 'sum']);
  assert.ok(warnings.some((w) => w.includes('"first_row"')));
});
