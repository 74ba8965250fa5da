/**
 * Static quantization in QDQ format: activations get QuantizeLinear ->
 * DequantizeLinear (uint8, asymmetric, ranges from calibration), weights are
 * int8 (symmetric) behind DequantizeLinear, biases int32 with scale
 * x_scale * w_scale. onnxruntime's CPU provider fuses DQ -> Conv -> Q into
 * QLinearConv, DQ -> MatMul -> Q into QLinearMatMul and DQ -> Gemm -> Q into QGemm.
 */
import type { LoadedModel } from '../models/load-model.js';
import { onnx, type GraphProto, type ModelProto, type NodeProto } from '../onnx/proto.js';
import { addInitializer, makeNode } from '../onnx/graph-edit.js';
import { tensorFromProto } from '../onnx/tensor.js';
import { openSession } from '../runtime/session.js';
import { computeScaleZeroPoint, quantRange, roundHalfEven } from './formulas.js';
import { gemmAttributes, type Target } from './targets.js';
import type { QuantizedNode, RewriteOptions, WeightCache } from './dynamic.js';
import type { SampleSource } from './samples.js';

export type CalibrationMethod = 'minmax' | 'percentile';

/** Ops that only move or select values: quantized data passes through them unchanged. */
const DATA_MOVEMENT = new Set(['MaxPool', 'Flatten', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze']);

/**
 * The Relu that alone reads a target's output, if any. Quantizing after it
 * (range [0, max], zero point 0) clips negatives just as Relu does, so the
 * Relu can go, as onnxruntime's quantizer does: DQ -> Conv -> Q then fuses.
 */
export function fusedRelu(graph: GraphProto, target: Target): NodeProto | undefined {
  const y = target.node.output![0];
  if ((graph.output ?? []).some((o) => o.name === y)) return undefined;
  const readers = (graph.node ?? []).filter((n) => (n.input ?? []).includes(y));
  return readers.length === 1 && readers[0].opType === 'Relu' && !readers[0].domain ? readers[0] : undefined;
}

/** Tensors whose ranges static quantization needs: every target's activation input and (Relu'd) output. */
export function calibrationTensors(graph: GraphProto, targets: Target[]): string[] {
  const names = new Set<string>();
  for (const t of targets) {
    names.add(t.node.input![t.activationInput]);
    names.add(fusedRelu(graph, t)?.output?.[0] ?? t.node.output![0]);
  }
  return [...names];
}

function exposeOutputs(model: ModelProto, names: string[]): void {
  const graph = model.graph!;
  const existing = new Set((graph.output ?? []).map((o) => o.name));
  for (const name of names) {
    if (!existing.has(name))
      (graph.output ??= []).push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1 } } }));
  }
}

