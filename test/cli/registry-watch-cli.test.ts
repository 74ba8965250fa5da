/**
 * `mlops registry watch` as a user runs it: JSON lines on stdout (each with
 * "version": 1), notes and reconnects on stderr, Ctrl-C/SIGTERM exit 0, and
 * exit 2 for a registry that is not there.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, tempDir } from '../helpers.js';
import { freePort, startPostgres, type TestPostgres } from '../support/postgres.js';
import { modelVariants } from '../registry/helpers.js';
import { startCliWatch, waitUntil } from '../registry/watch-helpers.js';

const CACHE = tempDir('mlops-watch-cache-');
const ENV = { MLOPS_CACHE_DIR: CACHE, MLOPS_WATCH_INTERVAL_MS: '30' };
const models = modelVariants(tempDir(), 2);

function cli(registry: string, ...args: string[]): void {
  const r = runCli([...args, '--registry', registry], { env: ENV });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

let pg: TestPostgres | undefined;
after(async () => {
  await pg?.close();
});

const STORES = [
  { kind: 'folder', fresh: async () => `${tempDir()}/registry` },
  {
    kind: 'postgres',
    fresh: async () => {
      pg ??= await startPostgres();
      return (await pg.freshDatabase()).url;
    },
  },
];

for (const store of STORES) {
  describe(`mlops registry watch on the ${store.kind} store`, () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      test(`prints one JSON line per move, in order, until ${signal} (exit 0)`, async () => {
        const registry = await store.fresh();
        cli(registry, 'registry', 'register', 'fraud', models[0]);
        cli(registry, 'registry', 'register', 'fraud', models[1]);
        cli(registry, 'registry', 'promote', 'fraud@1', '--to', 'production');
        const watch = startCliWatch(['fraud', '--initial', '--registry', registry], ENV);
        await waitUntil(() => /following alias moves of fraud/.test(watch.stderr()), 20_000, 'the watch to start');
        assert.equal(watch.lines.length, 1, 'the initial line');
        cli(registry, 'registry', 'promote', 'fraud@2', '--to', 'production', '--reason', 'A/B ok');
        cli(registry, 'registry', 'rollback', 'fraud', '--alias', 'production');
        await waitUntil(() => watch.lines.length >= 3, 20_000, 'three lines');
        const end = await watch.stop(signal);
        assert.deepEqual(end, { code: 0, signal: null }, watch.stderr());
        assert.deepEqual(
          watch.lines.map((l) => [l.version, l.type, l.name, l.alias, l.action, l.from, l.to, l.seq, l.initial]),
          [
            [1, 'alias_move', 'fraud', 'production', 'promote', null, 1, 3, true],
            [1, 'alias_move', 'fraud', 'production', 'promote', 1, 2, 4, false],
            [1, 'alias_move', 'fraud', 'production', 'rollback', 2, 1, 5, false],
          ],
        );
        assert.equal(watch.lines[1].reason, 'A/B ok');
        assert.match(String(watch.lines[1].sha256), /^[0-9a-f]{64}$/);
        assert.doesNotMatch(watch.stderr(), /interrupted|error|warning/);
      });
    }
  });
}

test('the LISTEN connection terminated: stderr says so, the move made meanwhile is printed once', async () => {
  pg ??= await startPostgres();
  const db = await pg.freshDatabase();
  cli(db.url, 'registry', 'register', 'fraud', models[0]);
  const watch = startCliWatch(['--registry', db.url], ENV);
  const listening = async () =>
    (
      await pg!.sql(
        db.name,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mlops' AND query LIKE 'LISTEN%' AND datname = $1",
        [db.name],
      )
    ).rowCount ?? 0;
  await waitUntil(() => /following alias moves/.test(watch.stderr()), 20_000, 'the watch to start');
  // Terminate its LISTEN backend as soon as there is one.
  const deadline = Date.now() + 20_000;
  while ((await listening()) < 1) {
    assert.ok(Date.now() < deadline, 'the watch never listened');
    await new Promise((r) => setTimeout(r, 50));
  }
  cli(db.url, 'registry', 'promote', 'fraud@1', '--to', 'production');
  await waitUntil(() => watch.lines.length >= 1 && /caught up/.test(watch.stderr()), 20_000, 'the move and the note');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await watch.stop(), { code: 0, signal: null });
  assert.deepEqual(
    watch.lines.map((l) => [l.name, l.alias, l.to]),
    [['fraud', 'production', 1]],
  );
  const stderr = watch.stderr();
  assert.match(stderr, /watch: cannot reach PostgreSQL at 127\.0\.0\.1:\d+ .* while listening for changes; retrying/);
  assert.match(stderr, /watch: caught up with the registry at postgres:\/\/postgres@127\.0\.0\.1/);
  assert.doesNotMatch(stderr, /pw-/, 'no password on stderr');
});

test('a registry that cannot be reached or does not exist: exit 2 at start, no stack trace', async () => {
  const port = await freePort();
  const down = runCli(['registry', 'watch', '--registry', `postgres://me:secret@127.0.0.1:${port}/db`], { env: ENV });
  assert.equal(down.status, 2, down.stderr);
  assert.match(down.stderr, /error: cannot reach PostgreSQL at 127\.0\.0\.1:\d+/);
  assert.doesNotMatch(down.stderr, /secret| {4}at /);
  assert.equal(down.stdout, '');

  const missing = runCli(['registry', 'watch', '--registry', `${tempDir()}/typo`], { env: ENV });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /registry folder .*typo does not exist/);

  const json = runCli(['registry', 'watch', '--json', '--registry', `${tempDir()}/typo`], { env: ENV });
  assert.equal(json.status, 2);
  assert.equal(JSON.parse(json.stdout).error.code, 'REGISTRY_NOT_FOUND');

  const badName = runCli(['registry', 'watch', 'Fraud Model', '--registry', tempDir()], { env: ENV });
  assert.equal(badName.status, 2);
  assert.match(badName.stderr, /invalid model name "Fraud Model"/);
});

test('--help says the output is JSON lines and how it ends', () => {
  const help = runCli(['registry', 'watch', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /one JSON line each/);
  assert.match(help.stdout, /--json .*always JSON lines/);
  assert.match(help.stdout, /Ctrl-C or SIGTERM ends it with exit 0/);
});
