/** `mlops inspect`: what is in a model file. */
import { dataTypeInfo } from '../onnx/data-types.js';
import { allGraphs, feedInputs, opsetVersions, valueSignature, type ValueSignature } from '../onnx/graph.js';
import { loadModel, type LoadedModel, type RegistryVersion } from '../models/load-model.js';
import { toNumber, type LongLike } from '../onnx/proto.js';
import { byteLength, elementCount, isExternal, tensorDims } from '../onnx/tensor.js';

export interface InspectOptions {
  /** A file path or a registry reference (name, name@3, name@production). */
  model: string;
  registry?: string;
}

export interface OpCount {
  domain: string;
  op_type: string;
  count: number;
}

export interface InspectResult {
  path: string;
  file_size: number;
  sha256: string;
  ir_version: number;
  producer_name: string;
  producer_version: string;
  model_domain: string;
  /** ModelProto.model_version, set by the exporter; not the registry's version (that is registry.model_version). */
  onnx_model_version: number;
  graph_name: string;
  doc_string: string;
  opsets: Array<{ domain: string; version: number }>;
  inputs: ValueSignature[];
  outputs: ValueSignature[];
  node_count: number;
  op_counts: OpCount[];
  subgraph_count: number;
  function_count: number;
  initializer_count: number;
  parameter_count: number;
  initializer_bytes: number;
  external_data: boolean;
  metadata: Record<string, string>;
  /** The registry version, when the model was given as a reference. */
  registry?: RegistryVersion;
}

export async function inspectModel(options: InspectOptions): Promise<InspectResult> {
  return summarizeModel(await loadModel(options.model, { registry: options.registry }));
}

export function summarizeModel(loaded: LoadedModel): InspectResult {
  const { model } = loaded;
  const graph = model.graph ?? {};
  const opCounts = new Map<string, OpCount>();
  let nodeCount = 0;
  let subgraphs = -1; // the main graph is not a subgraph
  let initializerCount = 0;
  let parameters = 0;
  let bytes = 0;
  let external = false;
  for (const g of allGraphs(model)) {
    subgraphs++;
    for (const node of g.node ?? []) {
      nodeCount++;
      const domain = node.domain ?? '';
      const key = `${domain}\u0000${node.opType}`;
      const entry = opCounts.get(key) ?? { domain, op_type: node.opType ?? '', count: 0 };
      entry.count++;
      opCounts.set(key, entry);
    }
    for (const t of g.initializer ?? []) {
      initializerCount++;
      const count = elementCount(tensorDims(t));
      parameters += count;
      const info = dataTypeInfo(t.dataType ?? 0);
      if (info?.type === 'string') bytes += (t.stringData ?? []).reduce((n, s) => n + s.length, 0);
      else if (info) bytes += byteLength(info, count);
      external ||= isExternal(t);
    }
  }
  const metadata: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) metadata[p.key ?? ''] = p.value ?? '';
  return {
    path: loaded.path,
    file_size: loaded.sizeBytes,
    sha256: loaded.sha256,
    ir_version: toNumber(model.irVersion as LongLike),
    producer_name: model.producerName ?? '',
    producer_version: model.producerVersion ?? '',
    model_domain: model.domain ?? '',
    onnx_model_version: toNumber(model.modelVersion as LongLike),
    graph_name: graph.name ?? '',
    doc_string: model.docString ?? '',
    opsets: [...opsetVersions(model)].map(([domain, version]) => ({ domain: domain || 'ai.onnx', version })),
    inputs: feedInputs(graph).map(valueSignature),
    outputs: (graph.output ?? []).map(valueSignature),
    node_count: nodeCount,
    op_counts: [...opCounts.values()].sort((a, b) => b.count - a.count || a.op_type.localeCompare(b.op_type)),
    subgraph_count: Math.max(0, subgraphs),
    function_count: (model.functions ?? []).length,
    initializer_count: initializerCount,
    parameter_count: parameters,
    initializer_bytes: bytes,
    external_data: external,
    metadata,
    ...(loaded.registry ? { registry: loaded.registry } : {}),
  };
}
