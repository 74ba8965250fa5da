/**
 * Health and memory under large bodies: `mlops serve` on the MLP runs in its own
 * process; this one sends `--count` concurrent OIP infer bodies of `--rows` rows
 * each (numbers of 4 decimals, about 240 bytes a row: 200,000 rows is 47 MB)
 * while it asks `/v2/health/live` every 20 ms, then reports the slowest health
 * answer, the server's event-loop lag (its /metrics), its RSS before, at peak,
 * right after the burst and after `--idle` seconds of nothing. Flags it does not
 * know go to `mlops serve`. Usage, after a build:
 *   node dist/bench/serve-large-bodies.js [repo root] [--count 4] [--rows 200000] [--idle 30] [serve flags]
 * The review's two cases:
 *   --count 4 --rows 200000 --max-queue 1000000          (4 x 47 MB, through the parse worker)
 *   --count 40 --rows 4300 --max-queue 1000000 --idle 0  (40 x 1.01 MB)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const root = args[0] && !args[0].startsWith('--') ? args.shift()! : fileURLToPath(new URL('../../', import.meta.url));
function own(flag: string, fallback: number): number {
  const i = args.indexOf(flag);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return Number(value);
}
const count = own('--count', 4);
const rows = own('--rows', 200_000);
const idleSeconds = own('--idle', 30);
const serveFlags = args;

function body(n: number): Buffer {
  const data = Array.from({ length: n }, (_, r) =>
    Array.from({ length: 30 }, (_, k) => Math.round(Math.sin(r * 31 + k) * 3e4) / 1e4),
  );
  return Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [n, 30], datatype: 'FP32', data }] }));
}

function send(url: string, method: string, payload?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method, headers: payload ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(payload);
  });
}

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
}

async function main() {
  const payload = body(rows);
  const model = path.join(root, 'fixtures', 'models', 'mlp.onnx');
  const server = spawn(
    process.execPath,
    [
      path.join(root, 'bin', 'mlops'),
      'serve',
      model,
      '--port',
      '0',
      '--max-body',
      String(256 * 2 ** 20),
      ...serveFlags,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const url = await new Promise<string>((resolve) => {
    let text = '';
    server.stderr.on('data', (d) => {
      text += d;
      const m = /at (http:\/\/[^/\s]+)/.exec(text);
      if (m) resolve(m[1]);
    });
  });
  const pid = server.pid as number;
  const rssStart = rssMb(pid, 'VmRSS');
  const health: number[] = [];
  let sending = true;
  const probes = (async () => {
    while (sending) {
      const t = performance.now();
      await send(`${url}/v2/health/live`, 'GET');
      health.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: count }, () => send(`${url}/v2/models/mlp/infer`, 'POST', payload)),
  );
  const seconds = (performance.now() - started) / 1000;
  sending = false;
  await probes;
  const rssAfter = rssMb(pid, 'VmRSS');
  const metrics = (await send(`${url}/metrics`, 'GET')).text;
  const lag = Number(/^nodejs_eventloop_lag_max_seconds (\S+)/m.exec(metrics)?.[1]);
  const batchMax = [...metrics.matchAll(/batch_rows_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/g)];
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const rssIdle = rssMb(pid, 'VmRSS');
  const peak = rssMb(pid, 'VmHWM');
  server.kill('SIGTERM');
  health.sort((a, b) => a - b);
  const statuses: Record<number, number> = {};
  for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
  console.log(
    JSON.stringify({
      bodies: count,
      rows,
      body_mb: +(payload.length / 1048576).toFixed(2),
      serve_flags: serveFlags.join(' '),
      statuses,
      burst_seconds: +seconds.toFixed(2),
      health_probes: health.length,
      health_p50_ms: Math.round(health[Math.floor(health.length / 2)]),
      health_max_ms: Math.round(health.at(-1) ?? 0),
      eventloop_lag_max_s: lag,
      batch_rows_le_64: Number(batchMax.find(([, le]) => le === '64')?.[2]),
      batch_rows_count: Number(batchMax.find(([, le]) => le === '+Inf')?.[2]),
      rss_start_mb: rssStart,
      rss_peak_mb: peak,
      rss_after_burst_mb: rssAfter,
      [`rss_after_${idleSeconds}s_idle_mb`]: rssIdle,
    }),
  );
}

await main();
