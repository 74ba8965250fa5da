/**
 * A tampered version (one byte of its stored bytes changed outside mlops: the
 * folder store's file, the database's chunk) is caught the same way on both
 * stores: verify exits 1 naming it, every use of it exits 2, the other
 * versions work on. Outputs are compared as in scenario.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fixture, tempDir } from '../helpers.js';
import { runScenario, type Step } from './compare.js';
import { openStoreUnderTest, tamperVersion } from './stores.js';

test('a tampered version: the same verify report, the same refusals, on both stores', {
  timeout: 300_000,
}, async () => {
  const work = tempDir('mlops-conf-damage-');
  const csv = fixture('data', 'mlp.csv');
  const out = path.join(work, 'p.csv');
  const steps: Step[] = [
    { args: ['registry', 'verify'], status: 1 },
    { args: ['registry', 'verify', '--json'], status: 1 },
    { args: ['registry', 'verify', 'fraud'], status: 1 },
    { args: ['registry', 'verify', 'churn'], status: 0 },
    { args: ['registry', 'list', 'fraud'], status: 0 },
    { args: ['registry', 'path', 'fraud@production'], status: 2 },
    { args: ['registry', 'path', 'fraud@production', '--json'], status: 2 },
    { args: ['check', 'fraud@1'], status: 2 },
    { args: ['predict-batch', 'fraud@production', '--input', csv, '--ignore', 'id', '--output', out], status: 2 },
    { args: ['registry', 'path', 'fraud@2'], status: 0 },
    { args: ['registry', 'path', 'churn'], status: 0 },
  ];
  const stores = [await openStoreUnderTest('folder'), await openStoreUnderTest('postgres')];
  const outcomes = await Promise.all(
    stores.map(async (store) => {
      for (const args of [
        ['registry', 'register', 'fraud', fixture('models', 'mlp.onnx'), '--alias', 'production'],
        ['registry', 'register', 'fraud', fixture('models', 'mlp-dynamo.onnx')],
        ['registry', 'register', 'churn', fixture('models', 'cnn.onnx')],
      ]) {
        const r = await store.cliAsync(args);
        assert.equal(r.status, 0, r.stderr);
      }
      await tamperVersion(store, 'fraud', 1);
      return runScenario(store, work, steps);
    }),
  );
  const [a, b] = outcomes;
  for (let i = 0; i < steps.length; i++) assert.deepEqual(b[i], a[i], `step ${i + 1}: mlops ${a[i].args}`);
  assert.match(
    a[0].stdout,
    /^sha256_mismatch fraud@1: <stored bytes> has sha256 [0-9a-f]{64}, recorded [0-9a-f]{64}\n/,
  );
  assert.match(a[5].stderr, /^error: fraud@1: <stored bytes> does not match its recorded sha256 /);
});
