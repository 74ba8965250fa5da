import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { parse as parseYaml } from 'yaml';
import { runChecklist, type ChecklistResult } from '../../src/checklist/index.js';
import { validateConfig, type ChecklistConfig } from '../../src/checklist/config.js';
import { renderChecklistJunit, renderChecklistMarkdown } from '../../src/report/checklist.js';
import { accuracy, f1, rocAuc } from '../../src/stats/metrics.js';
import { showVersion } from '../../src/registry/index.js';
import { promote, registerModel } from '../../src/release/index.js';
import { fixture, runCli } from '../helpers.js';
import { tempDir } from '../registry/helpers.js';

type Check = Record<string, unknown>;

async function one(
  model: string,
  check: Check,
  extra: { registry?: string; acks?: string[] } = {},
): Promise<ChecklistResult['checks'][number]> {
  const checklist = validateConfig({ checks: [{ id: 'c', ...check }] }, 'inline');
  const r = await runChecklist({ checklist, model, ...extra });
  return r.checks[0];
}

const m = (name: string) => fixture('models', name);

test('every model and performance check passes and fails on the right fixtures', async () => {
  const cases: Array<[string, Check, string, Check?]> = [
    ['mlp.onnx', { type: 'model_valid' }, '../broken/nan-weights.onnx'],
    [
      'mlp.onnx',
      { type: 'parity', test_data: fixture('testdata', 'mlp') },
      'mlp.onnx',
      { type: 'parity', test_data: fixture('testdata', 'mlp-wrong') },
    ],
    ['mlp.onnx', { type: 'finite_weights' }, '../broken/nan-weights.onnx'],
    [
      'mlp.onnx',
      { type: 'opset_range', min_opset: 13, max_opset: 21, max_ir: 10 },
      'mlp.onnx',
      { type: 'opset_range', max_opset: 16 },
    ],
    ['mlp.onnx', { type: 'max_size_mb', max: 1 }, 'mlp.onnx', { type: 'max_size_mb', max: 0.1 }],
    ['mlp.onnx', { type: 'no_custom_domains' }, '../broken/custom-domain.onnx'],
    ['external-data/model.onnx', { type: 'external_data_inside' }, '../broken/external-escape/model.onnx'],
    [
      'mlp.onnx',
      { type: 'latency', batch_size: 8, max_p95_ms: 1000, iterations: 10 },
      'mlp.onnx',
      { type: 'latency', batch_size: 8, max_p95_ms: 1e-6, iterations: 10 },
    ],
    [
      'mlp.onnx',
      { type: 'throughput', batch_size: 64, min_rows_per_s: 1, iterations: 10 },
      'mlp.onnx',
      { type: 'throughput', batch_size: 64, min_rows_per_s: 1e12, iterations: 10 },
    ],
  ];
  for (const [good, check, bad, badCheck] of cases) {
    const pass = await one(m(good), check);
    assert.equal(pass.status, 'pass', `${check.type} on ${good}: ${pass.message}`);
    const fail = await one(m(bad), badCheck ?? check);
    assert.notEqual(fail.status, 'pass', `${check.type} on ${bad} should not pass`);
    assert.ok(fail.message.length > 0);
  }
});

