/**
 * How CSV columns map to model inputs and which columns the output carries.
 * Decided from the header (and the first row, for which columns are numeric)
 * before any row is processed, so missing columns fail fast.
 */
import type { ValueSignature } from '../onnx/graph.js';
import type { ElementType } from '../onnx/data-types.js';
import { isMissingCell, parseBoolCell, parseFloatCell } from '../table/cell-values.js';
import { MlopsError } from '../util/errors.js';

export type CellKind = 'float' | 'int' | 'bool' | 'string';

export interface InputBinding {
  name: string;
  type: ElementType;
  kind: CellKind;
  /** Header indices feeding this input, in order (F of them for [N, F], one for [N, 1]). */
  columns: number[];
  /** Shape of a batch of n rows. */
  dims: (rows: number) => number[];
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
  featureSource: 'inputs by name' | '--features' | 'registry' | 'model metadata' | 'numeric columns' | 'boolean columns' | 'columns not kept';
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
  recordedFeatures?: { names: string[]; source: 'registry' | 'model metadata' };
}

function kindOf(type: ElementType, input: string): CellKind {
  switch (type) {
    case 'float32': case 'float64': return 'float';
    case 'int64': case 'int32': return 'int';
    case 'bool': return 'bool';
    case 'string': return 'string';
    default:
      throw new MlopsError('INPUT_UNSUPPORTED_TYPE', `model input "${input}" has element type ${type}; predict-batch reads float32, float64, int64, int32, bool and string inputs`);
  }
}

