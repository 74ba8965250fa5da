/**
 * scikit-learn classifiers end in ai.onnx.ml ZipMap, whose output is a
 * sequence of maps that onnxruntime-node cannot return ("Non tensor type is
 * temporarily not supported"). We replace each ZipMap that feeds a graph
 * output with an Identity of its probability tensor, keeping the output name,
 * and hand back the class labels so callers can name the columns.
 */
import { attributeInts, attributeStrings, normalizeDomain } from './graph.js';
import { onnx, type ModelProto, type NodeProto } from './proto.js';

export interface ZipMapRewrite {
  /** Graph output that used to be seq(map(label, float)) and is now float [N, K]. */
  output: string;
  /** The probability tensor ZipMap read. */
  probabilities: string;
  labels: Array<string | number>;
}

export function isZipMap(node: NodeProto): boolean {
  return node.opType === 'ZipMap' && normalizeDomain(node.domain) === 'ai.onnx.ml';
}

export function zipMapLabels(node: NodeProto): Array<string | number> {
  return attributeStrings(node, 'classlabels_strings')?.length
    ? attributeStrings(node, 'classlabels_strings')!
    : (attributeInts(node, 'classlabels_int64s') ?? []);
}

/** Rewrites `model` in place; returns what it changed (empty when no ZipMap feeds an output). */
export function stripZipMap(model: ModelProto): ZipMapRewrite[] {
  const graph = model.graph;
  if (!graph) return [];
  const outputs = new Set((graph.output ?? []).map((o) => o.name));
  const rewrites: ZipMapRewrite[] = [];
  graph.node = (graph.node ?? []).map((node) => {
    const output = node.output?.[0];
    if (!isZipMap(node) || !output || !outputs.has(output)) return node;
    const labels = zipMapLabels(node);
    const probabilities = node.input?.[0] ?? '';
    rewrites.push({ output, probabilities, labels });
    return onnx.NodeProto.create({
      name: node.name ? `${node.name}_identity` : '',
      opType: 'Identity',
      input: [probabilities],
      output: [output],
    });
  });
  for (const rewrite of rewrites) {
    const info = graph.output!.find((o) => o.name === rewrite.output)!;
    info.type = onnx.TypeProto.create({
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'N' }, { dimValue: rewrite.labels.length }] },
      },
    });
  }
  return rewrites;
}
