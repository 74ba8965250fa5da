/** A checklist config that would gate nothing, or gate on nonsense, is a config error (exit 2) naming the path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { validateConfig } from '../../src/checklist/config.js';
import { fixture, runCli, tempDir } from '../helpers.js';

function rejects(config: unknown, message: RegExp): void {
  assert.throws(
    () => validateConfig(config, 'ci.yml'),
    (e: Error & { exitCode?: number }) => {
      assert.equal((e as { code?: string }).code, 'CHECKLIST_CONFIG');
      assert.match(e.message, message);
      assert.equal(e.exitCode, 2);
      return true;
    },
  );
}

const one = (check: Record<string, unknown>) => ({
  checks: [
    { id: 'a', type: 'model_valid' },
    { id: 'b', ...check },
  ],
});

test('an empty checklist is a config error naming the file and the key', () => {
  rejects({ checks: [] }, /^ci\.yml: checks: the list is empty/);
  rejects({ model: 'm.onnx', checks: null }, /^ci\.yml: checks: expected a list of checks/);
});

test('checks that could never fail are config errors', () => {
  rejects(
    one({ type: 'opset_range' }),
    /checks\[1\]: opset_range needs at least one of min_opset, max_opset, min_ir, max_ir/,
  );
  rejects(one({ type: 'registry_metadata', fields: [] }), /checks\[1\]\.fields: expected a non-empty list of strings/);
});

test('every numeric key is range-checked, with the path in the message', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [
      { type: 'latency', batch_size: 0, max_p95_ms: 10 },
      /checks\[1\]\.batch_size: expected a positive integer \(got 0\)/,
    ],
    [{ type: 'latency', batch_size: 2.5, max_p95_ms: 10 }, /checks\[1\]\.batch_size: expected a positive integer/],
    [{ type: 'latency', max_p95_ms: -1 }, /checks\[1\]\.max_p95_ms: expected a positive number \(got -1\)/],
    [{ type: 'latency', max_p95_ms: 10, iterations: 0 }, /checks\[1\]\.iterations: expected a positive integer/],
    [{ type: 'throughput', min_rows_per_s: 0 }, /checks\[1\]\.min_rows_per_s: expected a positive number/],
    [{ type: 'max_size_mb', max: 0 }, /checks\[1\]\.max: expected a positive number/],
    [{ type: 'max_age_days', max: -3 }, /checks\[1\]\.max: expected a number >= 0/],
    [{ type: 'parity', test_data: 'x', rtol: -0.1 }, /checks\[1\]\.rtol: expected a number >= 0/],
    [{ type: 'opset_range', min_opset: 0 }, /checks\[1\]\.min_opset: expected a positive integer/],
    [{ type: 'opset_range', min_opset: 18, max_opset: 13 }, /checks\[1\]: min_opset 18 is above max_opset 13/],
    [
      { type: 'quantization_agreement', candidate: 'c.onnx', data: 'd.csv', min_agreement: 1.5 },
      /checks\[1\]\.min_agreement: expected a number between 0 and 1/,
    ],
    [
      { type: 'drift', reference: 'r.csv', current: 'c.csv', alpha: 2 },
      /checks\[1\]\.alpha: expected a number between 0 and 1 \(exclusive\)/,
    ],
    [
      { type: 'drift', reference: 'r.csv', current: 'c.csv', max_share: 1.5 },
      /checks\[1\]\.max_share: expected a number between 0 and 1/,
    ],
    [
      { type: 'metric', data: 'd.csv', label: 'y', metric: 'auc', min: 1.2 },
      /checks\[1\]\.min: auc is between 0 and 1/,
    ],
    [{ type: 'metric', data: 'd.csv', label: 'y', metric: 'rmse', max: -1 }, /checks\[1\]\.max: rmse is >= 0/],
    [
      { type: 'metric', data: 'd.csv', label: 'y', metric: 'accuracy', min: 0.9, max: 0.8 },
      /checks\[1\]: min 0.9 is above max 0.8/,
    ],
  ];
  for (const [check, message] of cases) rejects(one(check), message);
  // Legitimate values still pass: a negative change allowed against a baseline, max_share 0, max age 0.
  assert.doesNotThrow(() =>
    validateConfig(
      one({
        type: 'metric',
        data: 'd.csv',
        label: 'y',
        metric: 'auc',
        baseline: 'b.onnx',
        min_absolute_change: -0.005,
      }),
      'ci.yml',
    ),
  );
  assert.doesNotThrow(() =>
    validateConfig(one({ type: 'drift', reference: 'r.csv', current: 'c.csv', max_share: 0 }), 'ci.yml'),
  );
  assert.doesNotThrow(() => validateConfig(one({ type: 'max_age_days', max: 0 }), 'ci.yml'));
});

test('a typo in a key is an error naming the key, not a gate silently turned off', () => {
  rejects(
    one({ type: 'latency', max_p95_ms: 10, batchsize: 8 }),
    /checks\[1\]\.batchsize: unknown field for latency \(fields: batch_size, max_p95_ms/,
  );
  rejects({ modle: 'x', checks: [{ id: 'a', type: 'model_valid' }] }, /ci\.yml: modle: unknown key/);
});

test('CLI: an empty checklist exits 2 and names the file', () => {
  const dir = tempDir('mlops-cl-config-');
  const empty = path.join(dir, 'empty.yml');
  writeFileSync(empty, 'checks: []\n');
  const r = runCli(['checklist', '--config', empty, '--model', fixture('models', 'mlp.onnx')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error: .*empty\.yml: checks: the list is empty/);
});

test('a name listed twice in a checklist list is a config error (it fed one feature twice: accuracy 0.85 instead of 0.97)', () => {
  const base = { id: 'm', type: 'metric', data: 'iris.csv', label: 'species', metric: 'accuracy', min: 0.9 };
  assert.throws(() => validateConfig({ checks: [{ ...base, features: ['sepal_length', 'sepal_length'] }] }, 'c.yml'), {
    code: 'CHECKLIST_CONFIG',
    message: /c\.yml: checks\[0\]\.features: "sepal_length" is listed twice/,
  });
  assert.throws(
    () =>
      validateConfig(
        { checks: [{ id: 'd', type: 'drift', reference: 'a.csv', current: 'b.csv', exclude: ['x', 'x'] }] },
        'c.yml',
      ),
    { code: 'CHECKLIST_CONFIG', message: /checks\[0\]\.exclude: "x" is listed twice/ },
  );
});