test('quality, quantization and drift checks', async () => {
  const iris = { type: 'metric', data: fixture('data', 'iris.csv'), label: 'species', metric: 'accuracy' };
  const good = await one(m('iris-zipmap.onnx'), { ...iris, min: 0.9 });
  assert.equal(good.status, 'pass', good.message);
  assert.ok((good.value as number) > 0.9 && (good.value as number) <= 1);
  assert.equal((await one(m('iris-zipmap.onnx'), { ...iris, min: 0.999 })).status, 'fail');
  const baseline = { ...iris, baseline: m('iris-zipmap-strings.onnx') };
  assert.equal(
    (
      await one(m('iris-zipmap.onnx'), {
        ...baseline,
        metric: 'f1',
        baseline: m('iris-zipmap.onnx'),
        min_absolute_change: 0,
      })
    ).status,
    'pass',
  );
  const worse = await one(m('iris-zipmap.onnx'), {
    ...iris,
    baseline: m('iris-zipmap.onnx'),
    min_absolute_change: 0.05,
  });
  assert.equal(worse.status, 'fail');
  assert.match(worse.message, /better than the baseline's/);

  const q = {
    type: 'quantization_agreement',
    candidate: m('mlp.ort-int8.onnx'),
    data: fixture('data', 'mlp.csv'),
    ignore: ['id'],
  };
  const agree = await one(m('mlp.onnx'), { ...q, min_agreement: 0.95 });
  assert.equal(agree.status, 'pass', agree.message);
  // An agreement above 1 can never be met: a config error now, not a check that always fails.
  await assert.rejects(one(m('mlp.onnx'), { ...q, min_agreement: 1.01 }), {
    code: 'CHECKLIST_CONFIG',
    message: /checks\[0\]\.min_agreement: expected a number between 0 and 1/,
  });

  const drift = {
    type: 'drift',
    reference: fixture('data', 'drift', 'reference.csv'),
    current: fixture('data', 'drift', 'current.csv'),
    exclude: ['id'],
  };
  assert.equal((await one(m('mlp.onnx'), { ...drift, max_share: 0.5 })).status, 'pass');
  assert.equal((await one(m('mlp.onnx'), { ...drift, max_share: 0.2 })).status, 'fail');
  const missing = await one(m('mlp.onnx'), { ...drift, reference: 'nope.csv' });
  assert.equal(missing.status, 'error');
  assert.match(missing.message, /nope\.csv does not exist/);
});

test('metrics equal scikit-learn on small cases', () => {
  assert.ok(Math.abs(rocAuc(['0', '1', '1', '0', '1'], [0.1, 0.4, 0.4, 0.4, 0.9]) - 0.8333333333333333) < 1e-12);
  assert.ok(Math.abs(f1(['0', '1', '1', '0', '1'], ['0', '1', '0', '0', '1']) - 0.8) < 1e-12);
  assert.ok(Math.abs(f1(['a', 'b', 'c', 'a'], ['a', 'b', 'b', 'c']) - 0.4444444444444444) < 1e-12);
  assert.equal(accuracy(['a', 'b'], ['a', 'c']), 0.5);
});

test('registry and manual checks', async () => {
  const registry = tempDir('mlops-cl-');
  await registerModel({ registry, name: 'fraud', file: m('mlp.onnx'), description: 'first', tags: { owner: 'risk' } });
  await registerModel({ registry, name: 'fraud', file: m('mlp-dynamo.onnx'), description: 'second' });
  const meta = await one('fraud@1', { type: 'registry_metadata', fields: ['description', 'tags.owner'] }, { registry });
  assert.equal(meta.status, 'pass', meta.message);
  const noMetric = await one(
    'fraud@1',
    { type: 'registry_metadata', fields: ['description', 'metrics.auc'] },
    { registry },
  );
  assert.equal(noMetric.status, 'fail');
  assert.match(noMetric.message, /missing: metrics\.auc/);
  assert.equal(
    (await one('fraud@2', { type: 'rollback_available', alias: 'production' }, { registry })).status,
    'fail',
  );
  await promote({ registry, ref: 'fraud@1', to: 'production' });
  assert.equal(
    (await one('fraud@2', { type: 'rollback_available', alias: 'production' }, { registry })).status,
    'pass',
  );
  assert.equal((await one('fraud@2', { type: 'max_age_days', max: 1 }, { registry })).status, 'pass');
  assert.equal((await one('fraud@2', { type: 'max_age_days', max: 0 }, { registry })).status, 'fail');
  assert.equal((await one('fraud@2', { type: 'registry_sha256' }, { registry })).status, 'pass');
  const stored = (await showVersion({ registry, ref: 'fraud@2' })).path;
  chmodSync(stored, 0o644);
  writeFileSync(stored, Buffer.concat([readFileSync(stored), Buffer.from([0])]));
  const tampered = await one('fraud@2', { type: 'registry_sha256' }, { registry });
  assert.equal(tampered.status, 'error');
  assert.match(tampered.message, /does not match its recorded sha256/);
  assert.equal(
    (await one(m('mlp.onnx'), { type: 'max_age_days', max: 1 })).status,
    'error',
    'registry checks need a registry reference',
  );

  const manual = { type: 'manual', text: 'Privacy review signed off' };
  assert.equal((await one(m('mlp.onnx'), manual)).status, 'pending');
  const acked = await one(m('mlp.onnx'), manual, { acks: ['c'] });
  assert.equal(acked.status, 'pass');
  assert.ok(acked.acknowledged_by);
});

test('config errors name the path', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ checks: [{ id: 'a', type: 'max_size_mb', max: 'big' }] }, /checks\[0\]\.max: expected a positive number/],
    [{ checks: [{ id: 'a', type: 'frobnicate' }] }, /checks\[0\]\.type: expected one of model_valid, parity/],
    [{ checks: [{ id: 'a', type: 'latency' }] }, /checks\[0\]\.max_p95_ms: required for latency/],
    [
      {
        checks: [
          { id: 'a', type: 'model_valid' },
          { id: 'a', type: 'model_valid' },
        ],
      },
      /checks\[1\]\.id: "a" is used by another check/,
    ],
    [
      { checks: [{ id: 'a', type: 'model_valid', severity: 'fatal' }] },
      /checks\[0\]\.severity: expected "error" or "warn"/,
    ],
    [
      { checks: [{ id: 'a', type: 'max_size_mb', max: 1, maximum: 2 }] },
      /checks\[0\]\.maximum: unknown field for max_size_mb/,
    ],
    [
      { checks: [{ id: 'a', type: 'metric', data: 'x.csv', label: 'y', metric: 'precision', min: 1 }] },
      /checks\[0\]\.metric: expected one of accuracy/,
    ],
    [{ check: [] }, /check: unknown key/],
    [[], /\(top level\): expected a mapping/],
  ];
  for (const [config, message] of bad)
    assert.throws(
      () => validateConfig(config, 'mlops.checklist.yml'),
      (e: Error & { exitCode?: number }) => message.test(e.message) && e.exitCode === 2,
      String(message),
    );
});

