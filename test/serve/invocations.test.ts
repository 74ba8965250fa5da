/**
 * MLflow-compatible `POST /invocations` over real HTTP on an ephemeral port of
 * 127.0.0.1: every request format answers exactly what predict-batch writes
 * for the same rows of the fixtures (column names and values), ZipMap
 * classifiers included; per-column models; the recorded feature list of a
 * registry version; the 415 and 400 cases; rows of concurrent requests
 * sharing batches still get their own answers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { predictBatch } from '../../src/predict/index.js';
import { serve, type ServeHandle } from '../../src/serve/index.js';
import { fixture, tempDir } from '../helpers.js';

interface Csv {
  header: string[];
  rows: string[][];
}

function readCsv(file: string): Csv {
  const [header, ...rows] = parse(readFileSync(file)) as string[][];
  return { header, rows };
}

function columns(csv: Csv, names: string[]): Csv {
  const at = names.map((n) => csv.header.indexOf(n));
  return { header: names, rows: csv.rows.map((r) => at.map((i) => r[i])) };
}

/** A CSV cell as a client would send it in JSON: numbers and booleans typed, text as text. */
function typed(text: string): number | boolean | string {
  if (text === 'true' || text === 'false') return text === 'true';
  return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
}

/** What predict-batch writes for `data` (keeping `keep`), as rows of {column: value} without the kept columns. */
async function predictBatchRecords(model: string, data: string, keep: string[]): Promise<Record<string, unknown>[]> {
  const out = path.join(tempDir(), 'preds.csv');
  await predictBatch({ model, inputs: [data], output: out, keep });
  const preds = readCsv(out);
  const names = preds.header.filter((h) => !keep.includes(h));
  return columns(preds, names).rows.map((r) => Object.fromEntries(names.map((n, i) => [n, typed(r[i])])));
}

async function invoke(url: string, body: unknown, contentType = 'application/json') {
  const res = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** The same rows in every format /invocations takes. */
function bodies(table: Csv): Array<[string, unknown, string?]> {
  const records = table.rows.map((r) => Object.fromEntries(table.header.map((h, i) => [h, typed(r[i])])));
  const csv = [table.header, ...table.rows].map((r) => r.join(',')).join('\n') + '\n';
  return [
    ['dataframe_split', { dataframe_split: { columns: table.header, data: table.rows.map((r) => r.map(typed)) } }],
    ['dataframe_records', { dataframe_records: records }],
    ['instances as records', { instances: records }],
    [
      'inputs by column',
      { inputs: Object.fromEntries(table.header.map((h, i) => [h, table.rows.map((r) => typed(r[i]))])) },
    ],
    ['text/csv', csv, 'text/csv'],
    ['params ignored', { dataframe_split: { columns: table.header, data: table.rows }, params: { k: 1 } }],
  ];
}

const MLP = fixture('models', 'mlp.onnx');
const servers: ServeHandle[] = [];
let mlp: ServeHandle;
before(async () => {
  mlp = await serve({ models: [MLP], port: 0, maxQueueDelayMs: 20 });
  servers.push(mlp);
});
after(() => Promise.all(servers.map((s) => s.close(1000))));

test('MLP: every format answers what predict-batch writes for mlp.csv, value by value', async () => {
  const want = await predictBatchRecords(MLP, fixture('data', 'mlp.csv'), ['id']);
  const data = readCsv(fixture('data', 'mlp.csv'));
  const features = columns(data, data.header.slice(1));
  const first = { header: features.header, rows: features.rows.slice(0, 50) };
  for (const [format, body, type] of bodies(first)) {
    const r = await invoke(mlp.url, body, type);
    assert.equal(r.status, 200, `${format}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(r.body.predictions, want.slice(0, 50), format);
    assert.equal(r.headers.get('x-mlops-model-name'), 'mlp');
    assert.match(r.headers.get('x-mlops-model-sha256') ?? '', /^[0-9a-f]{64}$/);
    assert.equal(r.headers.get('x-mlops-params-ignored'), format === 'params ignored' ? 'true' : null, format);
  }
  // Rows of the model's only input, as lists: instances, and inputs as a list or by input name.
  const rows = first.rows.map((r) => r.map(Number));
  for (const body of [{ instances: rows }, { inputs: rows }, { inputs: { input: rows } }]) {
    const r = await invoke(mlp.url, body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.predictions, want.slice(0, 50), Object.keys(body)[0]);
  }
});

test('ZipMap classifiers answer label and probability_<class> as predict-batch writes them', async () => {
  for (const model of ['iris-zipmap.onnx', 'iris-zipmap-strings.onnx']) {
    const file = fixture('models', model);
    const want = await predictBatchRecords(file, fixture('data', 'iris.csv'), ['species']);
    const handle = await serve({ models: [file], port: 0 });
    servers.push(handle);
    const data = readCsv(fixture('data', 'iris.csv'));
    const features = columns(
      data,
      data.header.filter((h) => h !== 'species'),
    );
    for (const [format, body, type] of bodies(features)) {
      const r = await invoke(handle.url, body, type);
      assert.equal(r.status, 200, `${model} ${format}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body.predictions, want, `${model} ${format}`);
    }
    assert.deepEqual(Object.keys(want[0]), [
      'label',
      ...(model.includes('strings') ? ['setosa', 'versicolor', 'virginica'] : [0, 1, 2]).map((c) => `probability_${c}`),
    ]);
  }
});

