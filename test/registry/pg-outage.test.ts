/**
 * PostgreSQL going away, refusing, timing out or aborting: every command says
 * "cannot reach PostgreSQL at host:port" (or what timed out) with a hint and
 * exit 2, never a stack trace, and the registry is intact when it is back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { closeStores, openStore } from '../../src/registry/context.js';
import type { PostgresStore } from '../../src/registry/postgres/pg-store.js';
import { LOCK_NAMESPACE, WRITE_LOCK } from '../../src/registry/postgres/schema.js';
import { isMlopsError } from '../../src/util/errors.js';
import { fixture } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { modelVariants, tempDir } from './helpers.js';
import { mlpCsv, orphanRows, paddedModel, pgCli, pgCliAsync, STACK } from './pg-faults-helpers.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
  process.env.MLOPS_CACHE_DIR = tempDir('mlops-cache-');
});
after(async () => {
  await closeStores();
  await server.close();
});

const COMMANDS = [
  ['registry', 'list'],
  ['registry', 'show', 'm@1'],
  ['registry', 'history', 'm'],
  ['registry', 'verify'],
  ['registry', 'path', 'm@1'],
  ['registry', 'promote', 'm@1', '--to', 'production'],
  ['registry', 'register', 'm', fixture('models', 'mlp-dynamo.onnx')],
  ['registry', 'migrate'],
  ['predict-batch', 'm@1', '--input', mlpCsv(), '--output', '-'],
];

function assertUnreachable(r: { status: number | null; stderr: string }, address: string, what: string) {
  assert.equal(r.status, 2, `${what}: ${r.stderr}`);
  assert.match(r.stderr, new RegExp(`cannot reach PostgreSQL at ${address.replace(/\./g, '\\.')}`), what);
  assert.match(r.stderr, /hint: check that the server is running/, what);
  assert.doesNotMatch(r.stderr, STACK, what);
}

test('a stopped server: every command is exit 2 "cannot reach PostgreSQL at host:port"; after a restart they work', async () => {
  const { url } = await server.freshDatabase();
  assert.equal(pgCli(url, ['registry', 'register', 'm', fixture('models', 'mlp-dynamo.onnx')]).status, 0);
  await server.stop();
  try {
    for (const args of COMMANDS) assertUnreachable(pgCli(url, args), `127.0.0.1:${server.port}`, args.join(' '));
    const json = pgCli(url, ['registry', 'list', '--json']);
    assert.equal(JSON.parse(json.stdout).error.code, 'REGISTRY_UNREACHABLE');
  } finally {
    await server.start();
  }
  const after = pgCli(url, ['registry', 'list', '--json']);
  assert.equal(after.status, 0, after.stderr);
  assert.equal(JSON.parse(after.stdout).models[0].versions, 1);
});

test('connection refused on a wrong port is exit 2 naming that port', async () => {
  const { url } = await server.freshDatabase();
  const wrong = url.replace(`:${server.port}/`, ':1/');
  for (const args of COMMANDS.slice(0, 2)) assertUnreachable(pgCli(wrong, args), '127.0.0.1:1', args.join(' '));
});

test('the server stopped during a long register: exit 2, nothing stored; after the restart the register works', async () => {
  const { name: db, url } = await server.freshDatabase();
  const big = paddedModel(64 * 1024 * 1024);
  const [small] = modelVariants(tempDir(), 1);
  assert.equal(pgCli(url, ['registry', 'register', 'm', small]).status, 0);

  const run = pgCliAsync(url, ['registry', 'register', 'm', big]);
  for (let i = 0; ; i++) {
    const { rows } = await server.sql(
      db,
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'INSERT INTO mlops_blob_chunks%'`,
      [db],
    );
    if (rows[0].n > 0) break;
    assert.ok(i < 1000, 'the upload started');
    await new Promise((r) => setTimeout(r, 10));
  }
  await server.stop();
  const result = await run.done;
  await server.start();
  assertUnreachable(result, `127.0.0.1:${server.port}`, 'register while the server stops');
  assert.equal((await server.sql(db, 'SELECT count(*)::int AS n FROM mlops_versions')).rows[0].n, 1);
  assert.deepEqual(await orphanRows(server, db), { blobs: 0, chunks: 0 });
  assert.equal(pgCli(url, ['registry', 'verify']).status, 0);
  const again = pgCli(url, ['registry', 'register', 'm', big, '--json']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).model_version, 2);
});

test('a writer holding the registry lock: register waits lock_timeout, then exit 2 REGISTRY_TIMEOUT', async () => {
  const { url } = await server.freshDatabase();
  const [a, b] = modelVariants(tempDir(), 2);
  assert.equal(pgCli(url, ['registry', 'register', 'm', a]).status, 0);
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, WRITE_LOCK]);
    const started = Date.now();
    const r = pgCli(url, ['registry', 'register', 'm', b, '--json'], { MLOPS_PG_LOCK_TIMEOUT_MS: '700' });
    const took = Date.now() - started;
    assert.equal(r.status, 2, r.stderr);
    const error = JSON.parse(r.stdout).error;
    assert.equal(error.code, 'REGISTRY_TIMEOUT');
    assert.match(
      error.message,
      new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${server.port} timed out while writing to the registry`),
    );
    assert.match(error.hint, /another writer may hold the registry/);
    assert.doesNotMatch(r.stderr, STACK);
    assert.ok(took >= 700 && took < 15_000, `gave up after the lock timeout (${took} ms)`);
    const promote = pgCli(url, ['registry', 'promote', 'm@1', '--to', 'production'], {
      MLOPS_PG_LOCK_TIMEOUT_MS: '300',
    });
    assert.equal(promote.status, 2, promote.stderr);
    assert.match(promote.stderr, /timed out/);
  } finally {
    await holder.query('ROLLBACK');
    await holder.end();
  }
  const history = pgCli(url, ['registry', 'history', 'm', '--json']);
  assert.equal(JSON.parse(history.stdout).events.length, 1, 'nothing was changed by the timed-out commands');
  assert.equal(pgCli(url, ['registry', 'register', 'm', b]).status, 0, 'once the lock is free, the register works');
});

/** A real SQLSTATE raised by the server inside the write transaction, `times` times. */
function raiseInTransaction(store: PostgresStore, code: string) {
  const q = (store as unknown as { q(text: string, values: unknown[], doing: string): Promise<unknown> }).q.bind(store);
  return q(`DO $$ BEGIN RAISE EXCEPTION 'provoked' USING ERRCODE = '${code}'; END $$`, [], 'testing');
}

