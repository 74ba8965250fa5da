/**
 * Parity on CSV files: the input rows run through the model and are compared
 * with the expected file's rows, row N with row N. Both files are read in
 * step, one batch of rows at a time, so every row is compared and memory is
 * that of one batch whatever the size of the files.
 */
import path from 'node:path';
import type { Tensor } from '../onnx/tensor.js';
import { fixedBatchSize } from '../onnx/graph.js';
import { concatRows, repeatRows, sliceRows } from '../onnx/tensor-rows.js';
import type { ModelSession } from '../runtime/session.js';
import { rowBatches, type BoundedRows } from '../table/bounded-rows.js';
import type { ColumnMapping } from '../table/column-map.js';
import { csvExpected, mapTable, tableFeeds, type CsvMappingOptions } from '../table/feeds.js';
import type { TableFormat } from '../table/table-format.js';
import { MlopsError } from '../util/errors.js';
import { compareWithExcess, mergeComparisons, type PartComparison, type Tolerance } from './parity.js';
import type { ParitySetResult } from './index.js';

/** Default rows per model call: large enough to keep onnxruntime busy, small enough to hold in memory twice over. */
export const PARITY_BATCH_ROWS = 8192;

export async function parityCsv(
  session: ModelSession,
  files: { input: string; expected: string; format?: TableFormat },
  mapping: CsvMappingOptions & { allowMissing?: boolean },
  tolerance: Tolerance,
  batchRows: number = PARITY_BATCH_ROWS,
): Promise<ParitySetResult> {
  // A model exported with a fixed batch runs in calls of exactly that many rows, the last one padded (as predict-batch).
  const fixed = fixedBatchSize(session.inputs);
  const rowsPerRead = fixed ? Math.max(1, Math.floor(batchRows / fixed)) * fixed : batchRows;
  // Rows pair by position: a bad row cannot be skipped (it would shift every later pair), so it is refused with its line.
  const inputs = parityBatches('`input`', files.input, rowsPerRead, files.format);
  const expecteds = parityBatches('`expected`', files.expected, rowsPerRead, files.format);
  const names = session.tensorOutputs.map((o) => o.name);
  let columns: ColumnMapping | undefined;
  let merged: PartComparison[] | undefined;
  let rows = 0;
  try {
    for (;;) {
      // Read in step; when both fail, the input's error is the one reported, whichever came first.
      const [input, expected] = await inputFirst(inputs.next(), expecteds.next());
      if (input.done && expected.done) break;
      if (input.done || expected.done || input.value.rows.length !== expected.value.rows.length) {
        const inputRows = input.done ? rows : await countRest(inputs, input.value);
        const expectedRows = expected.done ? rows : await countRest(expecteds, expected.value);
        throw new MlopsError(
          'CSV_EXPECTED_ROWS',
          `${files.expected} has ${expectedRows} rows but ${files.input} has ${inputRows}`,
          { hint: 'expected and input rows must correspond one to one' },
        );
      }
      columns ??= mapTable(input.value, session.inputs, mapping);
      const feeds = tableFeeds(input.value, columns, mapping.allowMissing);
      const actual = fixed ? await runInFixedBatches(session, feeds, names, fixed) : await session.run(feeds, names);
      const pairs: Array<[string, Tensor]> = names.map((n) => [n, actual[n]]);
      const want = csvExpected(expected.value, pairs);
      const parts = pairs.map(([name, tensor], i) => compareWithExcess(name, tensor, want[i], tolerance));
      merged = merged ? merged.map((m, i) => mergeComparisons(m, parts[i], rows)) : parts;
      rows += input.value.rows.length;
    }
  } finally {
    await inputs.return(undefined);
    await expecteds.return(undefined);
  }
  const comparisons = (merged ?? []).map((m) => m.comparison);
  return { name: path.basename(files.expected), outputs: comparisons, passed: comparisons.every((c) => c.passed) };
}

/** The feeds in model calls of exactly `fixed` rows, the last padded by repeating rows; outputs cut back to the rows fed. */
async function runInFixedBatches(
  session: ModelSession,
  feeds: Record<string, Tensor>,
  names: string[],
  fixed: number,
): Promise<Record<string, Tensor>> {
  const rows = Number(Object.values(feeds)[0]?.dims[0] ?? 0);
  const parts: Array<Record<string, Tensor>> = [];
  for (let start = 0; start < rows; start += fixed) {
    const end = Math.min(rows, start + fixed);
    const call = Object.fromEntries(
      Object.entries(feeds).map(([name, t]) => [name, repeatRows(sliceRows(t, start, end), fixed)]),
    );
    const out = await session.run(call, names);
    parts.push(Object.fromEntries(names.map((n) => [n, sliceRows(out[n], 0, end - start)])));
  }
  return Object.fromEntries(names.map((n) => [n, concatRows(parts.map((p) => p[n]))]));
}

/** Rows of a file: those of the batch in hand and of every batch after it (counted, not kept). */
async function countRest(batches: AsyncGenerator<BoundedRows>, current: BoundedRows): Promise<number> {
  let total = current.totalRows;
  for await (const batch of batches) total = batch.totalRows;
  return total;
}

async function* parityBatches(
  flag: '`input`' | '`expected`',
  file: string,
  batchRows: number,
  format: TableFormat | undefined,
): AsyncGenerator<BoundedRows> {
  try {
    yield* rowBatches(file, batchRows, 'refuse', format);
  } catch (err) {
    if (err instanceof MlopsError && (err.code === 'CSV_NOT_TEXT' || err.code === 'CSV_NOT_FOUND')) {
      throw new MlopsError(err.code, `${flag}: ${err.message}`, {
        hint: '`input` and `expected` take CSV files with a header row, or Parquet files; tensors (.pb) go in a `testData` folder',
      });
    }
    throw err;
  }
}

/** Both results, or the first's failure before the second's (Promise.all reports whichever fails sooner). */
async function inputFirst<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}
