/**
 * The local cache of a PostgreSQL registry's model bytes, as a pod sees it:
 * downloaded once, checked by sha256 on every use, a damaged copy replaced
 * (never used), MLOPS_CACHE_DIR honoured, an unwritable cache a clear exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, tempDir } from '../helpers.js';
import { openStoreUnderTest, postgresServer, type StoreUnderTest } from './stores.js';

const mlp = fixture('models', 'mlp.onnx');
const csv = fixture('data', 'mlp.csv');
const sha = createHash('sha256').update(readFileSync(mlp)).digest('hex');

async function registered(): Promise<StoreUnderTest> {
  const store = await openStoreUnderTest('postgres');
  const r = store.cli(['registry', 'register', 'fraud', mlp, '--alias', 'production']);
  assert.equal(r.status, 0, r.stderr);
  return store;
}

function predict(store: StoreUnderTest, env: NodeJS.ProcessEnv = {}) {
  const out = path.join(tempDir('mlops-cache-out-'), 'p.csv');
  const r = store.cli(['predict-batch', 'fraud@production', '--input', csv, '--ignore', 'id', '--output', out], {
    env,
  });
  return { ...r, output: r.status === 0 ? readFileSync(out, 'utf8') : '' };
}

/** Remove the model's bytes from the database: whatever still works now came from the cache. */
async function dropStoredBytes(store: StoreUnderTest): Promise<void> {
  const pg = await postgresServer();
  await pg.sql(store.database as string, 'DELETE FROM mlops_blob_chunks');
}

test('a second predict-batch and path of the same version download nothing: the cached file is used as it is', async () => {
  const store = await registered();
  const cached = path.join(store.cacheDir, 'models', `${sha}.onnx`);
  assert.equal(existsSync(cached), false, 'registering does not fill the cache');
  const first = predict(store);
  assert.equal(first.status, 0, first.stderr);
  const before = statSync(cached);
  const p = store.cli(['registry', 'path', 'fraud@production']);
  assert.equal(p.stdout.trim(), cached, 'path prints the cached file');

  await dropStoredBytes(store);
  const second = predict(store);
  assert.equal(second.status, 0, `${second.stderr}: the second run needed the database's bytes`);
  assert.equal(second.output, first.output);
  assert.equal(store.cli(['registry', 'path', 'fraud@production']).status, 0);
  const after = statSync(cached);
  assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'the cached file was not written again');
  // verify reads the database, not the cache: the missing bytes are a failure there.
  assert.equal(store.cli(['registry', 'verify']).status, 1);
});

test('a damaged cached file is detected by sha256 and downloaded again, never used', async () => {
  const store = await registered();
  const cached = path.join(store.cacheDir, 'models', `${sha}.onnx`);
  const good = predict(store);
  assert.equal(good.status, 0, good.stderr);
  const damage = () => {
    const bytes = readFileSync(cached);
    bytes[bytes.length >> 1] ^= 0xff; // same size, one byte changed
    writeFileSync(cached, bytes);
  };
  damage();
  const again = predict(store);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.output, good.output);
  assert.equal(createHash('sha256').update(readFileSync(cached)).digest('hex'), sha, 'replaced by the stored bytes');

  // With nothing to download, a damaged copy is refused rather than run.
  damage();
  await dropStoredBytes(store);
  const refused = predict(store);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(
    refused.stderr,
    /error: fraud@1: the stored blob [0-9a-f]{12}\.\.\. in postgres:\/\/postgres@127\.0\.0\.1:\d+\/t\w+ is missing\n/,
  );
  assert.match(refused.stderr, /hint: .*mlops registry verify/);
  assert.equal(existsSync(cached), false, 'the damaged copy is gone');
  const path2 = store.cli(['registry', 'path', 'fraud@production']);
  assert.equal(path2.status, 2);
  assert.equal(path2.stdout, '');
});

test('MLOPS_CACHE_DIR is honoured; without it the cache is under XDG_CACHE_HOME, else ~/.cache/mlops', async () => {
  const store = await registered();
  const own = path.join(tempDir('mlops-cache-own-'), 'pod-cache');
  const r = store.cli(['registry', 'path', 'fraud@production'], { env: { MLOPS_CACHE_DIR: own } });
  assert.equal(r.stdout.trim(), path.join(own, 'models', `${sha}.onnx`));
  assert.equal(existsSync(path.join(store.cacheDir, 'models', `${sha}.onnx`)), false);

  const xdg = tempDir('mlops-cache-xdg-');
  const viaXdg = store.cli(['registry', 'path', 'fraud'], { env: { MLOPS_CACHE_DIR: '', XDG_CACHE_HOME: xdg } });
  assert.equal(viaXdg.stdout.trim(), path.join(xdg, 'mlops', 'models', `${sha}.onnx`));
  const home = tempDir('mlops-cache-home-');
  const viaHome = store.cli(['registry', 'path', 'fraud'], {
    env: { MLOPS_CACHE_DIR: '', XDG_CACHE_HOME: '', HOME: home },
  });
  assert.equal(viaHome.stdout.trim(), path.join(home, '.cache', 'mlops', 'models', `${sha}.onnx`));
  for (const file of [viaXdg.stdout.trim(), viaHome.stdout.trim()])
    assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), sha);
});

test('an unwritable cache folder is exit 2 REGISTRY_CACHE_UNWRITABLE with the hint, in text and --json', async () => {
  const store = await registered();
  // A file where the folder should be: refused even for root, who may write anywhere else.
  const blocker = path.join(tempDir('mlops-cache-ro-'), 'not-a-folder');
  writeFileSync(blocker, 'x');
  const env = { MLOPS_CACHE_DIR: path.join(blocker, 'cache') };
  const text = predict(store, env);
  assert.equal(text.status, 2, text.stderr);
  assert.match(
    text.stderr,
    /^error: cannot keep a local copy of the model at .*not-a-folder\/cache\/models\/[0-9a-f]{64}\.onnx: a part of the path is not a folder \(ENOTDIR\)\n/,
  );
  assert.match(
    text.stderr,
    /hint: point MLOPS_CACHE_DIR at a writable folder with room for the model \(in a pod: an emptyDir volume\)/,
  );
  assert.doesNotMatch(text.stderr, /\n\s+at /);
  const json = store.cli(['registry', 'path', 'fraud@production', '--json'], { env });
  assert.equal(json.status, 2);
  const doc = JSON.parse(json.stdout);
  assert.deepEqual(
    [doc.version, doc.ok, doc.error.code, doc.error.exit_code],
    [1, false, 'REGISTRY_CACHE_UNWRITABLE', 2],
  );
});
