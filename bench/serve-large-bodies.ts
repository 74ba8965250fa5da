/**
 * Health checks under large bodies: `mlops serve` on the MLP runs in its own
 * process; this one sends 4 concurrent 30 MB OIP infer bodies (52,428 rows:
 * parsed, turned into a tensor, then refused by --max-queue, as an attacker's
 * would be) while it asks `/v2/health/ready` every 20 ms, and reports the
 * slowest health answer and the server's peak RSS. Usage, after a build:
 *   node dist/bench/serve-large-bodies.js [repo root (default: this one)] [--max-body BYTES]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const root = args[0] && !args[0].startsWith('--') ? args[0] : fileURLToPath(new URL('../../', import.meta.url));
const extra = args.filter((a, i) => !(i === 0 && a === args[0] && !a.startsWith('--')));

function body(megabytes: number): Buffer {
  const rows = Math.floor((megabytes * 1024 * 1024) / (30 * 20));
  const data = Array.from({ length: rows }, (_, r) => Array.from({ length: 30 }, (_, k) => Math.sin(r * 31 + k) * 3));
  return Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [rows, 30], datatype: 'FP32', data }] }));
}

function send(url: string, method: string, payload?: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method, headers: payload ? { 'content-type': 'application/json' } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(payload);
  });
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function main() {
  const payload = body(30);
  const model = path.join(root, 'fixtures', 'models', 'mlp.onnx');
  const server = spawn(process.execPath, [path.join(root, 'bin', 'mlops'), 'serve', model, '--port', '0', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((resolve) => {
    let text = '';
    server.stderr.on('data', (d) => {
      text += d;
      const m = /at (http:\/\/[^/\s]+)/.exec(text);
      if (m) resolve(m[1]);
    });
  });
  const health: number[] = [];
  let sending = true;
  const probes = (async () => {
    while (sending) {
      const t = performance.now();
      await send(`${url}/v2/health/ready`, 'GET');
      health.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const started = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: 4 }, () => send(`${url}/v2/models/mlp/infer`, 'POST', payload)),
  );
  const seconds = (performance.now() - started) / 1000;
  sending = false;
  await probes;
  const rss = peakRssMb(server.pid as number);
  server.kill('SIGTERM');
  health.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      body_mb: +(payload.length / 1048576).toFixed(1),
      statuses,
      attack_seconds: +seconds.toFixed(2),
      health_probes: health.length,
      health_p50_ms: Math.round(health[Math.floor(health.length / 2)]),
      health_max_ms: Math.round(health.at(-1) ?? 0),
      server_peak_rss_mb: Math.round(rss),
    }),
  );
}

await main();
