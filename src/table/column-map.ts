/**
 * Which table columns feed which model inputs: one set of rules for every
 * command that feeds a model rows (predict-batch, check, quantize, bench,
 * checklist) and, later, the server and Parquet input.
 *
 * - Per column: every input is named like a column (and a lone input is [N]
 *   or [N, 1]): each input reads its column, as scikit-learn converters emit.
 * - Matrix: one [N, F] input reads F columns, named by --features, else by
 *   the feature list recorded with the model (registry tag `features`, ONNX
 *   metadata `feature_names`), else taken from the file: the columns whose
 *   values fit the input's type, in file order, less the non-feature columns
 *   (--ignore, and a command's own, such as a metric's label).
 */
import type { ValueSignature } from '../onnx/graph.js';
import type { ElementType } from '../onnx/data-types.js';
import { MlopsError } from '../util/errors.js';
import { isMissingCell, parseBoolCell, parseFloatCell } from './cell-values.js';

export type FeatureSource =
  | 'inputs by name'
  | '--features'
  | 'registry'
  | 'model metadata'
  | 'numeric columns'
  | 'boolean columns'
  | 'columns not kept';

export interface RecordedFeatureList {
  names: string[];
  source: 'registry' | 'model metadata';
}

export interface ColumnMapOptions {
  /** Columns feeding a single [N, F] input, in order. */
  features?: string[];
  /** Columns that are not features (ids, labels). */
  ignore?: string[];
  /** Feature names recorded with the model: the columns are found by name, in any order. */
  recordedFeatures?: RecordedFeatureList;
  /** More non-feature columns the command itself sets aside (predict-batch's --keep, a metric's label); not checked against the header. */
  setAside?: string[];
  /** For the hint when the feature count is wrong: every column is copied to the output (predict-batch --keep-all). */
  keepAll?: boolean;
}

export interface InputColumns {
  name: string;
  type: ElementType;
  /** Header indices feeding this input, in order (F of them for [N, F], one for [N, 1]). */
  columns: number[];
  /** Shape of a batch of n rows. */
  dims: (rows: number) => number[];
}

export interface ColumnMapping {
  /** 'per-column' (one input per column, by name) or 'matrix' (one [N, F] input). */
  mode: 'per-column' | 'matrix';
  inputs: InputColumns[];
  /** Where the feature list came from, for summaries and messages. */
  featureSource: FeatureSource;
  /**
   * What the mapping worked around, for every command to warn about: features taken by their order in the
   * file (reordered columns would change predictions silently), `features` overriding the recorded list,
   * `ignore` naming a column the model reads anyway.
   */
  warnings: MappingWarning[];
}

/** A warning of the column mapping; the code is check's finding code for it. */
export interface MappingWarning {
  code: 'FEATURES_BY_ORDER' | 'FEATURES_NOT_RECORDED_ORDER' | 'IGNORE_READ_ANYWAY';
  message: string;
}

/**
 * Features taken from a file's column order are a silent hazard: swap two
 * columns and predictions change with exit 0. Every command that maps
 * columns that way says so, and says how to map by name instead.
 */
function featuresByOrderWarning(file: string, features: readonly string[], input: string): string {
  const shown =
    features.length > 4
      ? `${features.slice(0, 3).join(', ')}, ..., ${features[features.length - 1]} (${features.length})`
      : features.join(', ');
  return (
    `${file}: input "${input}" takes columns ${shown} by their order in the file, as the model records no feature names; ` +
    'reordered columns would change predictions silently. Record the names: mlops registry register NAME MODEL --features-from train.csv'
  );
}

/** Features found by their type in file order, not by name. */
function takenByOrder(source: FeatureSource): boolean {
  return source === 'numeric columns' || source === 'boolean columns' || source === 'columns not kept';
}

