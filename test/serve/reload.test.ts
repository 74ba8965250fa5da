/**
 * `mlops serve fraud@production` follows its alias on both stores: another
 * process promotes or rolls back, and the server loads, checks, warms up and
 * swaps in the version the alias points at; responses name the version that
 * answered and equal that version's own answers. Incompatible and corrupt
 * versions are refused (logged, counted in /metrics) while the old one keeps
 * serving, on both stores (the registry refuses to register a model onnxruntime
 * cannot load, so a failed load is stored bytes changed after registering: the
 * file on the folder store, the blob's chunks on PostgreSQL);
 * requests made during reloads under concurrent load all succeed.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { decodeModelBytes, encodeModel } from '../../src/onnx/proto.js';
import { openSession } from '../../src/runtime/session.js';
import { tensorData } from '../../src/serve/datatypes.js';
import { serve, type ServeHandle } from '../../src/serve/index.js';
import { fixture, runCli, tempDir } from '../helpers.js';
import { waitUntil } from '../registry/watch-helpers.js';
import { bothStores } from '../support/postgres.js';

const CACHE = tempDir('mlops-reload-cache-');
const ENV = { MLOPS_CACHE_DIR: CACHE, MLOPS_WATCH_INTERVAL_MS: '30' };
process.env.MLOPS_CACHE_DIR = CACHE;
process.env.MLOPS_WATCH_INTERVAL_MS = '30';
const DIR = tempDir();
const MLP = readFileSync(fixture('models', 'mlp.onnx'));

/** The MLP with its last bias moved by `shift`: same signature, different answers. */
function mlpVariant(shift: number): string {
  const model = decodeModelBytes(MLP);
  const bias = model.graph!.initializer!.find((i) => i.name === 'fc3.bias')!;
  bias.rawData = new Uint8Array(Float32Array.from([shift, -shift]).buffer);
  const file = path.join(DIR, `mlp-shift-${shift}.onnx`);
  writeFileSync(file, encodeModel(model));
  return file;
}

const V1 = mlpVariant(1);
const V2 = mlpVariant(2);
const ROWS = Array.from({ length: 4 }, (_, i) => Array.from({ length: 30 }, (_, k) => Math.sin(i * 31 + k) * 3));

/** Each file's own logits for ROWS, run directly by onnxruntime. */
async function answers(file: string): Promise<number[][]> {
  const session = await openSession({ path: file, dir: path.dirname(file), bytes: readFileSync(file) });
  try {
    const out = await session.run({
      input: { type: 'float32', dims: [ROWS.length, 30], data: Float32Array.from(ROWS.flat()) },
    });
    const flat = tensorData(out.logits) as number[];
    return ROWS.map((_, i) => flat.slice(i * 2, i * 2 + 2));
  } finally {
    await session.release();
  }
}

