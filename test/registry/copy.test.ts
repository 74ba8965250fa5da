/** `registry copy` between a folder and PostgreSQL: full history, identical bytes, idempotent, merging, extending. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { closeStores, modelHistory, rollback, verifyRegistry } from '../../src/registry/index.js';
import { copyRegistry } from '../../src/registry/copy.js';
import { aliasPolicy, promote, registerModel } from '../../src/release/index.js';
import { PASSWORD, startPostgres, type TestPostgres } from '../support/postgres.js';
import { buildRegistry, folderFiles, snapshot } from './copy-helpers.js';
import { modelVariants, tempDir } from './helpers.js';

let pg: TestPostgres;
before(async () => {
  // Database reads download into this cache, never into ~/.cache.
  process.env.MLOPS_CACHE_DIR = tempDir('mlops-cache-');
  pg = await startPostgres();
});
after(async () => {
  await closeStores();
  await pg.close();
});

test('folder -> PostgreSQL -> folder keeps every event, record and byte; verify passes on each', async () => {
  const folder = tempDir();
  await buildRegistry(folder);
  const db = await pg.freshDatabase();
  const restored = `${tempDir()}/restored`;

  const up = await copyRegistry({ from: folder, to: db.url });
  assert.deepEqual(up.refused, []);
  assert.deepEqual(up.copied, { models: 2, events: 10, versions: 4, bytes: up.copied.bytes });
  assert.deepEqual(
    up.models.map((m) => [m.name, m.status, m.events_copied, m.versions_copied]),
    [
      ['churn', 'copied', 1, 1],
      ['fraud', 'copied', 9, 3],
    ],
  );
  assert.deepEqual(up.policies, { status: 'copied', events_copied: 1, events_present: 0 });
  assert.ok(!JSON.stringify(up).includes(PASSWORD), 'the password is never in the result');
  // fraud@1 and churn@1 are the same bytes: stored once.
  const blobs = await pg.sql(db.name, 'SELECT count(*)::int AS n FROM mlops_blobs');
  assert.equal(blobs.rows[0].n, 3);

  const down = await copyRegistry({ from: db.url, to: restored });
  assert.deepEqual(down.refused, []);
  assert.equal(down.copied.events, 10);

  const original = await snapshot(folder);
  assert.deepEqual(await snapshot(db.url), original);
  assert.deepEqual(await snapshot(restored), original);
  // Through the database and back, the folder is the same byte for byte: histories, records, models.
  const files = folderFiles(folder);
  assert.ok(Object.keys(files).includes('models/fraud/history.jsonl') && Object.keys(files).includes('policies.jsonl'));
  assert.deepEqual(folderFiles(restored), files);
  for (const registry of [folder, db.url, restored]) {
    const verified = await verifyRegistry({ registry });
    assert.equal(verified.passed, true, JSON.stringify(verified.problems));
    assert.equal(verified.checked, 4);
  }
});

test('running it again copies nothing; a dry run changes nothing', async () => {
  const folder = tempDir();
  await buildRegistry(folder);
  const db = await pg.freshDatabase();

  const planned = await copyRegistry({ from: folder, to: db.url, dryRun: true });
  assert.equal(planned.dry_run, true);
  assert.equal(planned.copied.events, 10);
  assert.equal((await pg.sql(db.name, "SELECT to_regclass('mlops_events')::text AS t")).rows[0].t, null);
  const missing = `${tempDir()}/not-yet`;
  assert.equal((await copyRegistry({ from: folder, to: missing, dryRun: true })).copied.versions, 4);
  assert.equal(existsSync(missing), false, 'a dry run creates no folder');

  await copyRegistry({ from: folder, to: db.url });
  const events = async () => (await pg.sql(db.name, 'SELECT count(*)::int AS n FROM mlops_events')).rows[0].n;
  const before = await events();
  const again = await copyRegistry({ from: folder, to: db.url });
  assert.deepEqual(again.copied, { models: 0, events: 0, versions: 0, bytes: 0 });
  assert.deepEqual(
    again.models.map((m) => [m.name, m.status, m.events_present, m.versions_present]),
    [
      ['churn', 'up_to_date', 1, 1],
      ['fraud', 'up_to_date', 9, 3],
    ],
  );
  assert.equal(again.policies.status, 'up_to_date');
  assert.equal(await events(), before);
});

test('into a registry with other models it merges; an extended source is copied from where the target stopped', async () => {
  const folder = tempDir();
  const files = await buildRegistry(folder);
  const db = await pg.freshDatabase();
  // The target already holds a model of its own.
  await registerModel({ registry: db.url, name: 'ranker', file: files[4] });
  await promote({ registry: db.url, ref: 'ranker@1', to: 'production' });
  const ranker = await modelHistory({ registry: db.url, name: 'ranker' });

  await copyRegistry({ from: folder, to: db.url });
  // The source moves on: a new version, alias moves, a rollback, a policy change.
  await registerModel({ registry: folder, name: 'fraud', file: files[3], parent: 'fraud@2' });
  await promote({ registry: folder, ref: 'fraud@4', to: 'staging' });
  await promote({ registry: folder, ref: 'fraud@4', to: 'production' });
  await rollback({ registry: folder, name: 'fraud', alias: 'staging' });
  await aliasPolicy({ registry: folder, alias: 'canary', require: ['staging'] });

  const second = await copyRegistry({ from: folder, to: db.url });
  assert.deepEqual(second.refused, []);
  const fraud = second.models.find((m) => m.name === 'fraud');
  assert.deepEqual(
    [fraud?.status, fraud?.events_present, fraud?.events_copied, fraud?.versions_copied],
    ['copied', 9, 4, 1],
  );
  assert.deepEqual(second.policies, { status: 'copied', events_copied: 1, events_present: 1 });
  assert.deepEqual(
    second.models.map((m) => m.name),
    ['churn', 'fraud'],
    'only the source models are copied',
  );
  // Its events are untouched (the registry-wide policies copied in now apply to it too, as policy_events says).
  assert.deepEqual((await modelHistory({ registry: db.url, name: 'ranker' })).events, ranker.events);

  // The merged database restores to a folder holding all three models, identical to each side.
  const restored = tempDir();
  await copyRegistry({ from: db.url, to: restored });
  const source = (await snapshot(folder)) as Record<string, unknown>;
  const merged = (await snapshot(restored)) as Record<string, unknown>;
  assert.deepEqual(merged.fraud, source.fraud);
  assert.deepEqual(merged.churn, source.churn);
  assert.deepEqual((merged.ranker as { history: { events: unknown } }).history.events, ranker.events);
  assert.equal((await verifyRegistry({ registry: restored })).passed, true);
});

test('only the named models are copied; PostgreSQL -> PostgreSQL works too', async () => {
  const folder = tempDir();
  await buildRegistry(folder);
  const a = await pg.freshDatabase();
  const b = await pg.freshDatabase();
  await copyRegistry({ from: folder, to: a.url });
  const one = await copyRegistry({ from: a.url, to: b.url, names: ['churn'] });
  assert.deepEqual(
    one.models.map((m) => m.name),
    ['churn'],
  );
  assert.equal(one.policies.status, 'copied');
  const rest = await copyRegistry({ from: a.url, to: b.url });
  assert.deepEqual(
    rest.models.map((m) => [m.name, m.status]),
    [
      ['churn', 'up_to_date'],
      ['fraud', 'copied'],
    ],
  );
  assert.deepEqual(await snapshot(b.url), await snapshot(folder));
  await assert.rejects(copyRegistry({ from: a.url, to: b.url, names: ['nope'] }), {
    code: 'REGISTRY_MODEL_NOT_FOUND',
    message: /"nope" is not in the registry at postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+; nothing was copied/,
  });
});

test('a folder copied to another folder is identical, and copying many versions stays quick', async () => {
  const folder = tempDir();
  const files = modelVariants(tempDir(), 2);
  for (let i = 0; i < 20; i++)
    await registerModel({ registry: folder, name: 'bulk', file: files[i % 2], allowDuplicate: true });
  const db = await pg.freshDatabase();
  const started = Date.now();
  const up = await copyRegistry({ from: folder, to: db.url });
  const copy = tempDir();
  await copyRegistry({ from: db.url, to: copy });
  assert.equal(up.copied.versions, 20);
  assert.ok(Date.now() - started < 30_000, `copying 20 versions twice took ${Date.now() - started} ms`);
  assert.equal((await pg.sql(db.name, 'SELECT count(*)::int AS n FROM mlops_blobs')).rows[0].n, 2);
  const direct = tempDir();
  assert.equal((await copyRegistry({ from: folder, to: direct })).copied.versions, 20);
  const original = await snapshot(folder);
  assert.deepEqual(await snapshot(copy), original);
  assert.deepEqual(await snapshot(direct), original);
});
