/**
 * The column rules every command shares (table/column-map.ts): a column named by an option must
 * exist (one requireColumns), and `features` with `ignore` is allowed, but a column in both is a
 * contradiction (one checkFeaturesAndIgnore), in predict-batch, check, quantize, bench and drift.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapColumns, requireColumns, selectColumns } from '../../src/table/column-map.js';
import { checkQuantizeOptions } from '../../src/quantize/options.js';
import { checkThresholds } from '../../src/drift/rules.js';
import { detectDrift } from '../../src/drift/index.js';
import type { ValueSignature } from '../../src/onnx/graph.js';
import { fixture } from '../helpers.js';

const matrix: ValueSignature[] = [{ name: 'x', kind: 'tensor', type: 'float32', shape: ['N', 2] } as ValueSignature];
const header = ['id', 'a', 'b'];
const sample = [['1', '0.5', '2']];

const refused = (code: string, message: RegExp) => (e: Error & { code?: string }) => {
  assert.equal(e.code, code, e.message);
  assert.match(e.message, message);
  return true;
};

test('requireColumns names the option, the columns and the file', () => {
  assert.doesNotThrow(() => requireColumns('t.csv', header, ['id', 'a'], 'keep'));
  assert.doesNotThrow(() => requireColumns('t.csv', header, undefined, 'keep'));
  assert.throws(
    () => requireColumns('t.csv', header, ['zip', 'a', 'zap'], 'ignore'),
    refused(
      'CSV_COLUMNS_MISSING',
      /`ignore` names columns "zip", "zap" that t\.csv does not have \(columns: id, a, b\)/,
    ),
  );
});

test('drift selects columns by the same rule: a misspelled ignore is refused, not silently ignored', () => {
  assert.deepEqual(selectColumns('ref.csv', header, { ignore: ['id'] }), ['a', 'b']);
  assert.throws(
    () => selectColumns('ref.csv', header, { ignore: ['nme'] }),
    refused('CSV_COLUMNS_MISSING', /`ignore` names column "nme" that ref\.csv does not have/),
  );
  // A column only the other file has may be ignored (it silences "only in the current data").
  assert.deepEqual(selectColumns('ref.csv', header, { ignore: ['ts'] }, ['ts']), ['id', 'a', 'b']);
});

test('features with ignore: allowed when they do not overlap, a column in both is OPTIONS_CONFLICT', () => {
  const both = refused('OPTIONS_CONFLICT', /column "a" is given to both `features` and `ignore`/);
  const ok = mapColumns('t.csv', header, sample, matrix, { features: ['a', 'b'], ignore: ['id'] });
  assert.deepEqual(ok.inputs[0].columns, [1, 2]);
  assert.throws(() => mapColumns('t.csv', header, sample, matrix, { features: ['a', 'b'], ignore: ['a'] }), both);
  assert.doesNotThrow(() =>
    checkQuantizeOptions({ model: 'm.onnx', output: 'o.onnx', validate: 'd.csv', features: ['a'], ignore: ['id'] }),
  );
  assert.doesNotThrow(() => checkThresholds({ features: ['a'], ignore: ['id'] }));
  assert.throws(() => checkThresholds({ features: ['a', 'b'], ignore: ['a'] }), both);
  assert.throws(() => checkThresholds({ columns: ['a', 'b'], exclude: ['a'] }), both);
});

test('drift --ignore with a misspelled column is CSV_COLUMNS_MISSING', async () => {
  await assert.rejects(
    detectDrift({
      reference: fixture('data', 'drift', 'reference.csv'),
      current: fixture('data', 'drift', 'current.csv'),
      ignore: ['nme'],
    }),
    refused('CSV_COLUMNS_MISSING', /`ignore` names column "nme"/),
  );
});
