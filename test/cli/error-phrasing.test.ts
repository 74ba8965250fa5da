/**
 * Library errors name options as code (`features`); the command line names
 * the flags the user typed (--features). One mapping (cli/option-flags.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, Option } from 'commander';
import { fixture, runCli, tempDir } from '../helpers.js';
import path from 'node:path';
import { checkQuantizeOptions } from '../../src/quantize/options.js';
import { checkThresholds } from '../../src/drift/rules.js';
import { predictBatch } from '../../src/predict/index.js';
import { writeFileSync, readFileSync } from 'node:fs';
import { featureListFor } from '../../src/registry/feature-list.js';
import { checkFeaturesAndIgnore } from '../../src/table/column-map.js';
import { MlopsError } from '../../src/util/errors.js';
import { phraseForCli } from '../../src/cli/option-flags.js';

function thrown(work: () => unknown): MlopsError {
  try {
    work();
  } catch (err) {
    assert.ok(err instanceof MlopsError, String(err));
    return err;
  }
  assert.fail('expected an MlopsError');
}

async function rejected(work: () => Promise<unknown>): Promise<MlopsError> {
  try {
    await work();
  } catch (err) {
    assert.ok(err instanceof MlopsError, String(err));
    return err;
  }
  assert.fail('expected an MlopsError');
}

const noFlags = (err: MlopsError) => {
  assert.doesNotMatch(err.message, /--[a-z]/, err.message);
  assert.doesNotMatch(err.hint ?? '', /--[a-z]/, err.hint);
};

test('quantize: the library names options, the CLI names the flags', () => {
  const err = thrown(() => checkFeaturesAndIgnore(['f0'], ['id', 'f0']));
  assert.equal(err.code, 'OPTIONS_CONFLICT');
  noFlags(err);
  assert.match(err.message, /column "f0" is given to both `features` and `ignore`/);

  const dir = tempDir('mlops-phrasing-');
  const cli = runCli([
    'quantize',
    fixture('models', 'mlp.onnx'),
    '--output',
    path.join(dir, 'o.onnx'),
    '--validate',
    fixture('data', 'mlp.csv'),
    '--features',
    'f0',
    '--ignore',
    'id,f0',
    '--json',
  ]);
  assert.equal(cli.status, 2);
  assert.match(cli.stderr, /error: validation data: column "f0" is given to both --features and --ignore/);
  assert.doesNotMatch(cli.stderr, /`/);
  const json = JSON.parse(cli.stdout);
  assert.equal(json.error.code, 'OPTIONS_CONFLICT');
  assert.match(json.error.message, /column "f0" is given to both --features and --ignore$/);
});

test('quantize: a library option whose flag has another name (exclude -> --exclude-nodes)', () => {
  const err = thrown(() => checkQuantizeOptions({ model: 'm.onnx', output: 'o.onnx', exclude: [] }));
  assert.equal(err.code, 'OPTION_INVALID');
  noFlags(err);
  const cli = runCli([
    'quantize',
    fixture('models', 'mlp.onnx'),
    '--output',
    path.join(tempDir('mlops-phrasing-'), 'o.onnx'),
    '--validation-rows',
    '5',
  ]);
  assert.equal(cli.status, 2);
  assert.match(
    cli.stderr,
    /error: --validation-rows applies with --validate\nhint: add --validate data.csv, or drop --validation-rows/,
  );
});

test('registry: feature-list errors name options in the library and flags on the command line', async () => {
  const signature = { inputs: [{ name: 'x', kind: 'tensor', type: 'float32', shape: ['N', 2] }], outputs: [] } as never;
  const err = await rejected(() => featureListFor({ ignore: ['id'] }, signature, 'm.onnx'));
  assert.equal(err.code, 'OPTIONS_CONFLICT');
  noFlags(err);
  const both = await rejected(() =>
    featureListFor({ features: ['a', 'b'], tags: { features: 'a,b' } }, signature, 'm.onnx'),
  );
  noFlags(both);

  const registry = tempDir('mlops-phrasing-reg-');
  const cli = runCli([
    'registry',
    'register',
    'mlp',
    fixture('models', 'mlp.onnx'),
    '--ignore',
    'id',
    '--registry',
    registry,
  ]);
  assert.equal(cli.status, 2, cli.stderr);
  assert.match(cli.stderr, /error: --ignore only applies to --features-from/);
  const tagged = runCli([
    'registry',
    'register',
    'mlp',
    fixture('models', 'mlp.onnx'),
    '--features',
    'a,b',
    '--tag',
    'features=a,b',
    '--registry',
    registry,
  ]);
  assert.match(tagged.stderr, /error: --features and --tag features=\.\.\. both name the features/);
});

test('drift: the thresholds check names options; drift names its flags (columns -> --features)', () => {
  const err = thrown(() => checkThresholds({ columns: ['a'], exclude: ['a'] }));
  assert.equal(err.code, 'OPTIONS_CONFLICT');
  noFlags(err);
  assert.match(err.message, /given to both `features` and `ignore`/);
});

test('predict-batch: a missing value names `allowMissing` in the library, --allow-missing on the command line, neither in the rejects file', async () => {
  const dir = tempDir('mlops-phrasing-predict-');
  const input = path.join(dir, 'bad.csv');
  writeFileSync(
    input,
    'sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,0\n5.0,,1.4,0.2,0\n',
  );
  const model = fixture('models', 'iris-zipmap.onnx');
  const err = await rejected(() =>
    predictBatch({ model, inputs: [input], output: path.join(dir, 'o.csv'), ignore: ['species'] }),
  );
  assert.equal(err.code, 'CSV_BAD_ROW');
  noFlags(err);
  assert.match(err.message, /bad\.csv:3: column "sepal_width": empty value is missing$/);
  assert.match(
    err.hint ?? '',
    /pass `allowMissing` to feed missing values as NaN, or set bad rows aside with `onError` skip/,
  );

  const cli = runCli([
    'predict-batch',
    model,
    '--input',
    input,
    '--output',
    path.join(dir, 'o.csv'),
    '--ignore',
    'species',
  ]);
  assert.equal(cli.status, 2);
  assert.match(
    cli.stderr,
    /error: .*bad\.csv:3: column "sepal_width": empty value is missing\nhint: fill it in, pass --allow-missing to feed missing values as NaN, or set bad rows aside with --on-error skip and --rejects rejects\.csv\n/,
  );

  // The rejects file is read by CLI users and library callers alike: the remedy in plain words.
  const rejects = path.join(dir, 'rejects.csv');
  const skipped = runCli([
    'predict-batch',
    model,
    '--input',
    input,
    '--output',
    path.join(dir, 'o.csv'),
    '--ignore',
    'species',
    '--on-error',
    'skip',
    '--rejects',
    rejects,
  ]);
  assert.equal(skipped.status, 0, skipped.stderr);
  const reason = readFileSync(rejects, 'utf8').split('\n')[1];
  assert.match(reason, /empty value is missing \(allow missing values to feed it as NaN\)/);
  assert.doesNotMatch(reason, /--|`/);

  const usage = runCli(['predict-batch', model, '--input', input, '--output', 'o.csv', '--output-dir', dir]);
  assert.match(usage.stderr, /^error: --output and --output-dir are exclusive$/m);
  const library = await rejected(() => predictBatch({ model, inputs: [input], output: 'o.csv', outputDir: dir }));
  assert.equal(library.code, 'OPTIONS_CONFLICT');
  noFlags(library);
});

test('phraseForCli maps the options a command declares, skips hidden old spellings and leaves unknown names', () => {
  const cmd = new Command('predict-batch')
    .option('--allow-missing', 'x')
    .option('--batch-size <n>', 'x')
    .addOption(new Option('--batch <n>').hideHelp());
  assert.equal(phraseForCli('pass `allowMissing` to feed NaN', cmd), 'pass --allow-missing to feed NaN');
  assert.equal(
    phraseForCli('`batchSize` must be >= 1; `batch` too; `nothing` here', cmd),
    '--batch-size must be >= 1; `batch` too; `nothing` here',
  );
  assert.equal(phraseForCli('run `mlops check` first', cmd), 'run `mlops check` first');
  assert.equal(phraseForCli('`inputs` and `tags.features`', cmd), '--input and --tag features=...');
});
