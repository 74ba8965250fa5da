/**
 * Sampled requests as CSV lines for the prediction log: the inputs first
 * (the columns as the request named them, or one column per feature of an
 * Open Inference Protocol tensor), then the outputs named exactly as
 * predict-batch names them (predict/format.ts), so that the log and a
 * predict-batch output file read alike and `mlops drift` can compare the
 * log with the training table.
 */
import { sliceRows } from '../onnx/tensor-rows.js';
import type { Tensor } from '../onnx/tensor.js';
import { csvField } from '../predict/encode.js';
import { formatRows, outputColumns } from '../predict/format.js';
import type { LiveVersion } from './served-model.js';

/** A request's inputs, ready to log: column names and each row's fields as CSV text. */
export interface LoggedInputs {
  columns: string[];
  /** Row r's fields, comma-joined and quoted where CSV needs it. */
  line(r: number): string;
}

/** Values per row of a tensor whose first axis is the batch. */
function width(t: Tensor): number {
  return t.dims.slice(1).reduce((a, b) => a * b, 1);
}

/**
 * Columns for OIP input tensors, in the model's input order: an input of one
 * value per row keeps its name; [n, k] gives k columns, named by the feature
 * list recorded with the model when it has one of that length (the training
 * table's header, what drift compares against), else `<input>_0..<input>_{k-1}`.
 */
export function tensorInputs(live: LiveVersion, feeds: Record<string, Tensor>): LoggedInputs {
  const names = live.signature.inputs.map((i) => i.name);
  const tensors = names.map((n) => feeds[n]);
  const widths = tensors.map(width);
  const columns = names.flatMap((name, i) => {
    const w = widths[i];
    if (w === 1) return [name];
    if (names.length === 1 && live.featureNames?.length === w) return live.featureNames;
    return Array.from({ length: w }, (_, k) => `${name}_${k}`);
  });
  return { columns, line: (r) => rowText(tensors, widths, names, r) };
}

/** Inputs given as a table (columns and cell strings), as `/invocations` receives them. */
export function tableInputs(columns: string[], rows: string[][]): LoggedInputs {
  return { columns, line: (r) => rows[r].map(csvField).join(',') };
}

function rowText(tensors: Tensor[], widths: number[], names: string[], r: number): string {
  const one = tensors.map((t) => (t.dims.length ? sliceRows(t, r, r + 1) : t));
  return formatRows(1, [], 0, one, widths, names).slice(0, -1);
}

export interface LoggedLines {
  header: string;
  /** One line per picked row, each ending in a newline. */
  text: string;
}

/**
 * Sampled rows' inputs as text, taken before the request's tensors go to a
 * worker (their buffers are transferred, so they cannot be read afterwards).
 */
export interface CapturedRows {
  live: LiveVersion;
  columns: string[];
  /** Rows of the request that were sampled, with their input fields. */
  picked: number[];
  inputLines: string[];
}

export function captureRows(live: LiveVersion, inputs: LoggedInputs, picked: number[]): CapturedRows {
  return { live, columns: inputs.columns, picked, inputLines: picked.map((r) => inputs.line(r)) };
}

/** The header and the lines of the captured rows: inputs, then outputs. */
export function predictionLines(captured: CapturedRows, outputs: Record<string, Tensor>): LoggedLines {
  const { live, picked, inputLines } = captured;
  const fetch = live.signature.tensorOutputs.map((o) => o.name).filter((n) => outputs[n]);
  const tensors = fetch.map((n) => outputs[n]);
  const columns = outputColumns(
    live.signature.model,
    fetch.map((n, i) => [n, tensors[i]]),
    live.zipmaps,
    new Set(captured.columns),
  );
  const header = [...captured.columns, ...columns.flatMap((c) => c.names)].map(csvField).join(',');
  const widths = tensors.map(width);
  let text = '';
  picked.forEach((r, i) => {
    text += `${inputLines[i]},${rowText(tensors, widths, fetch, r)}\n`;
  });
  return { header, text };
}
