import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { detectDrift } from '../../src/drift/index.js';
import { correctPValues, numericPsi, psiFromCounts, wassersteinSorted } from '../../src/stats/effect-size.js';
import { fixture, runCli } from '../helpers.js';
import { tempDir } from '../registry/helpers.js';

const ref = fixture('data', 'drift', 'reference.csv');
const cur = fixture('data', 'drift', 'current.csv');
const expected = JSON.parse(readFileSync(fixture('data', 'drift', 'expected.json'), 'utf8'));
const near = (a: number, b: number) => a === b || Math.abs(a - b) <= 1e-12 || Math.abs(a - b) / Math.abs(b) <= 1e-6;

test('per-column tests on CSVs equal scipy (KS, chi2_contingency, Wasserstein) and the verdict follows', async () => {
  const r = await detectDrift({ reference: ref, current: cur, exclude: ['id'] });
  const col = (name: string) => r.columns.find((c) => c.column === name)!;
  for (const name of ['age', 'income', 'score']) {
    assert.equal(col(name).type, 'numerical');
    assert.equal(col(name).statistic, expected[name].statistic, name);
    assert.ok(
      near(col(name).pvalue!, expected[name].pvalue),
      `${name} p ${col(name).pvalue} vs ${expected[name].pvalue}`,
    );
    assert.ok(near(col(name).wasserstein_norm!, expected[name].wasserstein_norm), `${name} wasserstein`);
    assert.equal(col(name).method, 'exact');
  }
  for (const name of ['city', 'visits']) {
    assert.equal(col(name).type, 'categorical');
    assert.ok(near(col(name).statistic!, expected[name].statistic), name);
    assert.ok(near(col(name).pvalue!, expected[name].pvalue), name);
  }
  assert.match(col('visits').type_rule, /integers with 5 distinct values/);
  assert.deepEqual(col('city').unseen_categories, ['berlin']);
  assert.equal(col('age').reference_missing, 2);
  assert.equal(col('notes').status, 'skipped');
  assert.match(col('notes').reason!, /all values missing/);
  assert.deepEqual(
    r.columns
      .filter((c) => c.drifted)
      .map((c) => c.column)
      .sort(),
    ['city', 'income'],
  );
  assert.equal(r.dataset_drift, false, '2 of 6 < 50 %');
  const strict = await detectDrift({
    reference: ref,
    current: cur,
    exclude: ['id', 'constant', 'notes', 'visits'],
    driftShare: 0.3,
  });
  assert.equal(strict.dataset_drift, true);
  const effect = await detectDrift({ reference: ref, current: cur, exclude: ['id'], minEffect: 1 });
  assert.deepEqual(
    effect.columns.filter((c) => c.drifted).map((c) => c.column),
    ['city'],
    'income PSI 0.55 < 1',
  );
});

test('PSI, Wasserstein and corrections', () => {
  // PSI with an empty bin uses the 1e-4 share.
  assert.ok(
    Math.abs(
      psiFromCounts([50, 50, 0], [40, 40, 20]) -
        ((0.4 - 0.5) * Math.log(0.8) * 2 + (0.2 - 1e-4) * Math.log(0.2 / 1e-4)),
    ) < 1e-12,
  );
  const x = Float64Array.from({ length: 1000 }, (_, i) => i / 1000);
  assert.equal(numericPsi(x, x).psi, 0);
  assert.equal(numericPsi(x, x).edges.length, 9);
  assert.equal(wassersteinSorted(Float64Array.of(0, 1, 3), Float64Array.of(5, 6, 8)), 5);
  assert.deepEqual(correctPValues([0.01, 0.04, 0.03, 0.2], 'bonferroni'), [0.04, 0.16, 0.12, 0.8]);
  // Benjamini-Hochberg, as scipy.stats.false_discovery_control: [0.04, 0.0533, 0.0533, 0.2].
  const bh = correctPValues([0.01, 0.04, 0.03, 0.2], 'fdr');
  [0.04, 0.16 / 3, 0.16 / 3, 0.2].forEach((v, i) => assert.ok(Math.abs(bh[i] - v) < 1e-12));
});

test('bad input: missing file, missing column, non-numeric value in a numerical column', async () => {
  await assert.rejects(detectDrift({ reference: 'nope.csv', current: cur }), {
    code: 'CSV_NOT_FOUND',
    message: /nope\.csv does not exist/,
  });
  await assert.rejects(detectDrift({ reference: ref, current: cur, columns: ['age', 'height'] }), {
    code: 'CSV_COLUMNS_MISSING',
  });
  const dir = tempDir('mlops-drift-');
  const bad = path.join(dir, 'bad.csv');
  writeFileSync(bad, 'a,b\n1.5,x\n2.25,y\n3.75,z\n');
  const good = path.join(dir, 'good.csv');
  writeFileSync(good, 'a,b\n1.5,x\n2.5,y\nabc,z\n');
  await assert.rejects(detectDrift({ reference: bad, current: good }), {
    code: 'CSV_BAD_VALUE',
    message: /good\.csv:4: column "a": "abc" is not a number/,
  });
  const onlyRef = path.join(dir, 'other.csv');
  writeFileSync(onlyRef, 'a,c\n1,2\n2,3\n3,4\n');
  // Three rows: below the default minimum of values, so lower it to see the column rules.
  const r = await detectDrift({ reference: bad, current: onlyRef, minValues: 2 });
  // A feature the current data lost is drift (the run must not pass on the columns that are left).
  const lost = r.columns.find((c) => c.column === 'b')!;
  assert.match(lost.reason!, /other\.csv has no column "b": the feature is gone/);
  assert.deepEqual([lost.status, lost.drifted, lost.type], ['tested', true, 'categorical']);
  assert.equal(r.dataset_drift, true);
  assert.match(r.columns.find((c) => c.column === 'c')!.reason!, /only in the current data/);
});

test('CLI: exit 1 on dataset drift, --no-fail, --markdown, --json and a self-contained --html', () => {
  const dir = tempDir('mlops-drift-');
  const html = path.join(dir, 'report.html');
  const args = [
    'drift',
    '--reference',
    ref,
    '--current',
    cur,
    '--exclude',
    'id,constant,notes,visits',
    '--drift-share',
    '0.3',
  ];
  const r = runCli([...args, '--html', html]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /DATASET DRIFT/);
  assert.equal(runCli([...args, '--no-fail']).status, 0);
  const md = runCli([...args, '--markdown', '--no-fail']);
  assert.match(md.stdout, /^### Drift: 🔴 dataset drift/);
  assert.match(md.stdout, /\| income \| numerical \| ks \(exact\) \|/);
  const json = JSON.parse(runCli([...args, '--json', '--no-fail']).stdout);
  assert.equal(json.version, 1);
  assert.equal(json.dataset_drift, true);
  const page = readFileSync(html, 'utf8');
  assert.equal((page.match(/<svg class="chart"/g) ?? []).length, 4, 'one chart per tested column');
  assert.doesNotMatch(page, /<script|https?:\/\//, 'no scripts, no network');
  const missing = runCli(['drift', '--reference', ref, '--current', path.join(dir, 'nope.csv')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /error: .*nope\.csv does not exist/);
});

test('two files without a common column are an input error', async () => {
  await assert.rejects(detectDrift({ reference: fixture('data', 'mlp.csv'), current: fixture('data', 'iris.csv') }), {
    code: 'DRIFT_NO_COMMON_COLUMNS',
    exitCode: 2,
  });
});