test('serialization failures and deadlocks are retried: 4 attempts in all, then REGISTRY_BUSY; other errors are not', async () => {
  const { url } = await server.freshDatabase();
  const store = openStore({ registry: url }) as PostgresStore;
  for (const code of ['40001', '40P01']) {
    let attempts = 0;
    const result = await store.withLock(async () => {
      if (++attempts < 3) await raiseInTransaction(store, code);
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(attempts, 3, `${code}: retried until it went through`);

    attempts = 0;
    await assert.rejects(
      store.withLock(async () => {
        attempts++;
        await raiseInTransaction(store, code);
      }),
      (err) => isMlopsError(err) && err.code === 'REGISTRY_BUSY' && /aborted this change 4 times/.test(err.message),
    );
    assert.equal(attempts, 4, `${code}: a bounded number of attempts`);
  }
  let attempts = 0;
  await assert.rejects(
    store.withLock(async () => {
      attempts++;
      await raiseInTransaction(store, '23514');
    }),
  );
  assert.equal(attempts, 1, 'a check violation is not retried');
});

test('a long-lived process (one pool) survives a server restart: the next reads and writes work', async () => {
  const { url } = await server.freshDatabase();
  const store = openStore({ registry: url }) as PostgresStore;
  const [a] = modelVariants(tempDir(), 1);
  assert.equal(pgCli(url, ['registry', 'register', 'm', a]).status, 0);
  assert.deepEqual(await store.listModels(), ['m']);
  await server.stop();
  await assert.rejects(store.listModels(), (err) => isMlopsError(err) && err.code === 'REGISTRY_UNREACHABLE');
  await server.start();
  assert.deepEqual(await store.listModels(), ['m'], 'reads after the restart');
  assert.equal(await store.withLock(async () => 'written'), 'written', 'writes after the restart');
});

test('a statement timeout (MLOPS_PG_STATEMENT_TIMEOUT_MS) also ends a wait: exit 2 REGISTRY_TIMEOUT', async () => {
  const { url } = await server.freshDatabase();
  const [a, b] = modelVariants(tempDir(), 2);
  assert.equal(pgCli(url, ['registry', 'register', 'm', a]).status, 0);
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, WRITE_LOCK]);
    const r = pgCli(url, ['registry', 'register', 'm', b, '--json'], { MLOPS_PG_STATEMENT_TIMEOUT_MS: '600' });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(JSON.parse(r.stdout).error.code, 'REGISTRY_TIMEOUT');
    assert.match(JSON.parse(r.stdout).error.message, /canceling statement due to statement timeout/);
  } finally {
    await holder.query('ROLLBACK');
    await holder.end();
  }
});

