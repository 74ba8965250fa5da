/**
 * Predictions as a Parquet file, typed: float32 outputs stay FLOAT, int64
 * labels BIGINT, strings VARCHAR. Kept columns of a Parquet input get their
 * own types back (their cells travel as text, cast in the final COPY); from a
 * CSV they are VARCHAR, as the CSV held text.
 *
 * Rows wait in a DuckDB table (spilling to a folder beside the output past
 * DuckDB's memory limit) until the input is done; end() writes the file to a
 * temporary name beside the output, and commit() renames it into place.
 */
import type { ElementType } from '../onnx/data-types.js';
import type { Tensor } from '../onnx/tensor.js';
import {
  type ColumnArray,
  type ColumnSlice,
  type ParquetCompression,
  ParquetTableWriter,
  type StoredType,
  type WriterColumn,
} from '../table/parquet/parquet-writer.js';
import { MlopsError } from '../util/errors.js';
import { halfToNumber } from '../util/float16.js';
import { type OutputTarget, reserveOutput } from '../util/fs-atomic.js';
import type { PredictionSink } from './prediction-sink.js';
import type { Timings } from './types.js';

/** Parquet column types for tensor element types; float16 is widened to FLOAT (exactly: DuckDB has no half type). */
const STORED: Partial<Record<ElementType, StoredType>> = {
  float32: 'FLOAT',
  float16: 'FLOAT',
  float64: 'DOUBLE',
  int8: 'TINYINT',
  uint8: 'UTINYINT',
  int16: 'SMALLINT',
  uint16: 'USMALLINT',
  int32: 'INTEGER',
  uint32: 'UINTEGER',
  int64: 'BIGINT',
  uint64: 'UBIGINT',
  bool: 'BOOLEAN',
  string: 'VARCHAR',
};

export interface ParquetSinkOptions {
  target: string;
  /** Where planning found the target resolves to. */
  resolved?: OutputTarget;
  compression: ParquetCompression;
  timings: Timings;
}

export async function parquetPredictionSink(options: ParquetSinkOptions): Promise<PredictionSink> {
  const { target, compression, timings } = options;
  const reserved = await reserveOutput(target, options.resolved);
  let writer: ParquetTableWriter | undefined;
  let keepCount = 0;
  let widths: number[] = [];
  return {
    async begin(kept, columns, tensors) {
      const spec: WriterColumn[] = kept.map((k) => ({
        name: k.name,
        type: 'VARCHAR',
        ...(k.parquetType ? { castTo: k.parquetType } : {}),
      }));
      columns.forEach((c, o) => {
        const type = STORED[tensors[o].type];
        if (!type)
          throw new MlopsError(
            'OUTPUT_TYPE_UNSUPPORTED',
            `model output "${c.output}" has element type ${tensors[o].type}, which predict-batch cannot write to Parquet`,
            { hint: 'cast the output to float32 in the model (a Cast node before the graph output)' },
          );
        for (const name of c.names) spec.push({ name, type });
      });
      checkNames(spec.map((c) => c.name));
      keepCount = kept.length;
      widths = columns.map((c) => c.names.length);
      writer = await ParquetTableWriter.create(spec, reserved.scratch);
    },
    async write(rows, kept, tensors) {
      const t = performance.now();
      const slices: ColumnSlice[] = [];
      const texts = keepCount > 0 ? kept.toTexts(rows * keepCount) : [];
      for (let k = 0; k < keepCount; k++) slices.push({ values: texts, stride: keepCount, offset: k });
      tensors.forEach((tensor, o) => {
        const values = columnValues(tensor);
        for (let j = 0; j < widths[o]; j++) slices.push({ values, stride: widths[o], offset: j });
      });
      writer!.append(slices, rows);
      timings.write += performance.now() - t;
    },
    async end() {
      const t = performance.now();
      try {
        await writer!.copyTo(reserved.temp, compression);
      } catch (err) {
        const message = (err as Error).message.split('\n')[0];
        // DuckDB's own out-of-memory (the limit is too low even to write a row group) is not a full disk.
        const memory = /memory|failed to pin/i.test(message);
        throw new MlopsError('OUTPUT_WRITE_FAILED', `cannot write ${target}: ${message}`, {
          hint: memory
            ? 'raise the memory DuckDB may use with MLOPS_DUCKDB_MEMORY (e.g. 2GB; default 1GB); nothing was written'
            : 'free space or choose another output path; nothing was written',
          cause: err,
        });
      } finally {
        writer!.close();
      }
      timings.write += performance.now() - t;
    },
    async commit() {
      await reserved.commit();
    },
    async abort() {
      writer?.close();
      await reserved.discard();
    },
  };
}

/** DuckDB matches names regardless of case and would rename the second of `id` and `ID` (ID_1) silently. */
function checkNames(names: string[]): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    const other = seen.get(name.toLowerCase());
    if (other !== undefined)
      throw new MlopsError(
        'PARQUET_COLUMN_NAMES',
        `output columns "${other}" and "${name}" differ only in case, which the Parquet writer (DuckDB) cannot tell apart`,
        { hint: 'keep only one of them (`keep`), or write CSV (`outputFormat` csv)' },
      );
    seen.set(name.toLowerCase(), name);
  }
}

/** A tensor's values as the writer stores them: float16 bits become float32 values. */
function columnValues(tensor: Tensor): ColumnArray {
  if (tensor.type !== 'float16') return tensor.data;
  const bits = tensor.data as Uint16Array;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfToNumber(bits[i]);
  return out;
}
