/**
 * The HTTP layer against hostile or careless clients, over real HTTP on
 * 127.0.0.1:0: a slow body is 408 within --timeout and does not hold drain;
 * a client that goes away is logged and counted as 499; gzip and deflate
 * bodies are decoded with the limit on the decoded size, other encodings 415;
 * every empty /invocations format is 200 with no predictions.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import { serve, type ServeHandle } from '../../src/serve/index.js';
import { fixture } from '../helpers.js';

const MLP = fixture('models', 'mlp.onnx');
const servers: ServeHandle[] = [];
after(() => Promise.all(servers.map((s) => s.close(500))));

async function start(options: Partial<Parameters<typeof serve>[0]> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const handle = await serve({ models: [MLP], port: 0, log: (l) => lines.push(l), ...options });
  servers.push(handle);
  return { handle, lines };
}

/** A raw connection that sends the headers and `sent` of a body of `length` bytes, then waits. */
function slowClient(port: number, length: number, sent: string): Promise<{ socket: Socket; received: () => string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST /v2/models/mlp/infer HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n${sent}`,
      );
      resolve({ socket, received: () => text });
    });
    socket.on('data', (d) => (text += d));
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

const closed = (socket: Socket) =>
  new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

const ROW = Array.from({ length: 30 }, (_, k) => k / 10);

test('a body trickled byte by byte is 408 within --timeout, and its connection closes', async () => {
  const { handle, lines } = await start({ timeoutMs: 1000 });
  const started = Date.now();
  const { socket, received } = await slowClient(handle.port, 1000, '{');
  const trickle = setInterval(() => socket.writable && socket.write(' '), 100);
  await closed(socket);
  clearInterval(trickle);
  const elapsed = Date.now() - started;
  assert.match(received(), /^HTTP\/1\.1 408 /);
  assert.match(received(), /did not arrive within 1000 ms \(--timeout\)/);
  assert.ok(elapsed < 3000, `closed after ${elapsed} ms`);
  assert.equal(lines.find((l) => l.path === '/v2/models/mlp/infer')?.status, 408);
});

test('headers trickled slowly are cut at --timeout too', async () => {
  const { handle } = await start({ timeoutMs: 1000 });
  const started = Date.now();
  let text = '';
  const socket = connect(handle.port, '127.0.0.1', () => socket.write('POST /v2/models/mlp/infer HTTP/1.1\r\n'));
  socket.on('data', (d) => (text += d));
  socket.on('error', () => {});
  const trickle = setInterval(() => socket.writable && socket.write('x-slow: 1\r\n'), 100);
  await closed(socket);
  clearInterval(trickle);
  const elapsed = Date.now() - started;
  assert.match(text, /^HTTP\/1\.1 408 /);
  assert.ok(elapsed < 3500, `closed after ${elapsed} ms`);
});

test('a connection still sending its body does not hold shutdown past the drain timeout', async () => {
  const { handle } = await start({ timeoutMs: 60_000 });
  const { socket } = await slowClient(handle.port, 1000, '{');
  const trickle = setInterval(() => socket.writable && socket.write(' '), 100);
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  await handle.close(300);
  const elapsed = Date.now() - started;
  await closed(socket);
  clearInterval(trickle);
  assert.ok(elapsed < 1500, `close took ${elapsed} ms with a drain timeout of 300 ms`);
});

test('a client that goes away mid-body is logged and counted as 499', async () => {
  const { handle, lines } = await start();
  const { socket } = await slowClient(handle.port, 1000, '{"inputs": [');
  await new Promise((r) => setTimeout(r, 100));
  socket.destroy();
  const deadline = Date.now() + 2000;
  while (!lines.some((l) => l.path === '/v2/models/mlp/infer') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const line = lines.find((l) => l.path === '/v2/models/mlp/infer');
  assert.equal(line?.status, 499);
  assert.equal(line?.aborted, true);
  const metrics = await (await fetch(`${handle.url}/metrics`)).text();
  assert.match(
    metrics,
    /^mlops_serve_request_duration_seconds_count\{model="mlp",version="",endpoint="infer",status="499"\} 1$/m,
  );
});

test('a client that goes away while its rows are inferred is logged as 499 when the inference ends', async () => {
  const { handle, lines } = await start({ maxBatchRows: 4096 });
  const data = Array.from({ length: 4000 }, (_, r) => ROW.map((v) => v + r / 1000));
  const body = JSON.stringify({ inputs: [{ name: 'input', shape: [4000, 30], datatype: 'FP32', data }] });
  const { socket, received } = await slowClient(handle.port, Buffer.byteLength(body), body);
  await new Promise((r) => setTimeout(r, 5));
  const answeredFirst = received() !== '';
  socket.destroy();
  const deadline = Date.now() + 5000;
  while (!lines.some((l) => l.path === '/v2/models/mlp/infer') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const line = lines.find((l) => l.path === '/v2/models/mlp/infer');
  // 4,000 rows take far longer than 5 ms to infer: the client left first.
  assert.equal(answeredFirst, false);
  assert.equal(line?.status, 499);
  assert.equal(line?.aborted, true);
  assert.equal(line?.rows, 4000, 'the rows were inferred, then the answer had no one to go to');
});

test('gzip and deflate bodies are decoded; the limit applies to the decoded size; other encodings are 415', async () => {
  const { handle } = await start({ maxBodyBytes: 64 * 1024 });
  const plain = JSON.stringify({ instances: [ROW, ROW] });
  const send = (body: Buffer | string, encoding?: string) =>
    fetch(`${handle.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(encoding ? { 'content-encoding': encoding } : {}) },
      body,
    });
  const want = await (await send(plain)).json();
  for (const [body, encoding] of [
    [gzipSync(plain), 'gzip'],
    [deflateSync(plain), 'deflate'],
  ] as const) {
    const res = await send(body, encoding);
    assert.equal(res.status, 200, encoding);
    assert.deepEqual(await res.json(), want, encoding);
  }
  // 16 MiB of spaces, 16 KiB compressed: stopped at 64 KiB decoded.
  const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024, ' '));
  assert.ok(bomb.length < 64 * 1024);
  const refused = await send(bomb, 'gzip');
  assert.equal(refused.status, 413);
  assert.match(((await refused.json()) as { error: string }).error, /over the limit of 65536 bytes/);
  const broken = await send(Buffer.from('not gzip at all'), 'gzip');
  assert.equal(broken.status, 400);
  for (const encoding of ['br', 'zstd', 'gzip, br']) {
    const res = await send(plain, encoding);
    assert.equal(res.status, 415, encoding);
    assert.match(((await res.json()) as { error: string }).error, new RegExp(`Content-Encoding "${encoding}"`));
  }
});

