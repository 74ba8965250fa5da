/**
 * Parallel writers on both stores, as separate processes: 32 registrations of
 * one model, and promotions with --require racing staging moves, archives and
 * rollbacks. The history is then replayed event by event to show that no
 * move passed a check against a stale state.
 */
import assert from 'node:assert/strict';
import { modelVariants } from '../registry/helpers.js';
import { tempDir } from '../helpers.js';
import { forEachStore, type StoreUnderTest } from './stores.js';

interface HistoryEvent {
  seq: number;
  type: string;
  action?: string;
  alias?: string;
  from?: number | null;
  to?: number | null;
  model_version?: number;
  record?: { sha256: string };
}

function history(store: StoreUnderTest, name: string): HistoryEvent[] {
  const r = store.cli(['registry', 'history', name, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).events;
}

// On PostgreSQL the 32 are also the first writes to an empty database: they race to create the tables.
forEachStore('32 processes registering one model get versions 1..32, no gaps, no duplicates', async (store, t) => {
  const files = modelVariants(tempDir('mlops-conf-par-'), 32);
  const started = Date.now();
  const results = await Promise.all(files.map((f) => store.cliAsync(['registry', 'register', 'fraud', f, '--json'])));
  t.diagnostic(`${store.kind}: 32 parallel register processes in ${Date.now() - started} ms`);
  for (const r of results) assert.equal(r.status, 0, r.stderr);
  const byFile = results.map((r) => JSON.parse(r.stdout).model_version);
  const all = Array.from({ length: 32 }, (_, i) => i + 1);
  assert.deepEqual(
    [...byFile].sort((a, b) => a - b),
    all,
  );
  const registers = history(store, 'fraud').filter((e) => e.type === 'register');
  assert.deepEqual(
    registers.map((e) => e.model_version),
    all,
    'consecutive in the history',
  );
  assert.equal(new Set(registers.map((e) => e.record?.sha256)).size, 32, 'each version holds its own file');
  const verify = store.cli(['registry', 'verify', '--json']);
  assert.equal(verify.status, 0, verify.stdout);
  assert.equal(JSON.parse(store.cli(['registry', 'list', 'fraud', '--json']).stdout).versions.length, 32);
});

forEachStore(
  'promotions with --require racing staging moves, archives and rollbacks never pass against a stale state',
  async (store, t) => {
    const versions = 6;
    for (const f of modelVariants(tempDir('mlops-conf-race-'), versions))
      assert.equal(store.cli(['registry', 'register', 'm', f]).status, 0);
    const jobs: string[][] = [];
    for (let v = 1; v <= versions; v++) {
      jobs.push(['registry', 'promote', `m@${v}`, '--to', 'staging']);
      jobs.push(['registry', 'promote', `m@${v}`, '--to', 'production', '--require', 'staging']);
      jobs.push(['registry', 'promote', `m@${((v + 2) % versions) + 1}`, '--to', 'production', '--require', 'staging']);
      if (v % 2 === 0) jobs.push(['registry', 'archive', `m@${v}`]);
      if (v % 2 === 1) jobs.push(['registry', 'rollback', 'm', '--alias', 'production']);
    }
    const started = Date.now();
    const results = await Promise.all(jobs.map((args) => store.cliAsync(args)));
    const exits = results.map((r) => r.status).join('');
    t.diagnostic(`${store.kind}: ${jobs.length} racing processes in ${Date.now() - started} ms, exit codes ${exits}`);
    results.forEach((r, i) => {
      // Refusals are expected (exit 1: never been staging; exit 2: archived, held by an alias,
      // nothing to roll back); anything else, or a stack trace, is not.
      assert.ok(r.status === 0 || r.status === 1 || r.status === 2, `${jobs[i].join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, jobs[i].join(' '));
    });
    assert.ok(
      results.some((r, i) => r.status === 0 && jobs[i].includes('production')),
      'some production move went through',
    );

    // Replay: each move must have been valid against the state right before it.
    const aliases = new Map<string, number>();
    const everHeld = new Map<string, Set<number>>();
    const archived = new Set<number>();
    for (const e of history(store, 'm')) {
      if (e.type === 'alias' && e.alias) {
        const where = `event ${e.seq} (${e.action} ${e.alias} -> ${e.to})`;
        assert.equal(e.from ?? null, aliases.get(e.alias) ?? null, `${where}: moves from where the alias was`);
        assert.ok(e.to !== null && e.to !== undefined && !archived.has(e.to), `${where}: not to an archived version`);
        if (e.alias === 'production' && e.action === 'promote')
          assert.ok(everHeld.get('staging')?.has(e.to), `${where}: the version had held staging before`);
        aliases.set(e.alias, e.to);
        if (!everHeld.has(e.alias)) everHeld.set(e.alias, new Set());
        everHeld.get(e.alias)?.add(e.to);
      } else if (e.type === 'archive' && e.model_version !== undefined) {
        assert.ok(
          ![...aliases.values()].includes(e.model_version),
          `event ${e.seq}: archived ${e.model_version} while an alias pointed at it`,
        );
        archived.add(e.model_version);
      }
    }
    const listed = JSON.parse(store.cli(['registry', 'list', '--json']).stdout).models[0].aliases;
    assert.deepEqual(listed, Object.fromEntries([...aliases].sort()), 'the alias map is the replayed history');
    assert.equal(store.cli(['registry', 'verify']).status, 0);
  },
);
