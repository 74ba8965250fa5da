/** Calibration and validation inputs: a CSV or Parquet table (tabular models) or a folder of .pb / .npy tensors. */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { feedInputs, fixedBatchSize, valueSignature, type ValueSignature } from '../onnx/graph.js';
import type { LoadedModel } from '../models/load-model.js';
import { decodeTensorBytes } from '../onnx/proto.js';
import { arrayConstructorFor, elementCount, tensorFromProto, type Tensor } from '../onnx/tensor.js';
import { concatRows, sliceRows } from '../onnx/tensor-rows.js';
import type { ElementType } from '../onnx/data-types.js';
import { readBoundedRows } from '../table/bounded-rows.js';
import { describeBinary } from '../table/binary-sniff.js';
import { sampleFeeds } from '../table/feeds.js';
import { MlopsError } from '../util/errors.js';
import type { TableFormat } from '../table/table-format.js';

const ACCEPTED = 'a CSV or Parquet file, a .npy or .pb tensor file, or a folder of .npy/.pb tensors';

export interface SampleSource {
  source: string;
  rows: number;
  /** Rows per batch (the last one may be smaller). */
  batchSize: number;
  /** Set when the model takes a fixed batch: rows beyond the last full call are left out. */
  fixedBatch?: { size: number; left_out: number };
  /** Feeds for the model's inputs, in batches of rows. */
  batches: Array<Record<string, Tensor>>;
}

export interface SampleOptions {
  rows: number;
  features?: string[];
  ignore?: string[];
  /** For messages: 'calibration' or 'validation'. */
  what: string;
  /** Tables read as this format (`--input-format`); by default, by their first bytes. */
  format?: TableFormat;
  batchSize?: number;
  /** Told when CSV features had to be taken by column order. */
  onWarning?: (message: string) => void;
}

export async function readSamples(source: string, loaded: LoadedModel, options: SampleOptions): Promise<SampleSource> {
  const inputs = feedInputs(loaded.model.graph!).map(valueSignature);
  const info = await stat(source).catch(() => undefined);
  if (!info)
    throw new MlopsError('SAMPLES_NOT_FOUND', `${options.what} data ${source} does not exist`, {
      hint: `pass ${ACCEPTED}`,
    });
  const feeds = info.isDirectory()
    ? await tensorFeeds(source, await tensorFiles(source, options), inputs, options)
    : await fileFeeds(source, inputs, { ...options, recordedFeatures: loaded.recordedFeatures });
  if (options.what === 'calibration') refuseNonFiniteCalibration(source, feeds);
  const available = Math.min(options.rows, Object.values(feeds)[0]?.dims[0] ?? 0);
  if (available === 0) throw new MlopsError('SAMPLES_EMPTY', `${options.what} data ${source} has no rows`);
  // A model exported with a fixed batch runs only in calls of exactly that many rows.
  const fixed = fixedBatchSize(inputs);
  const batchSize = fixed ?? options.batchSize ?? 256;
  const rows = fixed ? available - (available % fixed) : available;
  if (rows === 0)
    throw new MlopsError(
      'SAMPLES_EMPTY',
      `${options.what} data ${source} has ${available} rows, fewer than the model's fixed batch size ${fixed}`,
      { hint: `pass at least ${fixed} rows` },
    );
  const batches: SampleSource['batches'] = [];
  for (let start = 0; start < rows; start += batchSize) {
    const end = Math.min(rows, start + batchSize);
    batches.push(Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, sliceRows(t, start, end)])));
  }
  return {
    source,
    rows,
    batchSize,
    ...(fixed ? { fixedBatch: { size: fixed, left_out: available - rows } } : {}),
    batches,
  };
}