function cli(registry: string, ...args: string[]): void {
  const r = runCli([...args, '--registry', registry], { env: ENV });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

async function infer(url: string, row: number) {
  const res = await fetch(`${url}/v2/models/fraud/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: ROWS[row] }] }),
  });
  const body = (await res.json()) as { model_version?: string; outputs?: Array<{ data: number[] }>; error?: string };
  return { status: res.status, version: body.model_version, data: body.outputs?.[0].data, error: body.error };
}

const STORES = bothStores();

/** The failed-reload counter in /metrics. */
async function failedReloads(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^mlops_serve_reloads_total\{model="fraud",result="failed"\} (\d+)$/m.exec(text);
  assert.ok(m, 'the failed-reload counter is exposed');
  return Number(m[1]);
}

/** Replace a blob's bytes in the PostgreSQL store (as a bad restore or a hand edit would), keeping its recorded sha256. */
async function corruptBlob(url: string, sha256: string, bytes: Buffer): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const done = await client.query('DELETE FROM mlops_blob_chunks WHERE sha256 = $1 AND n > 0', [sha256]);
    const first = await client.query('UPDATE mlops_blob_chunks SET data = $2 WHERE sha256 = $1 AND n = 0', [
      sha256,
      bytes,
    ]);
    assert.equal(first.rowCount, 1, `blob ${sha256} has no first chunk (${done.rowCount} others removed)`);
    await client.query('UPDATE mlops_blobs SET chunks = 1 WHERE sha256 = $1', [sha256]);
  } finally {
    await client.end();
  }
}

for (const store of STORES) {
  describe(`serve follows fraud@production on the ${store.kind} store`, () => {
    let registry: string;
    let server: ServeHandle;
    const log: Array<Record<string, unknown>> = [];
    const expected: Record<string, number[][]> = {};
    const reloads = () => log.filter((l) => l.event === 'reload');

    /** Serving `version`: every response says so and equals that version's answers. */
    async function servingBecomes(version: string) {
      for (let i = 0; i < ROWS.length; i++) {
        const r = await infer(server.url, i);
        assert.equal(r.status, 200);
        assert.equal(r.version, version);
        assert.deepEqual(r.data, expected[version][i]);
      }
    }
    async function waitServing(version: string) {
      let last: Awaited<ReturnType<typeof infer>> | undefined;
      const deadline = Date.now() + 20_000;
      while (last?.version !== version) {
        if (Date.now() > deadline)
          throw new Error(
            `version ${version} never answered; last ${JSON.stringify(last)}; log ${JSON.stringify(reloads())}`,
          );
        last = await infer(server.url, 0);
        assert.equal(last.status, 200, JSON.stringify(last));
        if (last.version !== version) await new Promise((r) => setTimeout(r, 20));
      }
      await servingBecomes(version);
    }

    before(async () => {
      registry = await store.fresh();
      cli(registry, 'registry', 'register', 'fraud', V1, '--alias', 'production');
      cli(registry, 'registry', 'register', 'fraud', V2);
      expected['1'] = await answers(V1);
      expected['2'] = await answers(V2);
      server = await serve({
        models: ['fraud@production'],
        registry,
        port: 0,
        instances: 1,
        threads: 1,
        log: (line) => log.push(line),
      });
    });
    after(() => server?.close(1000));

    test('the first version is warmed up at load and answers', async () => {
      const load = log.find((l) => l.event === 'load');
      assert.equal(load?.model_version, 1);
      assert.equal(typeof load?.warmup_ms, 'number', JSON.stringify(load));
      await waitServing('1');
    });

    test('a promote from another process is followed, and a rollback goes back', async () => {
      const seen: Array<Record<string, unknown>> = [];
      const unsubscribe = server.models[0].onReload((e) => seen.push({ ...e }));
      cli(registry, 'registry', 'promote', 'fraud@2', '--to', 'production');
      await waitServing('2');
      cli(registry, 'registry', 'rollback', 'fraud', '--alias', 'production');
      await waitServing('1');
      unsubscribe();
      assert.deepEqual(
        seen.map((e) => [e.ok, e.from, e.to]),
        [
          [true, 1, 2],
          [true, 2, 1],
        ],
      );
      assert.equal(server.models[0].reloadsSucceeded, 2);
      const lines = reloads().slice(-2);
      assert.deepEqual(
        lines.map((l) => [l.ok, l.action, l.from, l.to]),
        [
          [true, 'promote', 1, 2],
          [true, 'rollback', 2, 1],
        ],
      );
      assert.ok(lines.every((l) => typeof l.ms === 'number' && typeof l.warmup_ms === 'number'));
    });

    test('requests made during reloads under concurrent load all succeed, each naming the version that answered', async () => {
      let running = true;
      const results: Array<Awaited<ReturnType<typeof infer>> & { row: number }> = [];
      const loops = Array.from({ length: 8 }, async (_, k) => {
        for (let n = 0; running; n++) {
          const row = (k + n) % ROWS.length;
          results.push({ ...(await infer(server.url, row)), row });
        }
      });
      const seenVersion = (v: string) => () => results.slice(-8).some((r) => r.version === v);
      const movesBefore = reloads().length;
      try {
        cli(registry, 'registry', 'promote', 'fraud@2', '--to', 'production');
        await waitUntil(seenVersion('2'), 20_000, 'version 2 under load');
        cli(registry, 'registry', 'promote', 'fraud@1', '--to', 'production');
        await waitUntil(seenVersion('1'), 20_000, 'version 1 under load');
        // Answers by version 1 from before the move to 2 can still be among the last ones: wait for the
        // swap itself, so its reload line does not land in the next test.
        await waitUntil(() => reloads().some((l, i) => i >= movesBefore + 1 && l.to === 1), 20_000, 'reload to 1');
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        running = false;
        await Promise.all(loops);
      }
      const failed = results.filter((r) => r.status !== 200);
      assert.deepEqual(failed, [], `${failed.length} of ${results.length} failed`);
      assert.ok(results.length > 50, `only ${results.length} requests`);
      for (const r of results)
        assert.deepEqual(r.data, expected[r.version!][r.row], `version ${r.version}, row ${r.row}`);
      const versions = new Set(results.map((r) => r.version));
      assert.deepEqual([...versions].sort(), ['1', '2']);
    });

    test('a version with other inputs is refused, the old one keeps serving, and the log says why', async () => {
      cli(registry, 'registry', 'register', 'fraud', fixture('models', 'float64-input.onnx'));
      const before = reloads().length;
      cli(registry, 'registry', 'promote', 'fraud@3', '--to', 'production');
      await waitUntil(() => reloads().some((l) => l.to === 3), 20_000, 'the refused reload');
      const line = reloads().find((l) => l.to === 3)!;
      assert.equal(reloads().length, before + 1, JSON.stringify(reloads()));
      assert.equal(line.ok, false);
      assert.equal(line.to, 3);
      assert.equal(line.serving, 1);
      assert.match(String(line.error), /not compatible with version 1: input "input" is gone/);
      assert.equal(server.models[0].reloadsFailed, 1);
      await servingBecomes('1');
      // /metrics counts what happened: the two reloads of the first test and this refusal.
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /mlops_serve_reloads_total\{model="fraud",result="succeeded"\} [1-9]/);
      assert.match(metrics, /mlops_serve_reloads_total\{model="fraud",result="failed"\} 1\b/);
    });

    test('a version whose stored bytes are corrupt is refused; the old one keeps serving, the log and /metrics say so', async () => {
      // A version never served before, so no cache holds its good bytes.
      cli(registry, 'registry', 'register', 'fraud', mlpVariant(4));
      const shown = runCli(['registry', 'show', 'fraud@4', '--json', '--registry', registry], { env: ENV });
      const record = JSON.parse(shown.stdout) as { path?: string; sha256: string };
      if (store.kind === 'folder') writeFileSync(record.path!, readFileSync(V1));
      else await corruptBlob(registry, record.sha256, readFileSync(V1));
      const failedBefore = await failedReloads(server.url);
      const before = reloads().length;
      cli(registry, 'registry', 'promote', 'fraud@4', '--to', 'production');
      await waitUntil(() => reloads().some((l) => l.to === 4), 20_000, 'the refused reload');
      const line = reloads().find((l) => l.to === 4)!;
      assert.equal(reloads().length, before + 1, JSON.stringify(reloads()));
      assert.deepEqual([line.ok, line.to, line.serving], [false, 4, 1]);
      assert.match(String(line.error), /fraud@4: the stored (file|blob) .* does not match its recorded sha256/);
      assert.equal(server.models[0].reloadsFailed, 2);
      assert.equal(await failedReloads(server.url), failedBefore + 1);
      await servingBecomes('1');
    });
  });
}
