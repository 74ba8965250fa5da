/**
 * registry watch's library on both stores: moves made by other processes come
 * out in order with the right fields; initial state; a model registered later;
 * a named model that does not exist yet.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers.js';
import { bothStores } from '../support/postgres.js';
import { modelVariants, tempDir } from './helpers.js';
import { waitUntil } from './watch-helpers.js';
import { watchAliases, type AliasMove } from '../../src/registry/watch.js';
import { promote } from '../../src/release/index.js';

const CACHE = tempDir('mlops-watch-cache-');
const ENV = { MLOPS_CACHE_DIR: CACHE, MLOPS_WATCH_INTERVAL_MS: '30' };
process.env.MLOPS_CACHE_DIR = CACHE;
process.env.MLOPS_WATCH_INTERVAL_MS = '30';
const models = modelVariants(tempDir(), 3);

/** `mlops <args> --registry <registry>` in another process; must succeed. */
function cli(registry: string, ...args: string[]): void {
  const r = runCli([...args, '--registry', registry], { env: ENV });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

/** A watch running in this process, collecting what it reports. */
async function startWatch(registry: string, options: { name?: string; initial?: boolean } = {}) {
  const moves: AliasMove[] = [];
  const notes: string[] = [];
  const errors: unknown[] = [];
  const stop = new AbortController();
  let ready = false;
  const running = watchAliases({
    registry,
    ...options,
    signal: stop.signal,
    onMove: (m) => moves.push(m),
    onNote: (n) => notes.push(n),
    onError: (e) => errors.push(e),
    onReady: () => {
      ready = true;
    },
  });
  await Promise.race([running, waitUntil(() => ready, 20_000, 'the watch to start')]);
  return {
    moves,
    notes,
    errors,
    waitFor: (count: number) => waitUntil(() => moves.length >= count, 20_000, `${count} moves (got ${moves.length})`),
    async stop() {
      stop.abort();
      await running;
    },
  };
}

/** The fields a line must carry, less the ones that vary (at, host, sha256 checked apart). */
function essentials(m: AliasMove) {
  return { name: m.name, alias: m.alias, action: m.action, from: m.from, to: m.to, seq: m.seq, initial: m.initial };
}

const STORES = bothStores();

for (const store of STORES) {
  describe(`registry watch on the ${store.kind} store`, () => {
    let registry: string;
    before(async () => {
      registry = await store.fresh();
      cli(registry, 'registry', 'register', 'fraud', models[0]);
      cli(registry, 'registry', 'register', 'fraud', models[1]);
      cli(registry, 'registry', 'promote', 'fraud@1', '--to', 'production');
    });

    test('moves made by other processes arrive in order, with who, why and the bytes to load', async () => {
      const watch = await startWatch(registry);
      cli(registry, 'registry', 'promote', 'fraud@2', '--to', 'production', '--reason', 'A/B ok');
      cli(registry, 'registry', 'promote', 'fraud@2', '--to', 'staging');
      cli(registry, 'registry', 'rollback', 'fraud', '--alias', 'production', '--reason', 'latency');
      await watch.waitFor(3);
      await new Promise((r) => setTimeout(r, 200)); // nothing more, nothing twice
      await watch.stop();
      assert.deepEqual(watch.moves.map(essentials), [
        { name: 'fraud', alias: 'production', action: 'promote', from: 1, to: 2, seq: 4, initial: false },
        { name: 'fraud', alias: 'staging', action: 'promote', from: null, to: 2, seq: 5, initial: false },
        { name: 'fraud', alias: 'production', action: 'rollback', from: 2, to: 1, seq: 6, initial: false },
      ]);
      assert.equal(watch.moves[0].reason, 'A/B ok');
      assert.equal(watch.moves[2].reason, 'latency');
      assert.ok(watch.moves.every((m) => m.type === 'alias_move' && typeof m.actor === 'string' && m.at));
      const sha = (v: number) =>
        (
          JSON.parse(
            runCli(['registry', 'show', `fraud@${v}`, '--json', '--registry', registry], { env: ENV }).stdout,
          ) as {
            sha256: string;
          }
        ).sha256;
      assert.equal(watch.moves[0].sha256, sha(2));
      assert.equal(watch.moves[2].sha256, sha(1));
      assert.deepEqual(watch.errors, []);
    });

    test('initial: where every alias points now comes first, then the moves; a model registered later is followed from its start', async () => {
      const watch = await startWatch(registry, { initial: true });
      assert.deepEqual(watch.moves.map(essentials), [
        { name: 'fraud', alias: 'staging', action: 'promote', from: null, to: 2, seq: 5, initial: true },
        { name: 'fraud', alias: 'production', action: 'rollback', from: 2, to: 1, seq: 6, initial: true },
      ]);
      cli(registry, 'registry', 'register', 'churn', models[2], '--alias', 'production');
      await watch.waitFor(3);
      await watch.stop();
      assert.deepEqual(essentials(watch.moves[2]), {
        name: 'churn',
        alias: 'production',
        action: 'promote',
        from: null,
        to: 1,
        seq: 2,
        initial: false,
      });
      assert.equal(watch.moves.length, 3);
    });

    test('a burst of moves, made while earlier ones are being read, comes out complete, in order, once', async () => {
      const watch = await startWatch(registry, { name: 'fraud' });
      const before = watch.moves.length;
      // In this process, without pauses: notices arrive while the watch is still reading earlier ones.
      for (let i = 0; i < 12; i++) await promote({ registry, ref: `fraud@${1 + (i % 2)}`, to: 'burst' });
      await watch.waitFor(before + 12);
      await new Promise((r) => setTimeout(r, 200));
      await watch.stop();
      const seqs = watch.moves.map((m) => m.seq);
      assert.equal(seqs.length, 12);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => seqs[0] + i),
      );
      assert.deepEqual(
        watch.moves.map((m) => m.to),
        Array.from({ length: 12 }, (_, i) => 1 + (i % 2)),
      );
    });

    test('a model that does not exist yet is waited for (on a registry never written to)', async () => {
      const empty = await store.fresh();
      if (store.kind === 'folder') cli(empty, 'registry', 'register', 'other', models[0]);
      const watch = await startWatch(empty, { name: 'late', initial: true });
      assert.match(watch.notes.join('\n'), /model "late" is not in the registry .* yet: waiting for it/);
      cli(empty, 'registry', 'register', 'late', models[1]);
      cli(empty, 'registry', 'register', 'other', models[2], '--alias', 'production', '--allow-duplicate');
      cli(empty, 'registry', 'promote', 'late@1', '--to', 'canary');
      await watch.waitFor(1);
      await new Promise((r) => setTimeout(r, 200));
      await watch.stop();
      // Only the named model: the other model's move is not reported.
      assert.deepEqual(watch.moves.map(essentials), [
        { name: 'late', alias: 'canary', action: 'promote', from: null, to: 1, seq: 2, initial: false },
      ]);
    });
  });
}

test('a folder registry that does not exist is an error at start', async () => {
  await assert.rejects(
    watchAliases({ registry: `${tempDir()}/typo`, signal: new AbortController().signal, onMove: () => {} }),
    (err: { code?: string }) => err.code === 'REGISTRY_NOT_FOUND',
  );
});
