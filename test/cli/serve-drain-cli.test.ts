/**
 * SIGTERM under load on a real process (127.0.0.1:0): 20 keep-alive
 * connections, 103 requests of 5 to 100000 rows at once, SIGTERM 400 ms
 * later. A request the server read is answered (and logged); one it never
 * read is refused (ECONNREFUSED, on a new connection). None is reset.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, ROOT } from '../helpers.js';

function body(rows: number): Buffer {
  const data = Array.from({ length: rows }, (_, r) => Array.from({ length: 30 }, (_, k) => Math.sin(r + k)));
  return Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [rows, 30], datatype: 'FP32', data }] }));
}

test('SIGTERM under load: no request is reset; every 200 is logged; exit 0', { timeout: 90_000 }, async () => {
  const args = [fixture('models', 'mlp.onnx'), '--port', '0', '--max-queue', '1000000', '--drain-timeout', '30000'];
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'mlops'), 'serve', ...args], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve) =>
    child.stderr.on('data', () => {
      const m = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
      if (m) resolve(m[1]);
    }),
  );
  const small = body(5);
  const medium = body(20_000);
  const large = body(100_000);
  const agent = new Agent({ keepAlive: true, maxSockets: 20 });
  const post = (bytes: Buffer) =>
    new Promise<number | string>((resolve) => {
      const req = request(
        `${url}/v2/models/mlp/infer`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': bytes.length } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.end(bytes);
    });
  const all = [
    ...Array.from({ length: 100 }, (_, i) => post(i % 10 === 0 ? medium : small)),
    post(large),
    post(large),
    post(large),
  ];
  setTimeout(() => child.kill('SIGTERM'), 400);
  const outcomes = await Promise.all(all);
  agent.destroy();
  assert.equal(await exited, 0, stderr.slice(-2000));
  const unexpected = outcomes.filter((o) => o !== 200 && o !== 503 && o !== 'ECONNREFUSED');
  assert.deepEqual(unexpected, [], `outcomes: ${outcomes.join(' ')}`);
  const logged200 = stderr.split('\n').filter((l) => l.startsWith('{') && JSON.parse(l).status === 200).length;
  assert.equal(logged200, outcomes.filter((o) => o === 200).length);
});
