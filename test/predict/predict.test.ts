import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { predictBatch } from '../../src/predict/index.js';
import type { ErrorCode } from '../../src/util/error-codes.js';
import { registerModel } from '../../src/release/index.js';
import { fixture } from '../helpers.js';
import { tempDir } from '../registry/helpers.js';
import { maxRelativeError, readCsv } from './helpers.js';

const column = (t: { header: string[]; rows: string[][] }, name: string) => {
  const i = t.header.indexOf(name);
  assert.ok(i >= 0, `column ${name} in ${t.header.join(',')}`);
  return t.rows.map((r) => r[i]);
};

test('MLP outputs equal onnxruntime (Python) on the same rows, and float32 values round-trip exactly', async () => {
  const dir = tempDir('mlops-pred-');
  const out = path.join(dir, 'preds.csv');
  const r = await predictBatch({
    model: fixture('models', 'mlp.onnx'),
    inputs: [fixture('data', 'mlp.csv')],
    output: out,
    keep: ['id'],
  });
  assert.equal(r.rows_written, 200);
  const got = readCsv(out);
  const want = readCsv(fixture('data', 'mlp.ort.csv'));
  assert.deepEqual(got.header, ['id', 'logits_0', 'logits_1']);
  assert.deepEqual(
    column(got, 'id'),
    Array.from({ length: 200 }, (_, i) => String(i + 1)),
  );
  for (const name of ['logits_0', 'logits_1']) {
    assert.ok(maxRelativeError(column(got, name), column(want, name)) <= 1e-6, name);
    // The very float32 values onnxruntime (Python) returned, in numpy's shortest digits.
    assert.deepEqual(column(got, name), column(want, name), name);
  }
  assert.equal(r.files[0].feature_source, 'numeric columns');
  assert.equal(r.files[0].features.length, 30);
});

test('scikit-learn ZipMap classifiers give label and probability_<class> columns matching onnxruntime', async () => {
  const dir = tempDir('mlops-pred-');
  for (const [model, expected] of [
    ['iris-zipmap.onnx', 'iris.ort.csv'],
    ['iris-zipmap-strings.onnx', 'iris-strings.ort.csv'],
  ]) {
    const out = path.join(dir, `${model}.csv`);
    await predictBatch({
      model: fixture('models', model),
      inputs: [fixture('data', 'iris.csv')],
      output: out,
      keep: ['species'],
    });
    const got = readCsv(out);
    const want = readCsv(fixture('data', expected));
    assert.deepEqual(got.header, ['species', ...want.header]);
    assert.deepEqual(column(got, 'label'), column(want, 'label'));
    for (const name of want.header.slice(1))
      assert.ok(maxRelativeError(column(got, name), column(want, name)) <= 1e-6, `${model} ${name}`);
  }
});

test('one input per column: float32, float64, int64, bool and string inputs by name', async () => {
  const dir = tempDir('mlops-pred-');
  const out = path.join(dir, 'preds.csv');
  const r = await predictBatch({
    model: fixture('models', 'per-column.onnx'),
    inputs: [fixture('data', 'per-column.csv')],
    output: out,
  });
  assert.equal(r.files[0].feature_source, 'inputs by name');
  assert.deepEqual(r.files[0].kept, ['id']);
  const got = readCsv(out);
  assert.ok(
    maxRelativeError(column(got, 'score'), column(readCsv(fixture('data', 'per-column.ort.csv')), 'score')) <= 1e-6,
  );
});

test('feature columns: --features order, recorded features from the registry, errors naming what was found', async () => {
  const dir = tempDir('mlops-pred-');
  const features = Array.from({ length: 30 }, (_, i) => `f${i}`);
  const out = path.join(dir, 'a.csv');
  const r = await predictBatch({
    model: fixture('models', 'mlp.onnx'),
    inputs: [fixture('data', 'mlp.csv')],
    output: out,
    features,
  });
  assert.deepEqual(r.files[0].kept, ['id'], 'non-feature columns are kept by default');
  assert.deepEqual(readFileSync(out, 'utf8').split('\n')[0], 'id,logits_0,logits_1');

  await assert.rejects(
    predictBatch({ model: fixture('models', 'mlp.onnx'), inputs: [fixture('data', 'mlp.csv')], output: out }),
    {
      code: 'CSV_FEATURE_COUNT',
      message: /model input "input" \(float32\) takes 30 features, but .*mlp\.csv has 31 numeric columns: id, f0, f1/,
    },
  );
  await assert.rejects(
    predictBatch({
      model: fixture('models', 'mlp.onnx'),
      inputs: [fixture('data', 'mlp.csv')],
      output: out,
      features: ['f0', 'nope'],
    }),
    { code: 'CSV_COLUMNS_MISSING' },
  );
  await assert.rejects(
    predictBatch({
      model: fixture('models', 'mlp.onnx'),
      inputs: [fixture('data', 'iris.csv')],
      output: out,
      keep: ['id'],
    }),
    { code: 'CSV_COLUMNS_MISSING', message: /`keep` names column "id" that .*iris\.csv does not have/ },
  );

  const registry = tempDir('mlops-pred-reg-');
  await registerModel({
    registry,
    name: 'mlp',
    file: fixture('models', 'mlp.onnx'),
    tags: { features: features.join(',') },
  });
  const viaRegistry = await predictBatch({
    model: 'mlp@1',
    registry,
    inputs: [fixture('data', 'mlp.csv')],
    output: path.join(dir, 'b.csv'),
  });
  assert.equal(viaRegistry.files[0].feature_source, 'registry');
  assert.equal(readFileSync(path.join(dir, 'b.csv'), 'utf8'), readFileSync(out, 'utf8'));
});