export function listColumns(names: string[], max = 10): string {
  if (names.length === 0) return '(none)';
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, ... (${names.length} in all)`;
}

/**
 * Numeric columns, judged on sample rows: at least half the present values are numbers.
 * Missing values do not count, and a stray bad value does not turn a feature
 * into text: it is reported as a bad value, with its line, when it is parsed.
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

const signature = (i: ValueSignature) => `"${i.name}" ${i.type}[${i.shape?.join(', ') ?? '?'}]`;
const SHAPE_HINT = 'export a model with a single [N, F] input, or one input per feature column';

/**
 * The mapping of `header` onto the model's inputs. `sample` (the first rows)
 * decides which columns are numeric when features are taken from the file.
 */
export function mapColumns(
  file: string,
  header: string[],
  sample: string[][],
  inputs: ValueSignature[],
  options: ColumnMapOptions,
): ColumnMapping {
  const index = new Map(header.map((h, i) => [h, i]));
  checkFeaturesAndIgnore(options.features, options.ignore);
  requireColumns(file, header, options.ignore, 'ignore');
  for (const input of inputs) {
    if (input.kind !== 'tensor')
      throw new MlopsError(
        'INPUT_NOT_TENSOR',
        `model input "${input.name}" is a ${input.type}; rows can feed tensors only`,
      );
  }
  if (options.features && inputs.length !== 1) {
    throw new MlopsError(
      'FEATURES_NOT_APPLICABLE',
      `\`features\` feeds a model's single [N, F] input, but this model has ${inputs.length} inputs (${inputs.map(signature).join(', ')}), each read from the column of the same name`,
      {
        hint: 'drop `features`; rename CSV columns to match the input names if needed',
      },
    );
  }
  // A single [N, F] input that happens to share a column's name still reads F columns.
  const columnShaped = (i: ValueSignature) =>
    i.shape === null || i.shape.length === 1 || (i.shape.length === 2 && i.shape[1] === 1);
  const perColumn =
    !options.features &&
    inputs.length > 0 &&
    inputs.every((i) => index.has(i.name)) &&
    (inputs.length > 1 || columnShaped(inputs[0]));
  if (perColumn)
    return {
      mode: 'per-column',
      featureSource: 'inputs by name',
      inputs: inputs.map((input) => perColumnInput(input, index)),
      warnings: ignoredButRead(
        options.ignore,
        inputs.map((i) => i.name),
        'the model has an input of that name',
      ),
    };

  if (inputs.length !== 1 || (inputs[0].shape !== null && inputs[0].shape.length !== 2)) {
    const missing = inputs.filter((i) => !index.has(i.name)).map((i) => `"${i.name}"`);
    if (missing.length === 0) {
      // Every input has its column, but some input is not [N] or [N, 1].
      const wide = inputs.filter(
        (i) => (i.shape?.length ?? 2) > 2 || (typeof i.shape?.[1] === 'number' && i.shape[1] !== 1),
      );
      throw new MlopsError(
        'INPUT_SHAPE_UNSUPPORTED',
        `model input${wide.length > 1 ? 's' : ''} ${wide.map(signature).join(', ')} take${wide.length > 1 ? '' : 's'} several values per row; rows feed one [N, F] input, or one column per [N] / [N, 1] input`,
        { hint: SHAPE_HINT },
      );
    }
    throw new MlopsError(
      'CSV_COLUMNS_MISSING',
      `${file} has no column for model input${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (columns: ${listColumns(header)})`,
      {
        hint:
          inputs.length > 1
            ? 'a model with several inputs reads one column per input, matched by name'
            : `model input ${signature(inputs[0])} is not [N, F]; rows feed [N, F] or one column per input`,
      },
    );
  }
  const input = inputs[0];
  const type = input.type as ElementType;
  const width = input.shape?.[1];
  const setAside = new Set([...(options.setAside ?? []), ...(options.ignore ?? [])]);
  let features: string[];
  let featureSource: FeatureSource;
  if (options.features) {
    features = options.features;
    featureSource = '--features';
  } else if (options.recordedFeatures) {
    features = options.recordedFeatures.names;
    featureSource = options.recordedFeatures.source;
  } else {
    // The columns whose values fit the input's type: booleans, text (any column), or numbers (every other type).
    featureSource = type === 'string' ? 'columns not kept' : type === 'bool' ? 'boolean columns' : 'numeric columns';
    const fits =
      type === 'string'
        ? header.map(() => true)
        : type === 'bool'
          ? booleanColumns(header, sample)
          : numericColumns(header, sample);
    features = header.filter((h, i) => !setAside.has(h) && fits[i]);
  }
  const repeated = features.filter((f, i) => features.indexOf(f) !== i);
  if (repeated.length) throw new MlopsError('FEATURES_INVALID', `feature column "${repeated[0]}" is listed twice`);
  const unknown = features.filter((f) => !index.has(f));
  if (unknown.length) {
    const by =
      featureSource === 'registry'
        ? 'the registry tag "features"'
        : featureSource === 'model metadata'
          ? 'the model metadata "feature_names"'
          : optionText(featureSource);
    throw new MlopsError(
      'CSV_COLUMNS_MISSING',
      `${file} has no column ${unknown.map((u) => `"${u}"`).join(', ')} (named by ${by}; columns: ${listColumns(header)})`,
      {
        hint: 'check the feature names against the CSV header',
      },
    );
  }
  const found = takenByOrder(featureSource);
  if (typeof width === 'number' && features.length !== width) {
    const notKept = setAside.size && featureSource !== 'columns not kept' ? ' not kept' : '';
    throw new MlopsError(
      'CSV_FEATURE_COUNT',
      `model input "${input.name}" (${input.type}) takes ${width} features, but ${found ? `${file} has ${features.length} ${featureSource}${notKept}` : `${optionText(featureSource)} names ${features.length}`}: ${listColumns(features)}`,
      {
        hint: !found
          ? 'list exactly the columns the model was trained on, in order'
          : options.keepAll
            ? 'with `keepAll` every column is copied, so name the features with `features` a,b,c'
            : 'name the features with `features` a,b,c, or set aside non-feature columns with `ignore` id,...',
      },
    );
  }
  const count = features.length;
  const warnings: MappingWarning[] = [];
  if (found && count > 1)
    warnings.push({ code: 'FEATURES_BY_ORDER', message: featuresByOrderWarning(file, features, input.name) });
  const recorded = options.recordedFeatures;
  if (options.features && recorded && options.features.join(',') !== recorded.names.join(','))
    warnings.push({
      code: 'FEATURES_NOT_RECORDED_ORDER',
      message: `\`features\` differs from the feature list recorded with the model (${recorded.source === 'registry' ? 'registry tag "features"' : 'ONNX metadata "feature_names"'}: ${recorded.names.slice(0, 4).join(', ')}${recorded.names.length > 4 ? ', ...' : ''}); \`features\` is used`,
    });
  if (!options.features && recorded)
    warnings.push(...ignoredButRead(options.ignore, features, `it is in the feature list recorded with the model`));
  return {
    mode: 'matrix',
    featureSource,
    inputs: [{ name: input.name, type, columns: features.map((f) => index.get(f)!), dims: (n) => [n, count] }],
    warnings,
  };
}

