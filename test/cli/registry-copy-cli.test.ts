/** `mlops registry copy` as a user runs it: summary, --json, exit codes, messages, a copy killed half-way. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { closeStores, verifyRegistry } from '../../src/registry/index.js';
import { promote } from '../../src/release/index.js';
import { runCli } from '../helpers.js';
import { buildRegistry, snapshot } from '../registry/copy-helpers.js';
import { tempDir } from '../registry/helpers.js';
import { PASSWORD, startPostgres, type TestPostgres } from '../support/postgres.js';

let pg: TestPostgres;
let env: NodeJS.ProcessEnv;
before(async () => {
  process.env.MLOPS_CACHE_DIR = tempDir('mlops-cache-');
  env = { MLOPS_CACHE_DIR: process.env.MLOPS_CACHE_DIR, MLOPS_REGISTRY: '' };
  pg = await startPostgres();
});
after(async () => {
  await closeStores();
  await pg.close();
});

test('copy prints what it copied, then that everything is already there; the password never shows', async () => {
  const folder = tempDir();
  await buildRegistry(folder);
  const db = await pg.freshDatabase();

  const dry = runCli(['registry', 'copy', '--from', folder, '--to', db.url, '--dry-run'], { env });
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /^fraud +to copy +9 +3 /m);
  assert.match(dry.stdout, /dry run: would copy 10 events \(4 versions, [\d.]+ KiB\) of 2 models from /);

  const first = runCli(['registry', 'copy', '--from', folder, '--to', db.url], { env });
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^churn +copied +1 +1 /m);
  assert.match(first.stdout, /^alias policies: copied 1 change \(0 already there\)$/m);
  assert.match(
    first.stdout,
    /^copied 10 events \(4 versions, .*\) of 2 models from .* to postgres:\/\/postgres@127\.0\.0\.1:\d+\//m,
  );

  const again = runCli(['registry', 'copy', '--from', folder, '--to', db.url, '--json'], { env });
  assert.equal(again.status, 0, again.stderr);
  const doc = JSON.parse(again.stdout);
  assert.equal(doc.version, 1);
  assert.deepEqual(doc.copied, { models: 0, events: 0, versions: 0, bytes: 0 });
  assert.deepEqual(doc.refused, []);
  assert.match(doc.to, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+$/);

  const back = runCli(['registry', 'copy', '--from', db.url, '--to', tempDir()], { env });
  assert.equal(back.status, 0, back.stderr);
  for (const run of [dry, first, again, back]) assert.ok(!(run.stdout + run.stderr).includes(PASSWORD));
});

test('a divergent model: exit 2, the model and the event named on stderr, the rest copied, --json lists it', async () => {
  const folder = tempDir();
  await buildRegistry(folder);
  const target = tempDir();
  assert.equal(runCli(['registry', 'copy', '--from', folder, '--to', target], { env }).status, 0);
  await promote({ registry: target, ref: 'fraud@2', to: 'canary', reason: 'target side' });
  await promote({ registry: folder, ref: 'fraud@1', to: 'canary', reason: 'source side' });

  const run = runCli(['registry', 'copy', '--from', folder, '--to', target], { env });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^error: model "fraud" differs between the registries from event 10: /m);
  assert.match(run.stderr, /^hint: compare mlops registry history fraud on each side/m);
  assert.match(run.stdout, /^fraud +REFUSED /m);
  assert.match(run.stdout, /^refused: fraud \(see the errors\)$/m);
  assert.ok(!/at .*\.js:\d+/.test(run.stderr), 'no stack trace');

  const json = runCli(['registry', 'copy', '--from', folder, '--to', target, '--json'], { env });
  assert.equal(json.status, 2);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.version, 1);
  assert.deepEqual(
    doc.refused.map((r: { name: string; code: string; seq: number }) => [r.name, r.code, r.seq]),
    [['fraud', 'REGISTRY_COPY_DIVERGED', 10]],
  );
});

test('wrong inputs: the same registry, a missing source, a missing --to, a bad URL', async () => {
  const folder = tempDir();
  await buildRegistry(folder);
  const same = runCli(['registry', 'copy', '--from', folder, '--to', folder], { env });
  assert.equal(same.status, 2);
  assert.match(same.stderr, /^error: --from and --to are the same registry \(/m);

  const missing = runCli(['registry', 'copy', '--from', `${folder}/nope`, '--to', tempDir()], { env });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^error: --from: registry folder .*nope does not exist$/m);

  // An empty folder is most likely a wrong path (`.` for `.mlops`): refused rather than "nothing to copy".
  const empty = runCli(['registry', 'copy', '--from', tempDir(), '--to', tempDir()], { env });
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /^error: --from: .* holds no registered models: there is nothing to copy$/m);

  const file = `${tempDir()}/a-file`;
  writeFileSync(file, 'not a registry');
  for (const args of [
    ['--from', folder, '--to', file],
    ['--from', folder, '--to', `${file}/below`],
    ['--from', folder, '--to', file, '--dry-run'],
  ]) {
    const notFolder = runCli(['registry', 'copy', ...args], { env });
    assert.equal(notFolder.status, 2, args.join(' '));
    assert.match(notFolder.stderr, /^error: --to: .*a-file is not a folder/m);
    assert.match(notFolder.stderr, /^hint: point --to at a folder \(created when missing\) or a postgres:\/\/ URL$/m);
  }
  const fromFile = runCli(['registry', 'copy', '--from', file, '--to', tempDir()], { env });
  assert.equal(fromFile.status, 2);
  assert.match(fromFile.stderr, /^error: --from: registry .*a-file is not a folder$/m);

  const noTo = runCli(['registry', 'copy', '--from', folder], { env });
  assert.equal(noTo.status, 2);
  assert.match(noTo.stderr, /--to <dir\|url>/);

  const bad = runCli(['registry', 'copy', '--from', folder, '--to', `postgres://u:${PASSWORD}@127.0.0.1:notaport/db`], {
    env,
  });
  assert.equal(bad.status, 2);
  assert.ok(!bad.stderr.includes(PASSWORD), bad.stderr);
});

test('a copy killed half-way leaves a consistent target; running it again finishes it', async () => {
  for (const to of ['folder', 'postgres'] as const) {
    const folder = tempDir();
    await buildRegistry(folder);
    const target = to === 'folder' ? tempDir() : (await pg.freshDatabase()).url;
    assert.equal(runCli(['registry', 'copy', 'churn', '--from', folder, '--to', target], { env }).status, 0);
    // Killed with SIGKILL after storing a version, before recording it (folder), or before the commit (PostgreSQL).
    const failpoint = to === 'folder' ? 'after-commit-version' : 'pg-before-commit';
    const killed = runCli(['registry', 'copy', '--from', folder, '--to', target], {
      env: { ...env, MLOPS_FAILPOINT: failpoint },
    });
    assert.equal(killed.status, null, `${to}: ${killed.stderr}`);
    // fraud@1 is not visible (its event was never recorded), churn is whole.
    assert.deepEqual(Object.keys((await snapshot(target)) as object), ['list', 'churn']);
    assert.equal((await verifyRegistry({ registry: target })).passed, true);

    const rerun = runCli(['registry', 'copy', '--from', folder, '--to', target], { env });
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.deepEqual(await snapshot(target), await snapshot(folder), to);
    assert.equal((await verifyRegistry({ registry: target })).passed, true);
  }
});