/** Percentile of a sorted sample, linear interpolation (numpy's default). */
function percentileOf(sorted: Float32Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Run the float model on the calibration batches with every needed tensor
 * exposed as an output; keep min/max, or (percentile) a sample of values.
 */
export async function calibrate(
  loaded: LoadedModel,
  targets: Target[],
  samples: SampleSource,
  options: { method: CalibrationMethod; percentile: number; threads?: number },
): Promise<Map<string, [number, number]>> {
  const names = calibrationTensors(loaded.model.graph!, targets);
  const session = await openSession(loaded, {
    threads: options.threads,
    transform: (m) => exposeOutputs(m, names),
    label: `${loaded.path} (calibration)`,
  });
  const ranges = new Map<string, [number, number]>(names.map((n) => [n, [Infinity, -Infinity]]));
  const kept = new Map<string, number[]>(names.map((n) => [n, []]));
  const SAMPLE_PER_TENSOR = 1 << 20;
  try {
    for (const batch of samples.batches) {
      const outputs = await session.run(batch, names);
      for (const name of names) {
        const data = outputs[name].data as Float32Array;
        const range = ranges.get(name)!;
        const store = kept.get(name)!;
        const stride = Math.max(1, Math.ceil(data.length / (SAMPLE_PER_TENSOR / samples.batches.length)));
        for (let i = 0; i < data.length; i++) {
          const v = data[i];
          if (v < range[0]) range[0] = v;
          if (v > range[1]) range[1] = v;
          if (options.method === 'percentile' && i % stride === 0) store.push(v);
        }
      }
    }
  } finally {
    await session.release();
  }
  if (options.method === 'percentile') {
    const q = options.percentile / 100;
    for (const name of names) {
      const sorted = Float32Array.from(kept.get(name)!).sort();
      ranges.set(name, [Math.fround(percentileOf(sorted, 1 - q)), Math.fround(percentileOf(sorted, q))]);
    }
  }
  return ranges;
}

export function rewriteStatic(
  graph: GraphProto,
  targets: Target[],
  ranges: Map<string, [number, number]>,
  options: RewriteOptions,
  weights: WeightCache,
): QuantizedNode[] {
  const u = options.unique;
  const byNode = new Map<NodeProto, Target>(targets.map((t) => [t.node, t]));
  const activationRange = quantRange('uint8', { reduceRange: options.reduceRange });
  const perChannel = options.perChannel && options.opset >= 13;
  /** tensor -> [scale initializer, zero point initializer, float scale] */
  const params = new Map<string, [string, string, number]>();
  const paramsFor = (tensor: string): [string, string, number] => {
    let p = params.get(tensor);
    if (!p) {
      const [lo, hi] = ranges.get(tensor) ?? [0, 0];
      const { scale, zeroPoint } = computeScaleZeroPoint(Math.fround(lo), Math.fround(hi), activationRange, false);
      p = [
        addInitializer(graph, { name: u(`${tensor}_scale`), type: 'float32', dims: [], data: Float32Array.of(scale) }),
        addInitializer(graph, {
          name: u(`${tensor}_zero_point`),
          type: 'uint8',
          dims: [],
          data: Uint8Array.of(zeroPoint),
        }),
        scale,
      ];
      params.set(tensor, p);
    }
    return p;
  };
  const dequantized = new Map<string, string>(); // float tensor -> name of its DQ output
  const relus = new Map<NodeProto, Target>();
  for (const t of targets) {
    const relu = fusedRelu(graph, t);
    if (relu) relus.set(relu, t);
  }
  const nodes: NodeProto[] = [];
  const report: QuantizedNode[] = [];
  /** Q -> DQ after `node`, under the name of its output, with `tensor`'s parameters. */
  const requantizeOutput = (node: NodeProto, tensor: string) => {
    const y = node.output![0];
    const pre = u(`${y}_before_quantization`);
    const [s, z] = paramsFor(tensor);
    params.set(y, paramsFor(tensor));
    const q = u(`${y}_QuantizeLinear_Output`);
    node.output = [pre, ...node.output!.slice(1)]; // in place: the node keeps its other fields
    nodes.push(
      node,
      makeNode('QuantizeLinear', [pre, s, z], [q], u(`${y}_QuantizeLinear`)),
      makeNode('DequantizeLinear', [q, s, z], [y], u(`${y}_DequantizeLinear`)),
    );
    dequantized.set(y, y);
  };
  for (const node of graph.node ?? []) {
    if (relus.has(node)) continue; // folded into the quantization of its target's output
    const target = byNode.get(node);
    if (!target) {
      // Quantized values pass through data-movement ops: Q/DQ after them lets onnxruntime run them in uint8.
      if (DATA_MOVEMENT.has(node.opType ?? '') && !node.domain && dequantized.has(node.input?.[0] ?? ''))
        requantizeOutput(node, node.input![0]);
      else nodes.push(node);
      continue;
    }
    const inputs = [...node.input!];
    const base = target.name;
    const x = inputs[target.activationInput];
    if (!dequantized.has(x)) {
      const [s, z] = paramsFor(x);
      const q = u(`${x}_QuantizeLinear_Output`);
      const dq = u(`${x}_DequantizeLinear_Output`);
      nodes.push(
        makeNode('QuantizeLinear', [x, s, z], [q], u(`${x}_QuantizeLinear`)),
        makeNode('DequantizeLinear', [q, s, z], [dq], u(`${x}_DequantizeLinear`)),
      );
      dequantized.set(x, dq);
    }
    inputs[target.activationInput] = dequantized.get(x)!;

    // Weight: int8 symmetric; per channel along the output channels.
    const { weight } = target;
    const axis = !perChannel
      ? undefined
      : target.kind === 'conv' || target.kind === 'matmul-left'
        ? 0
        : target.kind === 'gemm'
          ? gemmAttributes(node).transB
            ? 0
            : 1
          : 1;
    const w = weights.get(
      `${weight.initializer}|${weight.chain.map((n) => n.name).join('/')}`,
      weight.initializer,
      weight.data,
      weight.dims,
      'int8',
      { symmetric: true, reduceRange: options.reduceRange, axis },
    );
    const wdq = u(`${base}_weight_DequantizeLinear_Output`);
    nodes.push(
      makeNode(
        'DequantizeLinear',
        [w.q, w.scale, w.zp],
        [wdq],
        u(`${base}_weight_DequantizeLinear`),
        axis === undefined ? {} : { axis },
      ),
    );
    inputs[target.weightInput] = wdq;

    // Bias (Conv, Gemm with a 1-D C): int32 with scale x_scale * w_scale, as onnxruntime's fusions expect.
    const biasName = target.kind === 'conv' || target.kind === 'gemm' ? inputs[2] : undefined;
    const biasInit = biasName ? graph.initializer!.find((t) => t.name === biasName) : undefined;
    const quantizeBias =
      biasInit &&
      (biasInit.dims ?? []).length === 1 &&
      biasInit.dataType === 1 &&
      !(target.kind === 'gemm' && gemmAttributes(node).beta !== 1);
    if (quantizeBias) {
      const bias = tensorFromProto(biasInit).data as Float32Array;
      const xScale = paramsFor(x)[2];
      const scales = Float32Array.from(bias, (_, c) =>
        Math.fround(xScale * w.weight.scales[w.weight.scales.length === 1 ? 0 : c]),
      );
      const q = Int32Array.from(bias, (b, c) => roundHalfEven(Math.fround(b / scales[c])));
      const perChannelBias = w.weight.scales.length > 1;
      const bq = addInitializer(graph, {
        name: u(`${biasName}_quantized`),
        type: 'int32',
        dims: [bias.length],
        data: q,
      });
      const bs = addInitializer(graph, {
        name: u(`${biasName}_quantized_scale`),
        type: 'float32',
        dims: perChannelBias ? [bias.length] : [],
        data: perChannelBias ? scales : Float32Array.of(scales[0]),
      });
      const bz = addInitializer(graph, {
        name: u(`${biasName}_quantized_zero_point`),
        type: 'int32',
        dims: perChannelBias ? [bias.length] : [],
        data: perChannelBias ? new Int32Array(bias.length) : Int32Array.of(0),
      });
      const bdq = u(`${biasName}_DequantizeLinear_Output`);
      nodes.push(
        makeNode(
          'DequantizeLinear',
          [bq, bs, bz],
          [bdq],
          u(`${biasName}_DequantizeLinear`),
          perChannelBias ? { axis: 0 } : {},
        ),
      );
      inputs[2] = bdq;
    }
    node.input = inputs;

    // Output: Q -> DQ under the original name (the Relu's, when it is folded), so readers are unchanged.
    const relu = fusedRelu(graph, target);
    if (relu) node.output = [relu.output![0], ...node.output!.slice(1)];
    requantizeOutput(node, node.output![0]);
    report.push({
      name: base,
      op_type: node.opType ?? '',
      how: `QDQ (uint8 activations, int8 weights${quantizeBias ? ', int32 bias' : ''}${relu ? ', Relu folded' : ''})`,
      weight: weight.initializer,
      weight_shape: weight.dims,
      per_channel: axis !== undefined,
    });
  }
  graph.node = nodes;
  return report;
}
