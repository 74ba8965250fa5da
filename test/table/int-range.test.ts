/**
 * An integer a model input cannot hold is refused in every command that feeds rows, never
 * wrapped by the typed array (2^32 + 1425197 read as 1425197 made check's parity pass).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkModel } from '../../src/check/index.js';
import { cellProblem, intFits } from '../../src/table/cell-values.js';
import { fixture, tempDir } from '../helpers.js';

test('intFits and cellProblem know each integer type range', () => {
  assert.equal(intFits('int32', 2n ** 31n - 1n), true);
  assert.equal(intFits('int32', 2n ** 31n), false);
  assert.equal(intFits('uint8', -1n), false);
  assert.equal(intFits('int64', 2n ** 63n), false);
  assert.equal(intFits('uint64', 2n ** 64n - 1n), true);
  assert.match(cellProblem('int32', String(2 ** 32 + 5)) ?? '', /int32 input can hold \(-2147483648 to 2147483647\)/);
  assert.equal(cellProblem('int16', '-32768'), undefined);
});

test('check refuses a value the int32 input would wrap, naming file, line and column', async () => {
  const lines = readFileSync(fixture('data', 'counts.csv'), 'utf8').trimEnd().split('\n');
  const a = lines[0].split(',').indexOf('a');
  const cells = lines[3].split(',');
  cells[a] = String(BigInt(cells[a]) + 2n ** 32n);
  lines[3] = cells.join(',');
  const file = path.join(tempDir('mlops-int-range-'), 'wrap.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  await assert.rejects(
    checkModel({
      model: fixture('models', 'int32-counts.onnx'),
      input: file,
      expected: fixture('data', 'counts.ort.csv'),
      ignore: ['id', 'region'],
    }),
    {
      code: 'CSV_BAD_VALUE',
      message: /wrap\.csv:4: column "a": "\d+" is not an integer the model's int32 input can hold/,
    },
  );
});

test('a number beyond float32 (1e40) is refused, not fed as Inf; an infinity written as such is kept', async () => {
  const { floatFits } = await import('../../src/table/cell-values.js');
  assert.equal(floatFits('float32', 3.4028234663852886e38), true);
  assert.equal(floatFits('float32', 1e40), false);
  assert.equal(floatFits('float32', Number.POSITIVE_INFINITY), true);
  assert.equal(floatFits('float64', 1e300), true);
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const cells = lines[3].split(',');
  cells[5] = '1e40';
  lines[3] = cells.join(',');
  const file = path.join(tempDir('mlops-float-range-'), 'big.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  await assert.rejects(
    checkModel({
      model: fixture('models', 'mlp.onnx'),
      input: file,
      expected: fixture('data', 'mlp.expected.csv'),
      ignore: ['id'],
    }),
    {
      code: 'CSV_BAD_VALUE',
      message: /big\.csv:4: column "f4": "1e40" is not a number the model's float32 input can hold/,
    },
  );
  const { predictBatch } = await import('../../src/predict/index.js');
  const out = path.join(path.dirname(file), 'preds.csv');
  const rejects = path.join(path.dirname(file), 'rejects.csv');
  const r = await predictBatch({
    model: fixture('models', 'mlp.onnx'),
    inputs: [file],
    output: out,
    ignore: ['id'],
    onError: 'skip',
    rejects,
  });
  assert.equal(r.rows_rejected, 1);
  assert.match(
    readFileSync(rejects, 'utf8'),
    /"?column ""f4"": ""1e40"" is not a number the model's float32 input can hold/,
  );
});
