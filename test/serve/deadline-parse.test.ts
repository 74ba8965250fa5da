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

const TIMEOUT = 2000;

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
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(`${handle.url}/v2/models/mlp/infer`, body)));
    assert.ok(
      answers.some((a) => a.status === 504),
      `four 7 MB bodies parsed one at a time all beat a ${TIMEOUT} ms deadline: ${JSON.stringify(answers)}`,
    );
    for (const a of answers) {
      assert.ok(a.status === 200 || a.status === 504, JSON.stringify(a));
      // The deadline, plus room for a loaded machine to write the answer.
      assert.ok(a.ms < TIMEOUT + 1500, `answered ${a.ms.toFixed(0)} ms after its body was sent`);
    }
  } finally {
    await handle.close(1000);
  }
});
