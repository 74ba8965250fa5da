/**
 * How CSV columns map to model inputs (by table/column-map.ts) and which columns the output carries.
 * Decided from the header (and the first row, for which columns are numeric)
 * before any row is processed, so missing columns fail fast.
 */
import { fixedBatchSize, type ValueSignature } from '../onnx/graph.js';
import type { ElementType } from '../onnx/data-types.js';
import {
  mapColumns,
  requireColumns,
  type FeatureSource,
  type InputColumns,
  type RecordedFeatureList,
} from '../table/column-map.js';
import { MlopsError } from '../util/errors.js';
import type { ParquetColumn } from '../table/parquet/parquet-info.js';

export type CellKind = 'float' | 'int' | 'bool' | 'string';

export interface InputBinding extends InputColumns {
  kind: CellKind;
}

/** What the row parser does with header column c. */
export interface ColumnRole {
  /** Index into bindings, or -1. */
  input: number;
  /** Position within the input's row. */
  offset: number;
  kind: CellKind;
  /** Slot among kept columns, or -1. */
  keep: number;
}

export interface PredictPlan {
  bindings: InputBinding[];
  roles: ColumnRole[];
  /** Header indices copied to the output, in output order. */
  keep: number[];
  /** 'per-column' (one input per column, by name) or 'matrix' (one [N, F] input). */
  mode: 'per-column' | 'matrix';
  /** Where the feature list came from, for the summary. */
  featureSource: FeatureSource;
  /** The column mapping's warnings (features by file order, `features` against the recorded list, ...). */
  warnings: string[];
  /** The batch size the model's inputs fix (exported without a dynamic batch axis), if any. */
  fixedBatch?: number;
}

export interface PlanOptions {
  features?: string[];
  /** Columns that are not features (ids, labels): never taken as features, copied unless --keep says otherwise. */
  ignore?: string[];
  keep?: string[];
  keepAll?: boolean;
  /** Feature names recorded with the model (registry tag `features` or metadata `feature_names`). */
  recordedFeatures?: RecordedFeatureList;
}

function kindOf(type: ElementType, input: string): CellKind {
  switch (type) {
    case 'float32':
    case 'float64':
      return 'float';
    case 'int64':
    case 'int32':
      return 'int';
    case 'bool':
      return 'bool';
    case 'string':
      return 'string';
    default:
      throw new MlopsError(
        'INPUT_UNSUPPORTED_TYPE',
        `model input "${input}" has element type ${type}; predict-batch reads float32, float64, int64, int32, bool and string inputs`,
      );
  }
}

/**
 * The column mapping (table/column-map.ts, the rules every command shares)
 * plus what only predict-batch decides: which columns are copied to the
 * output, and the parser's role for each header column.
 */
export function planColumns(
  file: string,
  header: string[],
  sample: string[][],
  inputs: ValueSignature[],
  options: PlanOptions,
  /** A Parquet file's columns: nested ones (lists, structs, maps) are never taken by file order, and refused where used. */
  parquetColumns?: ParquetColumn[],
): PredictPlan {
  const index = new Map(header.map((h, i) => [h, i]));
  requireColumns(file, header, options.keep, 'keep');
  const nested = new Set(header.filter((_, c) => parquetColumns?.[c]?.kind === 'nested'));
  // --keep names non-features even with --keep-all (which then only widens what is copied).
  const mapping = mapColumns(file, header, sample, inputs, {
    features: options.features,
    ignore: options.ignore,
    recordedFeatures: options.recordedFeatures,
    setAside: nested.size ? [...(options.keep ?? []), ...nested] : options.keep,
    keepAll: options.keepAll,
  });
  const bindings: InputBinding[] = mapping.inputs.map((b) => ({ ...b, kind: kindOf(b.type, b.name) }));
  const fixedBatch = fixedBatchSize(inputs);
  const featureColumns = new Set(bindings.flatMap((b) => b.columns));
  const keep = options.keepAll
    ? header.map((_, i) => i)
    : options.keep
      ? options.keep.map((k) => index.get(k)!)
      : header.map((_, i) => i).filter((i) => !featureColumns.has(i) && !nested.has(header[i]));
  if (parquetColumns) refuseNested(file, parquetColumns, bindings, keep, options);
  const roles: ColumnRole[] = header.map(() => ({ input: -1, offset: 0, kind: 'string', keep: -1 }));
  bindings.forEach((b, bi) =>
    b.columns.forEach((c, offset) => (roles[c] = { ...roles[c], input: bi, offset, kind: b.kind })),
  );
  keep.forEach((c, slot) => (roles[c].keep = slot));
  return {
    bindings,
    roles,
    keep,
    mode: mapping.mode,
    featureSource: mapping.featureSource,
    warnings: mapping.warnings.map((w) => w.message),
    ...(fixedBatch !== undefined ? { fixedBatch } : {}),
  };
}

/** A nested Parquet column fed to the model or copied to the output: refused, naming it and its type. */
function refuseNested(
  file: string,
  columns: ParquetColumn[],
  bindings: InputBinding[],
  keep: number[],
  options: PlanOptions,
): void {
  const bound = bindings.flatMap((b) => b.columns.map((c) => ({ c, input: b.name })));
  for (const { c, input } of bound) {
    const column = columns[c];
    if (column.kind !== 'nested') continue;
    throw new MlopsError(
      'PARQUET_COLUMN_UNSUPPORTED',
      `${file}: column "${column.name}" is ${column.type}, a nested column, and model input "${input}" would read it; predict-batch feeds scalar columns only`,
      {
        hint: options.features
          ? `drop "${column.name}" from \`features\`, or flatten it into scalar columns before the run`
          : `name the scalar feature columns with \`features\`, or flatten "${column.name}" into scalar columns before the run`,
      },
    );
  }
  for (const c of keep) {
    const column = columns[c];
    if (column.kind !== 'nested') continue;
    throw new MlopsError(
      'PARQUET_COLUMN_UNSUPPORTED',
      `${file}: column "${column.name}" is ${column.type}, a nested column, which cannot be copied to the output`,
      {
        hint: options.keepAll
          ? `list the columns to copy with \`keep\` instead of \`keepAll\`, leaving "${column.name}" out`
          : `drop "${column.name}" from \`keep\``,
      },
    );
  }
}
