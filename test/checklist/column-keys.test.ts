/** The checklist's table checks take `features` and `ignore` as YAML keys, like the command-line flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecklist } from '../../src/checklist/index.js';
import { validateConfig } from '../../src/checklist/config.js';
import { fixture } from '../helpers.js';

const model = fixture('models', 'mlp.onnx');
// An id column and the model's 30 features: `bench --ignore id` runs on it.
const data = fixture('data', 'mlp.csv');
const featureNames = Array.from({ length: 30 }, (_, i) => `f${i}`);

async function one(check: Record<string, unknown>) {
  const checklist = validateConfig({ checks: [{ id: 'c', ...check }] }, 'inline');
  return (await runChecklist({ checklist, model })).checks[0];
}

test('latency and throughput read an input CSV with an id column through ignore or features', async () => {
  const latency = { type: 'latency', batch_size: 4, max_p95_ms: 1000, iterations: 2, input: data };
  const throughput = { type: 'throughput', batch_size: 4, min_rows_per_s: 1, iterations: 2, input: data };
  for (const check of [latency, throughput]) {
    const plain = await one(check);
    assert.equal(plain.status, 'error', 'without ignore the id column is a 31st feature');
    assert.match(plain.message, /31 numeric columns/);
    const ignored = await one({ ...check, ignore: ['id'] });
    assert.equal(ignored.status, 'pass', `${check.type} with ignore: ${ignored.message}`);
    const chosen = await one({ ...check, features: featureNames });
    assert.equal(chosen.status, 'pass', `${check.type} with features: ${chosen.message}`);
  }
});

test('drift compares only the columns listed in features', async () => {
  const drift = {
    type: 'drift',
    reference: fixture('data', 'drift', 'reference.csv'),
    current: fixture('data', 'drift', 'current.csv'),
  };
  const two = await one({ ...drift, features: ['age', 'income'] });
  assert.match(two.message, / of 2 columns drifted/);
  const all = await one({ ...drift, ignore: ['id'] });
  assert.doesNotMatch(all.message, / of 2 columns drifted/);
});

test('features and ignore are validated in every check that takes them, naming the path', () => {
  for (const check of [
    { type: 'latency', max_p95_ms: 10 },
    { type: 'throughput', min_rows_per_s: 10 },
    { type: 'drift', reference: 'r.csv', current: 'c.csv' },
  ]) {
    for (const key of ['features', 'ignore']) {
      assert.throws(() => validateConfig({ checks: [{ id: 'c', ...check, [key]: 'id' }] }, 'c.yml'), {
        code: 'CHECKLIST_CONFIG',
        message: new RegExp(`c\\.yml: checks\\[0\\]\\.${key}: expected a list of strings`),
      });
      assert.throws(() => validateConfig({ checks: [{ id: 'c', ...check, [key]: ['a', 'a'] }] }, 'c.yml'), {
        message: new RegExp(`checks\\[0\\]\\.${key}: "a" is listed twice`),
      });
    }
  }
});