for (const point of ['pg-after-lock', 'pg-before-commit'])
  test(`a writer paused inside its transaction (${point}) does not hold the registry forever (idle-in-transaction timeout)`, async () => {
    const { name: db, url } = await server.freshDatabase();
    const [a, b, c] = modelVariants(tempDir(), 3);
    assert.equal(pgCli(url, ['registry', 'register', 'm', a]).status, 0);
    const paused = pgCliAsync(url, ['registry', 'register', 'm', b, '--json'], {
      MLOPS_FAILPOINT: `${point}:stop`,
      MLOPS_PG_IDLE_TIMEOUT_MS: '1000',
    });
    const pid = paused.child.pid as number;
    for (let i = 0; !/\) T /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); i++) {
      assert.ok(i < 3000, 'the writer stopped at the failpoint');
      await new Promise((r) => setTimeout(r, 10));
    }
    const started = Date.now();
    const other = pgCli(url, ['registry', 'register', 'm', c, '--json']);
    assert.equal(other.status, 0, other.stderr);
    assert.equal(JSON.parse(other.stdout).model_version, 2, 'the paused writer took no number');
    assert.ok(Date.now() - started < 15_000);
    paused.child.kill('SIGCONT');
    const result = await paused.done;
    assert.equal(result.status, 2, result.stderr);
    assert.doesNotMatch(result.stderr, STACK);
    // Said as what happened (the server's reason, kept from the client's 'error' event), not as "cannot reach".
    assert.equal(JSON.parse(result.stdout).error.code, 'REGISTRY_TIMEOUT');
    assert.match(JSON.parse(result.stdout).error.message, /ended this session, idle inside a transaction too long/);
    assert.equal((await server.sql(db, 'SELECT count(*)::int AS n FROM mlops_versions')).rows[0].n, 2);
    assert.deepEqual(await orphanRows(server, db), { blobs: 0, chunks: 0 });
    assert.equal(pgCli(url, ['registry', 'verify']).status, 0);
  });

test('a real deadlock inside the write transaction is retried and the change goes through', async () => {
  const { name: db, url } = await server.freshDatabase();
  await server.sql(db, 'CREATE TABLE rows_to_lock (id int PRIMARY KEY); INSERT INTO rows_to_lock VALUES (1), (2)');
  const store = openStore({ registry: url }) as PostgresStore;
  const q = (store as unknown as { q(text: string, values: unknown[], doing: string): Promise<unknown> }).q.bind(store);
  const other = new pg.Client({ connectionString: url });
  await other.connect();
  try {
    await other.query('BEGIN');
    await other.query('UPDATE rows_to_lock SET id = id WHERE id = 1');
    let otherDone: Promise<unknown> | undefined;
    const codes: string[] = [];
    let attempts = 0;
    const result = await store.withLock(async () => {
      attempts++;
      try {
        await q('UPDATE rows_to_lock SET id = id WHERE id = 2', [], 'locking row 2');
        if (attempts === 1) {
          // Once we wait for row 1 (seen in pg_locks), the other transaction asks for row 2: a cycle the
          // server breaks in the transaction that has waited longer, ours.
          otherDone = (async () => {
            for (let i = 0; i < 1000; i++) {
              const { rows } = await server.sql(db, 'SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted');
              if (rows[0].n > 0) break;
              await new Promise((r) => setTimeout(r, 10));
            }
            await other.query('UPDATE rows_to_lock SET id = id WHERE id = 2');
            await other.query('COMMIT');
          })();
        }
        await q('UPDATE rows_to_lock SET id = id WHERE id = 1', [], 'locking row 1');
      } catch (err) {
        codes.push((err as { code?: string }).code ?? String(err));
        throw err;
      }
      return 'through';
    });
    await otherDone;
    assert.equal(result, 'through');
    assert.deepEqual(codes, ['40P01'], 'one deadlock, detected by the server');
    assert.equal(attempts, 2);
  } finally {
    await other.end();
  }
});
