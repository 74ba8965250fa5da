/** Small named helpers over decoded graphs. */
import { elementTypeName } from './data-types.js';
import { MlopsError } from '../util/errors.js';
import type { Dim } from './shape-text.js';
import {
  toNumber,
  type DimensionProto,
  type AttributeProto,
  type GraphProto,
  type LongLike,
  type ModelProto,
  type NodeProto,
  type TypeProto,
  type ValueInfoProto,
} from './proto.js';

/** Subgraphs held by a node's attributes (If branches, Loop/Scan bodies). */
export function subgraphsOf(node: NodeProto): GraphProto[] {
  const out: GraphProto[] = [];
  for (const attr of node.attribute ?? []) {
    if (attr.g) out.push(attr.g as GraphProto);
    for (const g of attr.graphs ?? []) out.push(g as GraphProto);
  }
  return out;
}

/** The main graph and every subgraph below it, depth first. */
export function* allGraphs(model: ModelProto): Generator<GraphProto> {
  if (!model.graph) return;
  const stack: GraphProto[] = [model.graph as GraphProto];
  while (stack.length) {
    const graph = stack.pop()!;
    yield graph;
    for (const node of graph.node ?? []) stack.push(...subgraphsOf(node as NodeProto));
  }
}

export function getAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name) as AttributeProto | undefined;
}

export function attributeInts(node: NodeProto, name: string): number[] | undefined {
  const attr = getAttribute(node, name);
  return attr ? (attr.ints ?? []).map((v) => toNumber(v as LongLike)) : undefined;
}

export function attributeStrings(node: NodeProto, name: string): string[] | undefined {
  const attr = getAttribute(node, name);
  if (!attr) return undefined;
  const decoder = new TextDecoder();
  return (attr.strings ?? []).map((s) => decoder.decode(s));
}

/** Node that produces `tensor` in this graph (not in subgraphs). */
export function findProducer(graph: GraphProto, tensor: string): NodeProto | undefined {
  return (graph.node ?? []).find((n) => (n.output ?? []).includes(tensor)) as NodeProto | undefined;
}

/** Domain as used in opset_import: '' and 'ai.onnx' are the same default domain. */
export function normalizeDomain(domain: string | null | undefined): string {
  return !domain || domain === 'ai.onnx' ? '' : domain;
}

export function opsetVersions(model: ModelProto): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of model.opsetImport ?? []) out.set(normalizeDomain(o.domain), toNumber(o.version as LongLike));
  return out;
}

/** Graph inputs that are real feeds (IR < 4 also lists initializers as inputs). */
export function feedInputs(graph: GraphProto): ValueInfoProto[] {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return (graph.input ?? []).filter((i) => !initializers.has(i.name)) as ValueInfoProto[];
}

export { formatShape, type Dim } from './shape-text.js';

export type ValueKind = 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse_tensor' | 'unknown';

export interface ValueSignature {
  name: string;
  kind: ValueKind;
  /** Element type for tensors (float32...); a readable description for other kinds (seq(map(int64, float32))). */
  type: string;
  /** null when the rank is unknown; a dim is a number, a symbolic name, or null when unnamed. */
  shape: Dim[] | null;
}

export function typeDescription(type: TypeProto | null | undefined): Omit<ValueSignature, 'name'> {
  if (!type) return { kind: 'unknown', type: 'unknown', shape: null };
  if (type.tensorType) {
    const t = type.tensorType;
    const shape = t.shape ? (t.shape.dim ?? []).map(dimValue) : null;
    return { kind: 'tensor', type: elementTypeName(t.elemType ?? 0), shape };
  }
  if (type.sequenceType) {
    const inner = typeDescription(type.sequenceType.elemType as TypeProto);
    return {
      kind: 'sequence',
      type: `seq(${inner.kind === 'tensor' ? `tensor(${inner.type})` : inner.type})`,
      shape: null,
    };
  }
  if (type.mapType) {
    const value = typeDescription(type.mapType.valueType as TypeProto);
    return { kind: 'map', type: `map(${elementTypeName(type.mapType.keyType ?? 0)}, ${value.type})`, shape: null };
  }
  if (type.optionalType) {
    const inner = typeDescription(type.optionalType.elemType as TypeProto);
    return { kind: 'optional', type: `optional(${inner.type})`, shape: null };
  }
  if (type.sparseTensorType) {
    const t = type.sparseTensorType;
    return {
      kind: 'sparse_tensor',
      type: `sparse(${elementTypeName(t.elemType ?? 0)})`,
      shape: t.shape ? (t.shape.dim ?? []).map(dimValue) : null,
    };
  }
  return { kind: 'unknown', type: 'unknown', shape: null };
}

function dimValue(dim: DimensionProto): Dim {
  if (dim.dimParam) return dim.dimParam;
  if (dim.dimValue != null && Object.hasOwn(dim, 'dimValue')) return toNumber(dim.dimValue as LongLike);
  return null;
}

export function valueSignature(info: ValueInfoProto): ValueSignature {
  return { name: info.name ?? '', ...typeDescription(info.type as TypeProto) };
}

/**
 * A model exported without a dynamic batch axis (input shape [1, F]) runs only
 * on batches of exactly that size: batches are cut and padded to it.
 */
export function fixedBatchSize(inputs: ValueSignature[]): number | undefined {
  const sizes = new Set(inputs.map((i) => i.shape?.[0]).filter((d): d is number => typeof d === 'number'));
  if (sizes.size === 0) return undefined;
  if (sizes.size > 1) {
    throw new MlopsError(
      'INPUT_SHAPE_UNSUPPORTED',
      `the model's inputs fix different batch sizes (${inputs.map((i) => `${i.name} [${i.shape?.join(', ')}]`).join(', ')}), so no batch of rows fits them all`,
      {
        hint: 're-export the model with a dynamic batch axis (torch.onnx.export(..., dynamic_axes={name: {0: "batch"}}))',
      },
    );
  }
  const [size] = sizes;
  if (size < 1) throw new MlopsError('INPUT_SHAPE_UNSUPPORTED', `the model's inputs fix a batch size of ${size}`);
  return size;
}