function csvWith(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const IRIS_HEADER = 'sepal_length,sepal_width,petal_length,petal_width,species\n';
const GOOD = '5.1,3.5,1.4,0.2,0\n6.7,3.0,5.2,2.3,2\n';

test('bad rows fail fast with file, line and column, exit 2, and no output file', async () => {
  const dir = tempDir('mlops-pred-');
  const cases: Array<[string, ErrorCode, RegExp]> = [
    [
      IRIS_HEADER + GOOD + '5.0,abc,1.4,0.2,0\n',
      'CSV_BAD_ROW',
      /bad\.csv:4: column "sepal_width": "abc" is not a number/,
    ],
    [
      IRIS_HEADER + GOOD + '5.0,,1.4,0.2,0\n',
      'CSV_BAD_ROW',
      /bad\.csv:4: column "sepal_width": empty value is missing$/,
    ],
    [IRIS_HEADER + GOOD + '5.0,3.1,1.4\n', 'CSV_BAD_ROW', /bad\.csv:4: has 3 fields, the header has 5/],
    [IRIS_HEADER + GOOD + '5.0,3.1,1.4,0.2,0,9\n', 'CSV_BAD_ROW', /bad\.csv:4: has 6 fields, the header has 5/],
    [IRIS_HEADER + GOOD + '5.0,NaN,1.4,0.2,0\n', 'CSV_BAD_ROW', /column "sepal_width": "NaN" is missing/],
    [IRIS_HEADER + GOOD + '5.0,"3.1,1.4,0.2,0\n', 'CSV_PARSE_ERROR', /bad\.csv:\d+: Quote Not Closed/],
    [
      'sepal_length,sepal_width,sepal_width,petal_width,species\n' + GOOD,
      'CSV_BAD_HEADER',
      /bad\.csv:1: column name "sepal_width" appears more than once/,
    ],
    [
      'sepal_length,,petal_length,petal_width,species\n' + GOOD,
      'CSV_BAD_HEADER',
      /bad\.csv:1: column 2 has an empty name/,
    ],
    [
      ',' +
        IRIS_HEADER +
        GOOD.split('\n')
          .map((l, i) => (l ? `${i},${l}` : l))
          .join('\n'),
      'CSV_BAD_HEADER',
      /bad\.csv:1: column 1 has an empty name/,
    ],
    ['', 'CSV_EMPTY', /bad\.csv is empty/],
  ];
  const out = path.join(dir, 'preds.csv');
  for (const [text, code, message] of cases) {
    const input = csvWith(dir, 'bad.csv', text);
    await assert.rejects(
      predictBatch({ model: fixture('models', 'iris-zipmap.onnx'), inputs: [input], output: out, keep: ['species'] }),
      (err: Error & { exitCode?: number }) => {
        assert.equal((err as { code?: string }).code, code);
        assert.match(err.message, message);
        assert.equal(err.exitCode, 2);
        return true;
      },
      JSON.stringify(text.slice(-30)),
    );
    assert.equal(existsSync(out), false, 'no output file is left behind');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.tmp-')),
      [],
      'no temporary file either',
    );
  }
});

test('--on-error skip sets bad rows aside with their line and reason; --max-rejects fails the run', async () => {
  const dir = tempDir('mlops-pred-');
  const input = csvWith(dir, 'mixed.csv', IRIS_HEADER + GOOD + '5.0,abc,1.4,0.2,0\n' + '4.9,3.0\n' + GOOD);
  const out = path.join(dir, 'preds.csv');
  const rejects = path.join(dir, 'rejects.csv');
  const r = await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs: [input],
    output: out,
    keep: ['species'],
    onError: 'skip',
    rejects,
  });
  assert.deepEqual([r.rows_read, r.rows_written, r.rows_rejected], [6, 4, 2]);
  assert.equal(readCsv(out).rows.length, 4);
  const rej = readCsv(rejects);
  assert.deepEqual(rej.header, ['line', 'reason', 'row']);
  assert.deepEqual(rej.rows, [
    ['4', 'column "sepal_width": "abc" is not a number', '5.0,abc,1.4,0.2,0'],
    ['5', 'has 2 fields, the header has 5', '4.9,3.0'],
  ]);
  writeFileSync(out, 'previous run\n');
  await assert.rejects(
    predictBatch({
      model: fixture('models', 'iris-zipmap.onnx'),
      inputs: [input],
      output: out,
      keep: ['species'],
      onError: 'skip',
      maxRejects: 1,
    }),
    { code: 'TOO_MANY_REJECTS', exitCode: 1, message: /2 rejected rows, more than `maxRejects` 1/ },
  );
  assert.equal(readFileSync(out, 'utf8'), 'previous run\n', 'a failed run leaves the old output untouched');
});

