/** Checklist configuration (YAML or JSON), validated with errors that name the path. */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { MlopsError } from '../util/errors.js';
import { MAX_BATCH_SIZE } from '../util/limits.js';
import { formatCount } from '../util/format-number.js';

export type Severity = 'error' | 'warn';

/**
 * A field's type and range. Numbers are range-checked here so that a typo
 * (`batch_size: 0`, `max_p95_ms: -1`) is a config error, not a gate that
 * can never fail or never pass.
 */
type FieldType =
  | 'number'
  | 'positive'
  | 'non-negative'
  | 'positive-integer'
  | 'share'
  | 'alpha'
  | 'string'
  | 'string[]'
  | 'non-empty string[]'
  | 'boolean';

/** Per check type: its fields, and which are required. */
export const CHECK_TYPES: Record<string, { fields: Record<string, FieldType>; required: string[]; about: string }> = {
  model_valid: { fields: {}, required: [], about: 'valid structure and loads in onnxruntime (the check command)' },
  parity: {
    fields: {
      test_data: 'string',
      input: 'string',
      expected: 'string',
      rtol: 'non-negative',
      atol: 'non-negative',
      features: 'string[]',
      ignore: 'string[]',
      allow_missing: 'boolean',
    },
    required: [],
    about: 'outputs reproduce test data within rtol/atol',
  },
  finite_weights: { fields: {}, required: [], about: 'no NaN or Inf in the weights' },
  opset_range: {
    fields: {
      min_opset: 'positive-integer',
      max_opset: 'positive-integer',
      min_ir: 'positive-integer',
      max_ir: 'positive-integer',
    },
    required: [],
    about: 'IR version and default-domain opset within a range',
  },
  max_size_mb: { fields: { max: 'positive' }, required: ['max'], about: 'model file size at most max MB' },
  no_custom_domains: { fields: {}, required: [], about: 'no operators from custom domains' },
  external_data_inside: { fields: {}, required: [], about: 'external data files inside the model folder' },
  latency: {
    fields: {
      batch_size: 'positive-integer',
      max_p95_ms: 'positive',
      input: 'string',
      iterations: 'positive-integer',
      features: 'string[]',
      ignore: 'string[]',
    },
    required: ['max_p95_ms'],
    about: 'p95 latency at a batch size at most a limit',
  },
  throughput: {
    fields: {
      batch_size: 'positive-integer',
      min_rows_per_s: 'positive',
      input: 'string',
      iterations: 'positive-integer',
      features: 'string[]',
      ignore: 'string[]',
    },
    required: ['min_rows_per_s'],
    about: 'throughput at least a limit',
  },
  metric: {
    fields: {
      data: 'string',
      label: 'string',
      metric: 'string',
      min: 'number',
      max: 'number',
      output: 'string',
      baseline: 'string',
      min_absolute_change: 'number',
      min_relative_change: 'number',
      features: 'string[]',
      ignore: 'string[]',
    },
    required: ['data', 'label', 'metric'],
    about: 'accuracy, f1, auc, rmse or mae on a labelled CSV, optionally against a baseline model',
  },
  quantization_agreement: {
    fields: { candidate: 'string', data: 'string', min_agreement: 'share', features: 'string[]', ignore: 'string[]' },
    required: ['candidate', 'data', 'min_agreement'],
    about: 'an int8 candidate agrees with the float model (argmax)',
  },
  drift: {
    fields: {
      reference: 'string',
      current: 'string',
      max_share: 'share',
      features: 'string[]',
      ignore: 'string[]',
      exclude: 'string[]',
      alpha: 'alpha',
    },
    required: ['reference', 'current'],
    about: 'no dataset drift / share of drifted columns at most max_share',
  },
  registry_metadata: {
    fields: { fields: 'non-empty string[]' },
    required: ['fields'],
    about: 'registry metadata fields present (description, tags.owner, metrics.auc, git_commit...)',
  },
  rollback_available: { fields: { alias: 'string' }, required: [], about: 'a previous version exists to roll back to' },
  max_age_days: {
    fields: { max: 'non-negative' },
    required: ['max'],
    about: 'the version was registered at most max days ago',
  },
  registry_sha256: { fields: {}, required: [], about: "the stored file's sha256 matches the registry" },
  manual: { fields: { text: 'string' }, required: ['text'], about: 'needs a person: pass with --ack <id>' },
};

