import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderFields, renderTable } from '../../src/report/table.js';
import { renderInspect } from '../../src/report/inspect.js';
import { inspectModel } from '../../src/check/inspect.js';
import { fixture } from '../helpers.js';

const BOX = /[│┌┐└┘─┼]/;

test('on a terminal, tables are cli-table3 boxes', () => {
  const text = renderTable(
    ['model', 'versions'],
    [
      ['fraud', 3],
      ['churn', 12],
    ],
    { color: false, terminal: true },
  );
  assert.match(text, BOX);
  assert.match(text, /│ fraud +│ 3 +│/);
  assert.match(
    renderFields(
      [
        ['sha256', 'abc'],
        ['size', '1 KiB'],
      ],
      { color: false, terminal: true },
    ),
    /│ sha256 │ abc +│/,
  );
});

test('not on a terminal (a pipe, a CI log), tables are aligned plain columns', () => {
  const text = renderTable(
    ['model', 'versions'],
    [
      ['fraud', 3],
      ['churn', 12],
    ],
    { color: false, terminal: false },
  );
  assert.doesNotMatch(text, BOX);
  assert.equal(text, 'model  versions\nfraud  3\nchurn  12');
  // A key/value table has no head: a key column and a value column.
  assert.equal(
    renderFields(
      [
        ['sha256', 'abc'],
        ['size', '1 KiB'],
      ],
      { color: false, terminal: false },
    ),
    'sha256  abc\nsize    1 KiB',
  );
});

test('a whole report follows the mode: inspect with and without a terminal', async () => {
  const result = await inspectModel({ model: fixture('models', 'mlp.onnx') });
  const boxed = renderInspect(result, { color: false, terminal: true });
  const plain = renderInspect(result, { color: false, terminal: false });
  assert.match(boxed, /│ ir_version +│ 8 +│/);
  assert.doesNotMatch(plain, BOX);
  assert.match(plain, /^ir_version +8$/m);
  assert.match(plain, /^op +domain +count$/m);
  assert.match(plain, /^Gemm +ai\.onnx +3$/m);
});
