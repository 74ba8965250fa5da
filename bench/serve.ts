/**
 * `mlops serve` benchmark: autocannon on this machine, 64 connections, one row per request,
 * against the MLP 30-256-256-2 fixture. In one run: the FastAPI + onnxruntime baseline
 * (bench/baseline_serve.py), mlops with batching on and off, one connection (latency when
 * idle), a promotion under load (a reload: failed requests), SIGTERM under load.
 * BENCH_SERVE_SECONDS sets each scenario's length (default 10). autocannon records whole
 * milliseconds, which says nothing at one connection: the mean is Little's law instead
 * (connections / throughput, the client's time included).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { decodeModelBytes, encodeModel } from '../src/onnx/proto.js';
import { promote, registerModel } from '../src/release/index.js';
import { shutdownUnderLoad } from './serve-shutdown.js';
import { ROOT, type Running, startBaseline, startMlops, stop } from './serve-processes.js';

const MODEL = path.join(ROOT, 'fixtures', 'models', 'mlp.onnx');
const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 10);
const CONNECTIONS = 64;

interface Figures {
  rps: number;
  mean: number;
  p50: number;
  p99: number;
  errors: number;
  total: number;
}

/** One row of fixtures/data/mlp.csv (30 features). */
function firstRow(): number[] {
  const line = readFileSync(path.join(ROOT, 'fixtures', 'data', 'mlp.csv'), 'utf8').split('\n')[1];
  return line.split(',').slice(1).map(Number);
}

async function measure(url: string, body: string, connections: number, seconds = SECONDS): Promise<Figures> {
  const options = { url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections };
  await autocannon({ ...options, duration: 1 }); // warm-up: connections, JIT, onnxruntime's first runs
  const r = await autocannon({ ...options, duration: seconds });
  const total = r['2xx'] + r.non2xx;
  return {
    rps: total / r.duration,
    mean: (connections * 1000) / (total / r.duration),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
    total,
  };
}

function line(label: string, f: Figures): string {
  return `  ${label.padEnd(44)} ${Math.round(f.rps).toLocaleString('en-US').padStart(7)} req/s  mean ${f.mean.toFixed(2).padStart(6)} ms  p50 ${f.p50.toFixed(1).padStart(6)} ms  p99 ${f.p99.toFixed(1).padStart(6)} ms  errors ${f.errors}`;
}

async function withMlops<T>(args: string[], dir: string, work: (s: Running) => Promise<T>): Promise<T> {
  const server = await startMlops(args, path.join(dir, `serve-${Date.now()}.log`));
  try {
    return await work(server);
  } finally {
    await stop(server);
  }
}

/** The version that answers an infer request: what a client sees, whatever the metadata lists. */
async function answeringVersion(url: string, body: string): Promise<{ status: number; version: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, version: ((await res.json()) as { model_version?: string }).model_version ?? '' };
}