test('per-column models read each input from its column, with every cell type', async () => {
  const file = fixture('models', 'per-column.onnx');
  const want = await predictBatchRecords(file, fixture('data', 'per-column.csv'), ['id']);
  const handle = await serve({ models: [file], port: 0 });
  servers.push(handle);
  const data = readCsv(fixture('data', 'per-column.csv'));
  const features = columns(data, data.header.slice(1));
  for (const [format, body, type] of bodies(features)) {
    const r = await invoke(handle.url, body, type);
    assert.equal(r.status, 200, `${format}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(r.body.predictions, want, format);
  }
});

test('a registry version maps columns by its recorded feature list, and names itself in the headers', async () => {
  const registry = tempDir();
  const { registerModel, promote } = await import('../../src/release/index.js');
  const data = readCsv(fixture('data', 'mlp.csv'));
  await registerModel({ registry, name: 'fraud', file: MLP, features: data.header.slice(1) });
  await promote({ registry, ref: 'fraud@1', to: 'production' });
  const handle = await serve({ models: ['fraud@production', MLP], registry, port: 0 });
  servers.push(handle);
  const want = await predictBatchRecords(MLP, fixture('data', 'mlp.csv'), ['id']);
  // The id column is sent too, and the columns come reversed: the recorded list finds them by name.
  const reversed = columns(data, [...data.header].reverse());
  const r = await invoke(handle.url, {
    dataframe_split: { columns: reversed.header, data: reversed.rows.slice(0, 20).map((row) => row.map(Number)) },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.predictions, want.slice(0, 20));
  assert.equal(r.headers.get('x-mlops-model-name'), 'fraud');
  assert.equal(r.headers.get('x-mlops-model-version'), '1');
});

test('anything but JSON with exactly one known key, or CSV, is 415 naming what is allowed', async () => {
  const row = Array.from({ length: 30 }, () => 0.5);
  const cases: Array<[unknown, string]> = [
    [{ dataframe_split: { columns: ['a'], data: [[1]] } }, 'text/plain'],
    [{ instances: [row], inputs: [row] }, 'application/json'],
    [{ features: row }, 'application/json'],
    [{}, 'application/json'],
    [[row], 'application/json'],
  ];
  for (const [body, type] of cases) {
    const r = await invoke(mlp.url, body, type);
    assert.equal(r.status, 415, JSON.stringify(body));
    assert.match(String(r.body.error), /dataframe_split.*dataframe_records.*instances.*inputs/);
  }
  const none = await fetch(`${mlp.url}/invocations`, { method: 'POST', body: '{}' });
  assert.equal(none.status, 415);
  assert.equal((await fetch(`${mlp.url}/invocations`)).status, 405);
});

test('missing and wrong values are 400 naming row and column; wrong columns and shapes too', async () => {
  const data = readCsv(fixture('data', 'mlp.csv'));
  const header = data.header.slice(1);
  const rows = data.rows.slice(0, 3).map((r) => r.slice(1).map(Number) as unknown[]);
  const withCell = (row: number, col: number, value: unknown) =>
    rows.map((r, i) => (i === row ? r.map((v, j) => (j === col ? value : v)) : r));
  const cases: Array<[unknown, RegExp, string?]> = [
    [
      { dataframe_split: { columns: header, data: withCell(1, 3, null) } },
      /^row 2: column "f3": empty value is missing/,
    ],
    [
      { dataframe_split: { columns: header, data: withCell(2, 0, 'abc') } },
      /^row 3: column "f0": "abc" is not a number/,
    ],
    [{ dataframe_split: { columns: header, data: withCell(0, 5, { a: 1 }) } }, /^row 1: column "f5"/],
    [
      {
        dataframe_records: rows.map((r, i) =>
          Object.fromEntries(header.map((h, j) => [h, r[j]]).filter(([h]) => i !== 1 || h !== 'f7')),
        ),
      },
      /^row 2: column "f7": empty value is missing/,
    ],
    [`${header.join(',')}\n${rows[0].join(',')}\n1,2\n`, /^row 2 has 2 fields, the header has 30/, 'text/csv'],
    [
      `${header.join(',')}\n${rows[0].join(',').replace(/^[^,]*/, 'NA')}\n`,
      /^row 1: column "f0": "NA" is missing/,
      'text/csv',
    ],
    // With the id column the request has 31 numeric columns for 30 features, as predict-batch without --keep id.
    [
      { dataframe_split: { columns: data.header, data: data.rows.slice(0, 2).map((r) => r.map(Number)) } },
      /takes 30 features/,
    ],
    [{ instances: rows.map((r) => r.slice(1)) }, /input "input" has shape \[-1, 30\]; the request gives \[3, 29\]/],
    [{ instances: [rows[0], rows[1].slice(1)] }, /ragged/],
    [{ inputs: { nope: [rows[0]] } }, /no input "nope"/],
    [{ dataframe_split: { columns: header } }, /"dataframe_split" must be/],
    ['a,a\n1,2\n', /^the header: column name "a" appears more than once/, 'text/csv'],
    ['{"instances": [', /not JSON/],
  ];
  for (const [body, message, type] of cases) {
    const r = await invoke(mlp.url, body, type);
    assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(r.body)}`);
    assert.match(String(r.body.error), message);
  }
  const empty = await invoke(mlp.url, { dataframe_split: { columns: header, data: [] } });
  assert.deepEqual([empty.status, empty.body], [200, { predictions: [] }]);
});

