/**
 * `/metrics` over real HTTP: the exposition parsed back after known traffic
 * (counts, histogram buckets, labels, batches), the default process metrics
 * (event-loop lag), the token rule, and health and metrics answering while
 * the model is kept busy.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { serve, type ServeHandle } from '../../src/serve/index.js';
import { loadVersion } from '../../src/serve/served-model.js';
import { fixture } from '../helpers.js';

const MLP = fixture('models', 'mlp.onnx');

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, sample lines only. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

function pick(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = pick(samples, name, labels);
  assert.equal(found.length, 1, `one ${name} ${JSON.stringify(labels)}, found ${found.length}`);
  return found[0].value;
}

const row = (seed: number) => Array.from({ length: 30 }, (_, k) => Math.sin(seed * 17 + k));

function infer(url: string, rows: number[][], headers: Record<string, string> = {}) {
  return fetch(`${url}/v2/models/mlp/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ inputs: [{ name: 'input', shape: [rows.length, 30], datatype: 'FP32', data: rows }] }),
  });
}

async function scrape(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/metrics`, { headers });
  return { res, samples: res.ok ? parseExposition(await res.text()) : [] };
}

let server: ServeHandle;
before(async () => {
  server = await serve({ models: [MLP], port: 0, maxQueueDelayMs: 5 });
});
after(() => server.close(1000));

test('after known traffic, counts, buckets and labels add up', async () => {
  const sequential = 6;
  for (let i = 0; i < sequential; i++) assert.equal((await infer(server.url, [row(i), row(i + 1)])).status, 200);
  const concurrent = 24;
  const answers = await Promise.all(Array.from({ length: concurrent }, (_, i) => infer(server.url, [row(100 + i)])));
  for (const a of answers) assert.equal(a.status, 200);
  for (let i = 0; i < 2; i++) assert.equal((await infer(server.url, [[1, 2, 3]])).status, 400);
  assert.equal((await fetch(`${server.url}/no/such/path/${Math.random()}`)).status, 404);
  assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 200);

  const { res, samples } = await scrape(server.url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);

  const ok = { model: 'mlp', version: '', endpoint: 'infer', status: '200' };
  const requests = sequential + concurrent;
  assert.equal(value(samples, 'mlops_serve_request_duration_seconds_count', ok), requests);
  const buckets = pick(samples, 'mlops_serve_request_duration_seconds_bucket', ok);
  assert.equal(buckets.at(-1)?.labels.le, '+Inf');
  assert.equal(buckets.at(-1)?.value, requests);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value, 'cumulative buckets');
  assert.ok(value(samples, 'mlops_serve_request_duration_seconds_sum', ok) > 0);
  assert.equal(value(samples, 'mlops_serve_request_duration_seconds_count', { ...ok, status: '400' }), 2);
  // An unknown path is one series, `other`, whatever the path: no label takes a raw URL.
  assert.equal(
    value(samples, 'mlops_serve_request_duration_seconds_count', { endpoint: 'other', status: '404', model: '' }),
    1,
  );
  assert.equal(value(samples, 'mlops_serve_request_duration_seconds_count', { endpoint: 'health_ready' }), 1);
  for (const s of pick(samples, 'mlops_serve_request_duration_seconds_count'))
    assert.deepEqual(Object.keys(s.labels).sort(), ['endpoint', 'model', 'status', 'version']);

  // Queue time per request; inference time and rows per batch (batches join the concurrent requests).
  const mv = { model: 'mlp', version: '' };
  assert.equal(value(samples, 'mlops_serve_queue_duration_seconds_count', mv), requests);
  const batches = value(samples, 'mlops_serve_batch_rows_count', mv);
  assert.equal(value(samples, 'mlops_serve_batch_rows_sum', mv), sequential * 2 + concurrent);
  assert.equal(value(samples, 'mlops_serve_inference_duration_seconds_count', mv), batches);
  assert.ok(batches >= sequential + 1 && batches <= requests, `${batches} batches for ${requests} requests`);
  assert.equal(value(samples, 'mlops_serve_batch_rows_bucket', { ...mv, le: '+Inf' }), batches);

  // The scrape itself is the one request in flight.
  assert.equal(value(samples, 'mlops_serve_requests_in_flight'), 1);
  assert.ok(value(samples, 'mlops_serve_model_load_seconds', { model: 'mlp' }) > 0);
  assert.equal(value(samples, 'mlops_serve_reloads_total', { model: 'mlp', result: 'succeeded' }), 0);
  assert.equal(value(samples, 'mlops_serve_reloads_total', { model: 'mlp', result: 'failed' }), 0);
  assert.ok(pick(samples, 'nodejs_eventloop_lag_seconds').length === 1, 'event-loop lag is exported');
  assert.ok(pick(samples, 'process_cpu_seconds_total').length === 1, 'the default process metrics are exported');
});

test('recordReload and recordLoad, for the reload code, show in the next scrape', async () => {
  server.metrics!.recordReload('mlp', true);
  server.metrics!.recordReload('mlp', false);
  server.metrics!.recordReload('mlp', false);
  server.metrics!.recordLoad('mlp', 1.25);
  const { samples } = await scrape(server.url);
  assert.equal(value(samples, 'mlops_serve_reloads_total', { model: 'mlp', result: 'succeeded' }), 1);
  assert.equal(value(samples, 'mlops_serve_reloads_total', { model: 'mlp', result: 'failed' }), 2);
  assert.equal(value(samples, 'mlops_serve_model_load_seconds', { model: 'mlp' }), 1.25);
});

test('with a token, /metrics needs it (a scraper sends it as a bearer token); health stays open', async () => {
  const guarded = await serve({ models: [MLP], port: 0, token: 's3cret' });
  try {
    assert.equal((await scrape(guarded.url)).res.status, 401);
    assert.equal((await scrape(guarded.url, { authorization: 'Bearer wrong' })).res.status, 401);
    const { res, samples } = await scrape(guarded.url, { authorization: 'Bearer s3cret' });
    assert.equal(res.status, 200);
    assert.ok(pick(samples, 'nodejs_eventloop_lag_seconds').length === 1);
    assert.equal((await fetch(`${guarded.url}/v2/health/live`)).status, 200);
  } finally {
    await guarded.close(1000);
  }
});

test('health and /metrics keep answering while the model is kept busy', async () => {
  const busyFor = 2500;
  const stopAt = performance.now() + busyFor;
  let inferred = 0;
  const load = Array.from({ length: 32 }, async (_, c) => {
    for (let i = 0; performance.now() < stopAt; i++) {
      const res = await infer(server.url, [row(c * 1000 + i), row(c * 1000 + i + 1)]);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      inferred++;
    }
  });
  const probeLatencies: number[] = [];
  const probes = (async () => {
    while (performance.now() < stopAt) {
      const t = performance.now();
      const health = await fetch(`${server.url}/v2/health/ready`);
      assert.equal(health.status, 200);
      await health.arrayBuffer();
      const { res, samples } = await scrape(server.url);
      assert.equal(res.status, 200);
      assert.ok(pick(samples, 'mlops_serve_requests_in_flight').length === 1);
      probeLatencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await Promise.all([...load, probes]);
  probeLatencies.sort((a, b) => a - b);
  const worst = probeLatencies.at(-1)!;
  const median = probeLatencies[Math.floor(probeLatencies.length / 2)];
  console.log(
    `# ${inferred} infers in ${busyFor} ms; ${probeLatencies.length} health+metrics probes: median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms`,
  );
  assert.ok(inferred > 100, `the model was busy (${inferred} infers)`);
  assert.ok(probeLatencies.length >= 5, `${probeLatencies.length} probes`);
  // Inference is off the event loop: a probe waits behind parsing and answering, never behind a model run.
  assert.ok(worst < 1000, `worst health+metrics probe ${worst.toFixed(1)} ms`);
});

test('the first batch of a version swapped in is counted under its version (metrics attach at the swap)', async () => {
  const loaded = await loadVersion(MLP, {
    instances: 1,
    threads: 1,
    batcher: { maxBatchRows: 64, maxQueueDelayMs: 5, maxQueueRows: 4096 },
  });
  // A file has no registry version: this one says 7, so its series are its own.
  const swapped = server.models[0].swap({ ...loaded, modelVersion: 7 });
  const seven = { model: 'mlp', version: '7' };
  assert.equal(pick((await scrape(server.url)).samples, 'mlops_serve_batch_rows_count', seven).length, 0);
  const res = await infer(server.url, [row(1), row(2), row(3)]);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { model_version: string }).model_version, '7');
  await swapped;
  const { samples } = await scrape(server.url);
  assert.equal(value(samples, 'mlops_serve_batch_rows_count', seven), 1);
  assert.equal(value(samples, 'mlops_serve_batch_rows_sum', seven), 3);
  assert.equal(value(samples, 'mlops_serve_inference_duration_seconds_count', seven), 1);
});