function list(names: string[], max = 10): string {
  if (names.length === 0) return '(none)';
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, ... (${names.length} in all)`;
}

/**
 * Numeric columns, judged on sample rows: at least half the present values are numbers.
 * Missing values do not count, and a stray bad value does not turn a feature
 * into text: it is reported as a bad row, with its line, when it is parsed.
 * A column with no values in the sample (an empty file) counts as numeric.
 */
export function numericColumns(header: string[], sample: string[][]): boolean[] {
  return header.map((_, c) => {
    let present = 0;
    let numbers = 0;
    for (const row of sample) {
      const v = (row[c] ?? '').trim();
      if (isMissingCell(v)) continue;
      present++;
      if (parseFloatCell(v) !== undefined) numbers++;
    }
    return present === 0 || (numbers > 0 && numbers * 2 >= present);
  });
}

/** Boolean columns, judged on sample rows like numericColumns. */
function booleanColumns(header: string[], sample: string[][]): boolean[] {
  return header.map((_, c) => {
    const present = sample.map((row) => (row[c] ?? '').trim()).filter((v) => !isMissingCell(v));
    return present.length === 0 || present.every((v) => parseBoolCell(v) !== undefined);
  });
}

/** Features found by their type in file order, not by name: reordered columns would change the answers. */
export function takenByOrder(source: PredictPlan['featureSource']): boolean {
  return source === 'numeric columns' || source === 'boolean columns' || source === 'columns not kept';
}

export function planColumns(file: string, header: string[], sample: string[][], inputs: ValueSignature[], options: PlanOptions): PredictPlan {
  const index = new Map(header.map((h, i) => [h, i]));
  for (const [flag, names] of [['--keep', options.keep], ['--ignore', options.ignore]] as const) {
    const missing = (names ?? []).filter((k) => !index.has(k));
    if (missing.length) {
      throw new MlopsError('CSV_COLUMNS_MISSING', `${flag} names column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} that ${file} does not have (columns: ${list(header)})`);
    }
  }
  for (const input of inputs) {
    if (input.kind !== 'tensor') throw new MlopsError('INPUT_NOT_TENSOR', `model input "${input.name}" is a ${input.type}; predict-batch feeds tensors only`);
  }

  let bindings: InputBinding[];
  let mode: PredictPlan['mode'];
  let featureSource: PredictPlan['featureSource'];
  // One input per column: every input named like a column, and (for a lone input) shaped [N] or [N, 1]:
  // a single [N, F] input that happens to share a column's name still reads F columns.
  const columnShaped = (i: ValueSignature) => i.shape === null || i.shape.length === 1 || (i.shape.length === 2 && i.shape[1] === 1);
  const perColumn = !options.features && inputs.length > 0 && inputs.every((i) => index.has(i.name)) && (inputs.length > 1 || columnShaped(inputs[0]));
  const signature = (i: ValueSignature) => `"${i.name}" ${i.type}[${i.shape?.join(', ') ?? '?'}]`;
  if (options.features && inputs.length !== 1) {
    throw new MlopsError('USAGE', `--features feeds a model's single [N, F] input, but this model has ${inputs.length} inputs (${inputs.map(signature).join(', ')}), each read from the column of the same name`, {
      hint: 'drop --features; rename CSV columns to match the input names if needed',
    });
  }
  if (perColumn) {
    mode = 'per-column';
    featureSource = 'inputs by name';
    bindings = inputs.map((input) => {
      const rank = input.shape?.length ?? 2;
      if (rank > 2 || (rank === 2 && typeof input.shape![1] === 'number' && input.shape![1] !== 1)) {
        throw new MlopsError('INPUT_SHAPE_UNSUPPORTED', `model input ${signature(input)} takes several values per row, but column "${input.name}" holds one; predict-batch feeds one [N, F] input, or one column per [N] / [N, 1] input`, {
          hint: 'export a model with a single [N, F] input, or one input per feature column',
        });
      }
      const type = input.type as ElementType;
      return { name: input.name, type, kind: kindOf(type, input.name), columns: [index.get(input.name)!], dims: rank === 1 ? (n) => [n] : (n) => [n, 1] };
    });
  } else {
    if (inputs.length !== 1 || (inputs[0].shape !== null && inputs[0].shape.length !== 2)) {
      const missing = inputs.filter((i) => !index.has(i.name)).map((i) => `"${i.name}"`);
      if (missing.length === 0) {
        // Every input has its column, but some input is not [N] or [N, 1].
        const wide = inputs.filter((i) => (i.shape?.length ?? 2) > 2 || (typeof i.shape?.[1] === 'number' && i.shape[1] !== 1));
        throw new MlopsError('INPUT_SHAPE_UNSUPPORTED', `model input${wide.length > 1 ? 's' : ''} ${wide.map(signature).join(', ')} take${wide.length > 1 ? '' : 's'} several values per row; predict-batch feeds one [N, F] input, or one column per [N] / [N, 1] input`, {
          hint: 'export a model with a single [N, F] input, or one input per feature column',
        });
      }
      throw new MlopsError('CSV_COLUMNS_MISSING', `${file} has no column for model input${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (columns: ${list(header)})`, {
        hint: inputs.length > 1 ? 'a model with several inputs reads one column per input, matched by name' : `model input ${signature(inputs[0])} is not [N, F]; predict-batch feeds [N, F] or one column per input`,
      });
    }
    mode = 'matrix';
    const input = inputs[0];
    const width = input.shape?.[1];
    // --keep names non-features even with --keep-all (which then only widens what is copied).
    const keepSet = new Set([...(options.keep ?? []), ...(options.ignore ?? [])]);
    let features: string[];
    if (options.features) {
      features = options.features;
      featureSource = '--features';
    } else if (options.recordedFeatures) {
      features = options.recordedFeatures.names;
      featureSource = options.recordedFeatures.source;
    } else {
      // The columns whose values fit the input's type: numbers, booleans, or (for text) any column not kept.
      const kind = kindOf(input.type as ElementType, input.name);
      featureSource = kind === 'string' ? 'columns not kept' : kind === 'bool' ? 'boolean columns' : 'numeric columns';
      const fits = kind === 'string' ? header.map(() => true) : kind === 'bool' ? booleanColumns(header, sample) : numericColumns(header, sample);
      features = header.filter((h, i) => !keepSet.has(h) && fits[i]);
    }
    const repeated = features.filter((f, i) => features.indexOf(f) !== i);
    if (repeated.length) throw new MlopsError('USAGE', `feature column "${repeated[0]}" is listed twice`);
    const unknown = features.filter((f) => !index.has(f));
    if (unknown.length) {
      throw new MlopsError('CSV_COLUMNS_MISSING', `${file} has no column ${unknown.map((u) => `"${u}"`).join(', ')} (named by ${featureSource}; columns: ${list(header)})`, {
        hint: 'check the feature names against the CSV header',
      });
    }
    if (typeof width === 'number' && features.length !== width) {
      const found = takenByOrder(featureSource);
      throw new MlopsError('CSV_FEATURE_COUNT', `model input "${input.name}" (${input.type}) takes ${width} features, but ${found ? `${file} has ${features.length} ${featureSource}${keepSet.size && featureSource !== 'columns not kept' ? ' not kept' : ''}` : `${featureSource} names ${features.length}`}: ${list(features)}`, {
        hint: !found
          ? 'list exactly the columns the model was trained on, in order'
          : options.keepAll
            ? 'with --keep-all every column is copied, so name the features with --features a,b,c'
            : 'name the features with --features a,b,c, or set aside non-feature columns with --ignore id,...',
      });
    }
    const type = input.type as ElementType;
    const kind = kindOf(type, input.name);
    const count = features.length;
    bindings = [{ name: input.name, type, kind, columns: features.map((f) => index.get(f)!), dims: (n) => [n, count] }];
  }

  const fixedBatch = fixedBatchOf(inputs);
  const featureColumns = new Set(bindings.flatMap((b) => b.columns));
  const keep = options.keepAll
    ? header.map((_, i) => i)
    : options.keep
      ? options.keep.map((k) => index.get(k)!)
      : header.map((_, i) => i).filter((i) => !featureColumns.has(i));
  const roles: ColumnRole[] = header.map(() => ({ input: -1, offset: 0, kind: 'string', keep: -1 }));
  bindings.forEach((b, bi) => b.columns.forEach((c, offset) => (roles[c] = { ...roles[c], input: bi, offset, kind: b.kind })));
  keep.forEach((c, slot) => (roles[c].keep = slot));
  return { bindings, roles, keep, mode, featureSource, ...(fixedBatch !== undefined ? { fixedBatch } : {}) };
}

/**
 * A model exported without a dynamic batch axis (input shape [1, F]) runs only
 * on batches of exactly that size: batches are cut and padded to it.
 */
function fixedBatchOf(inputs: ValueSignature[]): number | undefined {
  const sizes = new Set(inputs.map((i) => i.shape?.[0]).filter((d): d is number => typeof d === 'number'));
  if (sizes.size === 0) return undefined;
  if (sizes.size > 1) {
    throw new MlopsError('INPUT_SHAPE_UNSUPPORTED', `the model's inputs fix different batch sizes (${inputs.map((i) => `${i.name} [${i.shape?.join(', ')}]`).join(', ')}), so no batch of rows fits them all`, {
      hint: 're-export the model with a dynamic batch axis (torch.onnx.export(..., dynamic_axes={name: {0: "batch"}}))',
    });
  }
  const [size] = sizes;
  if (size < 1) throw new MlopsError('INPUT_SHAPE_UNSUPPORTED', `the model's inputs fix a batch size of ${size}`);
  return size;
}
