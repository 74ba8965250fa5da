/**
 * check's batch size is rows per model call, as in every command: the synthesized run tries it after 1,
 * and the --input/--expected parity run calls the model with that many rows at a time. A model with a
 * fixed batch runs in calls of exactly that size, the last one padded, as predict-batch does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runCli } from '../helpers.js';
import { checkModel } from '../../src/check/index.js';
import { parityCsv } from '../../src/check/csv-parity.js';
import { loadModel } from '../../src/models/load-model.js';
import { openSession } from '../../src/runtime/session.js';

const files = { input: fixture('data', 'iris.csv'), expected: fixture('data', 'iris-fixed-batch.ort.csv') };

test('parity calls the model with batchSize rows at a time (the real session, its calls counted)', async () => {
  const dynamic = await openSession(await loadModel(fixture('models', 'iris-zipmap.onnx')), {
    transform: (await import('../../src/onnx/zipmap.js')).stripZipMap,
  });
  const sizes: number[] = [];
  const run = dynamic.run.bind(dynamic);
  dynamic.run = (feeds, names) => {
    sizes.push(Number(Object.values(feeds)[0].dims[0]));
    return run(feeds, names);
  };
  try {
    const r = await parityCsv(
      dynamic,
      { input: files.input, expected: fixture('data', 'iris.ort.csv') },
      { ignore: ['species'] },
      { rtol: 1e-3, atol: 1e-5 },
      64,
    );
    assert.equal(r.passed, true);
  } finally {
    await dynamic.release();
  }
  assert.deepEqual(sizes, [64, 64, 22]);
});

test('a fixed-batch model: 150 rows in calls of 8, the last padded, every row compared', async () => {
  for (const batchSize of [undefined, 5, 8, 1000]) {
    const r = await checkModel({
      model: fixture('models', 'fixed-batch-8.onnx'),
      ...files,
      ignore: ['species'],
      batchSize,
    });
    assert.equal(r.parity?.passed, true, `batch size ${batchSize}: ${JSON.stringify(r.problems)}`);
    assert.equal(r.parity?.sets[0].outputs[0].total, 150 * 3);
  }
});

test('CLI: --batch-size (and --batch, its old spelling) are accepted; help gives both defaults', () => {
  const args = ['check', fixture('models', 'fixed-batch-8.onnx'), '--input', files.input, '--expected', files.expected];
  for (const flag of ['--batch-size', '--batch']) {
    const r = runCli([...args, '--ignore', 'species', flag, '8', '--json']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(JSON.parse(r.stdout).parity.passed, true);
  }
  const help = runCli(['check', '--help']).stdout;
  assert.match(help, /--batch-size <n>\s+rows per model call/);
  assert.match(help, /7/);
  assert.match(help, /8,192/);
});
