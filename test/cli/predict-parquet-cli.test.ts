import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fixture, runCli } from '../helpers.js';
import { tempDir } from '../registry/helpers.js';

const parquet = (name: string) => fixture('data', 'predict-parquet', `${name}.parquet`);

test('predict-batch on Parquet: --shard gives row ranges in --json, --progress counts rows, --input-format is checked', () => {
  const dir = tempDir('mlops-cli-pq-');
  const model = fixture('models', 'mlp.onnx');
  const out = path.join(dir, 'preds.csv');
  const r = runCli(
    ['predict-batch', model, '--input', parquet('mlp'), '--output', out, '--keep', 'id', '--shard', '1/3'].concat([
      '--input-format',
      'parquet',
      '--progress',
      '--json',
    ]),
  );
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.files[0].shard, { index: 1, count: 3, source: '--shard', row_start: 50, row_end: 100 });
  assert.equal(doc.rows_written, 50);
  assert.match(r.stderr, /mlp\.parquet: [\d.]+% [\d,]+\/50 rows, /);

  const csv = runCli(['predict-batch', model, '--input', parquet('mlp'), '--output', out, '--input-format', 'csv']);
  assert.equal(csv.status, 2);
  assert.match(csv.stderr, /is a Parquet file, not CSV\nhint: drop --input-format csv/);
});

test('predict-batch on Parquet: a bad row is named by its row number; a nested column kept is refused', () => {
  const dir = tempDir('mlops-cli-pq-');
  const model = fixture('models', 'mlp.onnx');
  const out = path.join(dir, 'preds.csv');
  const bad = runCli(['predict-batch', model, '--input', parquet('mlp-bad'), '--output', out, '--ignore', 'id']);
  assert.equal(bad.status, 2);
  assert.match(
    bad.stderr,
    /error: .*mlp-bad\.parquet: row 3: column "f2": empty value is missing\nhint: .*--allow-missing/,
  );
  const nested = runCli(['predict-batch', model, '--input', parquet('mlp-bad'), '--output', out, '--keep', 'id,tags']);
  assert.equal(nested.status, 2);
  assert.match(
    nested.stderr,
    /column "tags" is BIGINT\[\], a nested column, which cannot be copied to the output\nhint: drop "tags" from --keep/,
  );
});
