/**
 * Rows held in memory (a bounded sample, see bounded-rows.ts) as model
 * feeds, mapped by column-map.ts like every other command; and expected
 * columns as output tensors for a parity check.
 */
import type { ValueSignature } from '../onnx/graph.js';
import type { ElementType } from '../onnx/data-types.js';
import { arrayConstructorFor, type Tensor } from '../onnx/tensor.js';
import {
  cellProblem,
  cellProblemMessage,
  floatFits,
  floatRangeProblem,
  intFits,
  intRangeProblem,
  isMissingCell,
  missingCellMessage,
  parseBoolCell,
  parseFloatCell,
  parseIntCell,
  quoteCell,
  takesNaN,
} from './cell-values.js';
import { MlopsError } from '../util/errors.js';
import {
  listColumns,
  mapColumns,
  type ColumnMapOptions,
  type ColumnMapping,
  type MappingWarning,
} from './column-map.js';
import { skippedRowsNote, type BoundedRows } from './bounded-rows.js';
import { refuseNested } from './nested-columns.js';

/** Rows of one file in memory. */
export interface CsvTable {
  file: string;
  header: string[];
  rows: string[][];
  /** Line (1-based, header = 1) on which each row starts. */
  lines: number[];
  /** Parquet: the nested columns (name -> type), refused if a model input or an expected output reads one. */
  nested?: ReadonlyMap<string, string>;
}

export interface CsvMappingOptions
  extends Pick<ColumnMapOptions, 'features' | 'ignore' | 'recordedFeatures' | 'setAside'> {
  /** Told what the column mapping worked around (features by column order, ...), with check's finding code. */
  onWarning?: (message: string, code?: MappingWarning['code']) => void;
}

/** Rows whose values decide which columns are numeric (as predict-batch judges them). */
const KIND_SAMPLE_ROWS = 100;

function cellError(table: CsvTable, row: number, column: string, value: string, what: string): MlopsError {
  return new MlopsError(
    'CSV_BAD_VALUE',
    `${table.file}:${table.lines[row]}: column "${column}": ${quoteCell(value)} is not ${what}`,
    {
      hint: 'fix or remove that row',
    },
  );
}

/**
 * A sample's rows as feeds. A row with a value its input cannot take (text in
 * a number column) or a missing one is skipped and counted with the sample's
 * bad rows, as predict-batch --on-error skip sets it aside; `note` says how
 * many were skipped. Returns the rows kept, for callers that read other
 * columns of them (a metric's labels).
 */
export function sampleFeeds(
  table: BoundedRows,
  inputs: ValueSignature[],
  options: CsvMappingOptions,
  what: string,
): { feeds: Record<string, Tensor>; table: BoundedRows; note?: string } {
  const mapping = mapTable(table, inputs, options);
  const kept: BoundedRows = { ...table, rows: [], lines: [] };
  const bad: Array<{ line: number; reason: string }> = table.firstSkipped ? [table.firstSkipped] : [];
  table.rows.forEach((row, r) => {
    for (const input of mapping.inputs) {
      for (const c of input.columns) {
        // A missing value (empty, NaN, NA...) is one too: a sample holds the rows the model can take as they are.
        const problem = cellProblem(input.type, row[c]);
        if (problem) {
          kept.skipped++;
          const reason = cellProblemMessage(table.header[c], row[c], input.type, problem, false);
          bad.push({ line: table.lines[r], reason });
          return;
        }
      }
    }
    kept.rows.push(row);
    kept.lines.push(table.lines[r]);
  });
  if (bad.length) kept.firstSkipped = bad.reduce((a, b) => (b.line < a.line ? b : a));
  const note = skippedRowsNote(kept, what);
  return { feeds: tableFeeds(kept, mapping), table: kept, ...(note ? { note } : {}) };
}

/**
 * Parse one column into a typed array of the input's element type. A missing value in rows that
 * feed a model is refused ('refuse'), or NaN where the type has one ('nan', `allowMissing`), by the
 * rule of cell-values.ts; expected outputs ('parse') take "NaN" as the NaN a model may return.
 */
