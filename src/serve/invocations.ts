/**
 * MLflow-compatible `POST /invocations` over a served model. A table goes
 * through predict-batch's rules: table/column-map.ts (feature names, the
 * recorded feature list, per-column inputs) and table/cell-values.ts (a
 * missing or wrong value is a 400 naming row and column); the answer has
 * predict-batch's output columns (format.ts: `label`, `probability_<class>`
 * for ZipMap classifiers, `name_<k>` for [N, K]) and its number formatting,
 * one object per row. Rows go through the model's batcher like OIP infer.
 */
import type { ElementType } from '../onnx/data-types.js';
import type { Tensor } from '../onnx/tensor.js';
import { outputColumns, type OutputColumn } from '../predict/format.js';
import { perRowOutputs } from '../predict/setup.js';
import { cellProblem, cellProblemMessage } from '../table/cell-values.js';
import { mapColumns } from '../table/column-map.js';
import { tableFeeds } from '../table/feeds.js';
import { formatFloat16, formatFloat32, formatFloat64 } from '../util/format-number.js';
import { oipDatatype } from './datatypes.js';
import { HttpError } from './http-util.js';
import { REQUEST, type TableRequest, type TensorRequest } from './invocations-request.js';
import { requestTensors, submitRows } from './oip.js';
import type { LiveVersion, ServedModel } from './served-model.js';

export type Prediction = Record<string, number | string | boolean | null>;

/** Rows whose values decide which columns are numeric, as predict-batch samples them. */
const KIND_SAMPLE_ROWS = 100;

/** A table's rows as feeds: predict-batch's column mapping, and its cell rules with row numbers for lines. */
export function tableRequestFeeds(live: LiveVersion, table: TableRequest): Record<string, Tensor> {
  const mapping = mapColumns(REQUEST, table.header, table.rows.slice(0, KIND_SAMPLE_ROWS), live.signature.inputs, {
    recordedFeatures: live.recordedFeatures,
  });
  // A server has no `allowMissing`: a missing value is refused, never fed as NaN behind the client's back.
  for (const input of mapping.inputs)
    for (const c of input.columns)
      table.rows.forEach((row, r) => {
        const problem = cellProblem(input.type, row[c]);
        if (problem)
          throw new HttpError(
            400,
            `row ${r + 1}: ${cellProblemMessage(table.header[c], row[c], input.type, problem, false)}`,
          );
      });
  const lines = table.rows.map((_, r) => r + 1);
  return tableFeeds({ file: REQUEST, header: table.header, rows: table.rows, lines }, mapping);
}

/** Every array at one depth has the same length: the shape, or 400. */
function nestedShape(name: string, data: unknown[]): number[] {
  const shape: number[] = [];
  let level: unknown[] = [data];
  while (level.length && Array.isArray(level[0])) {
    const n = (level[0] as unknown[]).length;
    if (!level.every((x) => Array.isArray(x) && x.length === n))
      throw new HttpError(
        400,
        `input "${name}": the rows are ragged (lists of different lengths at depth ${shape.length + 1})`,
      );
    shape.push(n);
    level = level.flatMap((x) => x as unknown[]);
  }
  if (level.some((x) => Array.isArray(x)))
    throw new HttpError(400, `input "${name}": the rows are ragged (values and lists at depth ${shape.length + 1})`);
  return shape;
}

/** Tensors by input name through OIP's checks (names, datatype, shape against the signature). */
export function tensorRequestFeeds(
  live: LiveVersion,
  request: TensorRequest,
): { feeds: Record<string, Tensor>; rows: number } {
  const wanted = live.signature.inputs;
  if (request.inputs.length === 1 && request.inputs[0].name === undefined && wanted.length !== 1)
    throw new HttpError(
      400,
      `a list of rows feeds a model's only input, but this model has ${wanted.length} (${wanted.map((w) => w.name).join(', ')}): send rows as objects keyed by input name`,
    );
  const inputs = request.inputs.map(({ name = wanted[0].name, data }) => {
    // An unknown name gets no datatype here: requestTensors refuses it, naming the model's inputs.
    const input = wanted.find((w) => w.name === name);
    let shape = nestedShape(name, data);
    // A flat list of values for an [N, 1] input: one value per row.
    if (shape.length === 1 && input?.shape?.length === 2 && input.shape[1] === 1) shape = [shape[0], 1];
    return { name, shape, datatype: input && oipDatatype(input.type as ElementType), data };
  });
  return requestTensors(live, { inputs });
}

