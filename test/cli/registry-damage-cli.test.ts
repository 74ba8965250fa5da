import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, tempDir } from '../helpers.js';
import { modelVariants } from '../registry/helpers.js';

function registryWith(models: Record<string, number>): { registry: string; files: string[] } {
  const registry = tempDir();
  const files = modelVariants(registry, 6);
  let i = 0;
  for (const [name, count] of Object.entries(models)) {
    for (let k = 0; k < count; k++) {
      const r = runCli(['registry', 'register', name, files[i++], '--registry', registry]);
      assert.equal(r.status, 0, r.stderr);
    }
  }
  return { registry, files };
}

/** Damage is exit 1 (list, verify) or 2 (commands that need that model), named by file and line, never a stack trace. */
function assertNamed(
  r: { status: number | null; stdout: string; stderr: string },
  status: number,
  pattern: RegExp,
  what: string,
): void {
  assert.equal(r.status, status, `${what}: ${r.stdout}${r.stderr}`);
  assert.match(r.stdout + r.stderr, pattern, what);
  assert.doesNotMatch(r.stderr, /internal error| {4}at /, what);
}

test('an event missing the fields its type needs is damage named by line, confined to its model; no versions/NaN', () => {
  const { registry, files } = registryWith({ a: 1, m: 2 });
  const history = path.join(registry, 'models', 'm', 'history.jsonl');
  appendFileSync(history, '{"seq":99,"type":"register"}\n');
  const line = /history\.jsonl:3: not a valid history event \(a register event needs an integer "version"/;
  assertNamed(runCli(['registry', 'list', '--registry', registry]), 1, line, 'list');
  assert.match(runCli(['registry', 'list', '--registry', registry]).stdout, /^a +1 /m, 'the other model is listed');
  assertNamed(runCli(['registry', 'verify', '--registry', registry]), 1, line, 'verify');
  assertNamed(runCli(['registry', 'list', 'm', '--registry', registry]), 2, line, 'list m');
  assertNamed(runCli(['registry', 'show', 'm@2', '--registry', registry]), 2, line, 'show');
  assertNamed(
    runCli(['registry', 'register', 'm', files[5], '--allow-duplicate', '--registry', registry]),
    2,
    line,
    'register',
  );
  assert.equal(existsSync(path.join(registry, 'models', 'm', 'versions', 'NaN')), false);
  for (const bad of [
    '{"seq":4,"type":"alias","alias":"production","action":"promote","from":null,"at":"x"}',
    '{"seq":4,"type":"archive","version":"2","at":"x"}',
    '{"seq":4,"type":"rename","at":"x"}',
  ]) {
    writeFileSync(history, readFileSync(history, 'utf8').split('\n').slice(0, 2).join('\n') + `\n${bad}\n`);
    assertNamed(
      runCli(['registry', 'verify', '--registry', registry]),
      1,
      /history\.jsonl:3: not a valid history event/,
      bad,
    );
  }
});

test('a last line that is JSON but not a valid event (no newline) is damage, not a torn write: nothing is cut or replaced', () => {
  const { registry, files } = registryWith({ m: 3 });
  const history = path.join(registry, 'models', 'm', 'history.jsonl');
  const lines = readFileSync(history, 'utf8').trimEnd().split('\n');
  lines[2] = lines[2].replace('"seq":3', '"seq":"3"');
  writeFileSync(history, lines.join('\n'));
  const before = readFileSync(history, 'utf8');
  const stored = readFileSync(path.join(registry, 'models', 'm', 'versions', '3', 'model.onnx'));
  assertNamed(
    runCli(['registry', 'list', '--registry', registry]),
    1,
    /history\.jsonl:3: not a valid history event \("seq" must be a positive integer, found "3"\)/,
    'list',
  );
  assertNamed(
    runCli(['registry', 'register', 'm', files[4], '--registry', registry]),
    2,
    /history\.jsonl:3: /,
    'register',
  );
  assert.equal(readFileSync(history, 'utf8'), before, 'the line is not cut');
  assert.deepEqual(
    readFileSync(path.join(registry, 'models', 'm', 'versions', '3', 'model.onnx')),
    stored,
    'm@3 is untouched',
  );
});

test('one unreadable model history (a folder: EISDIR) is named; list and verify go on with the others', () => {
  const { registry } = registryWith({ a: 1, m: 1 });
  const history = path.join(registry, 'models', 'm', 'history.jsonl');
  renameSync(history, `${history}.bak`);
  mkdirSync(history);
  const list = runCli(['registry', 'list', '--registry', registry]);
  assertNamed(
    list,
    1,
    new RegExp(`m: cannot read ${history.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: it is a folder \\(EISDIR\\)`),
    'list',
  );
  assert.match(list.stdout, /^a +1 /m);
  const verify = runCli(['registry', 'verify', '--registry', registry, '--json']);
  assert.equal(verify.status, 1, verify.stderr);
  const doc = JSON.parse(verify.stdout);
  assert.equal(doc.checked, 1, 'a was checked');
  assert.deepEqual(
    doc.problems.map((p: { name: string; problem: string }) => [p.name, p.problem]),
    [['m', 'damaged_history']],
  );
});

test('a damaged policies.jsonl: list and verify report it (exit 1), rollback still works, gated moves refuse naming the file and line', () => {
  const { registry, files } = registryWith({ m: 2 });
  for (const args of [
    ['promote', 'm@1', '--to', 'production'],
    ['promote', 'm@2', '--to', 'production'],
  ])
    assert.equal(runCli(['registry', ...args, '--registry', registry]).status, 0);
  const policies = path.join(registry, 'policies.jsonl');
  writeFileSync(
    policies,
    '{"seq":1,"type":"policy","action":"set","alias":"production","model":null,"require":["staging"],"at":"2026-01-01T00:00:00Z","actor":"x","host":"h"}\n{"seq":2,"type":"policy"\n{"seq":3,"type":"policy","action":"clear","alias":"production","model":null,"at":"2026-01-02T00:00:00Z","actor":"x","host":"h"}\n',
  );
  const line = /policies\.jsonl:2: not a valid alias policy event/;
  assertNamed(runCli(['registry', 'list', '--registry', registry]), 1, line, 'list');
  assertNamed(runCli(['registry', 'verify', '--registry', registry]), 1, line, 'verify');
  const rolled = runCli(['registry', 'rollback', 'm', '--alias', 'production', '--registry', registry]);
  assert.equal(rolled.status, 0, rolled.stderr);
  assert.match(rolled.stdout, /rolled back m production: 2 -> 1/);
  const promote = runCli(['registry', 'promote', 'm@2', '--to', 'production', '--registry', registry]);
  assertNamed(promote, 2, line, 'promote');
  assert.match(promote.stderr, /hint: the alias policies of every model are unreadable/);
  assert.doesNotMatch(promote.stderr, /other models are not affected/);
  assertNamed(
    runCli(['registry', 'register', 'm', files[4], '--alias', 'production', '--registry', registry]),
    2,
    line,
    'register --alias',
  );
  const plain = runCli(['registry', 'register', 'm', files[4], '--registry', registry]);
  assert.equal(plain.status, 0, plain.stderr);
});