test('real-world CSV: BOM, CRLF, quoted fields with commas and newlines, --allow-missing', async () => {
  const dir = tempDir('mlops-pred-');
  const plain = csvWith(
    dir,
    'plain.csv',
    'name,' + IRIS_HEADER + 'a,5.1,3.5,1.4,0.2,0\nb,6.7,3.0,5.2,2.3,2\nc,5.9,3.0,4.2,1.5,1\n',
  );
  const messy = csvWith(
    dir,
    'messy.csv',
    '\ufeffname,' +
      IRIS_HEADER.replace('\n', '\r\n') +
      'a,5.1,3.5,1.4,0.2,0\r\n"b, the ""second""\nrow",6.7,3.0,5.2,2.3,2\r\n\r\nc,"5.9",3.0,4.2,1.5,1\r\n',
  );
  const outPlain = path.join(dir, 'plain.out.csv');
  const outMessy = path.join(dir, 'messy.out.csv');
  const features = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
  await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs: [plain],
    output: outPlain,
    features,
    keep: ['name'],
  });
  await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs: [messy],
    output: outMessy,
    features,
    keep: ['name'],
  });
  const a = readCsv(outPlain);
  const b = readCsv(outMessy);
  assert.deepEqual(
    b.rows.map((r) => r[0]),
    ['a', 'b, the "second"\nrow', 'c'],
  );
  assert.deepEqual(
    b.rows.map((r) => r.slice(1)),
    a.rows.map((r) => r.slice(1)),
    'same predictions through csv-parse',
  );
  const missing = csvWith(dir, 'missing.csv', IRIS_HEADER + '5.1,,1.4,0.2,0\n6.7,NaN,5.2,2.3,2\n');
  const r = await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs: [missing],
    output: path.join(dir, 'm.csv'),
    keep: ['species'],
    allowMissing: true,
  });
  assert.equal(r.rows_written, 2);
  // NaN reached the model: a logistic regression gives NaN probabilities for it (a 0 would not).
  assert.deepEqual(
    readCsv(path.join(dir, 'm.csv')).rows.map((row) => row.slice(2)),
    [
      ['NaN', 'NaN', 'NaN'],
      ['NaN', 'NaN', 'NaN'],
    ],
  );
});

test('several inputs with --output-dir, stdout output, and an empty input', async () => {
  const dir = tempDir('mlops-pred-');
  const inputs = [
    csvWith(dir, 'part-1.csv', IRIS_HEADER + GOOD),
    csvWith(dir, 'part-2.csv', IRIS_HEADER + GOOD + GOOD),
  ];
  const outDir = tempDir('mlops-pred-out-');
  const r = await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs,
    outputDir: outDir,
    keep: ['species'],
  });
  assert.deepEqual(
    r.files.map((f) => [path.basename(f.output), f.rows_written]),
    [
      ['part-1.csv', 2],
      ['part-2.csv', 4],
    ],
  );
  let text = '';
  const stdout = new (await import('node:stream')).Writable({
    write(chunk, _e, done) {
      text += chunk;
      done();
    },
  });
  await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs: [inputs[0]],
    output: '-',
    stdout,
    keep: ['species'],
  });
  assert.equal(text, readFileSync(path.join(outDir, 'part-1.csv'), 'utf8'));
  const empty = csvWith(dir, 'empty.csv', IRIS_HEADER);
  const e = await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs: [empty],
    output: path.join(dir, 'e.csv'),
    keep: ['species'],
  });
  assert.equal(e.rows_written, 0);
  assert.equal(
    readFileSync(path.join(dir, 'e.csv'), 'utf8'),
    'species,label,probability_0,probability_1,probability_2\n',
  );
});

test('batch boundaries and read-buffer boundaries do not change the output', async () => {
  const dir = tempDir('mlops-pred-');
  const outs = [];
  for (const batchSize of [1, 7, 4096]) {
    const out = path.join(dir, `b${batchSize}.csv`);
    await predictBatch({
      model: fixture('models', 'mlp.onnx'),
      inputs: [fixture('data', 'mlp.csv')],
      output: out,
      keep: ['id'],
      batchSize,
    });
    outs.push(readFileSync(out, 'utf8'));
  }
  assert.equal(outs[0], outs[2]);
  assert.equal(outs[1], outs[2]);
});

test('a model with a fixed batch size runs in batches of exactly that size, padded, with a warning', async () => {
  const dir = tempDir('mlops-pred-');
  const want = readCsv(fixture('data', 'iris-fixed-batch.ort.csv'));
  for (const [model, size] of [
    ['fixed-batch.onnx', 1],
    ['fixed-batch-8.onnx', 8],
  ] as const) {
    const out = path.join(dir, `${model}.csv`);
    const warnings: string[] = [];
    // 150 rows: with 8 per batch the last batch holds 6 real rows and 2 of padding.
    const r = await predictBatch({
      model: fixture('models', model),
      inputs: [fixture('data', 'iris.csv')],
      output: out,
      keep: ['species'],
      features: IRIS_HEADER.trim().split(',').slice(0, 4),
      batchSize: 64,
      onWarning: (w) => warnings.push(w),
    });
    assert.equal(r.rows_written, 150);
    assert.equal(r.batch_size, 64, "a whole number of the model's batches per message");
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      new RegExp(`fixes the batch size at ${size}: onnxruntime runs .*; re-export with a dynamic batch axis`),
    );
    assert.deepEqual(r.warnings, warnings);
    const got = readCsv(out);
    assert.deepEqual(got.header, ['species', ...want.header]);
    for (const name of want.header)
      assert.ok(maxRelativeError(column(got, name), column(want, name)) <= 1e-6, `${model} ${name}`);
  }
});

