/** A checklist drift check judged on part of the data says so: the bad rows drift skipped are in its verdict. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runChecklist } from '../../src/checklist/index.js';
import { validateConfig } from '../../src/checklist/config.js';
import { fixture, tempDir } from '../helpers.js';

test('the drift check names the bad rows it skipped in its message', async () => {
  const dir = tempDir('mlops-drift-check-');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const current = path.join(dir, 'half.csv');
  writeFileSync(current, `${[lines[0], ...lines.slice(1).map((l, i) => (i % 2 ? `${l},9` : l))].join('\n')}\n`);
  const checklist = validateConfig(
    { checks: [{ id: 'd', type: 'drift', reference: fixture('data', 'mlp.csv'), current, ignore: ['id'] }] },
    path.join(dir, 'c.yml'),
  );
  const r = await runChecklist({ checklist, model: fixture('models', 'mlp.onnx') });
  assert.equal(r.checks[0].status, 'pass');
  assert.match(r.checks[0].message, /skipped 100 bad rows \(the first on line 3: has 32 fields, the header has 31\)/);
});
