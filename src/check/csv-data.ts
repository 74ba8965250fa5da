/** Tabular parity data: feature columns -> model inputs, expected columns -> outputs. */
import type { ValueSignature } from '../onnx/graph.js';
import type { ElementType } from '../onnx/data-types.js';
import { arrayConstructorFor, type Tensor } from '../onnx/tensor.js';
import type { CsvTable } from '../table/read-csv-table.js';
import { parseBoolCell, parseFloatCell, parseIntCell, quoteCell } from '../table/cell-values.js';
import { MlopsError } from '../util/errors.js';
import type { RecordedFeatures } from '../onnx/load-model.js';
import { featuresByOrderWarning } from '../table/feature-order.js';

export interface CsvMappingOptions {
  /** Columns feeding a single 2-D input, in order. */
  features?: string[];
  /** Columns to leave out when features are chosen automatically (ids, labels...). */
  ignore?: string[];
  /** Feature names recorded with the model: the columns are found by name, in any order. */
  recorded?: RecordedFeatures;
  /** Told when features had to be taken by column order. */
  onWarning?: (message: string) => void;
}

function listColumns(names: string[], max = 8): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, ... (${names.length} in all)`;
}

function cellError(table: CsvTable, row: number, column: string, value: string, what: string): MlopsError {
  return new MlopsError('CSV_BAD_VALUE', `${table.file}:${table.lines[row]}: column "${column}": ${quoteCell(value)} is not ${what}`, {
    hint: 'fix or remove that row',
  });
}

/** Parse one column into a typed array of the input's element type. */
function columnValues(table: CsvTable, col: number, type: ElementType, into: Tensor['data'], offset: number, stride: number): void {
  const name = table.header[col];
  const n = table.rows.length;
  for (let r = 0; r < n; r++) {
    const text = table.rows[r][col];
    const at = r * stride + offset;
    if (type === 'string') {
      (into as string[])[at] = text;
    } else if (type === 'bool') {
      const v = parseBoolCell(text);
      if (v === undefined) throw cellError(table, r, name, text, 'a boolean (true/false/1/0)');
      (into as Uint8Array)[at] = v ? 1 : 0;
    } else if (type === 'int64' || type === 'uint64') {
      const v = parseIntCell(text);
      if (v === undefined) throw cellError(table, r, name, text, 'an integer');
      (into as BigInt64Array)[at] = v;
    } else if (type.startsWith('int') || type.startsWith('uint')) {
      const v = parseIntCell(text);
      if (v === undefined) throw cellError(table, r, name, text, 'an integer');
      (into as Int32Array)[at] = Number(v);
    } else {
      const v = parseFloatCell(text);
      if (v === undefined) throw cellError(table, r, name, text, 'a number');
      (into as Float64Array)[at] = v;
    }
  }
}

function allocate(type: ElementType, length: number): Tensor['data'] {
  if (type === 'string') return new Array<string>(length).fill('');
  try {
    return new (arrayConstructorFor(type))(length);
  } catch {
    throw new MlopsError('INPUT_UNSUPPORTED_TYPE', `inputs of element type ${type} cannot be read from CSV`);
  }
}

export function csvFeeds(table: CsvTable, inputs: ValueSignature[], options: CsvMappingOptions = {}): Record<string, Tensor> {
  const n = table.rows.length;
  const index = new Map(table.header.map((h, i) => [h, i]));
  const feeds: Record<string, Tensor> = {};
  const perColumn = inputs.length > 0 && inputs.every((i) => index.has(i.name)) && !options.features;
  if (perColumn) {
    // One input per column, as scikit-learn converters emit: [N, 1] or [N].
    for (const input of inputs) {
      const type = input.type as ElementType;
      const rank = input.shape?.length ?? 2;
      const data = allocate(type, n);
      columnValues(table, index.get(input.name)!, type, data, 0, 1);
      feeds[input.name] = { name: input.name, type, dims: rank === 1 ? [n] : [n, 1], data };
    }
    return feeds;
  }
  if (inputs.length !== 1 || (inputs[0].shape?.length ?? 2) !== 2) {
    const missing = inputs.filter((i) => !index.has(i.name)).map((i) => i.name);
    throw new MlopsError('CSV_COLUMNS_MISSING', `${table.file} has no column for model input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} (columns: ${listColumns(table.header)})`, {
      hint: 'models with several inputs read one column per input, matched by name',
    });
  }
  const input = inputs[0];
  const width = input.shape?.[1];
  const ignore = new Set(options.ignore ?? []);
  const features = options.features ?? options.recorded?.names ?? table.header.filter((h) => !ignore.has(h));
  const unknown = features.filter((f) => !index.has(f));
  if (unknown.length) {
    const by = options.features ? '' : options.recorded ? ` (named by the ${options.recorded.source === 'registry' ? 'registry tag "features"' : 'model metadata "feature_names"'})` : '';
    throw new MlopsError('CSV_COLUMNS_MISSING', `${table.file} has no column ${unknown.map((u) => `"${u}"`).join(', ')}${by} (columns: ${listColumns(table.header)})`);
  }
  if (!options.features && !options.recorded && features.length > 1) options.onWarning?.(featuresByOrderWarning(table.file, features, input.name));
  if (typeof width === 'number' && features.length !== width) {
    throw new MlopsError('CSV_FEATURE_COUNT', `model input "${input.name}" takes ${width} features, but ${options.features ? '--features names' : options.recorded ? 'the recorded feature list names' : `${table.file} has`} ${features.length} columns (${listColumns(features)})`, {
      hint: options.features ? 'list exactly the feature columns, in the order the model expects' : 'pick the feature columns with --features a,b,c or leave out the others with --ignore id,label',
    });
  }
  const type = input.type as ElementType;
  const data = allocate(type, n * features.length);
  features.forEach((f, k) => columnValues(table, index.get(f)!, type, data, k, features.length));
  feeds[input.name] = { name: input.name, type, dims: [n, features.length], data };
  return feeds;
}

/** Columns a [N] or [N, K] output fills in a flat expected table. */
export function outputWidth(tensor: Tensor): number {
  return tensor.dims.length <= 1 ? 1 : tensor.dims.slice(1).reduce((a, b) => a * b, 1);
}

/**
 * Split the expected table into one tensor per actual output, by position:
 * [N] outputs take one column, [N, K] outputs take K.
 */
export function csvExpected(table: CsvTable, actual: Array<[string, Tensor]>): Tensor[] {
  const n = table.rows.length;
  const widths = actual.map(([, t]) => outputWidth(t));
  const total = widths.reduce((a, b) => a + b, 0);
  if (total !== table.header.length) {
    const described = actual.map(([name], i) => `${name} (${widths[i]})`).join(', ');
    throw new MlopsError('CSV_EXPECTED_COLUMNS', `${table.file} has ${table.header.length} columns (${listColumns(table.header)}), but the model produces ${total} values per row: ${described}`, {
      hint: 'the expected CSV holds every output in order: one column per [N] output, K columns per [N, K] output',
    });
  }
  const rows = actual[0]?.[1].dims[0];
  if (rows !== undefined && rows !== n) {
    throw new MlopsError('CSV_EXPECTED_ROWS', `${table.file} has ${n} rows but the input CSV produced ${rows} predictions`, { hint: 'expected and input rows must correspond one to one' });
  }
  let col = 0;
  return actual.map(([name, tensor], i) => {
    const type: ElementType = tensor.type === 'string' ? 'string' : tensor.type === 'bool' ? 'bool' : tensor.type.startsWith('int') || tensor.type.startsWith('uint') ? 'int64' : 'float64';
    const data = allocate(type, n * widths[i]);
    for (let k = 0; k < widths[i]; k++) columnValues(table, col + k, type, data, k, widths[i]);
    col += widths[i];
    return { name, type, dims: tensor.dims, data };
  });
}
