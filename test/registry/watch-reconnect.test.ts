/**
 * registry watch on PostgreSQL when the LISTEN connection is lost: its backend
 * terminated, the server restarted. A move made while the watch is not
 * listening is still reported, once, and moves after the reconnect arrive by
 * notification again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { modelVariants, tempDir } from './helpers.js';
import { waitUntil } from './watch-helpers.js';
import { closeStores } from '../../src/registry/context.js';
import { watchAliases, type AliasMove } from '../../src/registry/watch.js';

const CACHE = tempDir('mlops-watch-cache-');
process.env.MLOPS_CACHE_DIR = CACHE;
const models = modelVariants(tempDir(), 2);
let pg: TestPostgres;

before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await closeStores();
  await pg.close();
});

function cli(registry: string, ...args: string[]): void {
  const r = runCli([...args, '--registry', registry], { env: { MLOPS_CACHE_DIR: CACHE } });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

/** A registry with fraud@1, fraud@2, production -> 1, and a watch on it (started, listening). */
async function watched() {
  const db = await pg.freshDatabase();
  cli(db.url, 'registry', 'register', 'fraud', models[0]);
  cli(db.url, 'registry', 'register', 'fraud', models[1]);
  cli(db.url, 'registry', 'promote', 'fraud@1', '--to', 'production');
  const moves: AliasMove[] = [];
  const errors: Array<{ code?: string; message?: string }> = [];
  const notes: string[] = [];
  const stop = new AbortController();
  const running = watchAliases({
    registry: db.url,
    signal: stop.signal,
    onMove: (m) => moves.push(m),
    onError: (e) => errors.push(e as { code?: string }),
    onNote: (n) => notes.push(n),
  });
  const listening = async () =>
    (
      await pg.sql(
        db.name,
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'mlops' AND query LIKE 'LISTEN%' AND datname = $1",
        [db.name],
      )
    ).rows[0].n as number;
  const waitListening = async () => {
    const deadline = Date.now() + 30_000;
    while ((await listening().catch(() => 0)) < 1) {
      if (Date.now() > deadline) throw new Error('the watch never started listening');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await waitListening();
  return {
    db,
    moves,
    errors,
    notes,
    waitListening,
    waitFor: (n: number) => waitUntil(() => moves.length >= n, 30_000, `${n} moves (got ${moves.length})`),
    async stop() {
      stop.abort();
      await running;
    },
  };
}

test('the LISTEN backend terminated: a move made while reconnecting is reported once, later ones by notification', async () => {
  const watch = await watched();
  const killed = await pg.sql(
    watch.db.name,
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mlops' AND query LIKE 'LISTEN%' AND datname = $1",
    [watch.db.name],
  );
  assert.equal(killed.rowCount, 1);
  // Another process moves the alias at once (spawnSync also holds this process still, so the
  // watch cannot have reconnected before the move is committed).
  cli(watch.db.url, 'registry', 'promote', 'fraud@2', '--to', 'production', '--reason', 'while away');
  await watch.waitFor(1);
  await waitUntil(() => watch.notes.some((n) => /caught up/.test(n)), 10_000, 'the caught-up note');
  assert.ok(
    watch.errors.some((e) => e.code === 'REGISTRY_UNREACHABLE' && /listening for changes/.test(e.message ?? '')),
    JSON.stringify(watch.errors),
  );
  await watch.waitListening();
  cli(watch.db.url, 'registry', 'rollback', 'fraud', '--alias', 'production');
  await watch.waitFor(2);
  await new Promise((r) => setTimeout(r, 300));
  await watch.stop();
  assert.deepEqual(
    watch.moves.map((m) => [m.action, m.from, m.to, m.seq, m.reason]),
    [
      ['promote', 1, 2, 4, 'while away'],
      ['rollback', 2, 1, 5, undefined],
    ],
  );
});

test('the server restarted: a move made right after it is back is reported once, and the watch listens again', async () => {
  const watch = await watched();
  await pg.stop();
  await waitUntil(() => watch.errors.length > 0, 15_000, 'the watch to notice the server went away');
  await pg.start();
  cli(watch.db.url, 'registry', 'promote', 'fraud@2', '--to', 'production', '--reason', 'after restart');
  await watch.waitFor(1);
  await watch.waitListening();
  cli(watch.db.url, 'registry', 'promote', 'fraud@2', '--to', 'staging');
  await watch.waitFor(2);
  await new Promise((r) => setTimeout(r, 300));
  await watch.stop();
  assert.deepEqual(
    watch.moves.map((m) => [m.name, m.alias, m.from, m.to, m.seq]),
    [
      ['fraud', 'production', 1, 2, 4],
      ['fraud', 'staging', null, 2, 5],
    ],
  );
  assert.ok(
    watch.errors.every((e) => e.code === 'REGISTRY_UNREACHABLE'),
    JSON.stringify(watch.errors.map((e) => e.message)),
  );
  assert.ok(
    watch.errors.every((e) => !(e.message ?? '').includes('pw-')),
    'no password in what the watch reports',
  );
});