test('every empty /invocations format answers 200 with no predictions', async () => {
  const { handle } = await start();
  const columns = Array.from({ length: 30 }, (_, k) => `f${k}`);
  const bodies: Array<[string, string]> = [
    [JSON.stringify({ dataframe_split: { columns, data: [] } }), 'application/json'],
    [JSON.stringify({ dataframe_records: [] }), 'application/json'],
    [JSON.stringify({ instances: [] }), 'application/json'],
    [JSON.stringify({ inputs: [] }), 'application/json'],
    [JSON.stringify({ inputs: {} }), 'application/json'],
    [JSON.stringify({ inputs: { input: [] } }), 'application/json'],
    [`${columns.join(',')}\n`, 'text/csv'],
  ];
  for (const [body, type] of bodies) {
    const res = await fetch(`${handle.url}/invocations`, { method: 'POST', headers: { 'content-type': type }, body });
    assert.deepEqual([res.status, await res.json()], [200, { predictions: [] }], body);
  }
});

test('a deadline of a few ms cuts inference (504), not a healthy sender: the body gets at least 1 s', async () => {
  const { handle } = await start({ timeoutMs: 5 });
  const { socket, received } = await slowClient(handle.port, 2, '{');
  await new Promise((r) => setTimeout(r, 300));
  socket.write('}');
  await new Promise((r) => setTimeout(r, 300));
  socket.destroy();
  // 300 ms into the body, past the 5 ms deadline: the body was still being read, not refused as 408.
  assert.doesNotMatch(received(), /^HTTP\/1\.1 408 /);
  assert.match(received(), /^HTTP\/1\.1 400 /); // {} has no inputs
});
