/**
 * What the review of the PostgreSQL registry found, each shown on a real server:
 * passwords in malformed URLs, a scheme typo taken for a folder, rows that are not
 * events, a database whose default isolation is REPEATABLE READ, search_path with
 * another schema's registry on it, bad connection options, tables changed by hand,
 * a version row deleted by hand, libpq's `user@/db?host=` form, and two uploads of
 * the same bytes waiting on each other longer than lock_timeout.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, runCli, tempDir } from '../helpers.js';
import { PASSWORD, startPostgres, type TestPostgres } from '../support/postgres.js';
import { modelVariants } from './helpers.js';
import { pgCli, pgCliAsync } from './pg-faults-helpers.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(() => server.close());

const MODEL = fixture('models', 'mlp-dynamo.onnx');
const STACK = /\n\s+at /;

test('a password that breaks the URL (/ # ? % @) is never printed, in any format', async () => {
  const { name } = await server.freshDatabase();
  for (const secret of ['top/Secret1', 'top#Secret2', 'top?Secret3', 'top%zzSecret4', 'p@ss:w/rd%40X#?&=Secret5']) {
    const url = `postgres://bob:${secret}@127.0.0.1:${server.port}/${name}`;
    for (const args of [
      ['registry', 'list'],
      ['registry', 'list', '--json'],
      ['registry', 'register', 'm', MODEL, '--debug'],
    ]) {
      const r = runCli([...args, '--registry', url]);
      assert.equal(r.status, 2, `${secret} ${args.join(' ')}: ${r.stderr}`);
      assert.ok(!`${r.stdout}${r.stderr}`.includes('Secret'), `${secret} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
      // --debug prints the stack by design: without the password too.
      if (!args.includes('--debug')) assert.doesNotMatch(r.stderr, STACK);
    }
  }
});

test('a URL with another scheme is refused (exit 2), never taken for a folder named after it', () => {
  const cwd = tempDir();
  for (const url of [`postgress://u:Secret9@127.0.0.1:${server.port}/x`, 'postgresql+psycopg2://u:Secret9@h/x']) {
    const r = runCli(['registry', 'register', 'm', MODEL, '--registry', url], { cwd });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /only postgres:\/\/ \(or postgresql:\/\/\) URLs name a database registry/);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('Secret9'));
    assert.deepEqual(readdirSync(cwd), [], 'no folder was made');
  }
  // With spaces around it (a pasted secret) it is still the database.
  const r = runCli(['registry', 'list', '--registry', ` ${server.url('postgres')}\n`]);
  assert.equal(r.status, 0, r.stderr);
});

test("rows that are not events are damage, named, as a history file's lines are (and never become paths)", async () => {
  const db = await server.freshDatabase();
  const cache = tempDir('mlops-cache-');
  assert.equal(pgCli(db.url, ['registry', 'register', 'fraud', MODEL, '--alias', 'staging'], {}, cache).status, 0);
  assert.equal(pgCli(db.url, ['registry', 'register', 'churn', MODEL]).status, 0);
  // A writer role's row that would point the cache at a file elsewhere.
  const victim = path.join(tempDir(), 'victim.txt');
  writeFileSync(victim, 'keep me');
  const rel = path.relative(path.join(cache, 'models'), victim.replace(/\.txt$/, ''));
  const record = { name: 'evil', version: 1, file: 'model.txt', sha256: rel };
  const event = { seq: 1, type: 'register', at: new Date().toISOString(), actor: 'x', host: 'x', version: 1, record };
  await server.sql(db.name, `INSERT INTO mlops_events (name, seq, type, event) VALUES ('evil', 1, 'register', $1)`, [
    JSON.stringify(event),
  ]);
  const path1 = pgCli(db.url, ['registry', 'path', 'evil@1'], {}, cache);
  assert.equal(path1.status, 2, path1.stderr);
  assert.match(
    path1.stderr,
    /mlops_events\/evil:1: not a valid history event \(its "record" needs a "sha256" of 64 hex digits\)/,
  );
  assert.equal(readFileSync(victim, 'utf8'), 'keep me');
  // A row that is no event at all: list and verify name it (exit 1) and go on; commands on the model refuse.
  await server.sql(db.name, `INSERT INTO mlops_events (name, seq, type, event) VALUES ('fraud', 3, 'x', '{"foo":1}')`);
  const list = pgCli(db.url, ['registry', 'list', '--json']);
  assert.equal(list.status, 1, list.stderr);
  const doc = JSON.parse(list.stdout);
  assert.deepEqual(
    doc.models.map((m: { name: string }) => m.name),
    ['churn'],
  );
  assert.deepEqual(doc.damaged.map((d: { name: string }) => d.name).sort(), ['evil', 'fraud']);
  assert.equal(pgCli(db.url, ['registry', 'verify']).status, 1);
  for (const args of [
    ['registry', 'history', 'fraud'],
    ['registry', 'promote', 'fraud@1', '--to', 'production'],
  ]) {
    const r = pgCli(db.url, args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /mlops_events\/fraud:3: not a valid history event/);
    assert.doesNotMatch(r.stderr, STACK);
  }
  // A damaged policy row: list says so (exit 1), a gated move refuses, a rollback-free register still works.
  await server.sql(db.name, `INSERT INTO mlops_policy_events (seq, event) VALUES (1, 'null')`);
  const listed = pgCli(db.url, ['registry', 'list', '--json']);
  assert.equal(listed.status, 1);
  assert.ok(JSON.parse(listed.stdout).damaged_policies);
  assert.equal(pgCli(db.url, ['registry', 'promote', 'churn@1', '--to', 'production']).status, 2);
});

test('a database whose default isolation is REPEATABLE READ: parallel registers still get 1..8', async () => {
  const db = await server.freshDatabase();
  await server.sql('postgres', `ALTER DATABASE ${db.name} SET default_transaction_isolation = 'repeatable read'`);
  assert.equal(pgCli(db.url, ['registry', 'register', 'm', MODEL]).status, 0);
  const files = modelVariants(tempDir(), 8);
  const runs = await Promise.all(files.map((f) => pgCliAsync(db.url, ['registry', 'register', 'm', f]).done));
  for (const r of runs) assert.equal(r.status, 0, r.stderr);
  const listed = JSON.parse(pgCli(db.url, ['registry', 'list', 'm', '--json']).stdout);
  assert.deepEqual(
    listed.versions.map((v: { model_version: number }) => v.model_version).sort((a: number, b: number) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
});

test("search_path: the registry lives in the first schema that exists, never in another one's tables", async () => {
  const db = await server.freshDatabase();
  assert.equal(pgCli(db.url, ['registry', 'register', 'public-model', MODEL]).status, 0);
  await server.sql(db.name, 'CREATE SCHEMA team_b');
  const teamB = `${db.url}?options=-c%20search_path%3Dteam_b,public`;
  const empty = pgCli(teamB, ['registry', 'list', '--json']);
  assert.equal(empty.status, 0, empty.stderr);
  assert.deepEqual(JSON.parse(empty.stdout).models, [], "public's registry is not team_b's");
  assert.equal(pgCli(teamB, ['registry', 'register', 'b-model', MODEL]).status, 0);
  const tables = await server.sql(db.name, `SELECT to_regclass('team_b.mlops_events')::text AS t`);
  assert.equal(tables.rows[0].t, 'team_b.mlops_events');
  const names = (url: string) =>
    JSON.parse(pgCli(url, ['registry', 'list', '--json']).stdout).models.map((m: { name: string }) => m.name);
  assert.deepEqual(names(db.url), ['public-model']);
  assert.deepEqual(names(teamB), ['b-model']);
  // A search_path that names no schema that exists: exit 2, for reads and writes.
  const typo = `${db.url}?options=-c%20search_path%3Dteam_typo`;
  for (const args of [
    ['registry', 'list'],
    ['registry', 'register', 'x', MODEL],
  ]) {
    const r = pgCli(typo, args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /search_path \(team_typo\) names no schema that exists/);
  }
});

test('bad connection options, a missing database, and tables changed by hand are exit 2, never a stack', async () => {
  const db = await server.freshDatabase();
  const cases: Array<[string, RegExp]> = [
    [`${db.url}?options=-c%20foo%3Dbar`, /refused a connection setting.*unrecognized configuration parameter "foo"/],
    [`${db.url}?options=-c%20statement_timeout%3Dabc`, /refused a connection setting/],
    [server.url('no_such_db'), /database "no_such_db" does not exist/],
  ];
  for (const [url, message] of cases) {
    const r = pgCli(url, ['registry', 'list']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, STACK);
  }
  assert.equal(pgCli(db.url, ['registry', 'register', 'm', MODEL]).status, 0);
  await server.sql(db.name, 'DROP TABLE mlops_policy_events');
  for (const args of [
    ['registry', 'list'],
    ['registry', 'register', 'n', MODEL],
  ]) {
    const r = pgCli(db.url, args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /does not have the tables its schema version says/);
  }
  await server.sql(db.name, 'DROP TABLE mlops_meta');
  const r = pgCli(db.url, ['registry', 'list']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /tables are there but mlops_meta/);
});

test('verify fails on a version row deleted by hand, or one without its register event', async () => {
  const db = await server.freshDatabase();
  const [a, b] = modelVariants(tempDir(), 2);
  for (const f of [a, b]) assert.equal(pgCli(db.url, ['registry', 'register', 'm', f]).status, 0);
  assert.equal(pgCli(db.url, ['registry', 'verify']).status, 0);
  await server.sql(db.name, `DELETE FROM mlops_versions WHERE name = 'm' AND version = 2`);
  const verify = pgCli(db.url, ['registry', 'verify', '--json']);
  assert.equal(verify.status, 1, verify.stdout);
  assert.deepEqual(
    JSON.parse(verify.stdout).problems.map((p: { problem: string; model_version: number }) => [
      p.problem,
      p.model_version,
    ]),
    [['missing_file', 2]],
  );
  // A row no event records: named, and the next register numbers above it.
  const blob = (await server.sql(db.name, `SELECT sha256 FROM mlops_blobs LIMIT 1`)).rows[0].sha256;
  await server.sql(
    db.name,
    `INSERT INTO mlops_versions (name, version, sha256, file) VALUES ('m', 7, $1, 'model.onnx')`,
    [blob],
  );
  const problems = JSON.parse(pgCli(db.url, ['registry', 'verify', '--json']).stdout).problems;
  assert.ok(
    problems.some(
      (p: { problem: string; model_version: number }) => p.problem === 'unregistered_folder' && p.model_version === 7,
    ),
  );
  const next = pgCli(db.url, ['registry', 'register', 'm', MODEL, '--json']);
  assert.equal(next.status, 0, next.stderr);
  assert.equal(JSON.parse(next.stdout).model_version, 8);
});

test("libpq's user@/database?host=...&port=... form connects", () => {
  const url = `postgres://postgres:${encodeURIComponent(PASSWORD)}@/postgres?host=127.0.0.1&port=${server.port}`;
  const r = runCli(['registry', 'list', '--registry', url]);
  assert.equal(r.status, 0, r.stderr);
});

test('two uploads of the same bytes: the second waits for the first, longer than lock_timeout, and succeeds', async () => {
  const db = await server.freshDatabase();
  assert.equal(pgCli(db.url, ['registry', 'register', 'seed', MODEL]).status, 0); // the tables
  const [file] = modelVariants(tempDir(), 1);
  // A first upload of these bytes, not yet committed: its blob row holds the key.
  const { createHash } = await import('node:crypto');
  const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
  const pg = (await import('pg')).default;
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query(`INSERT INTO mlops_blobs (sha256, size_bytes, chunk_bytes, chunks) VALUES ($1, 0, 1, 0)`, [sha]);
  const second = pgCliAsync(db.url, ['registry', 'register', 'same', file], { MLOPS_PG_LOCK_TIMEOUT_MS: '300' });
  await new Promise((r) => setTimeout(r, 1500));
  await holder.query('ROLLBACK');
  await holder.end();
  const r = await second.done;
  assert.equal(r.status, 0, r.stderr);
  assert.equal(existsSync(file), true);
});