test('int32 [N, F] input and 1-D outputs match onnxruntime; integers out of range or missing are bad rows', async () => {
  const dir = tempDir('mlops-pred-');
  const out = path.join(dir, 'counts.csv');
  const r = await predictBatch({
    model: fixture('models', 'int32-counts.onnx'),
    inputs: [fixture('data', 'counts.csv')],
    output: out,
    keep: ['id', 'region'],
  });
  assert.deepEqual(r.files[0].features, ['a', 'b', 'c']);
  const got = readCsv(out);
  const want = readCsv(fixture('data', 'counts.ort.csv'));
  assert.deepEqual(got.header, ['id', 'region', 'total', 'argmax']);
  assert.deepEqual(
    column(got, 'region'),
    column(readCsv(fixture('data', 'counts.csv')), 'region'),
    'kept text with commas round-trips',
  );
  assert.deepEqual(column(got, 'argmax'), column(want, 'argmax'));
  assert.ok(maxRelativeError(column(got, 'total'), column(want, 'total')) <= 1e-6);

  const bad = csvWith(dir, 'bad.csv', 'id,a,b,c\n1,2.5,3,4\n2,99999999999,1,1\n3,,1,1\n4,1,2,3\n5,1e3,2.0,3\n');
  const rejects = path.join(dir, 'rejects.csv');
  const s = await predictBatch({
    model: fixture('models', 'int32-counts.onnx'),
    inputs: [bad],
    output: out,
    keep: ['id'],
    onError: 'skip',
    rejects,
    allowMissing: true,
  });
  assert.equal(s.rows_written, 2, '1e3 and 2.0 are whole numbers');
  assert.deepEqual(
    readCsv(out).rows.map((row) => row[0]),
    ['4', '5'],
  );
  assert.deepEqual(
    readCsv(rejects).rows.map((row) => row.slice(0, 2)),
    [
      ['2', 'column "a": "2.5" is not an integer'],
      [
        '3',
        'column "a": "99999999999" is not an integer the model\'s int32 input can hold (-2147483648 to 2147483647)',
      ],
      [
        '4',
        'column "a": empty value is missing, and the model\'s integer input has no missing value (fill it in the data)',
      ],
    ],
  );
});

test('output paths are checked before any work: a missing folder, an output that is an input, two inputs on one output', async () => {
  const dir = tempDir('mlops-pred-');
  const model = fixture('models', 'iris-zipmap.onnx');
  const input = csvWith(dir, 'data.csv', IRIS_HEADER + GOOD);
  const sub = path.join(dir, 'sub');
  (await import('node:fs')).mkdirSync(sub);
  const twin = csvWith(sub, 'data.csv', IRIS_HEADER + GOOD);
  const cases: Array<[Partial<Parameters<typeof predictBatch>[0]>, ErrorCode, RegExp]> = [
    [
      { output: path.join(dir, 'nope', 'out.csv') },
      'OUTPUT_DIR_MISSING',
      /the output .*nope\/out\.csv: folder .*nope does not exist/,
    ],
    [{ output: dir }, 'OUTPUT_IS_FOLDER', /the output .* is a folder/],
    [
      { output: path.join(dir, 'o.csv'), onError: 'skip', rejects: sub },
      'OUTPUT_IS_FOLDER',
      /the rejects file .*sub is a folder/,
    ],
    [
      { output: input },
      'OUTPUT_IS_INPUT',
      /the output .*data\.csv is the input .*data\.csv: writing it would destroy an input/,
    ],
    [
      { output: path.join(dir, 'o.csv'), onError: 'skip', rejects: path.join(dir, 'o.csv') },
      'OUTPUT_CLASH',
      /the rejects file .*o\.csv is also the output/,
    ],
    [
      { inputs: [input, twin], outputDir: path.join(dir, 'out') },
      'OUTPUT_CLASH',
      /inputs .*data\.csv and .*sub\/data\.csv would both write .*out\/data\.csv/,
    ],
    [{ outputDir: dir }, 'OUTPUT_IS_INPUT', /the output .*data\.csv is the input/],
  ];
  for (const [extra, code, message] of cases) {
    await assert.rejects(
      predictBatch({ model, inputs: [input], keep: ['species'], ...extra }),
      (err: Error & { exitCode?: number }) => {
        assert.equal((err as { code?: string }).code, code);
        assert.match(err.message, message);
        assert.equal(err.exitCode, 2);
        return true;
      },
    );
  }
  assert.equal(readFileSync(input, 'utf8'), IRIS_HEADER + GOOD, 'the input is untouched');
  assert.equal(existsSync(path.join(dir, 'out')), false, 'no output folder was made for a run that could not start');
  // A missing --output-dir is created, as mkdir -p would.
  const r = await predictBatch({
    model,
    inputs: [input],
    keep: ['species'],
    outputDir: path.join(dir, 'new', 'deeper'),
  });
  assert.equal(readCsv(r.files[0].output).rows.length, 2);
});