test('concurrent requests share batches and each gets exactly its own rows back', async () => {
  const want = await predictBatchRecords(MLP, fixture('data', 'mlp.csv'), ['id']);
  const data = readCsv(fixture('data', 'mlp.csv'));
  const header = data.header.slice(1);
  const lines: Array<Record<string, unknown>> = [];
  const handle = await serve({ models: [MLP], port: 0, maxQueueDelayMs: 20, log: (l) => lines.push(l) });
  servers.push(handle);
  const answers = await Promise.all(
    data.rows
      .slice(0, 64)
      .map((r, i) =>
        invoke(handle.url, { dataframe_split: { columns: header, data: [r.slice(1).map(Number)] } }).then(
          (a) => [i, a] as const,
        ),
      ),
  );
  for (const [i, a] of answers) {
    assert.equal(a.status, 200);
    assert.deepEqual(a.body.predictions, [want[i]], `row ${i + 1}`);
  }
  const shared = lines.filter((l) => l.path === '/invocations' && Number(l.batch_rows) > 1);
  assert.ok(shared.length > 0, 'some requests shared a batch');
});

test('with a token, /invocations needs it (401 without), while /ping stays open', async () => {
  const handle = await serve({ models: [MLP], port: 0, token: 's3cret' });
  servers.push(handle);
  const row = Array.from({ length: 30 }, () => 0.25);
  const body = JSON.stringify({ instances: [row] });
  const headers = { 'content-type': 'application/json' };
  const denied = await fetch(`${handle.url}/invocations`, { method: 'POST', headers, body });
  assert.equal(denied.status, 401);
  const ok = await fetch(`${handle.url}/invocations`, {
    method: 'POST',
    headers: { ...headers, authorization: 'Bearer s3cret' },
    body,
  });
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { predictions: unknown[] }).predictions.length, 1);
  assert.equal((await fetch(`${handle.url}/ping`)).status, 200);
});
