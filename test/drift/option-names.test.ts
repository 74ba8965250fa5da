/** The library takes the flags' names (features, ignore), as every command's options do; the old names still work. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../helpers.js';
import { detectDrift } from '../../src/drift/index.js';

const reference = fixture('data', 'drift', 'reference.csv');
const current = fixture('data', 'drift', 'current.csv');
const columns = (r: Awaited<ReturnType<typeof detectDrift>>) => r.columns.map((c) => c.column);

test('drift options features and ignore pick columns as columns and exclude did', async () => {
  const all = columns(await detectDrift({ reference, current }));
  const [first, second] = all;
  assert.deepEqual(columns(await detectDrift({ reference, current, ignore: [first] })), all.slice(1));
  assert.deepEqual(columns(await detectDrift({ reference, current, exclude: [first] })), all.slice(1));
  assert.deepEqual(columns(await detectDrift({ reference, current, features: [second] })), [second]);
  assert.deepEqual(columns(await detectDrift({ reference, current, columns: [second] })), [second]);
});
