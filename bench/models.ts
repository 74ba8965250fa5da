/** Benchmark models built in code (random He-initialized weights), so the benchmarks need no Python. */
import { onnx, encodeModel, type NodeProto } from '../src/onnx/proto.js';
import { tensorToProto } from '../src/onnx/tensor.js';

function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/**
 * A small image CNN: Conv(3->16, 3x3) Relu MaxPool, Conv(16->32, 3x3) Relu MaxPool, Flatten, Gemm(32*8*8 -> 10),
 * on [N, 3, 32, 32] inputs.
 */
export function smallCnn(seed = 3): Uint8Array {
  const g = gaussian(seed);
  const init = (name: string, dims: number[], fanIn: number) =>
    tensorToProto({
      name,
      type: 'float32',
      dims,
      data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => g() * Math.sqrt(2 / fanIn)),
    });
  const node = (opType: string, input: string[], output: string[], attribute: NodeProto['attribute'] = []) => ({
    opType,
    input,
    output,
    name: output[0],
    attribute,
  });
  const ints = (name: string, v: number[]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  const conv = (x: string, w: string, b: string, y: string) =>
    node('Conv', [x, w, b], [y], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])]);
  const pool = (x: string, y: string) =>
    node('MaxPool', [x], [y], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'mlops-bench',
    graph: {
      name: 'small_cnn',
      node: [
        conv('image', 'w1', 'b1', 'c1'),
        node('Relu', ['c1'], ['r1']),
        pool('r1', 'p1'),
        conv('p1', 'w2', 'b2', 'c2'),
        node('Relu', ['c2'], ['r2']),
        pool('r2', 'p2'),
        node('Flatten', ['p2'], ['f'], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
        node(
          'Gemm',
          ['f', 'w3', 'b3'],
          ['logits'],
          [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        ),
      ],
      initializer: [
        init('w1', [16, 3, 3, 3], 27),
        init('b1', [16], 1e9),
        init('w2', [32, 16, 3, 3], 144),
        init('b2', [32], 1e9),
        init('w3', [10, 2048], 2048),
        init('b3', [10], 1e9),
      ],
      input: [
        {
          name: 'image',
          type: {
            tensorType: {
              elemType: 1,
              shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }, { dimValue: 32 }, { dimValue: 32 }] },
            },
          },
        },
      ],
      output: [
        {
          name: 'logits',
          type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 10 }] } } },
        },
      ],
    },
  });
  return encodeModel(model);
}

/** [n, 3, 32, 32] images as a .npy file's bytes. */
export function imagesNpy(n: number, seed = 5): Uint8Array {
  const g = gaussian(seed);
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, 3, 32, 32), }`;
  const padded = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const data = Float32Array.from({ length: n * 3 * 32 * 32 }, () => g());
  const out = new Uint8Array(10 + padded.length + data.byteLength);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0], 0);
  new DataView(out.buffer).setUint16(8, padded.length, true);
  out.set(new TextEncoder().encode(padded), 10);
  out.set(new Uint8Array(data.buffer), 10 + padded.length);
  return out;
}

/** A copy of a classifier with Softmax appended to its first output (probabilities, as the note's MLP). */
export function withSoftmax(modelBytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph!;
  const logits = graph.output![0].name!;
  graph.node!.push(
    onnx.NodeProto.create({
      opType: 'Softmax',
      input: [logits],
      output: ['probabilities'],
      name: 'softmax',
      attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
    }),
  );
  graph.output = [onnx.ValueInfoProto.create({ name: 'probabilities', type: graph.output![0].type })];
  return encodeModel(model);
}

/** An MLP of `layers` square float layers, about `megabytes` MB of weights, for quantization speed. */
export function bigMlp(megabytes: number, layers = 6, seed = 11): Uint8Array {
  const g = gaussian(seed);
  const width = Math.round(Math.sqrt((megabytes * 1e6) / 4 / layers));
  const node: NodeProto[] = [];
  const initializer = [];
  let x = 'x';
  for (let l = 0; l < layers; l++) {
    const w = `w${l}`;
    initializer.push(
      tensorToProto({
        name: w,
        type: 'float32',
        dims: [width, width],
        data: Float32Array.from({ length: width * width }, () => g() / Math.sqrt(width)),
      }),
    );
    node.push({ opType: 'MatMul', input: [x, w], output: [`h${l}`], name: `matmul_${l}` });
    node.push({ opType: 'Relu', input: [`h${l}`], output: [`r${l}`], name: `relu_${l}` });
    x = `r${l}`;
  }
  const vi = (name: string) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: width }] } } },
  });
  return encodeModel(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: { name: 'big_mlp', node, initializer, input: [vi('x')], output: [vi(x)] },
    }),
  );
}
