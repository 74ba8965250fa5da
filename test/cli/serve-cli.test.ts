/** `mlops serve` as a process: it says where it listens, drains on SIGTERM and exits 0; start-up errors are exit 2. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, ROOT, runCli } from '../helpers.js';

function start(args: string[]) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'mlops'), 'serve', ...args], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 30 s: ${stderr}`)), 30_000);
    child.stderr.on('data', () => {
      const m = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, url, exited, stderr: () => stderr };
}

test('SIGTERM: readiness goes to 503, the request in flight is answered, exit 0; one JSON log line per request', async () => {
  const server = start([fixture('models', 'mlp.onnx'), '--port', '0', '--drain-timeout', '5000']);
  const url = await server.url;
  assert.equal((await fetch(`${url}/v2/health/ready`)).status, 200);
  const rows = Array.from({ length: 2000 }, (_, i) => Array.from({ length: 30 }, (_, k) => (i + k) % 7));
  const inFlight = fetch(`${url}/v2/models/mlp/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'input', shape: [2000, 30], datatype: 'FP32', data: rows }] }),
  });
  await new Promise((r) => setTimeout(r, 20));
  server.child.kill('SIGTERM');
  const answered = await inFlight;
  assert.equal(answered.status, 200);
  assert.equal(await server.exited, 0, server.stderr());
  assert.match(server.stderr(), /SIGTERM: draining/);
  const lines = server
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  assert.ok(
    lines.some((l) => l.path === '/v2/models/mlp/infer' && l.status === 200 && typeof l.latency_ms === 'number'),
  );
});

test('start-up errors are exit 2 with the reason: a missing model, a port in use (also as --json)', async () => {
  const missing = runCli(['serve', 'no-such-model.onnx', '--port', '0']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /error: /);
  for (const [args, message] of [
    [['--host', ''], /--host is empty/],
    [['--port', '70000'], /--port 70000 is not a port number/],
    [['--host', 'nosuchhost.invalid', '--port', '0'], /cannot listen on nosuchhost\.invalid:0: (ENOTFOUND|EAI_AGAIN)/],
    [['--name', 'a,b'], /--name gives 2 name\(s\) for 1 model/],
  ] as Array<[string[], RegExp]>) {
    const r = runCli(['serve', fixture('models', 'mlp.onnx'), ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  const port = (busy.address() as { port: number }).port;
  try {
    const r = runCli(['serve', fixture('models', 'mlp.onnx'), '--port', String(port), '--json']);
    assert.equal(r.status, 2, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.error.code, 'OPTION_INVALID');
    assert.match(doc.error.message, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
  } finally {
    busy.close();
  }
});
