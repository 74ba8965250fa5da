/**
 * A read-only role (SELECT only, as docs/team-registry.md grants predict jobs)
 * reads the registry and is refused every change with exit 2 "permission
 * denied", never a stack trace; the tables stay as they were.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { modelVariants, tempDir } from './helpers.js';
import { dumpTables, mlpCsv, pgCli, STACK } from './pg-faults-helpers.js';

let server: TestPostgres;
const READER = `reader_${process.pid}`;
const READER_PASSWORD = 'reader-secret-9f3';

before(async () => {
  server = await startPostgres();
  await server.sql('postgres', `CREATE ROLE ${READER} LOGIN PASSWORD '${READER_PASSWORD}'`);
});
after(() => server.close());

function readerUrl(db: string): string {
  return `postgres://${READER}:${READER_PASSWORD}@127.0.0.1:${server.port}/${db}`;
}

/** The grants of the doc's read-only role. */
async function grantReadOnly(db: string): Promise<void> {
  await server.sql(db, `GRANT CONNECT ON DATABASE ${db} TO ${READER}`);
  await server.sql(db, `GRANT USAGE ON SCHEMA public TO ${READER}`);
  await server.sql(db, `REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
  await server.sql(db, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER}`);
}

function assertDenied(r: { status: number | null; stdout: string; stderr: string }, what: string): void {
  assert.equal(r.status, 2, `${what}: ${r.stderr}`);
  assert.match(r.stderr, /error: permission denied: role "reader_\d+" may not do this/, what);
  assert.match(r.stderr, /hint: .*(writer role; see|the owner: see) docs\/team-registry\.md/, what);
  assert.doesNotMatch(r.stderr, STACK, what);
  assert.ok(!`${r.stdout}${r.stderr}`.includes(READER_PASSWORD), `${what}: no password`);
}

test('a read-only role reads the registry, and register/promote/rollback/archive are exit 2 "permission denied"', async () => {
  const { name: db, url } = await server.freshDatabase();
  const [a, b, c] = modelVariants(tempDir(), 3);
  assert.equal(pgCli(url, ['registry', 'register', 'm', a]).status, 0);
  assert.equal(pgCli(url, ['registry', 'register', 'm', b]).status, 0);
  assert.equal(pgCli(url, ['registry', 'promote', 'm@1', '--to', 'production']).status, 0);
  assert.equal(pgCli(url, ['registry', 'promote', 'm@2', '--to', 'production']).status, 0);
  await grantReadOnly(db);
  const before = await dumpTables(server, db);
  const reader = readerUrl(db);

  for (const args of [
    ['registry', 'list'],
    ['registry', 'show', 'm@production'],
    ['registry', 'history', 'm'],
    ['registry', 'verify'],
    ['registry', 'path', 'm@production'],
    ['predict-batch', 'm@production', '--input', mlpCsv(), '--output', '-'],
  ]) {
    const r = pgCli(reader, args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  for (const args of [
    ['registry', 'register', 'm', c],
    ['registry', 'register', 'other', c],
    ['registry', 'promote', 'm@1', '--to', 'staging'],
    ['registry', 'rollback', 'm', '--alias', 'production'],
    ['registry', 'archive', 'm@1'],
    ['registry', 'migrate'],
  ]) {
    if (args[1] === 'migrate') {
      // Nothing to migrate: a reader may run it, and it changes nothing.
      assert.equal(pgCli(reader, args).status, 0);
      continue;
    }
    assertDenied(pgCli(reader, args), args.join(' '));
  }
  const json = pgCli(reader, ['registry', 'promote', 'm@1', '--to', 'staging', '--json']);
  assert.equal(JSON.parse(json.stdout).error.code, 'REGISTRY_PERMISSION_DENIED');
  assert.equal(await dumpTables(server, db), before, 'the refused commands changed nothing');
});

test('a read-only role on a fresh empty database: reads list nothing, register is refused cleanly (CREATE denied)', async () => {
  const { name: db } = await server.freshDatabase();
  await grantReadOnly(db);
  const reader = readerUrl(db);
  const list = pgCli(reader, ['registry', 'list', '--json']);
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout).models, []);
  // As on an empty registry folder: nothing to verify.
  const verify = pgCli(reader, ['registry', 'verify', '--json']);
  assert.equal(verify.status, 2, verify.stderr);
  assert.equal(JSON.parse(verify.stdout).error.code, 'REGISTRY_EMPTY');
  const [a] = modelVariants(tempDir(), 1);
  const r = pgCli(reader, ['registry', 'register', 'm', a]);
  assertDenied(r, 'register on an empty database');
  assert.match(r.stderr, /while migrating the registry schema/);
  assert.equal(await dumpTables(server, db), '(no tables)');
});
