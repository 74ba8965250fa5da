/**
 * Dynamic quantization: int8 weights, activations quantized at run time.
 * MatMul/Gemm become DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul
 * (-> Add bias), the pattern onnxruntime fuses into MatMulIntegerToFloat.
 * A weight on the left of a MatMul is stored int8 behind DequantizeLinear
 * (smaller file, float math). Conv (only when asked) uses ConvInteger with
 * uint8 weights: the only ConvInteger kernel onnxruntime's CPU provider has.
 */
import type { GraphProto, NodeProto } from '../onnx/proto.js';
import { addInitializer, makeNode } from '../onnx/graph-edit.js';
import { tensorFromProto } from '../onnx/tensor.js';
import { quantizeWeight, type QuantizedWeight } from './formulas.js';
import { gemmAttributes, type Target } from './targets.js';

export interface RewriteOptions {
  perChannel: boolean;
  reduceRange: boolean;
  opset: number;
  unique: (base: string) => string;
}

export interface QuantizedNode {
  name: string;
  op_type: string;
  how: string;
  weight: string;
  weight_shape: number[];
  per_channel: boolean;
}

/** Quantized weight initializers, shared when one weight feeds several nodes. */
export class WeightCache {
  private readonly cache = new Map<string, { q: string; scale: string; zp: string; weight: QuantizedWeight }>();
  constructor(
    private readonly graph: GraphProto,
    private readonly unique: (base: string) => string,
  ) {}

