/** What `registry copy` refuses (divergent, damaged, tampered) without stopping the other models, and parallel copies. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { closeStores, modelHistory, verifyRegistry } from '../../src/registry/index.js';
import { copyRegistry } from '../../src/registry/copy.js';
import { aliasPolicy, promote, registerModel } from '../../src/release/index.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { buildRegistry, snapshot } from './copy-helpers.js';
import { tempDir } from './helpers.js';

let pg: TestPostgres;
before(async () => {
  process.env.MLOPS_CACHE_DIR = tempDir('mlops-cache-');
  pg = await startPostgres();
});
after(async () => {
  await closeStores();
  await pg.close();
});

test('a model whose histories split is refused, naming the first differing event; the others are copied', async () => {
  const folder = tempDir();
  const files = await buildRegistry(folder);
  const db = await pg.freshDatabase();
  await copyRegistry({ from: folder, to: db.url });
  // Both sides move fraud differently after the copy; a new model appears in the source.
  await promote({ registry: db.url, ref: 'fraud@2', to: 'canary' });
  await promote({ registry: folder, ref: 'fraud@1', to: 'canary' });
  await registerModel({ registry: folder, name: 'ranker', file: files[4] });
  const before = await modelHistory({ registry: db.url, name: 'fraud' });

  const result = await copyRegistry({ from: folder, to: db.url });
  assert.equal(result.refused.length, 1);
  const [refusal] = result.refused;
  assert.equal(refusal.name, 'fraud');
  assert.equal(refusal.code, 'REGISTRY_COPY_DIVERGED');
  assert.equal(refusal.seq, 10);
  assert.match(refusal.message, /model "fraud" differs between the registries from event 10: /);
  assert.match(refusal.message, /has promote of "canary" none -> 1 by .* has promote of "canary" none -> 2 by /);
  assert.deepEqual(
    result.models.map((m) => [m.name, m.status, m.events_present, m.versions_present]),
    [
      ['churn', 'up_to_date', 1, 1],
      ['fraud', 'refused', 9, 3],
      ['ranker', 'copied', 0, 0],
    ],
  );
  assert.deepEqual(await modelHistory({ registry: db.url, name: 'fraud' }), before, 'the refused model is untouched');

  // The other way round, the database is a folder's prefix for churn and ahead for nothing: fraud still splits.
  const back = await copyRegistry({ from: db.url, to: folder });
  assert.deepEqual(
    back.refused.map((r) => [r.name, r.seq]),
    [['fraud', 10]],
  );
});

test('a target that already holds every source event and more is left alone, not refused', async () => {
  const folder = tempDir();
  await buildRegistry(folder);
  const db = await pg.freshDatabase();
  await copyRegistry({ from: folder, to: db.url });
  await promote({ registry: db.url, ref: 'fraud@2', to: 'canary' });
  await aliasPolicy({ registry: db.url, alias: 'canary', require: ['staging'] });
  const result = await copyRegistry({ from: folder, to: db.url });
  assert.deepEqual(result.refused, []);
  assert.equal(result.models.find((m) => m.name === 'fraud')?.status, 'target_ahead');
  assert.equal(result.policies.status, 'target_ahead');
});

test('divergent alias policies are refused; the models are still copied', async () => {
  const folder = tempDir();
  await buildRegistry(folder);
  const db = await pg.freshDatabase();
  await aliasPolicy({ registry: db.url, alias: 'production', require: ['canary'] });
  const result = await copyRegistry({ from: folder, to: db.url });
  assert.deepEqual(
    result.refused.map((r) => [r.name, r.code, r.seq]),
    [[null, 'REGISTRY_COPY_DIVERGED', 1]],
  );
  assert.match(result.refused[0].message, /^the alias policies differ between the registries from event 1: /);
  assert.equal(result.policies.status, 'refused');
  assert.equal(result.copied.models, 2);
});

test('a damaged history or a tampered file in the source refuses that model only; a later run finishes it', async () => {
  const folder = tempDir();
  await buildRegistry(folder);
  // fraud's second line is no longer an event; churn@1's stored file is changed.
  const history = path.join(folder, 'models', 'fraud', 'history.jsonl');
  const lines = readFileSync(history, 'utf8').split('\n');
  const good = lines[1];
  writeFileSync(history, [lines[0], '{"seq": 2, oops', ...lines.slice(2)].join('\n'));
  const churnFile = path.join(folder, 'models', 'churn', 'versions', '1', 'model.onnx');
  const churnBytes = readFileSync(churnFile);
  chmodSync(churnFile, 0o644);
  writeFileSync(churnFile, Buffer.concat([churnBytes, Buffer.from('x')]));

  const target = tempDir();
  const result = await copyRegistry({ from: folder, to: target });
  assert.deepEqual(
    result.refused.map((r) => [r.name, r.code]),
    [
      ['churn', 'REGISTRY_TAMPERED'],
      ['fraud', 'REGISTRY_CORRUPT'],
    ],
  );
  assert.match(result.refused[1].message, /history\.jsonl:2: not a valid history event/);
  assert.match(result.refused[0].message, /churn@1 in .*: its stored bytes do not match the recorded sha256/);
  assert.equal(result.policies.status, 'copied');

  // Repaired at the source, the next run copies both in full.
  writeFileSync(history, [lines[0], good, ...lines.slice(2)].join('\n'));
  writeFileSync(churnFile, churnBytes);
  const again = await copyRegistry({ from: folder, to: target });
  assert.deepEqual(again.refused, []);
  assert.deepEqual(await snapshot(target), await snapshot(folder));
});

test('a tampered blob in a PostgreSQL source is refused for its model', async () => {
  // An empty cache: a copy cached by an earlier test would be used instead of the database's bytes.
  process.env.MLOPS_CACHE_DIR = tempDir('mlops-cache-');
  const folder = tempDir();
  await buildRegistry(folder);
  const db = await pg.freshDatabase();
  await copyRegistry({ from: folder, to: db.url });
  const fraud2 = (await modelHistory({ registry: db.url, name: 'fraud' })).events.find(
    (e) => e.type === 'register' && e.model_version === 2,
  );
  assert.ok(fraud2?.type === 'register');
  await pg.sql(db.name, "UPDATE mlops_blob_chunks SET data = data || '\\x00'::bytea WHERE sha256 = $1", [
    fraud2.record.sha256,
  ]);
  const target = tempDir();
  const result = await copyRegistry({ from: db.url, to: target });
  assert.deepEqual(
    result.refused.map((r) => [r.name, r.code]),
    [['fraud', 'REGISTRY_TAMPERED']],
  );
  // Copied up to the event before fraud@2's registration: a consistent, shorter history.
  assert.equal(result.models.find((m) => m.name === 'fraud')?.events_copied, 3);
  assert.equal((await modelHistory({ registry: target, name: 'fraud' })).events.length, 3);
  assert.equal((await verifyRegistry({ registry: target })).passed, true);
});

test('a folder left by a killed copy of the same version is set aside; a complete unrecorded folder refuses', async () => {
  const folder = tempDir();
  await buildRegistry(folder);
  const target = tempDir();
  await copyRegistry({ from: folder, to: target, names: ['churn'] });
  // What a copy killed between storing fraud@1's folder and appending its event leaves.
  const left = path.join(target, 'models', 'fraud', 'versions', '1');
  mkdirSync(left, { recursive: true });
  writeFileSync(path.join(left, 'model.onnx'), 'partial');
  writeFileSync(path.join(left, '.register-pending'), '{}\n');
  const result = await copyRegistry({ from: folder, to: target });
  assert.deepEqual(result.refused, []);
  assert.deepEqual(await snapshot(target), await snapshot(folder));
  const verified = await verifyRegistry({ registry: target });
  assert.equal(verified.passed, true);
  assert.deepEqual(
    verified.problems.map((p) => p.problem),
    ['orphan'],
  );

  // Without the pending marker the folder is a version its history does not record: refused, never replaced.
  const other = tempDir();
  const stray = path.join(other, 'models', 'churn', 'versions', '1');
  mkdirSync(stray, { recursive: true });
  writeFileSync(path.join(stray, 'model.onnx'), 'someone else');
  writeFileSync(path.join(stray, 'version.json'), '{}');
  const refused = await copyRegistry({ from: folder, to: other });
  assert.deepEqual(
    refused.refused.map((r) => [r.name, r.code]),
    [['churn', 'REGISTRY_CHANGED']],
  );
  assert.match(refused.refused[0].message, /already holds a version 1 of "churn" that its history does not record/);
});

test('copying onto itself is refused', async () => {
  const folder = tempDir();
  await assert.rejects(copyRegistry({ from: folder, to: `${folder}/./` }), { code: 'REGISTRY_COPY_SAME' });
  const db = await pg.freshDatabase();
  await buildRegistry(folder);
  await copyRegistry({ from: folder, to: db.url });
  await assert.rejects(copyRegistry({ from: db.url, to: db.url.replace(/^postgres:/, 'postgresql:') }), {
    code: 'REGISTRY_COPY_SAME',
    message: /^`from` and `to` are the same registry \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+\)$/,
  });
  // Known by the id the database records, not by the URL: another host name for the same server.
  await assert.rejects(copyRegistry({ from: db.url, to: db.url.replace('127.0.0.1', 'localhost') }), {
    code: 'REGISTRY_COPY_SAME',
  });
});

test('two copies into one target at once: every event lands once, in order', async () => {
  const folder = tempDir();
  await buildRegistry(folder);
  const db = await pg.freshDatabase();
  const target = tempDir();
  const [a, b, c, d] = await Promise.all([
    copyRegistry({ from: folder, to: db.url }),
    copyRegistry({ from: folder, to: db.url }),
    copyRegistry({ from: folder, to: target }),
    copyRegistry({ from: folder, to: target }),
  ]);
  for (const r of [a, b, c, d]) assert.deepEqual(r.refused, []);
  // Between them, each pair copied every event and version exactly once.
  for (const [x, y] of [
    [a, b],
    [c, d],
  ]) {
    assert.equal(x.copied.events + y.copied.events, 10);
    assert.equal(x.copied.versions + y.copied.versions, 4);
  }
  const original = await snapshot(folder);
  assert.deepEqual(await snapshot(db.url), original);
  assert.deepEqual(await snapshot(target), original);
});
