/**
 * Shutdown under load over real HTTP on 127.0.0.1:0: a request is accepted
 * once its headers have arrived, and drain waits for it, body upload
 * included; requests that come later on a busy connection get a clean 503,
 * never a reset connection.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { test } from 'node:test';
import { serve } from '../../src/serve/index.js';
import { fixture } from '../helpers.js';

const MLP = fixture('models', 'mlp.onnx');

function body(rows: number): Buffer {
  const data = Array.from({ length: rows }, (_, r) => Array.from({ length: 30 }, (_, k) => Math.sin(r * 31 + k)));
  return Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [rows, 30], datatype: 'FP32', data }] }));
}

interface Outcome {
  status?: number;
  error?: string;
}

/** POST `bytes` in two parts: the second once the first is sent and `release()` has resolved. */
function post(
  url: string,
  agent: Agent,
  bytes: Buffer,
  release: () => Promise<void> = () => Promise.resolve(),
): { sentHead: Promise<void>; done: Promise<Outcome> } {
  let sentHead!: () => void;
  const head = new Promise<void>((r) => (sentHead = r));
  const done = new Promise<Outcome>((resolve) => {
    const req = request(
      `${url}/v2/models/mlp/infer`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': bytes.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    const half = bytes.length >> 1;
    req.write(bytes.subarray(0, half), () => {
      sentHead();
      release().then(() => req.end(bytes.subarray(half)));
    });
  });
  return { sentHead: head, done };
}

test('SIGTERM with bodies mid-upload: every accepted request is answered 200, later ones 503, none reset', async () => {
  const handle = await serve({ models: [MLP], port: 0, maxQueueRows: 1_000_000 });
  const agent = new Agent({ keepAlive: true, maxSockets: 6 });
  try {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    // Six large bodies, half sent when the server starts draining, each with more requests queued behind it.
    const uploading = Array.from({ length: 6 }, () => post(handle.url, agent, body(20_000), () => released));
    // Each sends half its body, then the rest 300 ms later: still uploading when the requests before it are done.
    const slowly = () => new Promise<void>((r) => setTimeout(r, 300));
    const behind = Array.from({ length: 12 }, () => post(handle.url, agent, body(20_000), slowly));
    await Promise.all(uploading.map((u) => u.sentHead));
    await new Promise((r) => setTimeout(r, 300));
    const closing = handle.close(20_000);
    setTimeout(release, 200);
    const accepted = await Promise.all(uploading.map((u) => u.done));
    const later = await Promise.all(behind.map((u) => u.done));
    await closing;
    assert.deepEqual(
      accepted.map((o) => o.status ?? o.error),
      Array(6).fill(200),
      'every request whose headers had arrived is answered',
    );
    for (const o of later)
      assert.ok(
        o.status === 200 || o.status === 503 || o.error === 'ECONNREFUSED',
        `a later request ended with ${JSON.stringify(o)}`,
      );
  } finally {
    agent.destroy();
    await handle.close(100);
  }
});
