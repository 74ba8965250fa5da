/** A checklist run that exits non-zero must say so in every format; a checklist that checks nothing must not pass. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { runChecklist, type ChecklistResult } from '../../src/checklist/index.js';
import { validateConfig } from '../../src/checklist/config.js';
import { renderChecklistJunit } from '../../src/report/checklist.js';
import { fixture, runCli, tempDir } from '../helpers.js';

const model = fixture('models', 'mlp.onnx');

interface Suite {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  cases: Array<Record<string, unknown>>;
}

function junit(r: ChecklistResult): Suite {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(renderChecklistJunit(r));
  const suite = doc.testsuites.testsuite;
  const cases = ([] as Array<Record<string, unknown>>).concat(suite.testcase ?? []);
  for (const key of ['tests', 'failures', 'errors', 'skipped'])
    assert.equal(doc.testsuites[key], suite[key], `testsuites.${key} agrees with testsuite.${key}`);
  const counted = {
    tests: cases.length,
    failures: cases.filter((c) => c.failure !== undefined).length,
    errors: cases.filter((c) => c.error !== undefined).length,
    skipped: cases.filter((c) => c.skipped !== undefined).length,
  };
  const declared = {
    tests: Number(suite.tests),
    failures: Number(suite.failures),
    errors: Number(suite.errors),
    skipped: Number(suite.skipped),
  };
  assert.deepEqual(declared, counted, 'the testsuite counts are those of its testcases');
  return { ...declared, cases };
}

async function run(
  checks: unknown[],
  failOn: 'error' | 'warn' = 'error',
  acks: string[] = [],
): Promise<ChecklistResult> {
  return runChecklist({ checklist: validateConfig({ checks }, 'inline'), model, failOn, acks });
}

test('JUnit: every check that makes the run fail is a failure or an error, and the counts agree', async () => {
  const pendingManual = await run([
    { id: 'valid', type: 'model_valid' },
    { id: 'review', type: 'manual', text: 'privacy review' },
  ]);
  assert.equal(pendingManual.passed, false);
  const suite = junit(pendingManual);
  assert.equal(suite.failures, 1, 'the pending error-level item fails the run, so JUnit must say so');
  assert.ok(suite.cases[1].failure, 'review is a <failure>');
  assert.match((suite.cases[1].failure as Record<string, string>).message, /pending.*--ack review/);

  // With --fail-on warn a warn-level failure fails the run: a failure in JUnit too.
  const warnings = [
    { id: 'valid', type: 'model_valid' },
    { id: 'size', type: 'max_size_mb', max: 0.01, severity: 'warn' },
  ];
  const lenient = await run(warnings, 'error');
  assert.equal(lenient.passed, true);
  assert.deepEqual([junit(lenient).failures, junit(lenient).skipped], [0, 1]);
  const strict = await run(warnings, 'warn');
  assert.equal(strict.passed, false);
  assert.deepEqual([junit(strict).failures, junit(strict).skipped], [1, 0]);

  // Acknowledged: passes, and JUnit is clean.
  const acked = await run(
    [
      { id: 'valid', type: 'model_valid' },
      { id: 'review', type: 'manual', text: 'privacy review' },
    ],
    'error',
    ['review'],
  );
  assert.equal(acked.passed, true);
  assert.deepEqual([junit(acked).failures, junit(acked).errors], [0, 0]);
});

test('a checklist in which no check passed does not pass, in the result and in JUnit', async () => {
  const r = await run([
    { id: 'size', type: 'max_size_mb', max: 0.01, severity: 'warn' },
    { id: 'review', type: 'manual', text: 'privacy review', severity: 'warn' },
  ]);
  assert.equal(r.passed, false);
  assert.match(r.reason ?? '', /no check passed/);
  const suite = junit(r);
  assert.equal(suite.failures, 1);
  assert.equal(suite.tests, 3, 'the two checks and the verdict');
});

test('the CLI exits 1 when JUnit says failures, and 0 only when it says none', () => {
  const dir = tempDir('mlops-cl-junit-');
  const config = path.join(dir, 'pending.yml');
  writeFileSync(
    config,
    'checks:\n  - id: valid\n    type: model_valid\n  - id: review\n    type: manual\n    text: privacy review\n',
  );
  const r = runCli(['checklist', '--config', config, '--model', model, '--format', 'junit']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /<testsuites [^>]*failures="1"/);
});

test('data checks on a CSV without data rows error instead of passing or failing on NaN', async () => {
  const dir = tempDir('mlops-cl-empty-');
  const emptyIris = path.join(dir, 'iris-header-only.csv');
  writeFileSync(emptyIris, 'sepal_length,sepal_width,petal_length,petal_width,species\n');
  const r = await runChecklist({
    checklist: validateConfig(
      { checks: [{ id: 'acc', type: 'metric', data: emptyIris, label: 'species', metric: 'accuracy', max: 1 }] },
      'inline',
    ),
    model: fixture('models', 'iris-zipmap.onnx'),
  });
  assert.deepEqual(
    r.checks.map((c) => c.status),
    ['error'],
  );
  assert.match(r.checks[0].message, /iris-header-only\.csv has no data rows/);
  assert.equal(r.passed, false);
});

test('bench and the latency check refuse an input CSV without data rows instead of timing garbage', async () => {
  const dir = tempDir('mlops-bench-empty-');
  const headerOnly = path.join(dir, 'mlp-header-only.csv');
  writeFileSync(headerOnly, `id,${Array.from({ length: 30 }, (_, i) => `f${i}`).join(',')}\n`);
  const cli = runCli([
    'bench',
    model,
    '--input',
    headerOnly,
    '--ignore',
    'id',
    '--batch-size',
    '2',
    '--iterations',
    '2',
  ]);
  assert.equal(cli.status, 2);
  assert.match(cli.stderr, /error: .*mlp-header-only\.csv has no data rows/);
  const r = await run([
    { id: 'valid', type: 'model_valid' },
    { id: 'lat', type: 'latency', max_p95_ms: 1000, input: headerOnly, iterations: 2 },
  ]);
  assert.equal(r.checks[1].status, 'error');
  assert.equal(r.passed, false);
});