test('a FIFO output is written in place, a symlink output replaces the file it points to', async () => {
  const { execFileSync } = await import('node:child_process');
  const { lstatSync, readlinkSync, symlinkSync, createReadStream } = await import('node:fs');
  const dir = tempDir('mlops-pred-');
  const model = fixture('models', 'iris-zipmap.onnx');
  const input = csvWith(dir, 'data.csv', IRIS_HEADER + GOOD);
  const reference = path.join(dir, 'reference.csv');
  await predictBatch({ model, inputs: [input], output: reference, keep: ['species'] });

  const fifo = path.join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  let piped = '';
  const reader = new Promise<void>((resolve) =>
    createReadStream(fifo, 'utf8')
      .on('data', (d) => (piped += d))
      .on('end', resolve),
  );
  await predictBatch({ model, inputs: [input], output: fifo, keep: ['species'] });
  await reader;
  assert.equal(piped, readFileSync(reference, 'utf8'));
  assert.ok(lstatSync(fifo).isFIFO(), 'the FIFO is still a FIFO (renaming a file over it would replace it)');

  const link = path.join(dir, 'link.csv');
  symlinkSync('real.csv', link);
  await predictBatch({ model, inputs: [input], output: link, keep: ['species'] });
  assert.equal(readlinkSync(link), 'real.csv', 'the link stays a link');
  assert.equal(readFileSync(path.join(dir, 'real.csv'), 'utf8'), readFileSync(reference, 'utf8'));
});

test('several inputs: a failure on a later one leaves no output for the earlier ones', async () => {
  const dir = tempDir('mlops-pred-');
  const inputs = [
    csvWith(dir, 'a.csv', IRIS_HEADER + GOOD),
    csvWith(dir, 'b.csv', IRIS_HEADER + GOOD + '5.0,abc,1.4,0.2,0\n'),
  ];
  const outDir = path.join(dir, 'out');
  await assert.rejects(
    predictBatch({ model: fixture('models', 'iris-zipmap.onnx'), inputs, outputDir: outDir, keep: ['species'] }),
    { code: 'CSV_BAD_ROW', message: /b\.csv:4: column "sepal_width"/ },
  );
  assert.deepEqual(readdirSync(outDir), [], 'a.csv succeeded, but the run failed: nothing is published');
});

test('--max-rejects exceeded: no predictions, but the rejected rows so far are written for the user to fix', async () => {
  const dir = tempDir('mlops-pred-');
  const input = csvWith(dir, 'mixed.csv', IRIS_HEADER + '5.0,abc,1.4,0.2,0\n' + GOOD + '4.9,3.0\n');
  const out = path.join(dir, 'preds.csv');
  const rejects = path.join(dir, 'rejects.csv');
  await assert.rejects(
    predictBatch({
      model: fixture('models', 'iris-zipmap.onnx'),
      inputs: [input],
      output: out,
      keep: ['species'],
      onError: 'skip',
      rejects,
      maxRejects: 1,
    }),
    { code: 'TOO_MANY_REJECTS', exitCode: 1, hint: /the rejected rows so far are in .*rejects\.csv/ },
  );
  assert.equal(existsSync(out), false);
  assert.deepEqual(
    readCsv(rejects).rows.map((r) => r[0]),
    ['2', '5'],
  );
});

test('outputs: a rank-3 output is flattened per row; an output without a batch axis is left out with a warning', async () => {
  const dir = tempDir('mlops-pred-');
  const out = path.join(dir, 'preds.csv');
  const warnings: string[] = [];
  await predictBatch({
    model: fixture('models', 'extra-outputs.onnx'),
    inputs: [fixture('data', 'iris.csv')],
    output: out,
    features: ['sepal_length', 'sepal_width'],
    keep: ['species'],
    batchSize: 7,
    onWarning: (w) => warnings.push(w),
  });
  const got = readCsv(out);
  const want = readCsv(fixture('data', 'extra-outputs.ort.csv'));
  assert.deepEqual(got.header, ['species', ...want.header]);
  for (const name of want.header) assert.ok(maxRelativeError(column(got, name), column(want, name)) <= 1e-6, name);
  assert.deepEqual(warnings, [
    'model output "version" has shape [3], not one row per input row: it is left out of the CSV',
  ]);
});

