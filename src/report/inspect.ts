import type { InspectResult } from '../check/inspect.js';
import { formatShape } from '../onnx/graph.js';
import { paint, type RenderOptions } from './style.js';
import { formatBytes, formatCount, joinSections, renderFields, renderTable } from './table.js';

export function renderInspect(result: InspectResult, options: RenderOptions): string {
  const producer = [result.producer_name, result.producer_version].filter(Boolean).join(' ') || '(none)';
  const fields: Array<[string, string | number]> = [
    ['file', result.path],
    ['size', `${formatBytes(result.file_size)} (${formatCount(result.file_size)} bytes)`],
    ['sha256', result.sha256],
    ['ir_version', result.ir_version],
    ['opsets', result.opsets.map((o) => `${o.domain} ${o.version}`).join(', ') || '(none)'],
    ['producer', producer],
    ['graph', result.graph_name || '(unnamed)'],
    [
      'nodes',
      `${formatCount(result.node_count)}${result.subgraph_count ? ` (in ${result.subgraph_count + 1} graphs)` : ''}`,
    ],
    [
      'parameters',
      `${formatCount(result.parameter_count)} in ${result.initializer_count} initializers, ${formatBytes(result.initializer_bytes)}${result.external_data ? ' (external data)' : ''}`,
    ],
  ];
  if (result.function_count) fields.push(['functions', result.function_count]);
  const parts = [renderFields(fields, options)];
  const io = [
    ...result.inputs.map((v) => ['input', v.name, v.type, formatShape(v.shape)]),
    ...result.outputs.map((v) => ['output', v.name, v.type, formatShape(v.shape)]),
  ];
  parts.push(renderTable(['', 'name', 'type', 'shape'], io, options));
  parts.push(
    renderTable(
      ['op', 'domain', 'count'],
      result.op_counts.map((o) => [o.op_type, o.domain || 'ai.onnx', o.count]),
      options,
      ['left', 'left', 'right'],
    ),
  );
  const metadata = Object.entries(result.metadata);
  if (metadata.length)
    parts.push(paint(options, 'bold', 'metadata') + '\n' + renderTable(['key', 'value'], metadata, options));
  return joinSections(parts, options) + '\n';
}
