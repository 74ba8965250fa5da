import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { registerModel } from '../../src/release/index.js';
import { fixture, runCli } from '../helpers.js';
import { tempDir } from './helpers.js';

const MODEL = fixture('models', 'mlp-dynamo.onnx');

test('a model name ending in .onnx is refused at register, with a hint to drop the extension', async () => {
  const registry = tempDir();
  await assert.rejects(
    registerModel({ registry, name: 'fraud.onnx', file: MODEL }),
    (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, 'REGISTRY_BAD_NAME');
      assert.match(
        e.message,
        /invalid model name "fraud\.onnx": a name ending in "\.onnx" reads as a file path \(fraud\.onnx@1 would be a file\)/,
      );
      assert.match(e.hint ?? '', /drop the extension: mlops registry register fraud /);
      return true;
    },
  );
  assert.equal(existsSync(path.join(registry, 'models')), false, 'nothing registered');
  const cli = runCli(['registry', 'register', 'fraud.onnx', MODEL, '--registry', registry]);
  assert.equal(cli.status, 2);
  assert.match(cli.stderr, /hint: drop the extension/);
});

test('each bad name says what is wrong with it', async () => {
  const registry = tempDir();
  const cases: Array<[string, RegExp]> = [
    ['', /invalid model name "": it is empty/],
    ['a@b', /invalid model name "a@b": "@" is not allowed/],
    ['a/b', /invalid model name "a\/b": "\/" is not allowed/],
    ['../x', /invalid model name "\.\.\/x": "\/" is not allowed/],
    ['a..b', /invalid model name "a\.\.b": ".." is not allowed/],
    ['x'.repeat(65), /invalid model name "x{65}": 65 characters, at most 64/],
    ['-lead', /invalid model name "-lead": it must start with a letter or digit/],
    ['.hidden', /invalid model name "\.hidden": it must start with a letter or digit/],
    ['Fraud', /invalid model name "Fraud": uppercase letters are not allowed \(use "fraud"\)/],
    ['sp ace', /invalid model name "sp ace": " " is not allowed/],
  ];
  for (const [name, message] of cases) {
    await assert.rejects(
      registerModel({ registry, name, file: MODEL }),
      (e: Error & { code?: string }) => e.code === 'REGISTRY_BAD_NAME' && message.test(e.message),
      JSON.stringify(name),
    );
  }
  // A leading "-" on the command line needs "--" to reach the name check at all.
  const dash = runCli(['registry', 'register', '--registry', registry, '--', '-lead', MODEL]);
  assert.equal(dash.status, 2);
  assert.match(dash.stderr, /invalid model name "-lead": it must start with a letter or digit/);
});
