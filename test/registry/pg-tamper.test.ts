/**
 * Bytes changed or removed in the database behind mlops' back: `verify` reads
 * every blob from the database and reports it (exit 1); using the version
 * (registry path, predict-batch) downloads it, finds the sha256 wrong and
 * refuses with exit 2 REGISTRY_TAMPERED, as the folder store does. A copy
 * cached before the tampering is still the registered bytes (its sha256 is
 * checked against the record on every use), so using it is correct; verify
 * still reports the database.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { tempDir } from './helpers.js';
import { mlpCsv, paddedModel, pgCli, STACK } from './pg-faults-helpers.js';

let server: TestPostgres;
let model: string;
before(async () => {
  server = await startPostgres();
  model = paddedModel(3 * 1024 * 1024 + 1000); // four chunks
});
after(() => server.close());

async function registered(): Promise<{ db: string; url: string; sha256: string }> {
  const { name: db, url } = await server.freshDatabase();
  const r = pgCli(url, ['registry', 'register', 'm', model, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return { db, url, sha256: JSON.parse(r.stdout).sha256 };
}

function assertRefused(url: string, what: string): void {
  for (const args of [
    ['registry', 'path', 'm@1'],
    ['predict-batch', 'm@1', '--input', mlpCsv(), '--output', path.join(tempDir(), 'out.csv')],
  ]) {
    const r = pgCli(url, [...args, '--json']);
    assert.equal(r.status, 2, `${what}, ${args[1]}: ${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).error.code, 'REGISTRY_TAMPERED', `${what}, ${args[1]}`);
    assert.doesNotMatch(r.stderr, STACK);
  }
}

function assertVerifyFails(url: string, pattern: RegExp, what: string): void {
  const r = pgCli(url, ['registry', 'verify']);
  assert.equal(r.status, 1, `${what}: ${r.stdout}${r.stderr}`);
  assert.match(r.stdout + r.stderr, pattern, what);
  assert.doesNotMatch(r.stderr, STACK);
}

test('a chunk whose bytes were changed in the database: verify exit 1, path and predict-batch exit 2 REGISTRY_TAMPERED', async () => {
  const { db, url, sha256 } = await registered();
  assert.equal(pgCli(url, ['registry', 'verify']).status, 0);
  await server.sql(
    db,
    `UPDATE mlops_blob_chunks SET data = overlay(data placing '\\x00ff'::bytea from 100) WHERE sha256 = $1 AND n = 2`,
    [sha256],
  );
  assertVerifyFails(url, /m@1/, 'changed chunk');
  assertRefused(url, 'changed chunk');
});

test('a chunk deleted from the database: verify exit 1, use refused', async () => {
  const { db, url, sha256 } = await registered();
  await server.sql(db, 'DELETE FROM mlops_blob_chunks WHERE sha256 = $1 AND n = 1', [sha256]);
  assertVerifyFails(url, /m@1/, 'deleted chunk');
  assertRefused(url, 'deleted chunk');
  await server.sql(db, 'DELETE FROM mlops_blob_chunks WHERE sha256 = $1', [sha256]);
  assertVerifyFails(url, /m@1/, 'every chunk deleted');
  assertRefused(url, 'every chunk deleted');
});

test('a copy cached before the tampering is still used (it is the registered bytes); verify reports the database', async () => {
  const { db, url, sha256 } = await registered();
  const cache = tempDir('mlops-cache-');
  const first = pgCli(url, ['registry', 'path', 'm@1'], {}, cache);
  assert.equal(first.status, 0, first.stderr);
  await server.sql(db, `UPDATE mlops_blob_chunks SET data = '\\x00'::bytea WHERE sha256 = $1 AND n = 0`, [sha256]);
  const again = pgCli(url, ['registry', 'path', 'm@1'], {}, cache);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout, first.stdout, 'the cached, sha256-checked file');
  const predicted = pgCli(url, ['predict-batch', 'm@1', '--input', mlpCsv(), '--output', '-'], {}, cache);
  assert.equal(predicted.status, 0, predicted.stderr);
  assertVerifyFails(url, /m@1/, 'verify reads the database, not the cache');
  assertRefused(url, 'a machine without the cached copy');
});