test('quoted rows among plain ones: same predictions as the plain file, and errors name the line a row starts on', async () => {
  const dir = tempDir('mlops-pred-');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trim().split('\n');
  // Quote some fields of some rows (runs of quoted rows, single ones, a multi-line kept field, CRLF).
  const quoted = lines.map((line, i) => {
    if (i === 0 || i % 7 > 2) return line;
    const fields = line.split(',');
    return (
      fields.map((f, k) => (k === 0 && i % 7 === 1 ? `"${f}"` : k === 3 ? `"${f}"` : f)).join(',') + (i % 2 ? '\r' : '')
    );
  });
  const plainFile = csvWith(dir, 'plain.csv', lines.join('\n') + '\n');
  const quotedFile = csvWith(dir, 'quoted.csv', quoted.join('\n') + '\n');
  const outs = [];
  for (const input of [plainFile, quotedFile]) {
    const out = path.join(dir, `${path.basename(input)}.out`);
    await predictBatch({
      model: fixture('models', 'mlp.onnx'),
      inputs: [input],
      output: out,
      keep: ['id'],
      batchSize: 16,
    });
    outs.push(readFileSync(out, 'utf8'));
  }
  assert.equal(outs[1], outs[0]);

  const multi = csvWith(
    dir,
    'multi.csv',
    'name,' + IRIS_HEADER + 'a,5.1,3.5,1.4,0.2,0\n"b\nsecond line",6.7,abc,5.2,2.3,2\n',
  );
  await assert.rejects(
    predictBatch({
      model: fixture('models', 'iris-zipmap.onnx'),
      inputs: [multi],
      output: path.join(dir, 'm.csv'),
      keep: ['name', 'species'],
    }),
    { code: 'CSV_BAD_ROW', message: /multi\.csv:3: column "sepal_width": "abc" is not a number/ },
  );
  const unclosed = csvWith(
    dir,
    'unclosed.csv',
    'name,' + IRIS_HEADER + 'a,5.1,3.5,1.4,0.2,0\n"b,6.7,3.0,5.2,2.3,2\nc,5.9,3.0,4.2,1.5,1\n',
  );
  await assert.rejects(
    predictBatch({
      model: fixture('models', 'iris-zipmap.onnx'),
      inputs: [unclosed],
      output: path.join(dir, 'u.csv'),
      keep: ['name', 'species'],
    }),
    {
      code: 'CSV_PARSE_ERROR',
      message: /unclosed\.csv:3: Quote Not Closed: a quoted field opened on this line is never closed/,
    },
  );
});

test('string and bool [N, F] inputs: default features are the columns not kept / the boolean columns; results match onnxruntime', async () => {
  const dir = tempDir('mlops-pred-');
  const want = readCsv(fixture('data', 'flags.ort.csv'));
  const text = path.join(dir, 'text.csv');
  const t = await predictBatch({
    model: fixture('models', 'text-matrix.onnx'),
    inputs: [fixture('data', 'flags.csv')],
    output: text,
    keep: ['id', 'a', 'b', 'c'],
  });
  assert.deepEqual([t.files[0].feature_source, t.files[0].features], ['columns not kept', ['city', 'tier']]);
  assert.ok(maxRelativeError(column(readCsv(text), 'score'), column(want, 'score')) <= 1e-6);
  const bool = path.join(dir, 'bool.csv');
  const b = await predictBatch({
    model: fixture('models', 'bool-matrix.onnx'),
    inputs: [fixture('data', 'flags.csv')],
    output: bool,
    keep: ['id'],
  });
  assert.deepEqual([b.files[0].feature_source, b.files[0].features], ['boolean columns', ['a', 'b', 'c']]);
  assert.deepEqual(column(readCsv(bool), 'count'), column(want, 'count'));
  assert.deepEqual(
    readCsv(bool).header,
    ['id', 'count'],
    'the text columns are not features, so they are not kept either unless asked',
  );

  await assert.rejects(
    predictBatch({
      model: fixture('models', 'text-matrix.onnx'),
      inputs: [fixture('data', 'flags.csv')],
      output: text,
      keep: ['id'],
    }),
    {
      code: 'CSV_FEATURE_COUNT',
      message:
        /model input "words" \(string\) takes 2 features, but .*flags\.csv has 5 columns not kept: city, tier, a, b, c/,
    },
  );
  await assert.rejects(
    predictBatch({
      model: fixture('models', 'per-column.onnx'),
      inputs: [fixture('data', 'per-column.csv')],
      output: text,
      features: ['age'],
    }),
    { code: 'FEATURES_NOT_APPLICABLE' },
  );
  await assert.rejects(
    predictBatch({
      model: fixture('models', 'iris-zipmap.onnx'),
      inputs: [fixture('data', 'iris.csv')],
      output: text,
      keepAll: true,
    }),
    { code: 'CSV_FEATURE_COUNT', hint: /with `keepAll` every column is copied, so name the features with `features`/ },
  );
  // A lone [N, 3] input named like a column still reads three columns.
  const xyz = csvWith(dir, 'xyz.csv', 'x,y,z\n1,2,3\n');
  const m = await predictBatch({ model: fixture('models', 'float64-input.onnx'), inputs: [xyz], output: text });
  assert.deepEqual([m.files[0].feature_source, m.files[0].features], ['numeric columns', ['x', 'y', 'z']]);
  const semi = csvWith(dir, 'semi.csv', 'id;a;b\n1;2;3\n');
  await assert.rejects(predictBatch({ model: fixture('models', 'mlp.onnx'), inputs: [semi], output: text }), {
    code: 'CSV_DELIMITER',
    message:
      /semi\.csv:1: the header is one column, "id;a;b": the file looks ";"-separated, and mlops reads comma-separated CSV/,
  });
});

