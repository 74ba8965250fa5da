/** Checklist configuration (YAML or JSON), validated with errors that name the path. */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { MlopsError } from '../util/errors.js';

export type Severity = 'error' | 'warn';

type FieldType = 'number' | 'string' | 'string[]' | 'boolean';

/** Per check type: its fields, and which are required. */
export const CHECK_TYPES: Record<string, { fields: Record<string, FieldType>; required: string[]; about: string }> = {
  model_valid: { fields: {}, required: [], about: 'valid structure and loads in onnxruntime (the check command)' },
  parity: { fields: { test_data: 'string', input: 'string', expected: 'string', rtol: 'number', atol: 'number', features: 'string[]', ignore: 'string[]' }, required: [], about: 'outputs reproduce test data within rtol/atol' },
  finite_weights: { fields: {}, required: [], about: 'no NaN or Inf in the weights' },
  opset_range: { fields: { min_opset: 'number', max_opset: 'number', min_ir: 'number', max_ir: 'number' }, required: [], about: 'IR version and default-domain opset within a range' },
  max_size_mb: { fields: { max: 'number' }, required: ['max'], about: 'model file size at most max MB' },
  no_custom_domains: { fields: {}, required: [], about: 'no operators from custom domains' },
  external_data_inside: { fields: {}, required: [], about: 'external data files inside the model folder' },
  latency: { fields: { batch_size: 'number', max_p95_ms: 'number', input: 'string', iterations: 'number' }, required: ['max_p95_ms'], about: 'p95 latency at a batch size at most a limit' },
  throughput: { fields: { batch_size: 'number', min_rows_per_s: 'number', input: 'string', iterations: 'number' }, required: ['min_rows_per_s'], about: 'throughput at least a limit' },
  metric: { fields: { data: 'string', label: 'string', metric: 'string', min: 'number', max: 'number', output: 'string', baseline: 'string', min_absolute_change: 'number', min_relative_change: 'number', features: 'string[]', ignore: 'string[]' }, required: ['data', 'label', 'metric'], about: 'accuracy, f1, auc, rmse or mae on a labelled CSV, optionally against a baseline model' },
  quantization_agreement: { fields: { candidate: 'string', data: 'string', min_agreement: 'number', features: 'string[]', ignore: 'string[]' }, required: ['candidate', 'data', 'min_agreement'], about: 'an int8 candidate agrees with the float model (argmax)' },
  drift: { fields: { reference: 'string', current: 'string', max_share: 'number', exclude: 'string[]', alpha: 'number' }, required: ['reference', 'current'], about: 'no dataset drift / share of drifted columns at most max_share' },
  registry_metadata: { fields: { fields: 'string[]' }, required: ['fields'], about: 'registry metadata fields present (description, tags.owner, metrics.auc, git_commit...)' },
  rollback_available: { fields: { alias: 'string' }, required: [], about: 'a previous version exists to roll back to' },
  max_age_days: { fields: { max: 'number' }, required: ['max'], about: 'the version was registered at most max days ago' },
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
  return new MlopsError('CHECKLIST_CONFIG', `${file}: ${at}: ${message}`, { hint: 'mlops checklist init writes a commented example' });
}

function typeOk(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'string': return typeof value === 'string' && value.length > 0;
    case 'boolean': return typeof value === 'boolean';
    case 'string[]': return Array.isArray(value) && value.every((v) => typeof v === 'string');
  }
}

const TYPE_NAMES: Record<FieldType, string> = { number: 'a number', string: 'a non-empty string', boolean: 'true or false', 'string[]': 'a list of strings' };

export function validateConfig(raw: unknown, file: string): ChecklistConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw configError(file, '(top level)', 'expected a mapping with a "checks" list');
  const top = raw as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!['model', 'checks'].includes(key)) throw configError(file, key, 'unknown key (expected model, checks)');
  if (top.model !== undefined && !typeOk(top.model, 'string')) throw configError(file, 'model', 'expected a model path or registry reference');
  if (!Array.isArray(top.checks)) throw configError(file, 'checks', 'expected a list of checks');
  const ids = new Set<string>();
  const checks = top.checks.map((item, i) => {
    const at = `checks[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw configError(file, at, 'expected a mapping');
    const c = item as Record<string, unknown>;
    if (!typeOk(c.id, 'string')) throw configError(file, `${at}.id`, 'expected a non-empty string');
    if (ids.has(c.id as string)) throw configError(file, `${at}.id`, `"${c.id}" is used by another check`);
    ids.add(c.id as string);
    const spec = CHECK_TYPES[c.type as string];
    if (!spec) throw configError(file, `${at}.type`, `expected one of ${Object.keys(CHECK_TYPES).join(', ')}${c.type === undefined ? '' : ` (got ${JSON.stringify(c.type)})`}`);
    const severity = c.severity ?? 'error';
    if (severity !== 'error' && severity !== 'warn') throw configError(file, `${at}.severity`, 'expected "error" or "warn"');
    for (const [key, value] of Object.entries(c)) {
      if (['id', 'type', 'severity'].includes(key)) continue;
      const fieldType = spec.fields[key];
      if (!fieldType) throw configError(file, `${at}.${key}`, `unknown field for ${c.type} (fields: ${Object.keys(spec.fields).join(', ') || 'none'})`);
      if (!typeOk(value, fieldType)) throw configError(file, `${at}.${key}`, `expected ${TYPE_NAMES[fieldType]}`);
    }
    for (const key of spec.required) if (c[key] === undefined) throw configError(file, `${at}.${key}`, `required for ${c.type}`);
    if (c.type === 'metric') {
      if (!METRICS.includes(c.metric as MetricName)) throw configError(file, `${at}.metric`, `expected one of ${METRICS.join(', ')}`);
      if (c.min === undefined && c.max === undefined && c.baseline === undefined) throw configError(file, `${at}`, 'a metric check needs min, max or baseline');
    }
    if (c.type === 'parity' && !c.test_data && !(c.input && c.expected)) throw configError(file, `${at}`, 'parity needs test_data, or input and expected');
    return { ...c, severity } as CheckConfig;
  });
  return { model: top.model as string | undefined, checks };
}

export async function loadConfig(file: string): Promise<ChecklistConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new MlopsError('CHECKLIST_CONFIG', `checklist config ${file} does not exist`, { hint: 'create one with: mlops checklist init' });
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new MlopsError('CHECKLIST_CONFIG', `${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  return validateConfig(raw, file);
}
