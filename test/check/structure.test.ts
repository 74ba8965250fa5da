import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/models/load-model.js';
import { checkExternalData, checkStructure } from '../../src/check/structure.js';
import { checkCompatibility } from '../../src/check/compatibility.js';
import { onnx } from '../../src/onnx/proto.js';
import { fixture } from '../helpers.js';

const GOOD = [
  'mlp',
  'mlp-dynamo',
  'cnn',
  'iris-zipmap',
  'iris-zipmap-strings',
  'per-column',
  'fixed-batch',
  'float64-input',
];

test('good fixtures have no structural errors', async () => {
  for (const name of [...GOOD.map((g) => `${g}.onnx`), 'external-data/model.onnx']) {
    const loaded = await loadModel(fixture('models', name));
    const problems = [...checkStructure(loaded.model), ...(await checkExternalData(loaded.model, loaded.dir))];
    assert.deepEqual(
      problems.filter((p) => p.severity === 'error'),
      [],
      name,
    );
  }
});

const BROKEN: Array<[string, string, RegExp]> = [
  ['dangling-input.onnx', 'NODE_UNDEFINED_INPUT', /reads "ghost", which no node, initializer or graph input produces/],
  ['unsorted-nodes.onnx', 'GRAPH_NOT_TOPOLOGICALLY_SORTED', /reads "\w+" before node .* produces it/],
  [
    'wrong-initializer-size.onnx',
    'INITIALIZER_BAD_DATA',
    /initializer "W": dims \[4, 3\] need 48 bytes of float32 but raw_data has 32/,
  ],
  ['duplicate-output.onnx', 'NODE_DUPLICATE_OUTPUT', /writes "y", which an earlier node already defines/],
  ['missing-graph-output.onnx', 'GRAPH_OUTPUT_NOT_PRODUCED', /graph output "z"/],
  ['unknown-op.onnx', 'OP_UNKNOWN', /FrobnicateTensor is not an operator of ai\.onnx/],
  ['custom-domain.onnx', 'OP_CUSTOM_DOMAIN', /com\.example\.custom::MyOp/],
  ['opset-too-new.onnx', 'OPSET_UNKNOWN_VERSION', /opset ai\.onnx 99 does not exist/],
  ['no-default-opset.onnx', 'DOMAIN_NOT_IMPORTED', /uses domain ai\.onnx, which opset_import does not declare/],
];

test('each broken fixture is rejected with its own code, naming the node or tensor', async () => {
  for (const [file, code, message] of BROKEN) {
    const problems = checkStructure((await loadModel(fixture('broken', file))).model);
    const match = problems.find((p) => p.code === code);
    assert.ok(match, `${file}: expected ${code}, got ${problems.map((p) => p.code).join(', ')}`);
    assert.equal(match.severity, 'error');
    assert.match(match.message, message, file);
    assert.ok(match.node || match.tensor || file === 'opset-too-new.onnx', `${file}: problem should say where`);
  }
});

test('escaping external data is a structural error', async () => {
  const loaded = await loadModel(fixture('broken', 'external-escape', 'model.onnx'));
  const problems = await checkExternalData(loaded.model, loaded.dir);
  assert.deepEqual(
    problems.map((p) => p.code),
    ['EXTERNAL_DATA_OUTSIDE_MODEL_DIR'],
  );
});

test('opsets newer than the runtime, ops used before they exist, and subgraph scopes', () => {
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } });
  const build = (opset: number, nodes: object[], extra: object = {}) =>
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: opset }],
      graph: { name: 'g', node: nodes as never, input: [vi('x'), vi('c')], output: [vi('y')], ...extra },
    });
  const codes = (m: ReturnType<typeof build>) => checkStructure(m).map((p) => p.code);
  assert.deepEqual(codes(build(27, [{ opType: 'Relu', input: ['x'], output: ['y'] }])), [
    'OPSET_UNSUPPORTED_BY_RUNTIME',
  ]);
  // Gelu appeared in opset 20.
  assert.deepEqual(codes(build(17, [{ opType: 'Gelu', input: ['x'], output: ['y'] }])), ['OP_NOT_IN_OPSET']);
  // An If branch may read "x" from the outer graph but not a name nobody produces.
  const branch = (input: string) => ({
    name: 'b',
    node: [{ opType: 'Relu', input: [input], output: ['r'] }],
    output: [vi('r')],
  });
  const ifNode = (input: string) => ({
    opType: 'If',
    name: 'if0',
    input: ['c'],
    output: ['y'],
    attribute: [
      { name: 'then_branch', type: 5, g: branch(input) },
      { name: 'else_branch', type: 5, g: branch('x') },
    ],
  });
  assert.deepEqual(codes(build(17, [ifNode('x')])), []);
  const inner = checkStructure(build(17, [ifNode('nowhere')]));
  assert.deepEqual(
    inner.map((p) => [p.code, p.graph]),
    [['NODE_UNDEFINED_INPUT', 'main/if0.then_branch']],
  );
});

test('compatibility warnings: fixed batch, float64 inputs, ZipMap outputs', async () => {
  const codes = async (name: string) =>
    checkCompatibility((await loadModel(fixture('models', name))).model).map((p) => p.code);
  assert.deepEqual(await codes('fixed-batch.onnx'), ['BATCH_DIM_FIXED']);
  assert.deepEqual(await codes('float64-input.onnx'), ['INPUT_FLOAT64']);
  assert.deepEqual(await codes('iris-zipmap.onnx'), ['OUTPUT_ZIPMAP']);
  assert.deepEqual(await codes('mlp.onnx'), []);
});