test('option checks: --max-rejects needs skip, --threads beyond the cores is lowered, a pipe is not an input', async () => {
  const { availableCores } = await import('../../src/runtime/cores.js');
  const { execFileSync } = await import('node:child_process');
  const dir = tempDir('mlops-pred-');
  const model = fixture('models', 'iris-zipmap.onnx');
  const input = csvWith(dir, 'data.csv', IRIS_HEADER + GOOD);
  const out = path.join(dir, 'o.csv');
  await assert.rejects(predictBatch({ model, inputs: [input], output: out, keep: ['species'], maxRejects: 3 }), {
    code: 'OPTION_MISSING',
  });
  const warnings: string[] = [];
  const r = await predictBatch({
    model,
    inputs: [input],
    output: out,
    keep: ['species'],
    threads: 10_000,
    onWarning: (w) => warnings.push(w),
  });
  assert.equal(r.threads, availableCores());
  assert.match(warnings[0], /`threads` 10000 is more than the \d+ cores here/);
  const fifo = path.join(dir, 'in.pipe');
  execFileSync('mkfifo', [fifo]);
  await assert.rejects(predictBatch({ model, inputs: [fifo], output: out, keep: ['species'] }), {
    code: 'CSV_NOT_A_FILE',
  });
});

test('--keep-all with --keep: every column copied, --keep columns not features; clashing output names renamed as a group', async () => {
  const dir = tempDir('mlops-pred-');
  const out = path.join(dir, 'o.csv');
  await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs: [fixture('data', 'iris.csv')],
    output: out,
    keepAll: true,
    keep: ['species'],
  });
  assert.deepEqual(readCsv(out).header, [
    'sepal_length',
    'sepal_width',
    'petal_length',
    'petal_width',
    'species',
    'label',
    'probability_0',
    'probability_1',
    'probability_2',
  ]);
  const clash = csvWith(dir, 'clash.csv', 'probability_1,' + IRIS_HEADER + 'x,' + GOOD.split('\n')[0] + '\n');
  await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs: [clash],
    output: out,
    keep: ['probability_1', 'species'],
  });
  assert.deepEqual(readCsv(out).header, [
    'probability_1',
    'species',
    'label',
    'probability_pred_0',
    'probability_pred_1',
    'probability_pred_2',
  ]);
});

test('a file of bad rows is streamed to the rejects file (no pile-up in memory); a full disk is an input error, with nothing left behind', async () => {
  const dir = tempDir('mlops-pred-');
  const bad = IRIS_HEADER + Array.from({ length: 20_000 }, (_, i) => `5.0,x${i},1.4,0.2,0\n`).join('') + GOOD;
  const input = csvWith(dir, 'bad.csv', bad);
  const rejects = path.join(dir, 'rejects.csv');
  const out = path.join(dir, 'preds.csv');
  const features = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
  const r = await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs: [input],
    output: out,
    features,
    keep: ['species'],
    onError: 'skip',
    rejects,
    batchSize: 8,
  });
  assert.deepEqual([r.rows_read, r.rows_rejected, r.rows_written], [20_002, 20_000, 2]);
  const rej = readFileSync(rejects, 'utf8').trimEnd().split('\n');
  assert.equal(rej.length, 20_001);
  assert.equal(rej[20_000], '20001,"column ""sepal_width"": ""x19999"" is not a number","5.0,x19999,1.4,0.2,0"');

  if (existsSync('/dev/full')) {
    await assert.rejects(
      predictBatch({
        model: fixture('models', 'iris-zipmap.onnx'),
        inputs: [input],
        output: '/dev/full',
        features,
        keep: ['species'],
        onError: 'skip',
      }),
      {
        code: 'OUTPUT_WRITE_FAILED',
        exitCode: 2,
        message: /cannot write \/dev\/full: no space left on the device \(ENOSPC\)/,
      },
    );
  }
});

test('float16 outputs are decoded and written as numpy prints them (not as raw bits)', async () => {
  const dir = tempDir('mlops-pred-');
  const out = path.join(dir, 'half.csv');
  await predictBatch({
    model: fixture('models', 'half-output.onnx'),
    inputs: [fixture('data', 'iris.csv')],
    output: out,
    features: ['sepal_length', 'sepal_width'],
    keep: ['species'],
  });
  const got = readCsv(out);
  const want = readCsv(fixture('data', 'half-output.ort.csv'));
  assert.deepEqual(got.header, ['species', 'half_0', 'half_1']);
  // The same digits as numpy's str(np.float16), which adds ".0" to whole numbers where we, like float32 output, do not.
  for (const name of want.header)
    assert.deepEqual(
      column(got, name),
      column(want, name).map((t) => t.replace(/\.0$/, '')),
      name,
    );
});

test('broken quoting on one line is a bad row like any other: named by column, set aside with --on-error skip', async () => {
  const dir = tempDir('mlops-pred-');
  const input = csvWith(
    dir,
    'quotes.csv',
    'name,' +
      IRIS_HEADER +
      'a,5.1,3.5,1.4,0.2,0\nb,"6.7"x,3.0,5.2,2.3,2\nc,5.9,3.0,4.2,1.5,1\n5\'10",6.3,2.9,5.6,1.8,2\nd,"6.0",2.2,4.0,1.0,1\n',
  );
  const out = path.join(dir, 'o.csv');
  const rejects = path.join(dir, 'r.csv');
  const features = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
  await assert.rejects(
    predictBatch({
      model: fixture('models', 'iris-zipmap.onnx'),
      inputs: [input],
      output: out,
      features,
      keep: ['name'],
    }),
    {
      code: 'CSV_BAD_ROW',
      message: /quotes\.csv:3: column "sepal_length": a quoted value is followed by "x" instead of a comma/,
    },
  );
  const r = await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs: [input],
    output: out,
    features,
    keep: ['name'],
    onError: 'skip',
    rejects,
  });
  assert.deepEqual(
    readCsv(out).rows.map((row) => row[0]),
    ['a', 'c', 'd'],
    'the stray quote in 5\'10" did not swallow the next row',
  );
  assert.equal(r.rows_rejected, 2);
  assert.deepEqual(
    readCsv(rejects).rows.map((row) => [row[0], row[2]]),
    [
      ['3', 'b,"6.7"x,3.0,5.2,2.3,2'],
      ['5', '5\'10",6.3,2.9,5.6,1.8,2'],
    ],
  );
});

