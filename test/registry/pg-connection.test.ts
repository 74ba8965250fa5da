/**
 * Connection settings follow libpq (URL, PG* variables, the password file,
 * sslmode), and the password is never printed: not on success, not on
 * failure, not in --json, not in --debug stack traces.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connectionSettings } from '../../src/registry/postgres/connection.js';
import { pgError } from '../../src/registry/postgres/pg-errors.js';
import { fixture } from '../helpers.js';
import { PASSWORD, startPostgres, type TestPostgres } from '../support/postgres.js';
import { modelVariants, tempDir } from './helpers.js';
import { mlpCsv, pgCli, STACK } from './pg-faults-helpers.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(() => server.close());

/** The same URL without its password. */
function bare(db: string): string {
  return `postgres://postgres@127.0.0.1:${server.port}/${db}`;
}

function assertExit2(r: { status: number | null; stdout: string; stderr: string }, code: string, pattern: RegExp) {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(JSON.parse(r.stdout).error.code, code, r.stdout);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, STACK);
}

test('PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE with an empty postgres:// URL', async () => {
  const { name: db, url } = await server.freshDatabase();
  const env = {
    PGHOST: '127.0.0.1',
    PGPORT: String(server.port),
    PGUSER: 'postgres',
    PGPASSWORD: PASSWORD,
    PGDATABASE: db,
  };
  const [a] = modelVariants(tempDir(), 1);
  const r = pgCli('postgres://', ['registry', 'register', 'm', a, '--json'], env);
  assert.equal(r.status, 0, r.stderr);
  const list = pgCli(url, ['registry', 'list', '--json']);
  assert.equal(JSON.parse(list.stdout).models[0].name, 'm', 'it went to the database the variables name');
  const migrate = pgCli('postgres://', ['registry', 'migrate', '--json'], env);
  assert.equal(JSON.parse(migrate.stdout).registry, bare(db), 'the registry is named without its password');
});

test('the password file (PGPASSFILE): used at mode 0600, ignored when others can read it (as libpq does)', async () => {
  const { name: db } = await server.freshDatabase();
  const file = path.join(tempDir(), 'pgpass');
  writeFileSync(file, `# a comment\nother:1:*:*:nope\n127.0.0.1:${server.port}:*:postgres:${PASSWORD}\n`);
  chmodSync(file, 0o600);
  const ok = pgCli(bare(db), ['registry', 'list'], { PGPASSFILE: file, PGPASSWORD: '' });
  assert.equal(ok.status, 0, ok.stderr);
  chmodSync(file, 0o644);
  const ignored = pgCli(bare(db), ['registry', 'list', '--json'], { PGPASSFILE: file, PGPASSWORD: '' });
  assertExit2(ignored, 'REGISTRY_AUTH_FAILED', /refused the login of "postgres".*no password was found for it/);
  assert.match(ignored.stderr, /hint: .*chmod 600/);
});

test('sslmode: disable and prefer connect to a server without TLS; require and verify-full fail with exit 2, not a stack', async () => {
  const { url } = await server.freshDatabase();
  for (const mode of ['disable', 'prefer', 'allow']) {
    const r = pgCli(`${url}?sslmode=${mode}`, ['registry', 'list']);
    assert.equal(r.status, 0, `${mode}: ${r.stderr}`);
  }
  for (const mode of ['require', 'verify-ca', 'verify-full']) {
    const r = pgCli(`${url}?sslmode=${mode}`, ['registry', 'list', '--json']);
    assertExit2(r, 'REGISTRY_TLS_FAILED', new RegExp(`the server does not offer TLS \\(sslmode=${mode}\\)`));
    assert.match(r.stderr, /hint: enable ssl on the server, or .*sslmode=prefer/);
  }
  const env = pgCli(url, ['registry', 'list', '--json'], { PGSSLMODE: 'require' });
  assertExit2(env, 'REGISTRY_TLS_FAILED', /sslmode=require/);
});

test('a bad URL is exit 2 REGISTRY_URL_INVALID naming it without its password', async () => {
  for (const [url, why] of [
    [`postgres://postgres:${PASSWORD}@127.0.0.1/db?port=99999`, /port "99999" is not a port number/],
    [`postgres://postgres:${PASSWORD}@127.0.0.1:5432/db?sslmode=sometimes`, /sslmode "sometimes" is not one of/],
    [`postgres://postgres:${PASSWORD}@127.0.0.1:5432/d%zz`, /has a bad %-escape/],
    [`postgres://postgres:${PASSWORD}@127.0.0.1:port/db`, /not a valid URL/],
  ] as const) {
    const r = pgCli(url, ['registry', 'list', '--json']);
    assertExit2(r, 'REGISTRY_URL_INVALID', why);
    assert.match(r.stderr, /registry URL postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/);
  }
});

test('the password is never printed: success and failure, --json and --debug', async () => {
  const { url } = await server.freshDatabase();
  const wrongPort = url.replace(`:${server.port}/`, ':1/');
  const wrongPassword = url.replace(PASSWORD, `${PASSWORD}x`);
  const [a, b] = modelVariants(tempDir(), 2);
  const csv = mlpCsv();
  const commands = [
    ['registry', 'register', 'm', a],
    ['registry', 'register', 'm', b, '--alias', 'staging'],
    ['registry', 'list'],
    ['registry', 'show', 'm@1'],
    ['registry', 'history', 'm'],
    ['registry', 'verify'],
    ['registry', 'path', 'm@1'],
    ['registry', 'promote', 'm@1', '--to', 'production'],
    ['registry', 'rollback', 'm', '--alias', 'staging', '--to', '1'],
    ['registry', 'archive', 'm@2'],
    ['registry', 'migrate'],
    ['registry', 'show', 'nosuch'],
    ['registry', 'register', 'm', fixture('data', 'counts.csv')],
    ['predict-batch', 'm@production', '--input', csv, '--output', '-'],
  ];
  let runs = 0;
  for (const target of [url, wrongPort, wrongPassword, `${url}?sslmode=require`]) {
    // Every command where it works; where it cannot connect, the first failure is the same for all.
    for (const args of target === url ? commands : [commands[2], commands[0], commands[7]]) {
      for (const extra of [[], ['--json'], ['--debug']]) {
        const r = pgCli(target, [...args, ...extra]);
        runs++;
        const said = r.stdout + r.stderr;
        assert.ok(
          !said.includes(PASSWORD),
          `${args.join(' ')} ${extra.join(' ')} on ${target.replace(PASSWORD, '***')}: ${said}`,
        );
        assert.notEqual(r.status, 3, `${args.join(' ')} ${extra.join(' ')}: not an internal error: ${r.stderr}`);
      }
    }
  }
  // With --registry (an argument, not the environment) too.
  const r = pgCli('', ['registry', 'list', '--registry', wrongPort, '--debug']);
  assert.ok(!(r.stdout + r.stderr).includes(PASSWORD));
  assert.ok(runs > 60);
});

test('an unexpected error naming a URL keeps no password in its message or its stack (internal errors print both)', () => {
  const settings = connectionSettings('postgres://u:hunter2secret@db.example:5432/reg', {});
  const err = pgError(new Error('odd: postgres://u:hunter2secret@db.example:5432/reg failed'), settings, 'testing');
  assert.ok(err instanceof Error);
  assert.ok(!err.message.includes('hunter2secret'), err.message);
  assert.ok(!String(err.stack).includes('hunter2secret'), err.stack);
  assert.match(err.message, /postgres:\/\/u:\*\*\*@db\.example:5432\/reg/);
  assert.equal(settings.display, 'postgres://u@db.example:5432/reg');
});
