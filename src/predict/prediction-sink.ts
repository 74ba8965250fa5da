/**
 * Where one input's predictions go, whatever the format: the pipeline hands
 * over kept cells and output tensors batch by batch; a sink turns them into
 * CSV text (here) or Parquet columns (parquet-sink.ts).
 */
import type { Tensor } from '../onnx/tensor.js';
import { csvField } from './encode.js';
import type { OutputColumn } from './format.js';
import { formatRowsBytes } from './format-bytes.js';
import type { OutputSink } from './output-sink.js';
import type { KeptCells } from './kept-cells.js';
import type { Timings } from './types.js';

export type OutputFormat = 'csv' | 'parquet';

const WRITE_SIZE = 1 << 20;

/** A kept input column: its name, and its Parquet type when the input is Parquet (DuckDB's name for it). */
export interface KeptColumn {
  name: string;
  parquetType?: string;
}

export interface PredictionSink {
  /** The columns, known from the first batch's outputs (or a zero-row run's): called once, before any write. */
  begin(kept: KeptColumn[], columns: OutputColumn[], tensors: Tensor[]): Promise<void>;
  /** `rows` rows: their kept cells (rows x kept.length) and every output's values. */
  write(rows: number, kept: KeptCells, tensors: Tensor[]): Promise<void>;
  /** After the last row, before the run commits: whatever must be written before the output can appear. */
  end(): Promise<void>;
  /** Make the output visible. */
  commit(): Promise<void>;
  /** Remove everything written; the target is left as it was. */
  abort(): Promise<void>;
}

/** CSV text through an OutputSink (a file written atomically, or stdout). */
export function csvPredictionSink(out: OutputSink, timings: Timings): PredictionSink {
  let widths: number[] = [];
  let names: string[] = [];
  let keepCount = 0;
  // Batches' text is gathered into writes of about WRITE_SIZE: a write per batch of 1,024 rows was
  // a thousand calls into the thread pool for the 1M-row file.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const text = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    const tw = performance.now();
    await out.write(text);
    timings.write += performance.now() - tw;
  };
  return {
    async begin(kept, columns) {
      widths = columns.map((c) => c.names.length);
      names = columns.map((c) => c.output);
      keepCount = kept.length;
      await out.write([...kept.map((k) => k.name), ...columns.flatMap((c) => c.names)].map(csvField).join(',') + '\n');
    },
    async write(rows, kept, tensors) {
      const tf = performance.now();
      const text = formatRowsBytes(rows, kept, keepCount, tensors, widths, names);
      timings.format += performance.now() - tf;
      pending.push(text);
      pendingBytes += text.length;
      if (pendingBytes >= WRITE_SIZE) await flush();
    },
    async end() {
      await flush();
    },
    commit: () => out.commit(),
    abort: () => out.abort(),
  };
}
