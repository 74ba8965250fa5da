/**
 * The third review of `mlops serve`, over real HTTP on 127.0.0.1:0: an answer
 * that closes its connection (413) does not hold the drain; a body naming one
 * input 20,000 times is refused at once, not after seconds of conversion in
 * the parse worker; the log line's rows are the request's; a huge shape is
 * not echoed whole.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { serve } from '../../src/serve/index.js';
import { fixture } from '../helpers.js';

const MLP = fixture('models', 'mlp.onnx');
const row = (i: number) => Array.from({ length: 30 }, (_, k) => Math.cos(i * 31 + k));

test('after a 413 whose body never comes, shutdown does not wait for the drain timeout', async () => {
  const handle = await serve({ models: [MLP], port: 0, maxBodyBytes: 1 << 20 });
  const text = await new Promise<string>((resolve) => {
    let got = '';
    const socket = connect(handle.port, '127.0.0.1', () =>
      socket.write('POST /v2/models/mlp/infer HTTP/1.1\r\nhost: x\r\ncontent-length: 99999999999\r\n\r\n{'),
    );
    socket.on('data', (d) => {
      got += d;
      if (got.includes('\r\n\r\n')) resolve(got);
    });
    socket.on('error', () => {});
  });
  assert.match(text, /^HTTP\/1\.1 413 /);
  const started = Date.now();
  await handle.close(8000);
  assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
});

test('an input named 20,000 times in a large body is 400 at once, and a request beside it is not held up', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const handle = await serve({ models: [MLP], port: 0, log: (l) => lines.push(l) });
  try {
    const one = { name: 'input', shape: [1, 30], datatype: 'FP32', data: row(1) };
    const hostile = JSON.stringify({ inputs: Array.from({ length: 20_000 }, () => one) });
    assert.ok(hostile.length > 256 * 1024, 'large enough for the parse worker');
    const rows = Array.from({ length: 2000 }, (_, i) => row(i));
    const honest = JSON.stringify({
      inputs: [{ name: 'input', shape: [2000, 30], datatype: 'FP32', data: rows.flat() }],
    });
    const post = (body: string) =>
      fetch(`${handle.url}/v2/models/mlp/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const started = Date.now();
    const [bad, good] = await Promise.all([post(hostile), post(honest)]);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /given twice/);
    assert.equal(good.status, 200);
    await good.json();
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    // The log names the request's rows, and the batch they ran in apart.
    const line = lines.find((l) => l.status === 200);
    assert.equal(line?.rows, 2000);
    assert.ok(Number(line?.batch_rows) <= 64, `batch_rows ${line?.batch_rows}`);
  } finally {
    await handle.close(1000);
  }
});

test('a shape of 100,000 dimensions is not echoed whole in the 400', async () => {
  const handle = await serve({ models: [MLP], port: 0 });
  try {
    const res = await fetch(`${handle.url}/v2/models/mlp/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: 'input', shape: Array.from({ length: 100_000 }, () => 1), datatype: 'FP32', data: [1] }],
      }),
    });
    assert.equal(res.status, 400);
    const text = await res.text();
    assert.ok(text.length < 1000, `${text.length} bytes`);
    assert.match(text, /100000 dimensions/);
  } finally {
    await handle.close(1000);
  }
});
