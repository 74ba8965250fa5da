/**
 * Flag parsing tested apart from the work, as the GitHub CLI does: parse a command line and look at
 * the options object the command would pass to its library function, without running it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/cli.js';
import { captureOptions } from '../../src/cli/shape.js';
import { isMlopsError } from '../../src/util/errors.js';
import { fixture } from '../helpers.js';

const capture = (args: string[]) => captureOptions(buildProgram(), args);
const model = fixture('models', 'mlp.onnx');
const data = fixture('data', 'mlp.csv');

/** The options without the injected checklist runner and callbacks, for deepEqual. */
function data_(options: unknown): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(options as object).filter(([k, v]) => typeof v !== 'function' && k !== 'checklists'),
  );
}

test('predict-batch: flags become PredictBatchOptions (inputs expanded, shard parsed, defaults from the declarations)', async () => {
  const { options, format } = await capture([
    'predict-batch',
    'fraud@production',
    '--input',
    data,
    '--output',
    'p.csv',
    '--batch-size',
    '512',
    '--ignore',
    'id',
    '--keep',
    'id,f0',
    '--on-error',
    'skip',
    '--max-rejects',
    '3',
    '--shard',
    '1/4',
    '--registry',
    'r',
  ]);
  assert.equal(format, 'table');
  assert.deepEqual(data_(options), {
    model: 'fraud@production',
    inputs: [data],
    output: 'p.csv',
    batchSize: 512,
    ignore: ['id'],
    keep: ['id', 'f0'],
    onError: 'skip',
    maxRejects: 3,
    registry: 'r',
    shard: { index: 1, count: 4, source: '--shard' },
  });
  // Defaults: only what the declarations default (on-error fail); nothing else invented.
  assert.deepEqual(data_((await capture(['predict-batch', model, '--input', data, '--json'])).options), {
    model,
    inputs: [data],
    onError: 'fail',
    shard: undefined,
  });
});

test('predict-batch: --json with --output - is refused before anything runs', async () => {
  await assert.rejects(
    capture(['predict-batch', model, '--input', data, '--output', '-', '--format', 'json']),
    (err: unknown) =>
      isMlopsError(err) && err.code === 'OPTIONS_CONFLICT' && /predictions cannot go there too/.test(err.message),
  );
});

test("drift: --features/--ignore fill the library's columns/exclude; old spellings too, not both", async () => {
  const base = ['drift', '--reference', 'ref.csv', '--current', 'cur.csv'];
  const { options, format } = await capture([
    ...base,
    '--features',
    'a,b',
    '--ignore',
    'id',
    '--alpha',
    '0.01',
    '--correction',
    'fdr',
    '--markdown',
  ]);
  assert.equal(format, 'markdown');
  assert.deepEqual(options, {
    reference: 'ref.csv',
    current: 'cur.csv',
    columns: ['a', 'b'],
    exclude: ['id'],
    alternative: 'two-sided',
    method: 'auto',
    alpha: 0.01,
    correction: 'fdr',
    effectMetric: 'psi',
    driftShare: 0.5,
    minValues: 30,
  });
  const old = await capture([...base, '--columns', 'a,b', '--exclude', 'id', '--markdown']);
  assert.deepEqual(old.options, { ...(options as object), alpha: 0.05, correction: 'none' });
  await assert.rejects(
    capture([...base, '--ignore', 'id', '--exclude', 'id']),
    /--ignore and --exclude are the same flag/,
  );
  await assert.rejects(
    capture([...base, '--alpha', '1']),
    (err: unknown) => err instanceof CommanderError && /--alpha <a>.*must be between 0 and 1/.test(err.message),
  );
  await assert.rejects(
    capture([...base, '--html', '-', '--json']),
    /--html - prints the HTML report on stdout, so the JSON report cannot go there too/,
  );
  assert.equal(
    (await capture([...base, '--html', '-'])).format,
    'table',
    '--html - alone prints HTML in place of the table',
  );
});

test('checklist: flags become ChecklistOptions (--ack repeatable into acks, --fail-on into failOn)', async () => {
  const { options, format } = await capture([
    'checklist',
    '--config',
    'c.yml',
    '--model',
    'fraud@7',
    '--ack',
    'privacy',
    '--ack',
    'legal',
    '--fail-on',
    'warn',
    '--format',
    'junit',
  ]);
  assert.equal(format, 'junit');
  assert.deepEqual(options, { config: 'c.yml', model: 'fraud@7', acks: ['privacy', 'legal'], failOn: 'warn' });
  assert.deepEqual((await capture(['checklist'])).options, { config: 'mlops.checklist.yml', failOn: 'error' });
  await assert.rejects(
    capture(['checklist', '--fail-on', 'info']),
    (err: unknown) => err instanceof CommanderError && err.exitCode !== 0,
  );
});

test("registry promote: flags become the release library's PromoteModelOptions (the library runs the checklist gate itself)", async () => {
  const { options, format } = await capture([
    'registry',
    'promote',
    'fraud@3',
    '--to',
    'production',
    '--require',
    'staging',
    '--checklist',
    'c.yml',
    '--ack',
    'a',
    '--force',
    '--reason',
    'ok',
    '--registry',
    'r',
    '--json',
  ]);
  assert.equal(format, 'json');
  assert.deepEqual(data_(options), {
    ref: 'fraud@3',
    to: 'production',
    require: 'staging',
    checklist: 'c.yml',
    acks: ['a'],
    force: true,
    reason: 'ok',
    registry: 'r',
  });
  await assert.rejects(
    capture(['registry', 'promote', 'fraud@3']),
    (err: unknown) => err instanceof CommanderError && /--to <alias>/.test(err.message),
  );
});

test('check, quantize, bench, inspect: each flag lands on its library option, old spellings included', async () => {
  assert.deepEqual((await capture(['check', model, '--dim', 'batch=8', '--batch', '5', '--rtol', '0.1'])).options, {
    model,
    rtol: 0.1,
    atol: 1e-5,
    dims: { batch: 8 },
    batchSize: 5,
  });
  assert.deepEqual(
    (await capture(['quantize', model, '--output', 'q.onnx', '--exclude', 'n1', '--per-channel'])).options,
    { model, output: 'q.onnx', mode: 'dynamic', exclude: ['n1'], perChannel: true },
  );
  assert.deepEqual((await capture(['bench', model, '--batch-size', '1,8', '--duration', '2'])).options, {
    model,
    batchSizes: [1, 8],
    warmup: 5,
    iterations: 50,
    duration: 2,
  });
  assert.deepEqual((await capture(['inspect', model, '--format', 'json'])).options, { model });
});
