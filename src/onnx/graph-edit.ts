/** Building blocks for rewriting graphs in place. */
import { onnx, type AttributeProto, type GraphProto, type NodeProto, type TensorProto } from './proto.js';
import { tensorToProto, type Tensor } from './tensor.js';

type AttributeValue = number | number[] | string;

export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attributes: Record<string, AttributeValue> = {},
  domain = '',
): NodeProto {
  const attribute: AttributeProto[] = Object.entries(attributes).map(([key, value]) => {
    if (typeof value === 'string')
      return { name: key, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(value) };
    if (Array.isArray(value)) return { name: key, type: onnx.AttributeProto.AttributeType.INTS, ints: value };
    return Number.isInteger(value)
      ? { name: key, type: onnx.AttributeProto.AttributeType.INT, i: value }
      : { name: key, type: onnx.AttributeProto.AttributeType.FLOAT, f: value };
  });
  return onnx.NodeProto.create({
    opType,
    input: inputs,
    output: outputs,
    name,
    attribute,
    ...(domain ? { domain } : {}),
  });
}

export function addInitializer(graph: GraphProto, tensor: Tensor & { name: string }): string {
  (graph.initializer ??= []).push(tensorToProto(tensor));
  return tensor.name;
}

/** A name not yet used by any tensor or node of the graph. */
export function uniqueNamer(graph: GraphProto): (base: string) => string {
  const used = new Set<string>();
  for (const n of graph.node ?? []) {
    for (const t of [...(n.input ?? []), ...(n.output ?? [])]) used.add(t);
    if (n.name) used.add(n.name);
  }
  for (const t of graph.initializer ?? []) used.add(t.name ?? '');
  for (const v of [...(graph.input ?? []), ...(graph.output ?? [])]) used.add(v.name ?? '');
  return (base) => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };
}

/**
 * Drop nodes whose outputs nothing reads (repeatedly) and initializers no
 * node reads: what is left of a weight after its quantized copy replaced it.
 * Subgraphs may read outer names, so names they read count as used.
 */
export function removeDeadCode(graph: GraphProto, protectedNames: Set<string> = new Set()): void {
  const outerReads = new Set<string>();
  const collect = (g: GraphProto) => {
    for (const n of g.node ?? []) {
      for (const i of n.input ?? []) outerReads.add(i);
      for (const a of n.attribute ?? [])
        for (const sub of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) collect(sub as GraphProto);
    }
  };
  for (;;) {
    outerReads.clear();
    collect(graph);
    const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
    const before = (graph.node ?? []).length;
    graph.node = (graph.node ?? []).filter((n) =>
      (n.output ?? []).some((o) => o && (outerReads.has(o) || outputs.has(o) || protectedNames.has(o))),
    );
    if (graph.node.length === before) break;
  }
  const inputs = new Set((graph.input ?? []).map((i) => i.name ?? ''));
  graph.initializer = (graph.initializer ?? []).filter(
    (t: TensorProto) => outerReads.has(t.name ?? '') || inputs.has(t.name ?? '') || protectedNames.has(t.name ?? ''),
  );
}