/** One file: a tensor (.npy by its magic bytes, .pb by its name) or a CSV; other binary data is refused. */
async function fileFeeds(
  file: string,
  inputs: ValueSignature[],
  options: SampleOptions & { recordedFeatures?: LoadedModel['recordedFeatures'] },
): Promise<Record<string, Tensor>> {
  const head = await readHead(file);
  // A Parquet table is binary, but a table all the same: it takes the CSV path (row-reader reads both).
  if (options.format === 'parquet' || isParquet(head)) return csvSampleFeeds(file, inputs, options);
  const binary = describeBinary(head);
  if (binary === NPY || /\.(pb|npy)$/i.test(file))
    return tensorFeeds(path.dirname(file), [path.basename(file)], inputs, options);
  if (binary) {
    throw new MlopsError('SAMPLES_INVALID', `${options.what} data ${file} is not a CSV file: it holds ${binary}`, {
      hint: `pass ${ACCEPTED}`,
    });
  }
  return csvSampleFeeds(file, inputs, options);
}

const isParquet = (head: Uint8Array) => Buffer.from(head.subarray(0, 4)).toString('latin1') === 'PAR1';

const NPY = describeBinary(Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59));

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(8192);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function csvSampleFeeds(
  file: string,
  inputs: ValueSignature[],
  options: SampleOptions & { recordedFeatures?: LoadedModel['recordedFeatures'] },
): Promise<Record<string, Tensor>> {
  // Calibration ranges are a statistic of the whole file: a uniform sample of it (a file sorted by
  // date or by class would calibrate on one end only). Validation compares the two models row by row,
  // on any rows: the first ones, read without going through the rest of the file.
  // Bad rows are skipped and counted, as in any sample.
  const pick = options.what === 'calibration' ? 'reservoir' : 'first';
  const table = await readBoundedRows(file, {
    limit: options.rows,
    pick,
    badRows: 'skip',
    stopAtLimit: true,
    format: options.format,
  });
  try {
    const sample = sampleFeeds(
      table,
      inputs,
      {
        features: options.features,
        ignore: options.ignore,
        recordedFeatures: options.recordedFeatures,
        onWarning: options.onWarning,
      },
      `${options.what} data`,
    );
    if (sample.note) options.onWarning?.(sample.note);
    return sample.feeds;
  } catch (err) {
    if (err instanceof MlopsError)
      throw new MlopsError(err.code, `${options.what} data: ${err.message}`, {
        hint: err.hint ?? 'pick the feature columns with `features` or leave others out with `ignore`',
      });
    throw err;
  }
}

const NPY_TYPES: Record<string, ElementType> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i8': 'int64',
  '<i4': 'int32',
  '|u1': 'uint8',
  '|i1': 'int8',
  '|b1': 'bool',
};

/** numpy .npy (format 1.x/2.x/3.x, little-endian, C order). */
export function parseNpy(bytes: Uint8Array, file: string): Tensor {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY') throw new MlopsError('SAMPLES_INVALID', `${file} is not a .npy file`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '';
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const type = NPY_TYPES[descr];
  if (!type || fortran)
    throw new MlopsError(
      'SAMPLES_INVALID',
      `${file}: ${fortran ? 'Fortran-ordered arrays are' : `dtype ${descr} is`} not supported`,
      { hint: 'save a C-ordered float32 array: np.save(path, np.ascontiguousarray(x, dtype=np.float32))' },
    );
  const ctor = arrayConstructorFor(type as Exclude<ElementType, 'string'>);
  const offset = start + headerLength;
  // A copy (Buffer#slice would be a view into a shared pool), aligned for the typed array.
  const copy = new Uint8Array(bytes.subarray(offset, offset + elementCount(shape) * ctor.BYTES_PER_ELEMENT));
  return { type, dims: shape, data: new ctor(copy.buffer, 0, elementCount(shape)) };
}

async function tensorFiles(dir: string, options: SampleOptions): Promise<string[]> {
  const files = (await readdir(dir, { recursive: true }))
    .map(String)
    .filter((f) => /\.(pb|npy)$/.test(f))
    .sort();
  if (files.length === 0)
    throw new MlopsError('SAMPLES_EMPTY', `${options.what} folder ${dir} has no .pb or .npy files`, {
      hint: `pass ${ACCEPTED}`,
    });
  return files;
}