export const METRICS = ['accuracy', 'f1', 'auc', 'rmse', 'mae'] as const;
export type MetricName = (typeof METRICS)[number];

export interface CheckConfig {
  id: string;
  type: string;
  severity: Severity;
  [field: string]: unknown;
}

export interface ChecklistConfig {
  model?: string;
  checks: CheckConfig[];
}

function configError(file: string, at: string, message: string): MlopsError {
  return new MlopsError('CHECKLIST_CONFIG', `${file}: ${at}: ${message}`, {
    hint: 'mlops checklist init writes a commented example',
  });
}

function typeOk(value: unknown, type: FieldType): boolean {
  const n = value as number;
  const finite = typeof value === 'number' && Number.isFinite(value);
  switch (type) {
    case 'number':
      return finite;
    case 'positive':
      return finite && n > 0;
    case 'non-negative':
      return finite && n >= 0;
    case 'positive-integer':
      return finite && Number.isInteger(n) && n >= 1;
    case 'share':
      return finite && n >= 0 && n <= 1;
    case 'alpha':
      return finite && n > 0 && n < 1;
    case 'string':
      return typeof value === 'string' && value.length > 0;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'non-empty string[]':
      return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v.length > 0);
  }
}

const TYPE_NAMES: Record<FieldType, string> = {
  number: 'a number',
  positive: 'a positive number',
  'non-negative': 'a number >= 0',
  'positive-integer': 'a positive integer',
  share: 'a number between 0 and 1',
  alpha: 'a number between 0 and 1 (exclusive)',
  string: 'a non-empty string',
  boolean: 'true or false',
  'string[]': 'a list of strings',
  'non-empty string[]': 'a non-empty list of strings',
};

/** Metric values live in a range; a threshold outside it is a gate that always or never passes. */
const METRIC_RANGE: Record<string, { lo: number; hi: number; text: string }> = {
  accuracy: { lo: 0, hi: 1, text: 'between 0 and 1' },
  f1: { lo: 0, hi: 1, text: 'between 0 and 1' },
  auc: { lo: 0, hi: 1, text: 'between 0 and 1' },
  rmse: { lo: 0, hi: Infinity, text: '>= 0' },
  mae: { lo: 0, hi: Infinity, text: '>= 0' },
};

/** Pairs of bounds in one check that must be ordered. */
const BOUND_PAIRS: Array<[string, string]> = [
  ['min_opset', 'max_opset'],
  ['min_ir', 'max_ir'],
  ['min', 'max'],
];

