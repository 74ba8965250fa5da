import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, runCli, tempDir } from '../helpers.js';

const MODEL = fixture('models', 'mlp-dynamo.onnx');

/** A user mistake or a storage problem: exit 2, the message names the path, no stack trace. */
function assertUserError(r: { status: number | null; stderr: string }, pattern: RegExp, what: string): void {
  assert.equal(r.status, 2, `${what}: ${r.stderr}`);
  assert.match(r.stderr, pattern, what);
  assert.doesNotMatch(r.stderr, /internal error| {4}at /, what);
}

function registryWithOneModel(): string {
  const registry = tempDir();
  const r = runCli(['registry', 'register', 'm', MODEL, '--registry', registry]);
  assert.equal(r.status, 0, r.stderr);
  return registry;
}

const READERS = [
  ['registry', 'list'],
  ['registry', 'list', 'm'],
  ['registry', 'verify'],
  ['registry', 'show', 'm@1'],
  ['registry', 'history', 'm'],
  ['registry', 'path', 'm@1'],
  ['inspect', 'm@1'],
  ['check', 'm@1'],
];
const WRITERS = [
  ['registry', 'promote', 'm@1', '--to', 'production'],
  ['registry', 'rollback', 'm', '--alias', 'production'],
  ['registry', 'archive', 'm@1'],
];

test('a registry folder that does not exist is exit 2 for every command but register, which creates it', () => {
  const missing = path.join(tempDir(), 'typo');
  for (const args of [...READERS, ...WRITERS]) {
    assertUserError(
      runCli([...args, '--registry', missing]),
      new RegExp(`registry folder ${missing} (to look it up in )?does not exist`),
      args.join(' '),
    );
    assert.equal(existsSync(missing), false, `${args.join(' ')} does not create the registry`);
  }
  const json = runCli(['registry', 'verify', '--registry', missing, '--json']);
  assert.equal(JSON.parse(json.stdout).error.code, 'REGISTRY_NOT_FOUND');
  const created = runCli(['registry', 'register', 'm', MODEL, '--registry', missing]);
  assert.equal(created.status, 0, created.stderr);
  assert.equal(runCli(['registry', 'verify', '--registry', missing]).status, 0);
});

test('--registry naming a file is exit 2 with the path, for readers and writers', () => {
  const file = path.join(tempDir(), 'not-a-folder');
  writeFileSync(file, 'x');
  for (const args of [...READERS, ...WRITERS, ['registry', 'register', 'm', MODEL]]) {
    assertUserError(
      runCli([...args, '--registry', file]),
      new RegExp(`registry ${file} is not a folder`),
      args.join(' '),
    );
  }
  assertUserError(
    runCli(['registry', 'list', '--registry', path.join(file, 'sub')]),
    new RegExp(`registry folder ${file}/sub does not exist \\(${file} is not a folder\\)`),
    'a file in the path',
  );
});

test('a read-only, full or unwritable registry is exit 2 naming the path, and the registry is unchanged', () => {
  const registry = registryWithOneModel();
  const history = path.join(registry, 'models', 'm', 'history.jsonl');
  const before = readFileSync(history, 'utf8');
  const cases: Array<[string[], string, RegExp]> = [
    [
      ['registry', 'promote', 'm@1', '--to', 'production'],
      'lock-create:EROFS',
      new RegExp(`cannot write ${registry}/lock: the file system is read-only \\(EROFS\\)`),
    ],
    [
      ['registry', 'archive', 'm@1'],
      'lock-create:EACCES',
      new RegExp(`cannot write ${registry}/lock: permission denied \\(EACCES\\)`),
    ],
    [
      ['registry', 'promote', 'm@1', '--to', 'production'],
      'append-write:ENOSPC',
      new RegExp(`cannot write ${history}: no space left on the device \\(ENOSPC\\)`),
    ],
    [
      ['registry', 'archive', 'm@1'],
      'append-write:EPERM',
      new RegExp(`cannot write ${history}: operation not permitted \\(EPERM\\)`),
    ],
    [
      ['registry', 'register', 'm', fixture('models', 'mlp.onnx')],
      'stage-write:ENOSPC',
      new RegExp(`cannot write ${registry}/staging/[^ ]+/model.onnx: no space left on the device \\(ENOSPC\\)`),
    ],
  ];
  for (const [args, point, message] of cases) {
    const r = runCli([...args, '--registry', registry], { env: { MLOPS_FAILPOINT: point } });
    assertUserError(r, message, point);
    assert.match(r.stderr, /hint: /, point);
    assert.equal(readFileSync(history, 'utf8'), before, `${point}: history unchanged`);
    assert.deepEqual(readdirSync(path.join(registry, 'staging')), [], `${point}: nothing left in staging`);
    assert.equal(existsSync(path.join(registry, 'lock')), false, `${point}: lock released`);
  }
  const json = JSON.parse(
    runCli(['registry', 'archive', 'm@1', '--registry', registry, '--json'], {
      env: { MLOPS_FAILPOINT: 'append-write:ENOSPC' },
    }).stdout,
  );
  assert.equal(json.error.code, 'REGISTRY_NOT_WRITABLE');
  assert.equal(runCli(['registry', 'verify', '--registry', registry]).status, 0);
});

test('verify on a folder that holds no registry (empty, or any other folder) is exit 2, never an "ok" on nothing', () => {
  const empty = tempDir();
  for (const folder of [empty, path.join(process.cwd(), 'src')]) {
    const r = runCli(['registry', 'verify', '--registry', folder]);
    assertUserError(r, new RegExp(`${folder} holds no registered models: there is nothing to verify`), folder);
    assert.doesNotMatch(r.stdout, /ok/);
    assert.equal(
      JSON.parse(runCli(['registry', 'verify', '--registry', folder, '--json']).stdout).error.code,
      'REGISTRY_EMPTY',
    );
  }
  const list = runCli(['registry', 'list', '--registry', empty]);
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /no models registered yet/);
  assert.deepEqual(readdirSync(empty), [], 'nothing was written');
});
