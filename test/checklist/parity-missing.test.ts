/** A checklist parity check refuses missing cells like check does, and names the YAML key that allows them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runChecklist } from '../../src/checklist/index.js';
import { validateConfig } from '../../src/checklist/config.js';
import { fixture, tempDir } from '../helpers.js';

test('parity on a missing cell: an error naming allow_missing; with allow_missing: true it runs', async () => {
  const dir = tempDir('mlops-parity-missing-');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const cells = lines[3].split(',');
  cells[2] = 'NaN';
  lines[3] = cells.join(',');
  const input = path.join(dir, 'nan.csv');
  writeFileSync(input, `${lines.join('\n')}\n`);
  const parity = { id: 'p', type: 'parity', input, expected: fixture('data', 'mlp.expected.csv'), ignore: ['id'] };
  const run = async (check: object) =>
    (
      await runChecklist({
        checklist: validateConfig({ checks: [check] }, path.join(dir, 'c.yml')),
        model: fixture('models', 'mlp.onnx'),
      })
    ).checks[0];
  const refused = await run(parity);
  assert.equal(refused.status, 'error');
  assert.match(refused.message, /nan\.csv:4: column "f1": "NaN" is missing \(pass `allow_missing` to feed NaN\)/);
  const allowed = await run({ ...parity, allow_missing: true });
  assert.notEqual(allowed.status, 'error', allowed.message);
  assert.match(allowed.message, /mismatching elements/);
});
