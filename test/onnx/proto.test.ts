import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeModelBytes, encodeModel, getUnknownFields, Reader } from '../../src/onnx/proto.js';
import { fixture } from '../helpers.js';

/** Field numbers present at the top level of a message's bytes. */
function fieldNumbers(bytes: Uint8Array): number[] {
  const reader = Reader.create(bytes);
  const out: number[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    out.push(tag >>> 3);
    reader.skipType(tag & 7);
  }
  return out;
}

test('an IR 10 model from torch dynamo keeps node metadata_props through decode and encode', () => {
  const original = readFileSync(fixture('models', 'mlp-dynamo.onnx'));
  const model = decodeModelBytes(original);
  assert.equal(Number(model.irVersion), 10);
  const nodes = model.graph!.node!;
  assert.ok(nodes.length > 0);
  for (const node of nodes) {
    const unknown = getUnknownFields(node);
    assert.ok(unknown, `node ${node.name} should carry fields unknown to onnx-proto`);
    // NodeProto.metadata_props is field 9, added in IR 10.
    assert.ok(fieldNumbers(unknown).includes(9), `node ${node.name} lost metadata_props`);
  }
  const reencoded = encodeModel(model);
  // protobufjs may pack repeated ints differently, so sizes can differ by a few bytes, never by whole fields.
  assert.ok(Math.abs(reencoded.length - original.length) < 16, `size ${original.length} -> ${reencoded.length}`);
  const again = decodeModelBytes(reencoded);
  assert.deepEqual(again, model);
  again.graph!.node!.forEach((node, i) => assert.deepEqual(getUnknownFields(node), getUnknownFields(nodes[i])));
  // Stable: a second round trip is byte-identical.
  assert.deepEqual(encodeModel(again), reencoded);
});

test('graph-level fields unknown to IR 8 survive (value_info metadata of the dynamo export)', () => {
  const model = decodeModelBytes(readFileSync(fixture('models', 'mlp-dynamo.onnx')));
  const withUnknown = [
    ...(model.graph!.input ?? []),
    ...(model.graph!.output ?? []),
    ...(model.graph!.valueInfo ?? []),
  ].filter((v) => getUnknownFields(v));
  assert.ok(withUnknown.length > 0, 'dynamo export carries ValueInfoProto.metadata_props');
  const again = decodeModelBytes(encodeModel(model));
  const names = [...(again.graph!.input ?? []), ...(again.graph!.output ?? []), ...(again.graph!.valueInfo ?? [])]
    .filter((v) => getUnknownFields(v))
    .map((v) => v.name);
  assert.deepEqual(
    names,
    withUnknown.map((v) => v.name),
  );
});

test('a model of known fields only round-trips with nothing unknown attached', () => {
  const model = decodeModelBytes(readFileSync(fixture('models', 'mlp.onnx')));
  assert.equal(getUnknownFields(model), undefined);
  assert.equal(getUnknownFields(model.graph!), undefined);
  assert.deepEqual(decodeModelBytes(encodeModel(model)), model);
});
