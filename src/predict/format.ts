/** Predictions -> CSV text, one string per batch. */
import { attributeInts, attributeStrings, findProducer } from '../onnx/graph.js';
import type { ModelProto } from '../onnx/proto.js';
import type { Tensor } from '../onnx/tensor.js';
import type { ZipMapRewrite } from '../onnx/zipmap.js';
import { formatFloat16, formatFloat32, formatFloat64 } from '../util/format-number.js';
import { MlopsError } from '../util/errors.js';
import { csvField } from './encode.js';

export interface OutputColumn {
  output: string;
  /** Column names this output fills (1 for [N], K for [N, K]). */
  names: string[];
}

/** Class labels a classifier node declares for its score output, if any. */
function classLabels(model: ModelProto, output: string): Array<string | number> | undefined {
  const producer = model.graph ? findProducer(model.graph, output) : undefined;
  if (!producer) return undefined;
  const strings = attributeStrings(producer, 'classlabels_strings');
  if (strings?.length) return strings;
  const ints = attributeInts(producer, 'classlabels_int64s') ?? attributeInts(producer, 'classlabels_ints');
  return ints?.length ? ints : undefined;
}

/**
 * Column names for the outputs, from the first batch's shapes: [N] -> the
 * output name; [N, K] -> name_<label> when the model carries class labels,
 * else name_0..name_{K-1}. ZipMap classifiers get `label` and
 * `probability_<label>`, as scikit-learn users expect.
 */
export function outputColumns(
  model: ModelProto,
  results: Array<[string, Tensor]>,
  zipmaps: ZipMapRewrite[],
  taken: Set<string>,
): OutputColumn[] {
  const zipByOutput = new Map(zipmaps.map((z) => [z.output, z]));
  // The classifier node that feeds ZipMap also emits the label (skl2onnx adds a Cast after it).
  const labelTensors = new Set<string>();
  for (const z of zipmaps) {
    const producer = model.graph ? findProducer(model.graph, z.probabilities) : undefined;
    const label = producer?.output?.[0];
    if (label && label !== z.probabilities) labelTensors.add(label);
  }
  const isLabel = (output: string): boolean => {
    for (let name = output, hops = 0; hops < 4; hops++) {
      if (labelTensors.has(name)) return true;
      const producer = model.graph ? findProducer(model.graph, name) : undefined;
      if (!producer || !['Cast', 'Identity'].includes(producer.opType ?? '')) return false;
      name = producer.input?.[0] ?? '';
    }
    return false;
  };
  const unique = (name: string) => {
    let candidate = name;
    while (taken.has(candidate)) candidate = `${candidate}_pred`;
    taken.add(candidate);
    return candidate;
  };
  // An output's columns are renamed together (y_pred_0, y_pred_1), never one of them alone.
  const group = (prefix: string, suffixes: Array<string | number>) => {
    let base = prefix;
    while (suffixes.some((x) => taken.has(`${base}_${x}`))) base = `${base}_pred`;
    return suffixes.map((x) => unique(`${base}_${x}`));
  };
  return results.map(([output, tensor]) => {
    const width = tensor.dims.length <= 1 ? 1 : tensor.dims.slice(1).reduce((a, b) => a * b, 1);
    const zip = zipByOutput.get(output);
    if (zip) return { output, names: group('probability', zip.labels) };
    if (width === 1 && isLabel(output)) return { output, names: [unique('label')] };
    if (width === 1) return { output, names: [unique(output)] };
    const labels = classLabels(model, output);
    const suffixes = labels && labels.length === width ? labels : Array.from({ length: width }, (_, k) => k);
    return { output, names: group(output, suffixes) };
  });
}

type Formatter = (data: Tensor['data'], i: number) => string;

function formatterFor(type: string, output: string): Formatter {
  switch (type) {
    case 'float32':
      return (d, i) => formatFloat32((d as Float32Array)[i]);
    case 'float64':
      return (d, i) => formatFloat64((d as Float64Array)[i]);
    case 'float16':
      return (d, i) => formatFloat16((d as Uint16Array)[i]);
    case 'bool':
      return (d, i) => ((d as Uint8Array)[i] ? 'true' : 'false');
    case 'string':
      return (d, i) => csvField((d as string[])[i]);
    case 'int8':
    case 'uint8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'uint64':
      return (d, i) => String((d as Int32Array)[i]);
    default:
      // bfloat16, float8, complex: better no output than numbers that look plausible and are not.
      throw new MlopsError(
        'OUTPUT_TYPE_UNSUPPORTED',
        `model output "${output}" has element type ${type}, which predict-batch cannot write as CSV`,
        {
          hint: 'cast the output to float32 in the model (a Cast node before the graph output)',
        },
      );
  }
}

/** CSV lines for `rows` rows: kept fields, then every output's values. */
export function formatRows(
  rows: number,
  kept: string[],
  keepCount: number,
  outputs: Tensor[],
  widths: number[],
  names: string[],
): string {
  const formatters = outputs.map((t, o) => formatterFor(t.type, names[o]));
  let text = '';
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let k = 0; k < keepCount; k++) line += (k ? ',' : '') + csvField(kept[r * keepCount + k]);
    for (let o = 0; o < outputs.length; o++) {
      const data = outputs[o].data;
      const w = widths[o];
      const fmt = formatters[o];
      // No separator before the very first column of the line.
      for (let j = 0; j < w; j++) line += (keepCount > 0 || o > 0 || j > 0 ? ',' : '') + fmt(data, r * w + j);
    }
    text += line + '\n';
  }
  return text;
}