test('JUnit report parses back with one testcase per check; Markdown summarises', async () => {
  const checklist: ChecklistConfig = validateConfig(
    {
      checks: [
        { id: 'valid', type: 'model_valid' },
        { id: 'small', type: 'max_size_mb', max: 0.1 },
        { id: 'big-warn', type: 'max_size_mb', max: 0.1, severity: 'warn' },
        { id: 'review <"&>', type: 'manual', text: 'sign off' },
        { id: 'missing', type: 'parity', test_data: '/nonexistent' },
      ],
    },
    'inline',
  );
  const r = await runChecklist({ checklist, model: m('mlp.onnx') });
  assert.equal(r.passed, false);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(renderChecklistJunit(r));
  const suite = doc.testsuites.testsuite;
  assert.equal(Number(suite.tests), 5);
  assert.equal(
    Number(suite.failures),
    2,
    'small fails; the pending error-level item fails the run, so it is a failure too',
  );
  assert.equal(Number(suite.errors), 1, 'missing could not run');
  assert.equal(Number(suite.skipped), 1, 'the warn-level failure');
  const cases = suite.testcase as Array<Record<string, unknown>>;
  assert.deepEqual(
    cases.map((c) => c.name),
    ['valid', 'small', 'big-warn', 'review <"&>', 'missing'],
  );
  assert.ok((cases[1].failure as Record<string, string>).message.includes('MB'));
  assert.ok(cases[4].error);
  const md = renderChecklistMarkdown(r);
  assert.match(md, /^### Deployment checklist: ❌ failed/);
  assert.match(md, /\| ⏳ \| review <"&> \| manual/);
});

test('CLI: exit codes, --format junit --output, init, and the promote gate recorded in history', () => {
  const dir = tempDir('mlops-cl-cli-');
  const registry = tempDir('mlops-cl-reg-');
  const env = { MLOPS_REGISTRY: registry };
  assert.equal(runCli(['registry', 'register', 'fraud', m('mlp.onnx'), '--description', 'v1'], { env }).status, 0);
  const failing = path.join(dir, 'failing.yml');
  writeFileSync(
    failing,
    'checks:\n  - id: valid\n    type: model_valid\n  - id: tiny\n    type: max_size_mb\n    max: 0.01\n',
  );
  const passing = path.join(dir, 'passing.yml');
  writeFileSync(
    passing,
    'checks:\n  - id: valid\n    type: model_valid\n  - id: meta\n    type: registry_metadata\n    fields: [description]\n',
  );
  const junit = path.join(dir, 'report.xml');
  const run = runCli(['checklist', '--config', failing, '--model', 'fraud@1', '--format', 'junit', '--output', junit], {
    env,
  });
  assert.equal(run.status, 1);
  assert.match(readFileSync(junit, 'utf8'), /<testcase classname="mlops.checklist.max_size_mb" name="tiny"/);
  assert.equal(runCli(['checklist', '--config', passing, '--model', 'fraud@1'], { env }).status, 0);
  const badConfig = path.join(dir, 'bad.yml');
  writeFileSync(badConfig, 'checks:\n  - id: x\n    type: max_size_mb\n    max: lots\n');
  const bad = runCli(['checklist', '--config', badConfig, '--model', 'fraud@1'], { env });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /bad\.yml: checks\[0\]\.max: expected a positive number/);
  const broken = path.join(dir, 'broken.yml');
  writeFileSync(broken, 'checks: [\n');
  assert.match(runCli(['checklist', '--config', broken, '--model', 'fraud@1'], { env }).stderr, /not valid YAML/);

  const refused = runCli(['registry', 'promote', 'fraud@1', '--to', 'production', '--checklist', failing], { env });
  assert.equal(refused.status, 1);
  assert.match(
    refused.stderr,
    /refusing to promote fraud@1 to production: checklist .*failing\.yml failed: tiny \(fail\)/,
  );
  assert.equal(
    runCli(['registry', 'promote', 'fraud@1', '--to', 'staging', '--checklist', passing], { env }).status,
    0,
  );
  assert.equal(
    runCli(
      ['registry', 'promote', 'fraud@1', '--to', 'production', '--checklist', failing, '--force', '--reason', 'hotfix'],
      { env },
    ).status,
    0,
  );
  const events = JSON.parse(runCli(['registry', 'history', 'fraud', '--json'], { env }).stdout).events;
  const staging = events.find((e: { alias?: string }) => e.alias === 'staging');
  assert.equal(staging.checklists[0].passed, true);
  const production = events.find((e: { alias?: string }) => e.alias === 'production');
  assert.equal(production.forced, true);
  assert.deepEqual(production.checklists[0].not_passed, ['tiny (fail)']);

  const init = path.join(dir, 'starter.yml');
  assert.equal(runCli(['checklist', 'init', '--output', init]).status, 0);
  assert.equal(runCli(['checklist', 'init', '--output', init]).status, 2, 'refuses to overwrite');
  assert.doesNotThrow(() => validateConfigFile(init));
});

function validateConfigFile(file: string): void {
  // The starter config must itself be a valid config.
  validateConfig(parseYaml(readFileSync(file, 'utf8')), file);
}