/** `files` are relative to `dir`. */
async function tensorFeeds(
  dir: string,
  files: string[],
  inputs: ValueSignature[],
  options: SampleOptions,
): Promise<Record<string, Tensor>> {
  const byInput = new Map<string, Tensor[]>(inputs.map((i) => [i.name, []]));
  for (const file of files) {
    const full = path.join(dir, file);
    const bytes = await readFile(full);
    let tensor: Tensor;
    try {
      tensor =
        /\.npy$/i.test(file) || describeBinary(bytes) === NPY
          ? parseNpy(bytes, full)
          : tensorFromProto(decodeTensorBytes(bytes));
    } catch (err) {
      throw err instanceof MlopsError
        ? err
        : new MlopsError('SAMPLES_INVALID', `${full} is not a serialized TensorProto: ${(err as Error).message}`);
    }
    const stem = path.basename(file).replace(/\.(pb|npy)$/i, '');
    const input =
      inputs.find((i) => i.name === tensor.name) ??
      inputs.find((i) => i.name === stem) ??
      (inputs.length === 1 ? inputs[0] : undefined);
    if (!input)
      throw new MlopsError(
        'SAMPLES_INVALID',
        `${full} matches no model input (inputs: ${inputs.map((i) => i.name).join(', ')})`,
        { hint: 'name the tensor (or the file) after the input it feeds' },
      );
    byInput.get(input.name)!.push(conform(tensor, input, full));
  }
  const feeds: Record<string, Tensor> = {};
  for (const [name, parts] of byInput) {
    if (parts.length === 0)
      throw new MlopsError('SAMPLES_INVALID', `${options.what} folder ${dir} has no tensor for input "${name}"`);
    feeds[name] = concatRows(parts);
  }
  return feeds;
}

/** Check a sample against the input's type and non-batch dims; float64 samples feed float32 inputs. */
function conform(t: Tensor, input: ValueSignature, file: string): Tensor {
  const want = input.type as ElementType;
  let tensor = t;
  if (t.type !== want) {
    if (want === 'float32' && t.type === 'float64')
      tensor = { ...t, type: 'float32', data: Float32Array.from(t.data as Float64Array) };
    else
      throw new MlopsError('SAMPLES_INVALID', `${file} holds ${t.type} values but input "${input.name}" takes ${want}`);
  }
  const shape = input.shape ?? [];
  if (shape.length && tensor.dims.length === shape.length - 1) tensor = { ...tensor, dims: [1, ...tensor.dims] }; // one sample without its batch dim
  const fixedMismatch =
    shape.length !== tensor.dims.length || shape.some((d, k) => k > 0 && typeof d === 'number' && d !== tensor.dims[k]);
  if (shape.length && fixedMismatch) {
    throw new MlopsError(
      'SAMPLES_INVALID',
      `${file} has shape [${tensor.dims.join(', ')}] but input "${input.name}" takes [${shape.map((d) => d ?? '?').join(', ')}]`,
    );
  }
  return tensor;
}

/** One NaN or Inf in calibration data makes a min/max range infinite, and the int8 model garbage: refuse it. */
function refuseNonFiniteCalibration(source: string, feeds: Record<string, Tensor>): void {
  for (const [name, t] of Object.entries(feeds)) {
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) continue;
    const at = t.data.findIndex((v) => !Number.isFinite(v));
    if (at < 0) continue;
    const per = elementCount(t.dims.slice(1)) || 1;
    throw new MlopsError(
      'SAMPLES_NONFINITE',
      `calibration data ${source}: row ${Math.floor(at / per) + 1} of input "${name}" holds ${t.data[at]}; activation ranges calibrated on it would be meaningless`,
      {
        hint: 'calibrate on clean rows (drop or impute missing and infinite values first)',
      },
    );
  }
}
