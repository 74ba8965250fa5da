/**
 * The bounds on large bodies: the parse worker queues at most `maxWaiting`
 * bodies and the /invocations parse gate lets one large body parse at a time;
 * past either bound the answer is 503 with Retry-After. Small bodies never wait.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../src/serve/http-util.js';
import { ParseGate } from '../../src/serve/parse-gate.js';
import { LARGE_BODY_BYTES, ParsePool } from '../../src/serve/parse-pool.js';

const is503 = (err: unknown) =>
  err instanceof HttpError &&
  err.status === 503 &&
  err.headers['retry-after'] === '1' &&
  /too many large bodies/.test(err.message);

test('the parse worker takes one body and queues at most maxWaiting; the next is 503', async () => {
  const pool = new ParsePool(1);
  try {
    const body = () =>
      Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [2], datatype: 'INT32', data: [1, 2] }] }));
    const first = pool.parse(body());
    const second = pool.parse(body());
    assert.throws(() => pool.parse(body()), is503);
    const [a, b] = (await Promise.all([first, second])) as Array<{ inputs: Array<{ data: unknown }> }>;
    // Built in the worker: a typed array, not the JSON list.
    assert.deepEqual(a.inputs[0].data, Int32Array.from([1, 2]));
    assert.deepEqual(b.inputs[0].data, Int32Array.from([1, 2]));
    await assert.rejects(
      pool.parse(Buffer.from('{"inputs": [')),
      (err: unknown) => err instanceof HttpError && err.status === 400,
    );
  } finally {
    await pool.close();
  }
});

test('the parse gate: small bodies never wait, large ones take turns, past maxWaiting 503', async () => {
  const gate = new ParseGate(LARGE_BODY_BYTES, 1);
  assert.equal(gate.turn(100), undefined);
  assert.equal(gate.turn(LARGE_BODY_BYTES), undefined, 'the first large body parses at once');
  const waiting = gate.turn(LARGE_BODY_BYTES);
  assert.ok(waiting instanceof Promise, 'the second waits its turn');
  assert.throws(() => gate.turn(LARGE_BODY_BYTES), is503);
  assert.equal(gate.turn(100), undefined, 'a small body still does not wait');
  await waiting;
});
