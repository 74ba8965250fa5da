/**
 * Schema versions of a PostgreSQL registry: an empty database reads as an
 * empty registry and is initialized by the first write; an older schema is
 * refused (exit 2, hint `mlops registry migrate`) until migrated; concurrent
 * migrations are serialized; a newer schema is refused and never modified.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { migrate, SCHEMA_VERSION } from '../../src/registry/postgres/schema.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { modelVariants, tempDir } from './helpers.js';
import { dumpTables, mlpCsv, pgCli, pgCliAsync, STACK } from './pg-faults-helpers.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(() => server.close());

async function schemaOf(db: string): Promise<number> {
  const { rows } = await server.sql(db, `SELECT value FROM mlops_meta WHERE key = 'schema_version'`);
  return Number(rows[0].value);
}

const READS = [
  ['registry', 'list'],
  ['registry', 'show', 'm@1'],
  ['registry', 'history', 'm'],
  ['registry', 'verify'],
  ['registry', 'path', 'm@1'],
];
const WRITES = (file: string) => [
  ['registry', 'register', 'm', file],
  ['registry', 'promote', 'm@1', '--to', 'production'],
  ['registry', 'archive', 'm@1'],
];

test('a fresh empty database: reads list nothing, the first write creates the tables', async () => {
  const { name: db, url } = await server.freshDatabase();
  const list = pgCli(url, ['registry', 'list', '--json']);
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout).models, []);
  const show = pgCli(url, ['registry', 'show', 'm', '--json']);
  assert.equal(show.status, 2);
  assert.equal(JSON.parse(show.stdout).error.code, 'REGISTRY_MODEL_NOT_FOUND');
  assert.equal(await dumpTables(server, db), '(no tables)', 'reads create nothing');
  const [a] = modelVariants(tempDir(), 1);
  assert.equal(pgCli(url, ['registry', 'register', 'm', a]).status, 0);
  assert.equal(await schemaOf(db), SCHEMA_VERSION);
});

test('an older schema: reads and writes are exit 2 with the hint `mlops registry migrate`, which brings it up to date', async () => {
  const { name: db, url } = await server.freshDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    assert.deepEqual(await migrate(client as unknown as pg.PoolClient, 'test', 1), { from: 0, to: 1 });
  } finally {
    await client.end();
  }
  const before = await dumpTables(server, db);
  const [a] = modelVariants(tempDir(), 1);
  for (const args of [...READS, ...WRITES(a)]) {
    const r = pgCli(url, [...args, '--json']);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const error = JSON.parse(r.stdout).error;
    assert.equal(error.code, 'REGISTRY_SCHEMA_OLD', args.join(' '));
    assert.match(error.message, new RegExp(`has schema version 1; this mlops needs ${SCHEMA_VERSION}`));
    assert.match(error.hint, /mlops registry migrate --registry postgres:\/\/postgres@127\.0\.0\.1:\d+\//);
    assert.doesNotMatch(r.stderr, STACK);
  }
  assert.equal(await dumpTables(server, db), before, 'refused commands changed nothing');
  const migrated = pgCli(url, ['registry', 'migrate', '--json']);
  assert.equal(migrated.status, 0, migrated.stderr);
  assert.deepEqual(JSON.parse(migrated.stdout), {
    version: 1,
    registry: `postgres://postgres@127.0.0.1:${server.port}/${db}`,
    store: 'postgres',
    schema_from: 1,
    schema_to: SCHEMA_VERSION,
    migrated: true,
  });
  assert.equal(await schemaOf(db), SCHEMA_VERSION);
  assert.equal(pgCli(url, ['registry', 'register', 'm', a]).status, 0);
  assert.equal(pgCli(url, ['predict-batch', 'm@1', '--input', mlpCsv(), '--output', '-']).status, 0);
  const again = pgCli(url, ['registry', 'migrate', '--json']);
  assert.equal(JSON.parse(again.stdout).migrated, false, 'a second migrate has nothing to do');
});

test('migrations at once are serialized by the advisory lock: all succeed (no "already exists"), at the current version', async () => {
  for (const start of [0, 1]) {
    const { name: db, url } = await server.freshDatabase();
    if (start === 1) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await migrate(client as unknown as pg.PoolClient, 'test', 1).finally(() => client.end());
    }
    const runs = Array.from({ length: 4 }, () => pgCliAsync(url, ['registry', 'migrate', '--json']).done);
    const results = await Promise.all(runs);
    for (const r of results) assert.equal(r.status, 0, r.stderr);
    // Each step is its own transaction: one process may do 0->1 and another 1->2, so several say "migrated".
    const docs = results.map((r) => JSON.parse(r.stdout));
    assert.ok(
      docs.some((d) => d.migrated),
      `from ${start}: someone did the work`,
    );
    for (const d of docs) assert.equal(d.schema_to, SCHEMA_VERSION);
    assert.equal(await schemaOf(db), SCHEMA_VERSION);
  }
});

test('a schema written by a newer mlops is refused with exit 2 and never modified, by reads, writes and migrate', async () => {
  const { name: db, url } = await server.freshDatabase();
  const [a, b] = modelVariants(tempDir(), 2);
  assert.equal(pgCli(url, ['registry', 'register', 'm', a]).status, 0);
  await server.sql(db, `UPDATE mlops_meta SET value = '99' WHERE key = 'schema_version'`);
  const before = await dumpTables(server, db);
  for (const args of [...READS, ...WRITES(b), ['registry', 'migrate']]) {
    const r = pgCli(url, [...args, '--json']);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const error = JSON.parse(r.stdout).error;
    assert.equal(error.code, 'REGISTRY_SCHEMA_NEWER', args.join(' '));
    assert.match(error.message, /has schema version 99, written by a newer mlops .*nothing was changed/);
    assert.doesNotMatch(r.stderr, STACK);
  }
  assert.equal(await dumpTables(server, db), before, 'not one row changed');
});
