import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { predictBatch, resolveShard } from '../../src/predict/index.js';
import { fixture } from '../helpers.js';
import { tempDir } from '../registry/helpers.js';

/** The fixture rows, repeated, with a text column that sometimes needs quotes (but never spans lines). */
function bigInput(dir: string): string {
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trim().split('\n');
  const rows = [];
  for (let k = 0; k < 20; k++) {
    // about 1.2 MB: more than one 1 MiB read
    for (const [i, line] of lines.slice(1).entries())
      rows.push(`${i % 17 === 0 ? `"note ${k}, ""quoted"""` : `note${k}`},${line}`);
  }
  const file = path.join(dir, 'big.csv');
  writeFileSync(file, `note,${lines[0]}\n${rows.join('\n')}\n`);
  return file;
}

test('the concatenation of n shard outputs equals the single-process output, row for row', async () => {
  const dir = tempDir('mlops-shard-');
  const input = bigInput(dir);
  const single = path.join(dir, 'single.csv');
  const base = { model: fixture('models', 'mlp.onnx'), inputs: [input], keep: ['note', 'id'], batchSize: 50 };
  await predictBatch({ ...base, output: single });
  const expected = readFileSync(single, 'utf8');
  assert.equal(expected.trim().split('\n').length, 1 + 4000);
  for (const count of [2, 3, 7]) {
    const parts: string[] = [];
    for (let index = 0; index < count; index++) {
      const out = path.join(dir, `shard-${count}-${index}.csv`);
      const r = await predictBatch({ ...base, output: out, shard: { index, count, source: '--shard' } });
      assert.ok(r.files[0].shard);
      const text = readFileSync(out, 'utf8');
      parts.push(index === 0 ? text : text.slice(text.indexOf('\n') + 1));
    }
    assert.equal(parts.join(''), expected, `${count} shards`);
  }
});

test('sharding refuses files whose quoted fields span lines', async () => {
  const dir = tempDir('mlops-shard-');
  const input = path.join(dir, 'multiline.csv');
  writeFileSync(
    input,
    'name,sepal_length,sepal_width,petal_length,petal_width\na,5.1,3.5,1.4,0.2\n"b\nc",6.7,3.0,5.2,2.3\n',
  );
  await assert.rejects(
    predictBatch({
      model: fixture('models', 'iris-zipmap.onnx'),
      inputs: [input],
      output: path.join(dir, 'o.csv'),
      keep: ['name'],
      shard: { index: 0, count: 2, source: '--shard' },
    }),
    (err: Error & { code?: string }) =>
      err.code === 'SHARD_UNSAFE' &&
      /multiline\.csv:3: a quote opened on this line is not closed on it \(a quoted field spans lines, or a stray "\)/.test(
        err.message,
      ),
  );
});

test("errors and rejects in any shard name the file's own line numbers", async () => {
  const dir = tempDir('mlops-shard-');
  const input = bigInput(dir);
  const lines = readFileSync(input, 'utf8').split('\n');
  const fields = lines[1000].split(','); // line 1001 of the file
  fields[2] = 'abc'; // f0
  lines[1000] = fields.join(',');
  writeFileSync(input, lines.join('\n'));
  const base = { model: fixture('models', 'mlp.onnx'), inputs: [input], keep: ['note', 'id'] };
  const all = { ...base, output: path.join(dir, 'o.csv') };
  await assert.rejects(predictBatch(all), {
    code: 'CSV_BAD_ROW',
    message: /big\.csv:1001: column "f0": "abc" is not a number/,
  });
  let found = 0;
  for (let index = 0; index < 3; index++) {
    const rejects = path.join(dir, `rejects-${index}.csv`);
    const r = await predictBatch({ ...all, onError: 'skip', rejects, shard: { index, count: 3, source: '--shard' } });
    found += r.rows_rejected;
    if (r.rows_rejected) assert.match(readFileSync(rejects, 'utf8'), /^line,reason,row\n1001,/);
  }
  assert.equal(found, 1);
});