/** Promote version 2 half-way through a run on a folder registry; failed requests should be 0. */
export async function reloadUnderLoad(dir: string, oipBody: string): Promise<void> {
  const registry = path.join(dir, 'registry');
  // Version 2: the same network with another doc string, so its bytes and sha256 differ.
  const v2 = decodeModelBytes(readFileSync(MODEL));
  v2.docString = 'bench: version 2';
  const v2File = path.join(dir, 'mlp-v2.onnx');
  writeFileSync(v2File, encodeModel(v2));
  await registerModel({ registry, name: 'mlp', file: MODEL, alias: 'production' });
  await registerModel({ registry, name: 'mlp', file: v2File });
  await withMlops(['mlp@production', '--registry', registry], dir, async (s) => {
    const url = `${s.url}/v2/models/mlp/infer`;
    let reloadMs: number | undefined;
    let probesFailed = 0; // the version probes are requests too: they must not fail either
    const promoted = (async () => {
      await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2 + 1000)); // after the 1 s warm-up
      const at = performance.now();
      await promote({ registry, ref: 'mlp@2', to: 'production' });
      const deadline = at + (SECONDS * 1000) / 2 - 200;
      while (performance.now() < deadline) {
        const probe = await answeringVersion(url, oipBody);
        if (probe.status !== 200) probesFailed++;
        if (probe.version === '2') {
          reloadMs = performance.now() - at;
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const f = await measure(url, oipBody, CONNECTIONS);
    await promoted;
    if (reloadMs === undefined) {
      console.log(
        `  reload under load: skipped (version 1 still answered ${(SECONDS / 2 - 0.2).toFixed(1)} s after the promotion: this build of mlops serve does not reload when an alias moves)`,
      );
      return;
    }
    console.log(line(`reload under load (v1 -> v2 after ${(reloadMs / 1000).toFixed(2)} s)`, f));
    console.log(
      `    failed requests during the reload: ${f.errors} of ${f.total}, version probes ${probesFailed} (target 0)`,
    );
  });
}

export async function benchServe(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-serve-'));
  const row = firstRow();
  const oipBody = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: row }] });
  const cores = os.availableParallelism();
  console.log(
    `serve (load average ${os.loadavg()[0].toFixed(1)} at the start): autocannon, ${CONNECTIONS} connections, ${SECONDS} s per scenario, one row per request, MLP 30-256-256-2, ${cores} cores, load generator on the same machine`,
  );
  try {
    let base: Figures | undefined;
    let baseIdle: Figures | undefined;
    const baseline = await startBaseline(MODEL);
    if (typeof baseline === 'string') console.log(`  baseline: ${baseline}`);
    else {
      try {
        const body = JSON.stringify({ features: row });
        base = await measure(`${baseline.url}/predict`, body, CONNECTIONS);
        console.log(line('FastAPI + onnxruntime (Python), 64 conn.', base));
        baseIdle = await measure(`${baseline.url}/predict`, body, 1);
        console.log(line('FastAPI + onnxruntime (Python), 1 conn.', baseIdle));
      } finally {
        await stop(baseline);
      }
    }
    const on = await withMlops([MODEL, '--name', 'mlp'], dir, async (s) => {
      const url = `${s.url}/v2/models/mlp/infer`;
      const loaded = await measure(url, oipBody, CONNECTIONS);
      console.log(line('mlops serve (OIP infer), batching on, 64 conn.', loaded));
      const idle = await measure(url, oipBody, 1);
      console.log(line('mlops serve (OIP infer), batching on, 1 conn.', idle));
      return { loaded, idle };
    });
    const off = await withMlops([MODEL, '--name', 'mlp', '--max-batch-rows', '1'], dir, async (s) => {
      const url = `${s.url}/v2/models/mlp/infer`;
      const loaded = await measure(url, oipBody, CONNECTIONS);
      console.log(line('mlops serve, batching off (--max-batch-rows 1)', loaded));
      const idle = await measure(url, oipBody, 1);
      console.log(line('mlops serve, batching off, 1 conn.', idle));
      return { loaded, idle };
    });
    console.log(
      `  batching on / off: ${(on.loaded.rps / off.loaded.rps).toFixed(2)}x the throughput, p99 ${on.loaded.p99.toFixed(1)} vs ${off.loaded.p99.toFixed(1)} ms; idle mean ${on.idle.mean.toFixed(2)} vs ${off.idle.mean.toFixed(2)} ms (${on.idle.mean <= off.idle.mean ? 'no penalty when idle' : `+${(on.idle.mean - off.idle.mean).toFixed(2)} ms with batching on when idle`})`,
    );
    if (base && baseIdle)
      console.log(
        `  mlops / baseline: ${(on.loaded.rps / base.rps).toFixed(1)}x the throughput (target >= 8x); p99 ${on.loaded.p99.toFixed(1)} ms vs the baseline's p50 ${base.p50.toFixed(1)} ms (target: under it); idle mean ${on.idle.mean.toFixed(2)} vs ${baseIdle.mean.toFixed(2)} ms`,
      );
    await reloadUnderLoad(dir, oipBody);
    const server = await startMlops([MODEL, '--name', 'mlp'], path.join(dir, 'sigterm.log'));
    const t = await shutdownUnderLoad(
      `${server.url}/v2/models/mlp/infer`,
      oipBody,
      CONNECTIONS,
      SECONDS,
      () => server.child.kill('SIGTERM'),
      server.exited,
    );
    console.log(
      `  SIGTERM under load: exit ${t.exitCode} after ${t.exitMs.toFixed(0)} ms; sent before the signal ${t.beforeSignal}: ${t.beforeOk} answered 200, ${t.before503} reached the server after it (503, retryable), ${t.beforeFailed} failed (target 0); after it: ${t.after503} x 503 Retry-After, ${t.afterRefused} connections refused`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    // Other work on the machine takes cores from both sides: say how busy it was.
    console.log(
      `  load average at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')} (1, 5, 15 min; ${cores} cores)`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchServe();