/** A value as predict-batch writes it, as JSON: numbers in its shortest digits, non-finite ones as its text. */
function jsonValue(t: Tensor, i: number): number | string | boolean | null {
  const d = t.data;
  const number = (text: string) => {
    const v = Number(text);
    return Number.isFinite(v) ? v : text;
  };
  switch (t.type) {
    case 'float32':
      return number(formatFloat32((d as Float32Array)[i]));
    case 'float64':
      return number(formatFloat64((d as Float64Array)[i]));
    case 'float16':
      return number(formatFloat16((d as Uint16Array)[i]));
    case 'bool':
      return (d as Uint8Array)[i] !== 0;
    case 'string':
      return (d as string[])[i];
    default: {
      const v = (d as ArrayLike<number | bigint>)[i];
      // An int64 beyond 2^53 would change as a JSON number: its digits go as a string.
      return typeof v === 'bigint' && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
        ? String(v)
        : Number(v);
    }
  }
}

const columnsCache = new WeakMap<LiveVersion, Map<string, OutputColumn[]>>();

/** predict-batch's column names for these outputs, decided once per version and output widths. */
function columnsFor(live: LiveVersion, fetched: Array<[string, Tensor]>): OutputColumn[] {
  const key = fetched.map(([n, t]) => `${n}:${t.dims.slice(1).join('x')}`).join(',');
  let byKey = columnsCache.get(live);
  if (!byKey) columnsCache.set(live, (byKey = new Map()));
  let columns = byKey.get(key);
  if (!columns) byKey.set(key, (columns = outputColumns(live.signature.model, fetched, live.zipmaps, new Set())));
  return columns;
}

export function predictionRows(live: LiveVersion, outputs: Record<string, Tensor>, rows: number): Prediction[] {
  const fetch = perRowOutputs(live.signature, undefined, () => {});
  const fetched = fetch.map((n): [string, Tensor] => [n, outputs[n]]);
  const columns = columnsFor(live, fetched);
  const widths = columns.map((c) => c.names.length);
  const predictions: Prediction[] = [];
  for (let r = 0; r < rows; r++) {
    const row: Prediction = {};
    fetched.forEach(([, t], o) => {
      const w = widths[o];
      for (let j = 0; j < w; j++) row[columns[o].names[j]] = jsonValue(t, r * w + j);
    });
    predictions.push(row);
  }
  return predictions;
}

/**
 * The request's rows through the model's batcher; `live` is the version that answered.
 * `beforeRun` sees the version and the rows first (the prediction log captures the inputs
 * there: the batcher hands the feeds' buffers to a worker).
 */
export async function invoke(
  model: ServedModel,
  request: TableRequest | TensorRequest,
  beforeRun?: (live: LiveVersion, feeds: Record<string, Tensor>, rows: number) => void,
) {
  const live = model.current;
  let feeds: Record<string, Tensor>;
  let rows: number;
  if (request.kind === 'table') {
    rows = request.rows.length;
    if (rows === 0) return { doc: { predictions: [] as Prediction[] }, live, batchRows: 0, timing: undefined };
    feeds = tableRequestFeeds(live, request);
  } else ({ feeds, rows } = tensorRequestFeeds(live, request));
  beforeRun?.(live, feeds, rows);
  const result = await submitRows(live, feeds, rows);
  return {
    doc: { predictions: predictionRows(live, result.outputs, rows) },
    live,
    batchRows: result.batchRows,
    timing: result,
  };
}

/**
 * The headers naming the version that answered (a file has no version: its sha256 says which bytes),
 * and whether MLflow `params` were ignored, so the client is told and not only the log.
 */
export function answeredBy(model: ServedModel, live: LiveVersion, paramsIgnored = false): Record<string, string> {
  return {
    'x-mlops-model-name': model.name,
    ...(live.modelVersion !== null ? { 'x-mlops-model-version': String(live.modelVersion) } : {}),
    'x-mlops-model-sha256': live.sha256,
    ...(paramsIgnored ? { 'x-mlops-params-ignored': 'true' } : {}),
  };
}
