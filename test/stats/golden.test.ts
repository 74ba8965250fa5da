import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ks2samp, type Alternative, type KsMethod } from '../../src/stats/ks.js';
import { chi2Contingency } from '../../src/stats/chi2.js';
import { fixture } from '../helpers.js';

interface SampleSpec {
  n: number;
  offset: number;
  scale: number;
  shift: number;
  ties: number;
}

/** The generator of fixtures/make/make_ks_golden.py: the same doubles as numpy. */
function sample(s: SampleSpec): Float64Array {
  const out = new Float64Array(s.n);
  for (let i = 0; i < s.n; i++) {
    const u = (((i + s.offset) * 2654435761) % 4294967291) / 4294967291;
    out[i] = s.ties ? Math.floor(u * s.ties) : u * s.scale + s.shift;
  }
  return out;
}

/** scipy's NaN (n1 = n2 = 1 asymptotic: kstwo with n = round(0.5) = 0) is stored as null. */
function close(actual: number, expected: number | null): boolean {
  if (expected === null) return Number.isNaN(actual);
  return (
    actual === expected ||
    Math.abs(actual - expected) <= 1e-12 ||
    Math.abs(actual - expected) / Math.abs(expected) <= 1e-6
  );
}

test('KS statistic and p-value match scipy.stats.ks_2samp on every golden case', () => {
  const golden = JSON.parse(readFileSync(fixture('golden', 'ks.json'), 'utf8')) as {
    cases: Array<{
      x: SampleSpec;
      y: SampleSpec;
      alternative: Alternative;
      method: KsMethod;
      statistic: number;
      pvalue: number | null;
    }>;
  };
  const cache = new Map<string, Float64Array>();
  const get = (s: SampleSpec) => {
    const key = JSON.stringify(s);
    if (!cache.has(key)) cache.set(key, sample(s));
    return cache.get(key)!;
  };
  let checked = 0;
  for (const c of golden.cases) {
    const r = ks2samp(get(c.x), get(c.y), c.alternative, c.method);
    const label = `n=${c.x.n}/${c.y.n} ties=${c.x.ties} shift=${c.y.shift} ${c.alternative} ${c.method}`;
    assert.ok(r.statistic === c.statistic, `${label}: statistic ${r.statistic} vs scipy ${c.statistic}`); // === : scipy may give -0
    assert.ok(close(r.pvalue, c.pvalue), `${label}: p ${r.pvalue} vs scipy ${c.pvalue} (${r.method})`);
    checked++;
  }
  assert.ok(checked > 500);
});

test('chi-square contingency matches scipy.stats.chi2_contingency (with and without Yates on 2x2)', () => {
  const golden = JSON.parse(readFileSync(fixture('golden', 'chi2.json'), 'utf8')) as {
    cases: Array<{ table: number[][]; correction: boolean; statistic: number; pvalue: number; dof: number }>;
  };
  for (const c of golden.cases) {
    const r = chi2Contingency(c.table, c.correction);
    assert.equal(r.dof, c.dof);
    assert.ok(
      close(r.statistic, c.statistic),
      `${JSON.stringify(c.table)}: statistic ${r.statistic} vs ${c.statistic}`,
    );
    assert.ok(
      close(r.pvalue, c.pvalue),
      `${JSON.stringify(c.table)} correction=${c.correction}: p ${r.pvalue} vs ${c.pvalue}`,
    );
  }
});
