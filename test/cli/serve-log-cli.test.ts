/** `mlops serve --log-predictions` as a process: the log is flushed on SIGTERM; bad log flags are exit 2 naming the flag. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, ROOT, runCli, tempDir } from '../helpers.js';

test('SIGTERM flushes the prediction log; /metrics counts what was served', async () => {
  const file = path.join(tempDir(), 'live.csv');
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin', 'mlops'), 'serve', fixture('models', 'mlp.onnx'), '--port', '0', '--log-predictions', file],
    { env: { ...process.env, NO_COLOR: '1' } },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 30 s: ${stderr}`)), 30_000);
    child.stderr.on('data', () => {
      const m = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  const data = Array.from({ length: 4 }, (_, i) => Array.from({ length: 30 }, (_, k) => (i * 30 + k) % 5));
  const res = await fetch(`${url}/v2/models/mlp/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'input', shape: [4, 30], datatype: 'FP32', data }] }),
  });
  assert.equal(res.status, 200);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /^mlops_serve_batch_rows_sum\{model="mlp",version=""\} 4$/m);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(lines.length, 5);
  assert.ok(lines[0].startsWith('input_0,input_1,'));
  assert.ok(lines[0].endsWith(',logits_0,logits_1'));
});

test('log flags are checked at the edge: --sample-rate out of range, log flags without --log-predictions', () => {
  const rate = runCli(['serve', fixture('models', 'mlp.onnx'), '--log-predictions', 'x.csv', '--sample-rate', '2']);
  assert.equal(rate.status, 2);
  assert.match(rate.stderr, /--sample-rate/);
  const alone = runCli(['serve', fixture('models', 'mlp.onnx'), '--sample-rate', '0.5']);
  assert.equal(alone.status, 2);
  assert.match(alone.stderr, /--sample-rate sets up the prediction log: give --log-predictions too/);
});