test("shard index from --shard or the schedulers' array-job variables", () => {
  assert.deepEqual(resolveShard('2/5', undefined, {}), { index: 2, count: 5, source: '--shard' });
  assert.deepEqual(resolveShard(undefined, 4, { JOB_COMPLETION_INDEX: '3' }), {
    index: 3,
    count: 4,
    source: 'JOB_COMPLETION_INDEX',
  });
  assert.deepEqual(
    resolveShard(undefined, undefined, { AWS_BATCH_JOB_ARRAY_INDEX: '1', AWS_BATCH_JOB_ARRAY_SIZE: '2' }),
    { index: 1, count: 2, source: 'AWS_BATCH_JOB_ARRAY_INDEX' },
  );
  assert.deepEqual(
    resolveShard(undefined, undefined, {
      SLURM_ARRAY_TASK_ID: '5',
      SLURM_ARRAY_TASK_COUNT: '4',
      SLURM_ARRAY_TASK_MIN: '2',
    }),
    { index: 3, count: 4, source: 'SLURM_ARRAY_TASK_ID' },
  );
  assert.equal(resolveShard(undefined, undefined, {}), undefined);
  assert.throws(() => resolveShard('5/5', undefined, {}), {
    code: 'SHARD_INVALID',
    message: /the index must be in 0\.\.4/,
  });
  assert.throws(() => resolveShard('a/b', undefined, {}), { code: 'SHARD_INVALID' });
  assert.throws(() => resolveShard(undefined, 4, {}), { code: 'SHARD_INDEX_MISSING' });
  assert.throws(() => resolveShard(undefined, 2, { JOB_COMPLETION_INDEX: '' }), {
    code: 'ENV_INVALID',
    message: /JOB_COMPLETION_INDEX="" is not a non-negative integer/,
  });
  assert.throws(
    () => resolveShard(undefined, undefined, { AWS_BATCH_JOB_ARRAY_INDEX: '1', AWS_BATCH_JOB_ARRAY_SIZE: '0x2' }),
    { code: 'ENV_INVALID', message: /AWS_BATCH_JOB_ARRAY_SIZE="0x2"/ },
  );
  assert.throws(() => resolveShard('1/4', 8, {}), { code: 'SHARD_INVALID' });
  // An index without a count would have every job predict the whole input.
  assert.throws(() => resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '1' }), {
    code: 'SHARD_INVALID',
    message: /JOB_COMPLETION_INDEX \(a Kubernetes Indexed Job\) is set, but not how many shards there are/,
  });
  assert.throws(() => resolveShard(undefined, undefined, { AWS_BATCH_JOB_ARRAY_INDEX: '1' }), {
    code: 'SHARD_INVALID',
    hint: /set AWS_BATCH_JOB_ARRAY_SIZE/,
  });
  assert.deepEqual(resolveShard(undefined, 3, { AWS_BATCH_JOB_ARRAY_INDEX: '2' }), {
    index: 2,
    count: 3,
    source: 'AWS_BATCH_JOB_ARRAY_INDEX',
  });
  assert.deepEqual(
    resolveShard(undefined, undefined, {
      SLURM_ARRAY_TASK_ID: '6',
      SLURM_ARRAY_TASK_COUNT: '6',
      SLURM_ARRAY_TASK_MIN: '0',
      SLURM_ARRAY_TASK_STEP: '2',
    }),
    { index: 3, count: 6, source: 'SLURM_ARRAY_TASK_ID' },
  );
  assert.throws(() => resolveShard(undefined, 4, { JOB_COMPLETION_INDEX: '4' }), { code: 'ENV_INVALID' });
});

test("every shard maps columns as the whole file does: column kinds are judged on the file's first rows", async () => {
  const dir = tempDir('mlops-shard-');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trim().split('\n');
  // A note column that is numeric in the first rows and text further down.
  const input = path.join(dir, 'notes.csv');
  writeFileSync(
    input,
    [`${lines[0]},note`, ...lines.slice(1).map((l, i) => `${l},${i < 150 ? i : `text ${i}`}`)].join('\n') + '\n',
  );
  const base = { model: fixture('models', 'mlp.onnx'), inputs: [input], keep: ['id'] };
  for (const shard of [
    undefined,
    { index: 0, count: 2, source: '--shard' },
    { index: 1, count: 2, source: '--shard' },
  ]) {
    await assert.rejects(
      predictBatch({ ...base, output: path.join(dir, 'o.csv'), shard }),
      { code: 'CSV_FEATURE_COUNT' },
      JSON.stringify(shard),
    );
  }
});

test('the CLI takes the shard from JOB_COMPLETION_INDEX with --shards, the same as --shard', async () => {
  const { runCli } = await import('../helpers.js');
  const dir = tempDir('mlops-shard-');
  const input = bigInput(dir);
  const outs = [];
  for (const [args, env] of [
    [['--shard', '1/3'], {}],
    [['--shards', '3'], { JOB_COMPLETION_INDEX: '1' }],
    [[], { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' }],
  ] as const) {
    const out = path.join(dir, `o-${outs.length}.csv`);
    const r = runCli(
      ['predict-batch', fixture('models', 'mlp.onnx'), '--input', input, '--output', out, '--keep', 'note,id', ...args],
      { env },
    );
    assert.equal(r.status, 0, r.stderr);
    outs.push(readFileSync(out, 'utf8'));
  }
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
  const missing = runCli(
    [
      'predict-batch',
      fixture('models', 'mlp.onnx'),
      '--input',
      input,
      '--output',
      path.join(dir, 'x.csv'),
      '--keep',
      'note,id',
    ],
    { env: { JOB_COMPLETION_INDEX: '1' } },
  );
  assert.equal(missing.status, 2);
  assert.match(
    missing.stderr,
    /JOB_COMPLETION_INDEX \(a Kubernetes Indexed Job\) is set, but not how many shards there are/,
  );
});