/** `ignore` naming a column the model reads by name anyway: the column is still fed, so say so. */
function ignoredButRead(ignore: readonly string[] | undefined, read: readonly string[], why: string): MappingWarning[] {
  const both = (ignore ?? []).filter((c) => read.includes(c));
  return both.length
    ? [
        {
          code: 'IGNORE_READ_ANYWAY',
          message: `\`ignore\` names ${both.map((c) => `"${c}"`).join(', ')}, which the model still reads (${why}); leave ${both.length > 1 ? 'them' : 'it'} out of \`ignore\``,
        },
      ]
    : [];
}

function perColumnInput(input: ValueSignature, index: Map<string, number>): InputColumns {
  const rank = input.shape?.length ?? 2;
  if (rank > 2 || (rank === 2 && typeof input.shape![1] === 'number' && input.shape![1] !== 1)) {
    throw new MlopsError(
      'INPUT_SHAPE_UNSUPPORTED',
      `model input ${signature(input)} takes several values per row, but column "${input.name}" holds one; rows feed one [N, F] input, or one column per [N] / [N, 1] input`,
      { hint: SHAPE_HINT },
    );
  }
  return {
    name: input.name,
    type: input.type as ElementType,
    columns: [index.get(input.name)!],
    dims: rank === 1 ? (n) => [n] : (n) => [n, 1],
  };
}

/**
 * Drift's columns to compare (it feeds no model, but picks columns by the same
 * options): `features` names them, else every column less `ignore`. `elsewhere`:
 * columns of another file that `ignore` may name too (drift's current data).
 */
export function selectColumns(
  file: string,
  header: string[],
  options: { features?: string[]; ignore?: string[] },
  elsewhere: string[] = [],
): string[] {
  checkFeaturesAndIgnore(options.features, options.ignore);
  requireColumns(file, [...header, ...elsewhere], options.ignore, 'ignore', header);
  if (options.features) return options.features;
  const ignore = new Set(options.ignore ?? []);
  return header.filter((h) => !ignore.has(h));
}

/** The `features` option as a message names it (FeatureSource keeps '--features': it is feature_source in --json). */
function optionText(source: FeatureSource): string {
  return source === '--features' ? '`features`' : source;
}

/**
 * Every column an option names is in the header: a misspelled name is an error, never a
 * silent no-op. CSV_COLUMNS_MISSING naming the option, the columns and the file.
 * `shown`: the columns listed in the message (default `header`).
 */
export function requireColumns(
  file: string,
  header: readonly string[],
  names: readonly string[] | undefined,
  option: string,
  shown: readonly string[] = header,
): void {
  if (!names?.length) return;
  const have = new Set(header);
  const missing = names.filter((n) => !have.has(n));
  if (missing.length === 0) return;
  throw new MlopsError(
    'CSV_COLUMNS_MISSING',
    `\`${option}\` names column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} that ${file} does not have (columns: ${listColumns([...shown])})`,
  );
}

/**
 * `features` with `ignore`, in every command: together they are fine (with `features` given,
 * `ignore` sets nothing more aside, and a script may pass both), but a column in both is a
 * contradiction the user must resolve.
 */
export function checkFeaturesAndIgnore(
  features: readonly string[] | undefined,
  ignore: readonly string[] | undefined,
): void {
  const both = features?.find((f) => ignore?.includes(f));
  if (both !== undefined)
    throw new MlopsError('OPTIONS_CONFLICT', `column "${both}" is given to both \`features\` and \`ignore\``, {
      hint: '`features` lists the columns to use and `ignore` columns that are not features: name it in one of them',
    });
}