export function validateConfig(raw: unknown, file: string): ChecklistConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw configError(file, '(top level)', 'expected a mapping with a "checks" list');
  const top = raw as Record<string, unknown>;
  for (const key of Object.keys(top))
    if (!['model', 'checks'].includes(key)) throw configError(file, key, 'unknown key (expected model, checks)');
  if (top.model !== undefined && !typeOk(top.model, 'string'))
    throw configError(file, 'model', 'expected a model path or registry reference');
  if (!Array.isArray(top.checks)) throw configError(file, 'checks', 'expected a list of checks');
  // An empty list would pass every run without checking anything.
  if (top.checks.length === 0)
    throw configError(
      file,
      'checks',
      'the list is empty: a checklist with no checks would pass without checking anything',
    );
  const ids = new Set<string>();
  const checks = top.checks.map((item, i) => {
    const at = `checks[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw configError(file, at, 'expected a mapping');
    const c = item as Record<string, unknown>;
    if (!typeOk(c.id, 'string')) throw configError(file, `${at}.id`, 'expected a non-empty string');
    if (ids.has(c.id as string)) throw configError(file, `${at}.id`, `"${c.id}" is used by another check`);
    ids.add(c.id as string);
    const spec = CHECK_TYPES[c.type as string];
    if (!spec)
      throw configError(
        file,
        `${at}.type`,
        `expected one of ${Object.keys(CHECK_TYPES).join(', ')}${c.type === undefined ? '' : ` (got ${JSON.stringify(c.type)})`}`,
      );
    const severity = c.severity ?? 'error';
    if (severity !== 'error' && severity !== 'warn')
      throw configError(file, `${at}.severity`, 'expected "error" or "warn"');
    for (const [key, value] of Object.entries(c)) {
      if (['id', 'type', 'severity'].includes(key)) continue;
      const fieldType = spec.fields[key];
      if (!fieldType)
        throw configError(
          file,
          `${at}.${key}`,
          `unknown field for ${c.type} (fields: ${Object.keys(spec.fields).join(', ') || 'none'})`,
        );
      if (!typeOk(value, fieldType))
        throw configError(
          file,
          `${at}.${key}`,
          `expected ${TYPE_NAMES[fieldType]}${typeof value === 'number' ? ` (got ${value})` : ''}`,
        );
      // A column listed twice fed the model the same feature twice, and the metric was wrong without a word.
      const twice = Array.isArray(value) ? value.find((v, k) => value.indexOf(v) !== k) : undefined;
      if (twice !== undefined) throw configError(file, `${at}.${key}`, `"${twice}" is listed twice`);
    }
    for (const key of spec.required)
      if (c[key] === undefined) throw configError(file, `${at}.${key}`, `required for ${c.type}`);
    if (c.type === 'metric') {
      if (!METRICS.includes(c.metric as MetricName))
        throw configError(file, `${at}.metric`, `expected one of ${METRICS.join(', ')}`);
      if (c.min === undefined && c.max === undefined && c.baseline === undefined)
        throw configError(file, `${at}`, 'a metric check needs min, max or baseline');
      const range = METRIC_RANGE[c.metric as string];
      for (const key of ['min', 'max']) {
        const v = c[key] as number | undefined;
        if (v !== undefined && (v < range.lo || v > range.hi))
          throw configError(
            file,
            `${at}.${key}`,
            `${c.metric} is ${range.text} (got ${v}): a threshold outside that range decides every run the same way`,
          );
      }
    }
    if (c.type === 'opset_range' && Object.keys(spec.fields).every((key) => c[key] === undefined)) {
      throw configError(
        file,
        at,
        `opset_range needs at least one of ${Object.keys(spec.fields).join(', ')} (without a bound it passes every model)`,
      );
    }
    if (typeof c.batch_size === 'number' && c.batch_size > MAX_BATCH_SIZE)
      throw configError(
        file,
        `${at}.batch_size`,
        `at most ${formatCount(MAX_BATCH_SIZE)} rows per call (got ${c.batch_size})`,
      );
    for (const [lo, hi] of BOUND_PAIRS) {
      if (typeof c[lo] === 'number' && typeof c[hi] === 'number' && (c[lo] as number) > (c[hi] as number))
        throw configError(file, at, `${lo} ${c[lo]} is above ${hi} ${c[hi]}: no value can pass`);
    }
    // `exclude` is the old spelling of `ignore` (columns that are not features), as on the command line.
    if (c.ignore !== undefined && c.exclude !== undefined)
      throw configError(file, `${at}.exclude`, 'is the old spelling of ignore: give one of them');
    if (c.type === 'parity' && !c.test_data && !(c.input && c.expected))
      throw configError(file, `${at}`, 'parity needs test_data, or input and expected');
    return { ...c, severity } as CheckConfig;
  });
  return { model: top.model as string | undefined, checks };
}

export async function loadConfig(file: string): Promise<ChecklistConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new MlopsError('CHECKLIST_CONFIG', `checklist config ${file} does not exist`, {
      hint: 'create one with: mlops checklist init',
    });
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new MlopsError(
      'CHECKLIST_CONFIG',
      `${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  return validateConfig(raw, file);
}

/** Fields of a check that name files it reads. */
const INPUT_FIELDS = ['test_data', 'input', 'expected', 'data', 'candidate', 'baseline', 'reference', 'current'];

/** Every file a checklist reads (resolved against the config's folder): a report must never be written over one. */
export function checklistInputs(config: ChecklistConfig, file: string): Array<{ path: string; what: string }> {
  const dir = path.dirname(file);
  const resolve = (p: string) => (path.isAbsolute(p) ? p : path.resolve(dir, p));
  const inputs = [{ path: file, what: 'the checklist config' }];
  if (config.model) inputs.push({ path: resolve(config.model), what: 'the model' });
  config.checks.forEach((check, i) => {
    for (const field of INPUT_FIELDS) {
      const value = check[field];
      if (typeof value === 'string') inputs.push({ path: resolve(value), what: `checks[${i}].${field}` });
    }
  });
  return inputs;
}
