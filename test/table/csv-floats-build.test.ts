import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from '../helpers.js';

const root = ROOT;
const hasClang = ['clang', 'wasm-ld'].every((tool) => spawnSync(tool, ['--version']).status === 0);

test('the committed WebAssembly module is the build of csv-floats.c', {
  skip: hasClang ? false : 'clang and wasm-ld are not installed (apt-get install clang lld)',
}, () => {
  const out = path.join(tempDir('mlops-wasm-'), 'module.ts');
  const build = spawnSync('sh', [path.join(root, 'scripts', 'build-wasm.sh'), out], { encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  assert.equal(
    readFileSync(out, 'utf8'),
    readFileSync(path.join(root, 'src', 'table', 'wasm', 'csv-floats-module.ts'), 'utf8'),
    'src/table/wasm/csv-floats-module.ts is stale: run scripts/build-wasm.sh and commit it',
  );
});
