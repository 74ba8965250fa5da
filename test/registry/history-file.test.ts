import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { listRegistry, modelHistory, showVersion, verifyRegistry } from '../../src/registry/index.js';
import { registerModel } from '../../src/release/index.js';
import { modelVariants, tempDir } from './helpers.js';

function historyOf(registry: string, name: string): string {
  return path.join(registry, 'models', name, 'history.jsonl');
}

test('a complete last event without a trailing newline is kept by readers and writers (not cut as torn)', async () => {
  const registry = tempDir();
  const files = modelVariants(registry, 3);
  for (const f of files.slice(0, 2)) await registerModel({ registry, name: 'm', file: f });
  const second = await showVersion({ registry, ref: 'm@2' });
  // A hand edit or a copy drops the final newline; the last event itself is whole.
  const file = historyOf(registry, 'm');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/\n$/, ''));

  const list = await listRegistry({ registry, name: 'm' });
  assert.ok('versions' in list);
  assert.deepEqual(
    list.versions.map((v) => v.model_version),
    [1, 2],
    'readers see the last event',
  );

  const third = await registerModel({ registry, name: 'm', file: files[2] });
  assert.equal(third.model_version, 3, 'the next register does not reuse version 2');
  assert.equal((await showVersion({ registry, ref: 'm@2' })).sha256, second.sha256, 'm@2 is untouched');
  const lines = readFileSync(file, 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'the file ends with a newline again');
  assert.deepEqual(
    lines.map((l) => JSON.parse(l).seq),
    [1, 2, 3],
  );
  assert.deepEqual((await verifyRegistry({ registry })).problems, []);
});

test('a torn last line (does not parse) is ignored by readers and cut by the next writer', async () => {
  const registry = tempDir();
  const files = modelVariants(registry, 2);
  await registerModel({ registry, name: 'm', file: files[0] });
  appendFileSync(historyOf(registry, 'm'), '{"seq":2,"type":"alias","al');
  assert.deepEqual(
    (await modelHistory({ registry, name: 'm' })).events.map((e) => e.seq),
    [1],
  );
  assert.equal((await registerModel({ registry, name: 'm', file: files[1] })).model_version, 2);
  assert.deepEqual(
    readFileSync(historyOf(registry, 'm'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).seq),
    [1, 2],
  );
});

test('one damaged history line fails only its model: list and verify name it and go on with the others', async () => {
  const registry = tempDir();
  const files = modelVariants(registry, 3);
  await registerModel({ registry, name: 'a', file: files[0] });
  await registerModel({ registry, name: 'b', file: files[1] });
  await registerModel({ registry, name: 'b', file: files[2] });
  await registerModel({ registry, name: 'c', file: files[2] });
  const damaged = historyOf(registry, 'b');
  const [first, second] = readFileSync(damaged, 'utf8').split('\n');
  writeFileSync(damaged, `${first.slice(0, 30)}\n${second}\n`);

  const list = await listRegistry({ registry });
  assert.ok('models' in list);
  assert.deepEqual(
    list.models.map((m) => m.name),
    ['a', 'c'],
  );
  assert.deepEqual(
    list.damaged?.map((d) => [d.name, d.file, d.line]),
    [['b', damaged, 1]],
  );

  const verify = await verifyRegistry({ registry });
  assert.equal(verify.passed, false);
  assert.equal(verify.checked, 2, 'the stored files of a and c were still checked');
  assert.deepEqual(
    verify.problems.map((p) => [p.name, p.model_version, p.problem]),
    [['b', null, 'damaged_history']],
  );
  assert.match(verify.problems[0].message, new RegExp(`${damaged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: `));
  assert.match(
    verify.problems[0].message,
    /:1: not a valid history event \(not JSON at column 31: /,
    'the column where the line stops being JSON',
  );
  const one = await verifyRegistry({ registry, name: 'b' });
  assert.deepEqual(
    one.problems.map((p) => p.problem),
    ['damaged_history'],
  );

  // Commands that need b itself still fail, naming the file and line.
  await assert.rejects(
    showVersion({ registry, ref: 'b@1' }),
    (e: Error & { code?: string }) => e.code === 'REGISTRY_CORRUPT' && e.message.startsWith(`${damaged}:1: `),
  );
  await assert.rejects(registerModel({ registry, name: 'b', file: files[0] }), {
    code: 'REGISTRY_CORRUPT',
    message: /history\.jsonl:1: /,
  });
});