  get(
    key: string,
    base: string,
    data: Float32Array,
    dims: number[],
    type: 'int8' | 'uint8',
    options: { symmetric: boolean; reduceRange: boolean; axis?: number },
  ) {
    const cacheKey = `${key}|${type}|${options.axis ?? -1}|${options.symmetric}|${options.reduceRange}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return hit;
    const weight = quantizeWeight(data, dims, type, options);
    const perChannel = options.axis !== undefined;
    const entry = {
      q: addInitializer(this.graph, { name: this.unique(`${base}_quantized`), type, dims, data: weight.values }),
      scale: addInitializer(this.graph, {
        name: this.unique(`${base}_scale`),
        type: 'float32',
        dims: perChannel ? [weight.scales.length] : [],
        data: weight.scales,
      }),
      zp: addInitializer(this.graph, {
        name: this.unique(`${base}_zero_point`),
        type,
        dims: perChannel ? [weight.zeroPoints.length] : [],
        data: weight.zeroPoints,
      }),
      weight,
    };
    this.cache.set(cacheKey, entry);
    return entry;
  }
}

/** ConvInteger takes Conv's attributes (pads, strides, dilations, group...) as they are. */
function withAttributesOf(source: NodeProto, target: NodeProto): NodeProto {
  target.attribute = source.attribute ?? [];
  return target;
}

/** Rewrite one target; returns the nodes that replace it (in order) and what was done. */
export function rewriteDynamic(
  graph: GraphProto,
  target: Target,
  options: RewriteOptions,
  weights: WeightCache,
  activations: Map<string, [string, string, string]>,
): { nodes: NodeProto[]; report: QuantizedNode } {
  const { node, weight } = target;
  const u = options.unique;
  const base = target.name;
  const output = node.output![0];
  const perChannelAllowed = options.perChannel && options.opset >= 13;
  const report = (how: string, perChannel: boolean, dims = weight.dims): QuantizedNode => ({
    name: target.name,
    op_type: node.opType ?? '',
    how,
    weight: weight.initializer,
    weight_shape: dims,
    per_channel: perChannel,
  });

  if (target.kind === 'matmul-left') {
    const w = weights.get(
      weight.initializer + weight.chain.map((n) => n.name).join('/'),
      weight.initializer,
      weight.data,
      weight.dims,
      'int8',
      { symmetric: true, reduceRange: options.reduceRange, axis: perChannelAllowed ? 0 : undefined },
    );
    const dq = u(`${base}_weight_dequantized`);
    const attrs: Record<string, number> = perChannelAllowed ? { axis: 0 } : {};
    node.input = [dq, ...node.input!.slice(1)]; // in place: the node keeps its other fields
    return {
      nodes: [makeNode('DequantizeLinear', [w.q, w.scale, w.zp], [dq], u(`${base}_weight_dq`), attrs), node],
      report: report('int8 weight + DequantizeLinear (weight on the left)', perChannelAllowed),
    };
  }

  // Quantize the activation once per tensor, whichever nodes read it.
  const activation = node.input![target.activationInput];
  let dyn = activations.get(activation);
  const nodes: NodeProto[] = [];
  if (!dyn) {
    dyn = [u(`${activation}_quantized`), u(`${activation}_scale`), u(`${activation}_zero_point`)];
    activations.set(activation, dyn);
    nodes.push(makeNode('DynamicQuantizeLinear', [activation], dyn, u(`${activation}_DynamicQuantizeLinear`)));
  }
  const [xq, xScale, xZp] = dyn;

  if (target.kind === 'conv') {
    const w = weights.get(weight.initializer, weight.initializer, weight.data, weight.dims, 'uint8', {
      symmetric: false,
      reduceRange: options.reduceRange,
      axis: perChannelAllowed ? 0 : undefined,
    });
    const conv = u(`${base}_int32`);
    const cast = u(`${base}_float`);
    const scale = u(`${base}_scale`);
    const hasBias = Boolean(node.input![2]);
    const scaled = hasBias ? u(`${base}_scaled`) : output;
    nodes.push(
      withAttributesOf(node, makeNode('ConvInteger', [xq, w.q, xZp, w.zp], [conv], u(`${base}_ConvInteger`))),
      makeNode('Cast', [conv], [cast], u(`${base}_Cast`), { to: 1 }),
      // Per-channel scales broadcast over [N, C, H, W] as [C, 1, 1].
      ...(perChannelAllowed
        ? [
            makeNode(
              'Reshape',
              [
                w.scale,
                addInitializer(graph, {
                  name: u(`${base}_scale_shape`),
                  type: 'int64',
                  dims: [weight.dims.length - 1],
                  data: BigInt64Array.from([BigInt(weight.dims[0]), ...weight.dims.slice(2).map(() => 1n)]),
                }),
              ],
              [u(`${base}_scale_c11`)],
              u(`${base}_scale_Reshape`),
            ),
          ]
        : []),
    );
    const wScale = perChannelAllowed ? nodes[nodes.length - 1].output![0] : w.scale;
    nodes.push(
      makeNode('Mul', [xScale, wScale], [scale], u(`${base}_scale_Mul`)),
      makeNode('Mul', [cast, scale], [scaled], u(`${base}_output_Mul`)),
    );
    if (hasBias) {
      const bias = graph.initializer!.find((t) => t.name === node.input![2]);
      const biasShape = addInitializer(graph, {
        name: u(`${base}_bias_shape`),
        type: 'int64',
        dims: [weight.dims.length],
        data: BigInt64Array.from([1n, BigInt(weight.dims[0]), ...weight.dims.slice(2).map(() => 1n)]),
      });
      const reshaped = u(`${base}_bias_reshaped`);
      nodes.push(
        makeNode('Reshape', [bias?.name ?? node.input![2], biasShape], [reshaped], u(`${base}_bias_Reshape`)),
        makeNode('Add', [scaled, reshaped], [output], u(`${base}_bias_Add`)),
      );
    }
    return { nodes, report: report('ConvInteger (uint8 weights)', perChannelAllowed) };
  }

  let data = weight.data;
  let dims = weight.dims;
  let bias: string | undefined;
  if (target.kind === 'gemm') {
    const { alpha, beta, transB } = gemmAttributes(node);
    if (transB) {
      const [n, k] = dims;
      const t = new Float32Array(data.length);
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) t[j * n + i] = data[i * k + j];
      data = t;
      dims = [k, n];
    }
    if (alpha !== 1) data = data.map((v) => Math.fround(v * alpha));
    if (node.input![2]) {
      bias = node.input![2];
      if (beta !== 1) {
        const c = graph.initializer!.find((t) => t.name === bias)!;
        const values = (tensorFromProto(c).data as Float32Array).map((v) => Math.fround(v * beta));
        bias = addInitializer(graph, {
          name: u(`${bias}_scaled`),
          type: 'float32',
          dims: (c.dims ?? []).map(Number),
          data: values,
        });
      }
    }
  }
  const key = `${weight.initializer}|${weight.chain.map((n) => n.name).join('/')}|${target.kind === 'gemm' ? JSON.stringify(gemmAttributes(node)) : ''}`;
  const w = weights.get(key, weight.initializer, data, dims, 'int8', {
    symmetric: true,
    reduceRange: options.reduceRange,
    axis: options.perChannel ? 1 : undefined,
  });
  const mm = u(`${base}_MatMulInteger_output`);
  const cast = u(`${base}_float`);
  const scale = u(`${base}_scale`);
  const scaled = bias ? u(`${base}_scaled`) : output;
  nodes.push(
    makeNode('MatMulInteger', [xq, w.q, xZp, w.zp], [mm], u(`${base}_MatMulInteger`)),
    makeNode('Cast', [mm], [cast], u(`${base}_Cast`), { to: 1 }),
    makeNode('Mul', [xScale, w.scale], [scale], u(`${base}_scale_Mul`)),
    makeNode('Mul', [cast, scale], [scaled], u(`${base}_output_Mul`)),
  );
  if (bias) nodes.push(makeNode('Add', [scaled, bias], [output], u(`${base}_bias_Add`)));
  return { nodes, report: report(`MatMulInteger${bias ? ' + bias' : ''}`, options.perChannel, dims) };
}
