/** Constant weights as a node sees them: initializers, possibly behind Transpose, Cast or Constant. */
import { getAttribute, attributeInts, findProducer } from '../onnx/graph.js';
import { toNumber, type GraphProto, type LongLike, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { tensorFromProto, tensorDims, isExternal } from '../onnx/tensor.js';
import { MlopsError } from '../util/errors.js';

export interface ConstantWeight {
  data: Float32Array;
  dims: number[];
  /** Initializer the data comes from. */
  initializer: string;
  /** Nodes between the initializer and the consumer (Transpose, Cast), outermost last. */
  chain: NodeProto[];
}

function transpose(data: Float32Array, dims: number[], perm: number[]): { data: Float32Array; dims: number[] } {
  const rank = dims.length;
  const outDims = perm.map((p) => dims[p]);
  const strides = new Array<number>(rank);
  for (let k = rank - 1, s = 1; k >= 0; k--) {
    strides[k] = s;
    s *= dims[k];
  }
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += index[k] * strides[perm[k]];
    out[i] = data[src];
    for (let k = rank - 1; k >= 0; k--) {
      if (++index[k] < outDims[k]) break;
      index[k] = 0;
    }
  }
  return { data: out, dims: outDims };
}

/** The float32 value of `name` if it is constant, else undefined. */
export function resolveConstant(
  graph: GraphProto,
  name: string,
  initializers: Map<string, TensorProto>,
): ConstantWeight | undefined {
  const init = initializers.get(name);
  if (init) {
    if (isExternal(init)) {
      throw new MlopsError('QUANTIZE_EXTERNAL_DATA', `initializer "${name}" is stored in external data`, {
        hint: 'save the model as a single file first (onnx.save(model, path, save_as_external_data=False))',
      });
    }
    if (init.dataType !== 1) return undefined;
    return { data: tensorFromProto(init).data as Float32Array, dims: tensorDims(init), initializer: name, chain: [] };
  }
  const producer = findProducer(graph, name);
  if (!producer) return undefined;
  if (producer.opType === 'Transpose') {
    const inner = resolveConstant(graph, producer.input?.[0] ?? '', initializers);
    if (!inner) return undefined;
    const perm = attributeInts(producer, 'perm') ?? inner.dims.map((_, i) => inner.dims.length - 1 - i);
    const t = transpose(inner.data, inner.dims, perm);
    return { ...t, initializer: inner.initializer, chain: [...inner.chain, producer] };
  }
  if (producer.opType === 'Cast' && toNumber(getAttribute(producer, 'to')?.i as LongLike) === 1) {
    // A float32 weight stored as float64 (or cast from float32 to itself).
    const source = producer.input?.[0] ?? '';
    const sourceInit = initializers.get(source);
    if (sourceInit?.dataType === 11 && !isExternal(sourceInit)) {
      const t = tensorFromProto(sourceInit);
      return { data: Float32Array.from(t.data as Float64Array), dims: t.dims, initializer: source, chain: [producer] };
    }
    const inner = resolveConstant(graph, source, initializers);
    return inner ? { ...inner, chain: [...inner.chain, producer] } : undefined;
  }
  return undefined;
}
