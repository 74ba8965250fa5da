/** planColumns: which columns feed which input, which are copied to the output, and the errors that stop a run before any row. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ValueSignature } from '../../src/onnx/graph.js';
import { planColumns } from '../../src/predict/plan.js';
import { numericColumns } from '../../src/table/column-map.js';

const tensor = (name: string, type: string, shape: ValueSignature['shape']): ValueSignature => ({
  name,
  kind: 'tensor',
  type,
  shape,
});
const matrix = (width: number | string = 3, type = 'float32') => [tensor('input', type, ['N', width])];
const HEADER = ['id', 'city', 'a', 'b', 'c'];
const SAMPLE = [
  ['1', 'Oslo', '0.5', '1', '2'],
  ['2', 'Rome', '', '3', 'NaN'],
  ['3', 'Bern', '1e3', '4', '5'],
];
const code = (c: string) => (err: Error & { code?: string }) => err.code === c;

test('one [N, F] input takes the numeric columns not set aside, in file order, and warns that it took them by order', () => {
  const plan = planColumns('t.csv', HEADER, SAMPLE, matrix(), { ignore: ['id'] });
  assert.equal(plan.mode, 'matrix');
  assert.equal(plan.featureSource, 'numeric columns');
  assert.deepEqual(
    plan.bindings.map((b) => [b.name, b.kind, b.columns, b.dims(5)]),
    [['input', 'float', [2, 3, 4], [5, 3]]],
  );
  // Everything that is not a feature is copied, in file order.
  assert.deepEqual(plan.keep, [0, 1]);
  assert.deepEqual(
    plan.roles.map((r) => [r.input, r.offset, r.keep]),
    [
      [-1, 0, 0],
      [-1, 0, 1],
      [0, 0, -1],
      [0, 1, -1],
      [0, 2, -1],
    ],
  );
  assert.match(plan.warnings.join('\n'), /t\.csv: input "input" takes columns a, b, c by their order in the file/);
});

test('--features, a recorded list and --keep/--keep-all choose features and copied columns; named features raise no warning', () => {
  const byFlag = planColumns('t.csv', HEADER, SAMPLE, matrix(), { features: ['c', 'a', 'b'], keep: ['city'] });
  assert.deepEqual(
    [
      byFlag.featureSource,
      byFlag.bindings[0].columns,
      byFlag.keep,
      byFlag.warnings.length ? byFlag.warnings : undefined,
    ],
    ['--features', [4, 2, 3], [1], undefined],
  );
  const recorded = { names: ['b', 'c', 'a'], source: 'model metadata' as const };
  const byRecord = planColumns('t.csv', HEADER, SAMPLE, matrix(), { recordedFeatures: recorded, keepAll: true });
  assert.deepEqual(
    [byRecord.featureSource, byRecord.bindings[0].columns, byRecord.keep],
    ['model metadata', [3, 4, 2], [0, 1, 2, 3, 4]],
  );
  // --features wins over a recorded list.
  assert.equal(
    planColumns('t.csv', HEADER, SAMPLE, matrix(), { features: ['a', 'b', 'c'], recordedFeatures: recorded })
      .featureSource,
    '--features',
  );
  // A kept column is never taken as a feature.
  assert.deepEqual(planColumns('t.csv', HEADER, SAMPLE, matrix(), { keep: ['id'] }).bindings[0].columns, [2, 3, 4]);
});

test('inputs named like columns read one column each, whatever their order in the file', () => {
  const inputs = [tensor('c', 'float32', ['N', 1]), tensor('city', 'string', ['N']), tensor('id', 'int64', ['N', 1])];
  const plan = planColumns('t.csv', HEADER, SAMPLE, inputs, {});
  assert.equal(plan.mode, 'per-column');
  assert.equal(plan.featureSource, 'inputs by name');
  assert.deepEqual(
    plan.bindings.map((b) => [b.name, b.kind, b.columns, b.dims(4)]),
    [
      ['c', 'float', [4], [4, 1]],
      ['city', 'string', [1], [4]],
      ['id', 'int', [0], [4, 1]],
    ],
  );
  assert.deepEqual(plan.keep, [2, 3]);
  assert.deepEqual(plan.warnings, []);
  // A lone [N, F] input that shares a column's name still reads F columns.
  const wide = planColumns('t.csv', ['input', 'a', 'b'], [['1', '2', '3']], [tensor('input', 'float32', ['N', 3])], {});
  assert.deepEqual([wide.mode, wide.bindings[0].columns], ['matrix', [0, 1, 2]]);
});

test('boolean and text inputs take the columns that fit them', () => {
  const header = ['flag', 'other', 'n'];
  const sample = [
    ['true', 'x', '1'],
    ['no', 'y', '0'],
  ];
  const bools = planColumns('t.csv', header, sample, matrix(2, 'bool'), {});
  assert.deepEqual(
    [bools.featureSource, bools.bindings[0].columns, bools.bindings[0].kind],
    ['boolean columns', [0, 2], 'bool'],
  );
  const words = planColumns('t.csv', header, sample, matrix(2, 'string'), { keep: ['n'] });
  assert.deepEqual([words.featureSource, words.bindings[0].columns], ['columns not kept', [0, 1]]);
});

test('a fixed batch axis is reported, and inputs fixing different sizes are refused', () => {
  assert.equal(
    planColumns('t.csv', HEADER, SAMPLE, [tensor('input', 'float32', [1, 3])], { ignore: ['id'] }).fixedBatch,
    1,
  );
  assert.equal(planColumns('t.csv', HEADER, SAMPLE, matrix(), { ignore: ['id'] }).fixedBatch, undefined);
  assert.throws(
    () => planColumns('t.csv', HEADER, SAMPLE, [tensor('a', 'float32', [2, 1]), tensor('b', 'float32', [4, 1])], {}),
    code('INPUT_SHAPE_UNSUPPORTED'),
  );
});

test('mistakes stop the plan with a code, before any row is read', () => {
  const cases: Array<[() => unknown, string, RegExp]> = [
    [
      () => planColumns('t.csv', HEADER, SAMPLE, matrix(), { keep: ['zip'] }),
      'CSV_COLUMNS_MISSING',
      /`keep` names column "zip" that t\.csv does not have/,
    ],
    [
      () => planColumns('t.csv', HEADER, SAMPLE, matrix(), { ignore: ['zip', 'zap'] }),
      'CSV_COLUMNS_MISSING',
      /`ignore` names columns "zip", "zap"/,
    ],
    [
      () => planColumns('t.csv', HEADER, SAMPLE, matrix(), {}),
      'CSV_FEATURE_COUNT',
      /takes 3 features, but t\.csv has 4 numeric columns: id, a, b, c/,
    ],
    [
      () => planColumns('t.csv', HEADER, SAMPLE, matrix(), { features: ['a', 'b'] }),
      'CSV_FEATURE_COUNT',
      /takes 3 features, but `features` names 2/,
    ],
    [
      () => planColumns('t.csv', HEADER, SAMPLE, matrix(), { features: ['a', 'a', 'b'] }),
      'FEATURES_INVALID',
      /"a" is listed twice/,
    ],
    [
      () => planColumns('t.csv', HEADER, SAMPLE, matrix(), { features: ['a', 'b', 'zip'] }),
      'CSV_COLUMNS_MISSING',
      /no column "zip" \(named by `features`/,
    ],
    [
      () =>
        planColumns('t.csv', HEADER, SAMPLE, matrix(), {
          recordedFeatures: { names: ['a', 'b', 'q'], source: 'registry' },
        }),
      'CSV_COLUMNS_MISSING',
      /named by the registry tag "features"/,
    ],
    [
      () =>
        planColumns('t.csv', HEADER, SAMPLE, [tensor('a', 'float32', ['N']), tensor('b', 'float32', ['N'])], {
          features: ['a'],
        }),
      'FEATURES_NOT_APPLICABLE',
      /`features` feeds a model's single \[N, F\] input, but this model has 2 inputs/,
    ],
    [
      () => planColumns('t.csv', HEADER, SAMPLE, [tensor('a', 'float32', ['N']), tensor('zip', 'float32', ['N'])], {}),
      'CSV_COLUMNS_MISSING',
      /no column for model input "zip"/,
    ],
    [
      () => planColumns('t.csv', HEADER, SAMPLE, [tensor('a', 'float32', ['N', 2]), tensor('b', 'float32', ['N'])], {}),
      'INPUT_SHAPE_UNSUPPORTED',
      /"a" float32\[N, 2\] takes several values per row/,
    ],
    [
      () =>
        planColumns(
          't.csv',
          HEADER,
          SAMPLE,
          [{ name: 'm', kind: 'map', type: 'map(string, float32)', shape: null }],
          {},
        ),
      'INPUT_NOT_TENSOR',
      /"m" is a map/,
    ],
    [
      () => planColumns('t.csv', HEADER, SAMPLE, matrix(3, 'float16'), { features: ['a', 'b', 'c'] }),
      'INPUT_UNSUPPORTED_TYPE',
      /element type float16/,
    ],
  ];
  for (const [run, expectedCode, message] of cases) {
    assert.throws(run, (err: Error & { code?: string }) => {
      assert.equal(err.code, expectedCode, err.message);
      assert.match(err.message, message);
      return true;
    });
  }
});

test('numeric columns: half the present values are numbers; missing values do not count; an empty sample is numeric', () => {
  assert.deepEqual(
    numericColumns(
      ['a', 'b', 'c', 'd'],
      [
        ['1', 'x', '', 'NA'],
        ['x', 'y', '', '2'],
        ['2', '3', '', 'n/a'],
      ],
    ),
    [true, false, true, true],
  );
  assert.deepEqual(numericColumns(['a'], []), [true]);
});
