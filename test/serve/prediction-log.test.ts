/**
 * The prediction log: sampled rows of real traffic (inputs, then outputs as
 * predict-batch names them), sampling at rate 1 and 0.5 (seeded), rotation by
 * size keeping whole files with headers, and `mlops drift` run on the log
 * against the training data it was served from.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { serve } from '../../src/serve/index.js';
import { PredictionLog, rotatedName } from '../../src/serve/prediction-log.js';
import { random } from '../../src/util/random.js';
import { fixture, runCli, tempDir } from '../helpers.js';

const MLP = fixture('models', 'mlp.onnx');
const MLP_CSV = fixture('data', 'mlp.csv');

const row = (seed: number) => Array.from({ length: 30 }, (_, k) => Math.fround(Math.sin(seed * 13 + k) * 2));

async function infer(url: string, rows: number[][]): Promise<number[]> {
  const res = await fetch(`${url}/v2/models/mlp/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'input', shape: [rows.length, 30], datatype: 'FP32', data: rows }] }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { outputs: Array<{ data: number[] }> };
  return body.outputs[0].data;
}

function csvLines(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(','));
}

const HEADER = [...Array.from({ length: 30 }, (_, k) => `input_${k}`), 'logits_0', 'logits_1'];

test('sample rate 1: every row, its inputs as sent and its outputs as answered, under the header', async () => {
  const file = path.join(tempDir(), 'live.csv');
  const server = await serve({ models: [MLP], port: 0, logPredictions: file });
  const sent: number[][] = [];
  const answered: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const rows = [row(i * 3), row(i * 3 + 1), row(i * 3 + 2)];
      sent.push(...rows);
      answered.push(...(await infer(server.url, rows)));
    }
  } finally {
    await server.close(1000);
  }
  const [header, ...lines] = csvLines(file);
  assert.deepEqual(header, HEADER);
  assert.equal(lines.length, 15);
  lines.forEach((fields, r) => {
    assert.deepEqual(
      fields.slice(0, 30).map((v) => Math.fround(Number(v))),
      sent[r],
      `row ${r} inputs`,
    );
    assert.deepEqual(
      fields.slice(30).map((v) => Math.fround(Number(v))),
      answered.slice(r * 2, r * 2 + 2).map(Math.fround),
      `row ${r} outputs`,
    );
  });
});

test('sample rate 0.5: the rows the seeded draws pick, about half', async () => {
  const file = path.join(tempDir(), 'live.csv');
  const server = await serve({
    models: [MLP],
    port: 0,
    logPredictions: file,
    sampleRate: 0.5,
    logRandom: random(42),
  });
  const requests = 40;
  const perRequest = 10;
  try {
    for (let i = 0; i < requests; i++)
      await infer(
        server.url,
        Array.from({ length: perRequest }, (_, k) => row(i * perRequest + k)),
      );
  } finally {
    await server.close(1000);
  }
  const draw = random(42);
  const expected: number[][] = [];
  for (let i = 0; i < requests * perRequest; i++) if (draw() < 0.5) expected.push(row(i));
  const [header, ...lines] = csvLines(file);
  assert.deepEqual(header, HEADER);
  assert.ok(lines.length > 150 && lines.length < 250, `${lines.length} of 400 rows`);
  assert.equal(lines.length, expected.length);
  lines.forEach((fields, r) =>
    assert.deepEqual(
      fields.slice(0, 30).map((v) => Math.fround(Number(v))),
      expected[r],
    ),
  );
});

test('rotation by size: whole lines, a header in every file, `keep` old files, the newest rows kept', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'live.csv');
  const maxBytes = 3000;
  const server = await serve({ models: [MLP], port: 0, logPredictions: file, logMaxBytes: maxBytes, logKeep: 2 });
  const requests = 40;
  try {
    for (let i = 0; i < requests; i++) await infer(server.url, [row(i)]);
  } finally {
    await server.close(1000);
  }
  assert.deepEqual(readdirSync(dir).sort(), ['live.1.csv', 'live.2.csv', 'live.csv']);
  assert.equal(existsSync(rotatedName(file, 3)), false);
  const files = [rotatedName(file, 2), rotatedName(file, 1), file];
  const kept: number[][] = [];
  for (const f of files) {
    assert.ok(statSync(f).size <= maxBytes, `${f} is ${statSync(f).size} bytes`);
    assert.ok(readFileSync(f, 'utf8').endsWith('\n'), `${f} ends with a whole line`);
    const [header, ...lines] = csvLines(f);
    assert.deepEqual(header, HEADER, `${f} starts with the header`);
    assert.ok(lines.length > 0);
    for (const fields of lines) {
      assert.equal(fields.length, 32);
      kept.push(fields.slice(0, 30).map((v) => Math.fround(Number(v))));
    }
  }
  // Oldest to newest, the last rows sent, in order, ending with the very last one.
  const firstKept = requests - kept.length;
  assert.ok(firstKept > 0, 'older rows were rotated away');
  kept.forEach((r, i) => assert.deepEqual(r, row(firstKept + i)));
});

test('a batch with another header (a reload changed the outputs) starts a new file', async () => {
  const file = path.join(tempDir(), 'log.csv');
  const log = new PredictionLog({ file, sampleRate: 1 });
  log.append({ header: 'a,b', text: '1,2\n3,4\n' }, 2);
  log.append({ header: 'a,c', text: '5,6\n' }, 1);
  await log.close();
  assert.equal(readFileSync(rotatedName(file, 1), 'utf8'), 'a,b\n1,2\n3,4\n');
  assert.equal(readFileSync(file, 'utf8'), 'a,c\n5,6\n');
  // A restarted server appends to a log with its header, without a second header.
  const again = new PredictionLog({ file, sampleRate: 1 });
  again.append({ header: 'a,c', text: '7,8\n' }, 1);
  await again.close();
  assert.equal(readFileSync(file, 'utf8'), 'a,c\n5,6\n7,8\n');
});

test('`mlops drift` compares the log of live traffic with the training data', async () => {
  const dir = tempDir();
  const registry = path.join(dir, 'registry');
  const env = { MLOPS_CACHE_DIR: path.join(dir, 'cache') };
  process.env.MLOPS_CACHE_DIR = env.MLOPS_CACHE_DIR;
  // The feature names recorded at registration name the log's columns as the training table's.
  const reg = runCli(
    [
      'registry',
      'register',
      'mlp',
      MLP,
      '--features-from',
      MLP_CSV,
      '--ignore',
      'id',
      '--alias',
      'production',
      '--registry',
      registry,
    ],
    { env },
  );
  assert.equal(reg.status, 0, reg.stderr);
  const file = path.join(dir, 'live.csv');
  const server = await serve({ models: ['mlp@production'], registry, port: 0, logPredictions: file });
  const [header, ...data] = csvLines(MLP_CSV);
  const features = header.map((h, i) => [h, i] as const).filter(([h]) => h !== 'id');
  try {
    for (let i = 0; i < data.length; i += 20)
      await infer(
        server.url,
        data.slice(i, i + 20).map((fields) => features.map(([, c]) => Number(fields[c]))),
      );
  } finally {
    await server.close(1000);
  }
  assert.deepEqual(csvLines(file)[0], [...features.map(([h]) => h), 'logits_0', 'logits_1']);
  const drift = runCli(['drift', '--reference', MLP_CSV, '--current', file, '--ignore', 'id', '--json'], { env });
  assert.equal(drift.status, 0, drift.stderr);
  const report = JSON.parse(drift.stdout) as { tested: number; drifted: number; dataset_drift: boolean };
  assert.equal(report.tested, 30);
  assert.equal(report.drifted, 0);
  assert.equal(report.dataset_drift, false);
});

test('the log flags without a log file are refused before anything loads', async () => {
  await assert.rejects(serve({ models: [MLP], port: 0, sampleRate: 0.5 }), {
    code: 'OPTION_INVALID',
    message: /`sampleRate` sets up the prediction log: give `logPredictions` too/,
  });
});

test('/invocations rows are logged with the columns the request gave, and counted under endpoint "invocations"', async () => {
  const file = path.join(tempDir(), 'live.csv');
  const server = await serve({ models: [MLP], port: 0, logPredictions: file });
  const [header, ...rows] = readFileSync(MLP_CSV, 'utf8')
    .trim()
    .split('\n')
    .slice(0, 4)
    .map((l) => l.split(','));
  const features = header.filter((h) => h !== 'id');
  let predictions: Array<Record<string, number>>;
  let metrics: string;
  try {
    const res = await fetch(`${server.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        dataframe_split: {
          columns: features,
          data: rows.map((r) => r.slice(header.length - features.length).map(Number)),
        },
      }),
    });
    assert.equal(res.status, 200);
    predictions = ((await res.json()) as { predictions: Array<Record<string, number>> }).predictions;
    metrics = await (await fetch(`${server.url}/metrics`)).text();
  } finally {
    await server.close(1000);
  }
  const logged = csvLines(file);
  assert.deepEqual(logged[0], [...features, 'logits_0', 'logits_1']);
  assert.equal(logged.length, 1 + rows.length);
  logged.slice(1).forEach((line, i) => {
    assert.deepEqual(line.slice(features.length).map(Number), [predictions[i].logits_0, predictions[i].logits_1]);
  });
  assert.match(metrics, /mlops_serve_request_duration_seconds_count\{[^}]*endpoint="invocations"[^}]*\} 1/);
});
