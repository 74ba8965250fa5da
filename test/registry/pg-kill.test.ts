/**
 * A register killed with SIGKILL at any moment leaves the PostgreSQL registry
 * as it was: the version row, its events and its blob go in one transaction,
 * which the server rolls back when the client's connection dies. So an
 * unreferenced blob from a killed upload cannot exist (the blob row and its
 * chunks are written inside that same transaction); the tests check there is
 * none, nor any chunk without its blob.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { modelVariants, tempDir } from './helpers.js';
import { dumpTables, orphanRows, paddedModel, pgCli, pgCliAsync } from './pg-faults-helpers.js';

let pg: TestPostgres;
let big: string;
const BIG_BYTES = 200 * 1024 * 1024;

before(async () => {
  pg = await startPostgres();
  // A valid model with a 200 MB initializer of random bytes (nothing compresses it).
  big = paddedModel(BIG_BYTES);
});
after(() => pg.close());

/** A database with m@1 registered and promoted: what every kill must leave as it is. */
async function registryWithOneVersion(): Promise<{ db: string; url: string; files: string[] }> {
  const { name: db, url } = await pg.freshDatabase();
  const files = modelVariants(tempDir(), 3);
  assert.equal(pgCli(url, ['registry', 'register', 'm', files[0]]).status, 0);
  assert.equal(pgCli(url, ['registry', 'promote', 'm@1', '--to', 'production']).status, 0);
  return { db, url, files };
}

const READS = [
  ['registry', 'list', '--json'],
  ['registry', 'show', 'm', '--json'],
  ['registry', 'history', 'm', '--json'],
];

const readCache = tempDir('mlops-cache-');

function reads(url: string): string[] {
  return READS.map((args) => {
    const r = pgCli(url, args, {}, readCache);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  });
}

async function assertUntouched(db: string, url: string, before: { dump: string; reads: string[] }, what: string) {
  assert.equal(await dumpTables(pg, db), before.dump, `${what}: the tables are as before`);
  assert.deepEqual(reads(url), before.reads, `${what}: list/show/history are as before`);
  const verify = pgCli(url, ['registry', 'verify']);
  assert.equal(verify.status, 0, `${what}: verify passes: ${verify.stdout}${verify.stderr}`);
  assert.deepEqual(await orphanRows(pg, db), { blobs: 0, chunks: 0 }, `${what}: no orphan rows`);
  const idle = await pg.sql(
    db,
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'mlops'`,
    [db],
  );
  assert.equal(idle.rows[0].n, 0, `${what}: the killed client's session is gone`);
}

test('SIGKILL at each failpoint of a register leaves nothing, and the next register takes the next number', async () => {
  const { db, url, files } = await registryWithOneVersion();
  const snapshot = { dump: await dumpTables(pg, db), reads: reads(url) };
  for (const [point, file] of [
    ['pg-upload-chunk', big],
    ['pg-after-lock', files[1]],
    ['pg-before-commit', files[1]],
    ['pg-before-commit', big],
  ]) {
    const r = pgCli(url, ['registry', 'register', 'm', file, '--alias', 'staging'], { MLOPS_FAILPOINT: point });
    assert.equal(r.status, null, `${point}: killed (${r.stderr})`);
    await assertUntouched(db, url, snapshot, `${point} ${path.basename(file)}`);
  }
  const next = pgCli(url, ['registry', 'register', 'm', files[1], '--json']);
  assert.equal(next.status, 0, next.stderr);
  assert.equal(JSON.parse(next.stdout).model_version, 2, 'no gap: the killed registers took no number');
  assert.deepEqual(await orphanRows(pg, db), { blobs: 0, chunks: 0 });
});

test('SIGKILL at a random moment of a 200 MB upload leaves nothing; the same model registers afterwards', async () => {
  const { db, url } = await registryWithOneVersion();
  const snapshot = { dump: await dumpTables(pg, db), reads: reads(url) };
  for (let round = 0; round < 2; round++) {
    const run = pgCliAsync(url, ['registry', 'register', 'm', big]);
    // Wait until chunks are going in, then a random while longer (the upload takes about a second or more).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await pg.sql(
        db,
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND application_name = 'mlops' AND query LIKE 'INSERT INTO mlops_blob_chunks%'`,
        [db],
      );
      if (rows[0].n > 0) break;
      assert.ok(Date.now() < deadline, 'the upload started');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, Math.random() * 400));
    run.child.kill('SIGKILL');
    const result = await run.done;
    assert.equal(result.signal, 'SIGKILL', `killed mid-upload, not finished: ${result.stderr}`);
    // The server notices the dead connection and rolls back; give it a moment.
    for (let i = 0; i < 100; i++) {
      const { rows } = await pg.sql(
        db,
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
        [db, 'mlops'],
      );
      if (rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await assertUntouched(db, url, snapshot, `round ${round}`);
  }
  const started = Date.now();
  const r = pgCli(url, ['registry', 'register', 'm', big, '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).model_version, 2);
  const { rows } = await pg.sql(db, 'SELECT chunks, size_bytes FROM mlops_blobs WHERE sha256 = $1', [
    JSON.parse(r.stdout).sha256,
  ]);
  assert.equal(Number(rows[0].size_bytes), JSON.parse(r.stdout).size_bytes);
  console.log(`# 200 MB register into PostgreSQL after the kills: ${Date.now() - started} ms`);
  assert.equal(pgCli(url, ['registry', 'verify']).status, 0);
});
