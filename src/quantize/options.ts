/**
 * Option values and combinations quantize refuses before any work, named as
 * options (the CLI prints them as the flags the user typed). The CLI's parsers reject non-numbers; this also guards the
 * programmatic API, where a percentile of 200 once produced an all-NaN model.
 */
import { MlopsError } from '../util/errors.js';
import { DEFAULT_BATCH_SIZE } from '../predict/types.js';
import { validateName } from '../registry/names.js';
import type { QuantizeOptions } from './index.js';

/** Operator types quantize knows how to rewrite. */
export const QUANTIZABLE_OPS = ['MatMul', 'Gemm', 'Conv'] as const;

/** Rows per inference call in predict-batch (its --batch-size default); validation batches the same way. */
export const PREDICT_BATCH_SIZE = DEFAULT_BATCH_SIZE;

/** Options are named as code (`calibrationRows`); the CLI prints them as its flags. */
const refuse = (code: 'OPTION_INVALID' | 'OPTION_MISSING' | 'OPTIONS_CONFLICT', message: string, hint?: string) =>
  new MlopsError(code, message, { hint });

function positiveInteger(option: keyof QuantizeOptions, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1))
    throw refuse('OPTION_INVALID', `\`${option}\` must be a whole number >= 1 (got ${value})`);
}

export function checkQuantizeOptions(options: QuantizeOptions): void {
  const mode = options.mode ?? 'dynamic';
  if (mode !== 'dynamic' && mode !== 'static')
    throw refuse('OPTION_INVALID', `\`mode\` must be dynamic or static (got ${String(mode)})`);
  if (options.calibrate !== undefined && options.calibrate !== 'minmax' && options.calibrate !== 'percentile') {
    throw refuse('OPTION_INVALID', `\`calibrate\` must be minmax or percentile (got ${String(options.calibrate)})`);
  }
  positiveInteger('calibrationRows', options.calibrationRows);
  positiveInteger('validationRows', options.validationRows);
  positiveInteger('minElements', options.minElements);
  positiveInteger('threads', options.threads);
  positiveInteger('batchSize', options.batchSize);
  if (options.percentile !== undefined) {
    // The range kept is [100 - p, p] percent: p <= 50 inverts it, p > 100 reads past the data (NaN ranges).
    const p = options.percentile;
    if (!(Number.isFinite(p) && p > 50 && p <= 100)) {
      throw refuse(
        'OPTION_INVALID',
        `\`percentile\` must be a number above 50 and at most 100 (got ${p})`,
        'it is the upper percentile of activation values kept, e.g. 99.999; the lower one is 100 - p',
      );
    }
    if (options.calibrate !== 'percentile')
      throw refuse(
        'OPTION_MISSING',
        '`percentile` applies with `calibrate` percentile',
        'add `calibrate` percentile, or drop `percentile`',
      );
  }
  if (mode === 'dynamic') {
    // Dynamic mode computes activation ranges at run time: calibration options would be silently ignored.
    const staticOnly = (['calibration', 'calibrationRows', 'calibrate', 'percentile'] as const)
      .filter((o) => options[o] !== undefined)
      .map((o) => `\`${o}\``);
    if (staticOnly.length)
      throw refuse(
        'OPTIONS_CONFLICT',
        `${staticOnly.join(', ')} ${staticOnly.length > 1 ? 'apply' : 'applies'} to \`mode\` static only (dynamic mode computes activation ranges at run time)`,
        'add `mode` static, or drop the calibration options (to compare float and int8 on data, use `validate`)',
      );
  }
  if (options.validationRows !== undefined && !options.validate)
    throw refuse(
      'OPTION_MISSING',
      '`validationRows` applies with `validate`',
      'add `validate` data.csv, or drop `validationRows`',
    );
  if (options.batchSize !== undefined && !options.validate)
    throw refuse(
      'OPTION_MISSING',
      '`batchSize` applies with `validate` (it is the number of validation rows per inference call)',
      'add `validate` data.csv, or drop `batchSize`',
    );
  if ((options.features || options.ignore) && !options.validate && !options.calibration) {
    throw refuse(
      'OPTION_MISSING',
      `${options.features ? '`features`' : '`ignore`'} maps CSV columns of \`calibration\` or \`validate\` data, and neither is given`,
    );
  }
  for (const [option, list] of [
    ['ops', options.ops],
    ['exclude', options.exclude],
    ['features', options.features],
    ['ignore', options.ignore],
  ] as const) {
    if (list && list.length === 0)
      throw refuse(
        'OPTION_INVALID',
        `\`${option}\` names nothing`,
        `pass a comma-separated list, e.g. \`${option}\` ${option === 'ops' ? 'MatMul,Gemm' : 'a,b'}`,
      );
  }
  if (options.register !== undefined) {
    // Before any work: a bad name found after the model is written would leave an output behind an exit 2.
    try {
      validateName(options.register);
    } catch (err) {
      if (err instanceof MlopsError) throw new MlopsError(err.code, `\`register\`: ${err.message}`, { hint: err.hint });
      throw err;
    }
  }
  const unknownOps = (options.ops ?? []).filter((op) => !(QUANTIZABLE_OPS as readonly string[]).includes(op));
  if (unknownOps.length) {
    const fixed = unknownOps
      .map((op) => QUANTIZABLE_OPS.find((q) => q.toLowerCase() === op.toLowerCase()))
      .filter(Boolean);
    throw refuse(
      'OPTION_INVALID',
      `\`ops\`: ${unknownOps.map((o) => `"${o}"`).join(', ')} ${unknownOps.length > 1 ? 'are not operator types' : 'is not an operator type'} quantize rewrites (it rewrites ${QUANTIZABLE_OPS.join(', ')})`,
      fixed.length === unknownOps.length ? `operator types are case-sensitive: \`ops\` ${fixed.join(',')}` : undefined,
    );
  }
}
