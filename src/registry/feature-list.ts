/**
 * The feature names a version records (tag `features`), so every command maps
 * table columns by name from then on instead of by their order in a file.
 * They come from --features, from a training CSV's header (--features-from,
 * less --ignore), or from --tag features=...; all three are checked against
 * the model's input.
 */
import { MlopsError } from '../util/errors.js';
import { parseNameList } from '../util/name-list.js';
import type { ModelSignature } from './types.js';

export interface FeatureListOptions {
  features?: string[];
  /** A CSV whose header names the training columns. */
  featuresFrom?: string;
  /** Header columns of featuresFrom that are not features (ids, the label). */
  ignore?: string[];
  tags?: Record<string, string>;
}

/** The list to record, or undefined when none was given. */
export async function featureListFor(
  options: FeatureListOptions,
  signature: ModelSignature,
  file: string,
): Promise<string[] | undefined> {
  const given = [
    options.features && '`features`',
    options.featuresFrom && '`featuresFrom`',
    options.tags?.features !== undefined && '`tags.features`',
  ].filter(Boolean);
  if (given.length > 1)
    throw new MlopsError('OPTIONS_CONFLICT', `${given.join(' and ')} both name the features`, {
      hint: 'give the feature names one way',
    });
  if (options.ignore && !options.featuresFrom)
    throw new MlopsError(
      'OPTIONS_CONFLICT',
      '`ignore` only applies to `featuresFrom` (columns of its header that are not features)',
    );
  let names: string[] | undefined;
  let from = given[0] as string | undefined;
  if (options.featuresFrom) {
    const { readHeader } = await import('../table/row-reader.js');
    const ignore = new Set(options.ignore ?? []);
    const { header } = await readHeader(options.featuresFrom);
    const unknown = [...ignore].filter((c) => !header.includes(c));
    if (unknown.length)
      throw new MlopsError(
        'CSV_COLUMNS_MISSING',
        `\`ignore\` names ${unknown.map((c) => `"${c}"`).join(', ')}, which ${options.featuresFrom} does not have (columns: ${header.slice(0, 12).join(', ')}${header.length > 12 ? ', ...' : ''})`,
      );
    names = header.filter((c) => !ignore.has(c));
    from = `the header of ${options.featuresFrom}`;
  } else if (options.features) {
    names = options.features;
  } else if (options.tags?.features !== undefined) {
    names = parseNameList(options.tags.features) ?? [];
  }
  if (!names) return undefined;
  if (names.length === 0) throw new MlopsError('FEATURES_INVALID', `${from} names no features`);
  // The list is stored comma-separated and read back trimmed: such a name could never be found again.
  const unstorable = names.find((n) => n.includes(',') || n !== n.trim() || n === '');
  if (unstorable !== undefined) {
    throw new MlopsError(
      'FEATURES_INVALID',
      `${from} has the column name "${unstorable}", which a feature list cannot hold (${unstorable.includes(',') ? 'it contains a comma' : 'it has leading or trailing spaces'})`,
      {
        hint: 'rename the columns (no commas, no surrounding spaces), e.g. with pandas: df.columns = df.columns.str.strip()',
      },
    );
  }
  const twice = names.find((n, i) => names!.indexOf(n) !== i);
  if (twice !== undefined) throw new MlopsError('FEATURES_INVALID', `${from} names the feature "${twice}" twice`);
  const inputs = signature.inputs;
  if (inputs.length !== 1 || (inputs[0].shape?.length ?? 2) !== 2) {
    throw new MlopsError(
      'FEATURES_NOT_APPLICABLE',
      `${file} reads one column per input (${inputs.map((i) => i.name).join(', ')}): its inputs already name its features, so there is no feature list to record`,
      {
        hint: 'drop the feature list; columns are matched to inputs by name',
      },
    );
  }
  const width = inputs[0].shape?.[1];
  if (typeof width === 'number' && width !== names.length) {
    throw new MlopsError(
      'FEATURE_COUNT',
      `${from} names ${names.length} features, but model input "${inputs[0].name}" takes ${width}`,
      {
        hint: options.featuresFrom
          ? 'leave out the columns that are not features with `ignore` id,label'
          : 'list exactly the columns the model was trained on, in order',
      },
    );
  }
  return names;
}
