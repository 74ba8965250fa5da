/**
 * INT64/UINT64 over JSON: outputs beyond 2^53 are written as their exact digits
 * (onnxruntime's own answer, from fixtures/make/make_int64_models.py), not rounded
 * through a double; an input number JSON.parse has already rounded is 400.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { exactJson } from '../../src/serve/exact-json.js';
import { serve, type ServeHandle } from '../../src/serve/index.js';
import { fixture } from '../helpers.js';

let server: ServeHandle;
before(async () => {
  server = await serve({ models: [fixture('models', 'int64-offset.onnx')], port: 0, instances: 1, threads: 1 });
});
after(() => server.close(1000));

async function infer(body: string) {
  const res = await fetch(`${server.url}/v2/models/int64-offset/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, text: await res.text() };
}

const REQUEST = (a: string, b = '[1, 5, 0, 2]') =>
  `{"id": "x", "inputs": [{"name": "a", "shape": [2, 2], "datatype": "INT64", "data": ${a}},` +
  ` {"name": "b", "shape": [2, 2], "datatype": "UINT64", "data": ${b}}]}`;

test('64-bit outputs beyond 2^53 are the exact digits onnxruntime gives', async () => {
  const r = await infer(REQUEST('[[1, -3], [0, 7]]'));
  assert.equal(r.status, 200, r.text);
  // onnxruntime (Python) on the same input, printed by make_int64_models.py.
  assert.match(r.text, /"data":\[9007199254740993,9007199254740989,9007199254740992,9007199254740999\]/);
  assert.match(r.text, /"data":\[9223372036854775809,9223372036854775813,9223372036854775808,9223372036854775810\]/);
  // Still JSON: parsed back, every field is where the protocol puts it.
  const doc = JSON.parse(r.text) as { id: string; outputs: Array<{ name: string; datatype: string; shape: number[] }> };
  assert.equal(doc.id, 'x');
  assert.deepEqual(
    doc.outputs.map((o) => [o.name, o.datatype, o.shape]),
    [
      ['big', 'INT64', [2, 2]],
      ['ubig', 'UINT64', [2, 2]],
    ],
  );
});

test('an INT64 input JSON has already rounded is 400 naming the input, the index and why; safe values work', async () => {
  const r = await infer(REQUEST('[1, 2, 9007199254740993, 4]'));
  assert.equal(r.status, 400);
  const { error } = JSON.parse(r.text) as { error: string };
  assert.match(error, /input "a": value 2 \(9007199254740992\) is beyond 2\^53 - 1: .*lost its last digits/);
  const u = await infer(REQUEST('[1, 2, 3, 4]', '[1, 18446744073709551615, 0, 2]'));
  assert.equal(u.status, 400);
  assert.match((JSON.parse(u.text) as { error: string }).error, /input "b": value 1 .* beyond 2\^53 - 1/);
  const safe = await infer(REQUEST('[-9007199254740991, 0, 0, 0]'));
  assert.equal(safe.status, 200, safe.text);
  assert.match(safe.text, /"data":\[1,9007199254740992,9007199254740992,9007199254740992\]/);
});

test('the mark that unquotes bigints cannot be forged by a string in the answer', () => {
  const text = exactJson({ id: '~mlops-int-0~123', n: [2n ** 64n - 1n, -(2n ** 63n)], s: ['"x"'] });
  assert.equal(text, '{"id":"~mlops-int-0~123","n":[18446744073709551615,-9223372036854775808],"s":["\\"x\\""]}');
});