test('--output-dir with --on-error skip: rejects go to DIR/rejects/<name>, only for inputs that had some', async () => {
  const dir = tempDir('mlops-pred-');
  const inputs = [
    csvWith(dir, 'clean.csv', IRIS_HEADER + GOOD),
    csvWith(dir, 'dirty.csv', IRIS_HEADER + GOOD + '5.0,abc,1.4,0.2,0\n'),
  ];
  const outDir = path.join(dir, 'out');
  const r = await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs,
    outputDir: outDir,
    keep: ['species'],
    onError: 'skip',
    onWarning: () => {},
  });
  assert.deepEqual(
    readdirSync(outDir).sort(),
    ['clean.csv', 'dirty.csv', 'rejects'],
    'a later --input out/ or out/*.csv sees predictions only',
  );
  assert.deepEqual(readdirSync(path.join(outDir, 'rejects')), ['dirty.csv']);
  assert.deepEqual(
    r.files.map((f) => f.rejects_file && path.relative(outDir, f.rejects_file)),
    [null, path.join('rejects', 'dirty.csv')],
  );
  const clean = path.join(dir, 'out-clean');
  await predictBatch({
    model: fixture('models', 'iris-zipmap.onnx'),
    inputs: [inputs[0]],
    outputDir: clean,
    keep: ['species'],
    onError: 'skip',
    onWarning: () => {},
  });
  assert.deepEqual(readdirSync(clean), ['clean.csv'], 'no empty rejects folder is left');
});

test('ONNX metadata feature_names picks and orders the features', async () => {
  const { decodeModelBytes, encodeModel } = await import('../../src/onnx/proto.js');
  const dir = tempDir('mlops-pred-');
  const model = decodeModelBytes(readFileSync(fixture('models', 'mlp.onnx')));
  const features = Array.from({ length: 30 }, (_, i) => `f${i}`);
  model.metadataProps = [...(model.metadataProps ?? []), { key: 'feature_names', value: features.join(',') } as never];
  const withNames = path.join(dir, 'named.onnx');
  writeFileSync(withNames, encodeModel(model));
  // The file's columns in another order, with an extra numeric column: only the metadata says which and how.
  const rows = readCsv(fixture('data', 'mlp.csv'));
  const order = [...rows.header.slice(1).reverse(), 'id'];
  const shuffled = csvWith(
    dir,
    'shuffled.csv',
    ['extra', ...order].join(',') +
      '\n' +
      rows.rows.map((r, k) => [String(k % 3), ...order.map((c) => r[rows.header.indexOf(c)])].join(',')).join('\n') +
      '\n',
  );
  const out = path.join(dir, 'o.csv');
  const r = await predictBatch({ model: withNames, inputs: [shuffled], output: out, keep: ['id'] });
  assert.deepEqual([r.files[0].feature_source, r.files[0].features], ['model metadata', features]);
  assert.deepEqual(
    readCsv(out).rows.map((row) => row.slice(1)),
    readCsv(fixture('data', 'mlp.ort.csv')).rows,
  );
});

test('a plain [N, K] probability tensor from a classifier node gets name_<class label> columns', async () => {
  const { decodeModelBytes, encodeModel, onnx } = await import('../../src/onnx/proto.js');
  const dir = tempDir('mlops-pred-');
  // The string-label iris classifier without its ZipMap: LinearClassifier's probability tensor is the output.
  const model = decodeModelBytes(readFileSync(fixture('models', 'iris-zipmap-strings.onnx')));
  const graph = model.graph!;
  graph.node = graph.node!.filter((n) => n.opType !== 'ZipMap');
  graph.output = graph.output!.map((o) =>
    o.name !== 'output_probability'
      ? o
      : onnx.ValueInfoProto.create({
          name: 'probability_tensor',
          type: {
            tensorType: {
              elemType: onnx.TensorProto.DataType.FLOAT,
              shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }] },
            },
          },
        }),
  );
  const plain = path.join(dir, 'plain.onnx');
  writeFileSync(plain, encodeModel(model));
  const out = path.join(dir, 'o.csv');
  await predictBatch({ model: plain, inputs: [fixture('data', 'iris.csv')], output: out, keep: ['species'] });
  const got = readCsv(out);
  assert.deepEqual(got.header, [
    'species',
    'output_label',
    'probability_tensor_setosa',
    'probability_tensor_versicolor',
    'probability_tensor_virginica',
  ]);
  const want = readCsv(fixture('data', 'iris-strings.ort.csv'));
  for (const name of ['setosa', 'versicolor', 'virginica']) {
    assert.ok(
      maxRelativeError(column(got, `probability_tensor_${name}`), column(want, `probability_${name}`)) <= 1e-6,
      name,
    );
  }
});
