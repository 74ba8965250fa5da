/**
 * `predict-batch --input -` through the real CLI, stdin a pipe: CSV gives the
 * same output as the file; Parquet, a shard or --output-dir with stdin are
 * refused with exit 2 before anything is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, fixture, runCli, tempDir, withoutWarnings } from '../helpers.js';

function runWithStdin(args: string[], input: Buffer | string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'mlops'), ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...env },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const MODEL = fixture('models', 'mlp.onnx');
const DATA = fixture('data', 'mlp.csv');

test('CSV on stdin gives the same predictions as the file, to a file and to stdout', () => {
  const dir = tempDir('mlops-stdin-cli-');
  const fromFile = path.join(dir, 'file.csv');
  const fromStdin = path.join(dir, 'stdin.csv');
  const base = ['predict-batch', MODEL, '--keep', 'id'];
  const f = runCli([...base, '--input', DATA, '--output', fromFile]);
  assert.equal(f.status, 0, f.stderr);
  const s = runWithStdin([...base, '--input', '-', '--output', fromStdin, '--json'], readFileSync(DATA));
  assert.equal(s.status, 0, s.stderr);
  assert.equal(readFileSync(fromStdin, 'utf8'), readFileSync(fromFile, 'utf8'));
  const doc = JSON.parse(s.stdout);
  assert.equal(doc.rows_written, 200);
  assert.equal(doc.files[0].input, 'stdin');
  assert.match(withoutWarnings(s.stderr), /-> .*stdin\.csv\n$/);
  const piped = runWithStdin([...base, '--input', '-', '--output', '-'], readFileSync(DATA));
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(piped.stdout, readFileSync(fromFile, 'utf8'));
});

test('a bad row on stdin names stdin and its line, exit 2, no output', () => {
  const dir = tempDir('mlops-stdin-cli-');
  const out = path.join(dir, 'out.csv');
  const r = runWithStdin(
    ['predict-batch', fixture('models', 'iris-zipmap.onnx'), '--input', '-', '--output', out],
    'a,b,c,d\n1,2,3,4\n1,abc,3,4\n',
  );
  assert.equal(r.status, 2);
  assert.match(withoutWarnings(r.stderr), /^error: stdin:3: column "b": "abc" is not a number\n/);
  assert.equal(existsSync(out), false);
});

test('Parquet on stdin is refused: PARQUET_NOT_SEEKABLE, exit 2, with the hint to save it to a file', () => {
  const dir = tempDir('mlops-stdin-cli-');
  const out = path.join(dir, 'out.csv');
  // A Parquet file's first bytes; the refusal comes before any more is read.
  const parquet = Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(4096, 0x15)]);
  const r = runWithStdin(['predict-batch', MODEL, '--input', '-', '--output', out, '--json'], parquet);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error: stdin holds Parquet, which cannot be read from a pipe/);
  assert.match(r.stderr, /hint: save it to a file first/);
  assert.equal(existsSync(out), false);
});

test('--shard (or an array-job index) and --output-dir with stdin are refused with exit 2', () => {
  const dir = tempDir('mlops-stdin-cli-');
  const input = readFileSync(DATA);
  const shard = runWithStdin(
    ['predict-batch', MODEL, '--input', '-', '--output', path.join(dir, 'o.csv'), '--shard', '0/2'],
    input,
  );
  assert.equal(shard.status, 2);
  assert.match(shard.stderr, /^error: stdin cannot be sharded \(shard 0\/2 from --shard\)/m);
  assert.match(shard.stderr, /hint: save the data to a file first and shard that, or drop --shard/);
  const job = runWithStdin(
    ['predict-batch', MODEL, '--input', '-', '--output', path.join(dir, 'o.csv'), '--shards', '2'],
    input,
    { JOB_COMPLETION_INDEX: '1' },
  );
  assert.equal(job.status, 2);
  assert.match(job.stderr, /stdin cannot be sharded \(shard 1\/2 from JOB_COMPLETION_INDEX\)/);
  assert.match(job.stderr, /unset JOB_COMPLETION_INDEX to read all of stdin/);
  const folder = runWithStdin(['predict-batch', MODEL, '--input', '-', '--output-dir', dir], input);
  assert.equal(folder.status, 2);
  assert.match(
    folder.stderr,
    /^error: stdin has no file name to write under --output-dir\nhint: name the output: --output/m,
  );
  assert.equal(existsSync(path.join(dir, 'o.csv')), false);
  assert.equal(existsSync(path.join(dir, '-')), false);
});

test('drift --current - reads CSV, or Parquet (spooled to a file), from stdin with the same report as the file', async () => {
  const ref = fixture('data', 'drift', 'reference.csv');
  const cur = fixture('data', 'drift', 'current.csv');
  const columns = (stdout: string) => JSON.parse(stdout).columns;
  const args = (current: string) => ['drift', '--reference', ref, '--current', current, '--ignore', 'id', '--json'];
  const fromFile = runCli(args(cur));
  assert.equal(fromFile.status, 0, fromFile.stderr); // 2 of 6 columns drift: below the dataset threshold
  const piped = runWithStdin(args('-'), readFileSync(cur));
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(JSON.parse(piped.stdout).current.path, '-'); // as given; messages say stdin
  assert.deepEqual(columns(piped.stdout), columns(fromFile.stdout));
  // Parquet written by DuckDB from the same CSV: piped, it is read from the copy as the file is.
  const parquet = path.join(tempDir('mlops-stdin-cli-'), 'current.parquet');
  const { duckdb, sqlString } = await import('../../src/table/parquet/duckdb.js');
  await (await duckdb()).run(
    `COPY (SELECT * FROM read_csv(${sqlString(cur)})) TO ${sqlString(parquet)} (FORMAT parquet, COMPRESSION snappy)`,
  );
  const parquetFile = runCli(args(parquet));
  assert.equal(parquetFile.status, 0, parquetFile.stderr);
  const parquetPiped = runWithStdin(args('-'), readFileSync(parquet));
  assert.equal(parquetPiped.status, 0, parquetPiped.stderr);
  assert.deepEqual(columns(parquetPiped.stdout), columns(parquetFile.stdout));
  const both = runWithStdin(['drift', '--reference', '-', '--current', '-'], readFileSync(cur));
  assert.equal(both.status, 2);
  assert.match(both.stderr, /error: the reference and the current data cannot both come from stdin/);
});