function columnValues(
  table: CsvTable,
  col: number,
  type: ElementType,
  into: Tensor['data'],
  offset: number,
  stride: number,
  missing: 'refuse' | 'nan' | 'parse',
): void {
  const name = table.header[col];
  const n = table.rows.length;
  for (let r = 0; r < n; r++) {
    const text = table.rows[r][col];
    const at = r * stride + offset;
    if (missing !== 'parse' && type !== 'string' && isMissingCell(text)) {
      if (missing === 'nan' && takesNaN(type)) {
        (into as Float64Array)[at] = NaN;
        continue;
      }
      throw new MlopsError(
        'CSV_BAD_VALUE',
        `${table.file}:${table.lines[r]}: ${missingCellMessage(name, text, type)}`,
        {
          hint: 'fill the value in, or remove that row',
        },
      );
    }
    if (type === 'string') {
      (into as string[])[at] = text;
    } else if (type === 'bool') {
      const v = parseBoolCell(text);
      if (v === undefined) throw cellError(table, r, name, text, 'a boolean (true/false/1/0)');
      (into as Uint8Array)[at] = v ? 1 : 0;
    } else if (type === 'int64' || type === 'uint64') {
      const v = parseIntCell(text);
      if (v === undefined) throw cellError(table, r, name, text, 'an integer');
      if (!intFits(type, v)) throw cellError(table, r, name, text, intRangeProblem(type));
      (into as BigInt64Array)[at] = v;
    } else if (type.startsWith('int') || type.startsWith('uint')) {
      const v = parseIntCell(text);
      if (v === undefined) throw cellError(table, r, name, text, 'an integer');
      if (!intFits(type, v)) throw cellError(table, r, name, text, intRangeProblem(type));
      (into as Int32Array)[at] = Number(v);
    } else {
      const v = parseFloatCell(text);
      if (v === undefined) throw cellError(table, r, name, text, 'a number');
      if (missing !== 'parse' && !floatFits(type, v)) throw cellError(table, r, name, text, floatRangeProblem(type));
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

/** How the table's columns feed the model, decided once (on its first rows) for all its batches. */
export function mapTable(table: CsvTable, inputs: ValueSignature[], options: CsvMappingOptions = {}): ColumnMapping {
  const mapping = mapColumns(table.file, table.header, table.rows.slice(0, KIND_SAMPLE_ROWS), inputs, options);
  refuseNested(
    table.file,
    table.nested,
    mapping.inputs.flatMap((input) => input.columns.map((c) => table.header[c])),
    'leave the column out with `ignore`, or name the feature columns with `features`',
  );
  for (const warning of mapping.warnings) options.onWarning?.(warning.message, warning.code);
  return mapping;
}

/** The table's rows as feeds, by a mapping from mapTable; `allowMissing`: NaN for a missing value in a float input. */
export function tableFeeds(table: CsvTable, mapping: ColumnMapping, allowMissing = false): Record<string, Tensor> {
  const n = table.rows.length;
  const feeds: Record<string, Tensor> = {};
  for (const input of mapping.inputs) {
    const width = input.columns.length;
    const data = allocate(input.type, n * width);
    input.columns.forEach((c, k) =>
      columnValues(table, c, input.type, data, k, width, allowMissing ? 'nan' : 'refuse'),
    );
    feeds[input.name] = { name: input.name, type: input.type, dims: input.dims(n), data };
  }
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
  refuseNested(table.file, table.nested, table.header, 'the expected file holds one plain column per output value');
  const n = table.rows.length;
  const widths = actual.map(([, t]) => outputWidth(t));
  const total = widths.reduce((a, b) => a + b, 0);
  if (total !== table.header.length) {
    const described = actual.map(([name], i) => `${name} (${widths[i]})`).join(', ');
    throw new MlopsError(
      'CSV_EXPECTED_COLUMNS',
      `${table.file} has ${table.header.length} columns (${listColumns(table.header)}), but the model produces ${total} values per row: ${described}`,
      {
        hint: 'the expected CSV holds every output in order: one column per [N] output, K columns per [N, K] output',
      },
    );
  }
  const rows = actual[0]?.[1].dims[0];
  if (rows !== undefined && rows !== n) {
    throw new MlopsError(
      'CSV_EXPECTED_ROWS',
      `${table.file} has ${n} rows but the input CSV produced ${rows} predictions`,
      { hint: 'expected and input rows must correspond one to one' },
    );
  }
  let col = 0;
  return actual.map(([name, tensor], i) => {
    const type: ElementType =
      tensor.type === 'string'
        ? 'string'
        : tensor.type === 'bool'
          ? 'bool'
          : tensor.type.startsWith('int') || tensor.type.startsWith('uint')
            ? 'int64'
            : 'float64';
    const data = allocate(type, n * widths[i]);
    for (let k = 0; k < widths[i]; k++) columnValues(table, col + k, type, data, k, widths[i], 'parse');
    col += widths[i];
    return { name, type, dims: tensor.dims, data };
  });
}
