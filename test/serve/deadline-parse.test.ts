/**
 * --timeout runs from the moment a body has arrived and covers its parse
 * (on the loop or in the parse worker), its wait in the queue and its
 * inference: large bodies waiting for the parse worker are 504 within the
 * deadline, not 200 seconds later. Real HTTP on 127.0.0.1:0.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { serve } from '../../src/serve/index.js';
import { fixture } from '../helpers.js';

const TIMEOUT = 1500;

/** The status, and the ms from the last byte of the body sent to the answer. */
function post(url: string, bytes: Buffer): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': bytes.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - sent }));
      },
    );
    req.on('error', reject);
    req.end(bytes, () => (sent = performance.now()));
  });
}

test('large bodies queued for the parse worker are 504 within --timeout of their arrival', async () => {
  const handle = await serve({
    models: [fixture('models', 'mlp.onnx')],
    port: 0,
    timeoutMs: TIMEOUT,
    maxQueueRows: 1_000_000,
  });
  try {
    const rows = 50_000;
    const data = Array.from({ length: rows }, (_, r) => Array.from({ length: 30 }, (_, k) => Math.sin(r + k)));
    const body = Buffer.from(
      JSON.stringify({ inputs: [{ name: 'input', shape: [rows, 30], datatype: 'FP32', data }] }),
    );
    // Six 7 MB bodies, 150 ms apart: each arrives quickly, then waits its turn in the parse worker and the queue.
    const answers = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i * 150));
        return post(`${handle.url}/v2/models/mlp/infer`, body);
      }),
    );
    for (const a of answers) {
      assert.ok(a.status === 200 || a.status === 504, JSON.stringify(a));
      // The deadline, plus room for a loaded machine to write the answer.
      assert.ok(a.ms < TIMEOUT + 1000, `answered ${a.ms.toFixed(0)} ms after its body was sent`);
    }
  } finally {
    await handle.close(1000);
  }
});
