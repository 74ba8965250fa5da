/**
 * Flag values and combinations quantize refuses before any work, named as the
 * user typed them. The CLI's parsers reject non-numbers; this also guards the
 * programmatic API, where a percentile of 200 once produced an all-NaN model.
 */
import { MlopsError } from '../util/errors.js';
import { validateName } from '../registry/names.js';
import type { QuantizeOptions } from './index.js';

/** Operator types quantize knows how to rewrite. */
export const QUANTIZABLE_OPS = ['MatMul', 'Gemm', 'Conv'] as const;

/** Rows per inference call in predict-batch (its --batch-size default); validation batches the same way. */
export const PREDICT_BATCH_SIZE = 4096;

function usage(message: string, hint?: string): MlopsError {
  return new MlopsError('USAGE', message, { hint });
}

function positiveInteger(flag: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) throw usage(`${flag} must be a whole number >= 1 (got ${value})`);
}

export function checkQuantizeOptions(options: QuantizeOptions): void {
  const mode = options.mode ?? 'dynamic';
  if (mode !== 'dynamic' && mode !== 'static') throw usage(`--mode must be dynamic or static (got ${String(mode)})`);
  if (options.calibrate !== undefined && options.calibrate !== 'minmax' && options.calibrate !== 'percentile') {
    throw usage(`--calibrate must be minmax or percentile (got ${String(options.calibrate)})`);
  }
  positiveInteger('--calibration-rows', options.calibrationRows);
  positiveInteger('--validation-rows', options.validationRows);
  positiveInteger('--min-elements', options.minElements);
  positiveInteger('--threads', options.threads);
  positiveInteger('--batch-size', options.batchSize);
  if (options.percentile !== undefined) {
    // The range kept is [100 - p, p] percent: p <= 50 inverts it, p > 100 reads past the data (NaN ranges).
    const p = options.percentile;
    if (!(Number.isFinite(p) && p > 50 && p <= 100)) {
      throw usage(`--percentile must be a number above 50 and at most 100 (got ${p})`, 'it is the upper percentile of activation values kept, e.g. 99.999; the lower one is 100 - p');
    }
    if (options.calibrate !== 'percentile') throw usage('--percentile applies with --calibrate percentile', 'add --calibrate percentile, or drop --percentile');
  }
  if (mode === 'dynamic') {
    // Dynamic mode computes activation ranges at run time: calibration flags would be silently ignored.
    const staticOnly = ([['--calibration', options.calibration], ['--calibration-rows', options.calibrationRows], ['--calibrate', options.calibrate], ['--percentile', options.percentile]] as const)
      .filter(([, v]) => v !== undefined).map(([flag]) => flag);
    if (staticOnly.length) throw usage(`${staticOnly.join(', ')} ${staticOnly.length > 1 ? 'apply' : 'applies'} to --mode static only (dynamic mode computes activation ranges at run time)`, 'add --mode static, or drop the calibration flags (to compare float and int8 on data, use --validate)');
  }
  if (options.validationRows !== undefined && !options.validate) throw usage('--validation-rows applies with --validate', 'add --validate data.csv, or drop --validation-rows');
  if (options.batchSize !== undefined && !options.validate) throw usage('--batch-size applies with --validate (it is the number of validation rows per inference call)', 'add --validate data.csv, or drop --batch-size');
  if ((options.features || options.ignore) && !options.validate && !options.calibration) {
    throw usage(`${options.features ? '--features' : '--ignore'} maps CSV columns of --calibration or --validate data, and neither is given`);
  }
  if (options.features && options.ignore) throw usage('--features and --ignore are alternatives: --features lists the feature columns, --ignore leaves columns out of all the others', 'pass only one of them');
  for (const [flag, list] of [['--ops', options.ops], ['--exclude-nodes', options.exclude], ['--features', options.features], ['--ignore', options.ignore]] as const) {
    if (list && list.length === 0) throw usage(`${flag} names nothing`, `pass a comma-separated list, e.g. ${flag} ${flag === '--ops' ? 'MatMul,Gemm' : 'a,b'}`);
  }
  if (options.register !== undefined) {
    // Before any work: a bad name found after the model is written would leave an output behind an exit 2.
    try {
      validateName(options.register);
    } catch (err) {
      if (err instanceof MlopsError) throw new MlopsError(err.code, `--register: ${err.message}`, { hint: err.hint });
      throw err;
    }
  }
  const unknownOps = (options.ops ?? []).filter((op) => !(QUANTIZABLE_OPS as readonly string[]).includes(op));
  if (unknownOps.length) {
    const fixed = unknownOps.map((op) => QUANTIZABLE_OPS.find((q) => q.toLowerCase() === op.toLowerCase())).filter(Boolean);
    throw usage(`--ops: ${unknownOps.map((o) => `"${o}"`).join(', ')} ${unknownOps.length > 1 ? 'are not operator types' : 'is not an operator type'} quantize rewrites (it rewrites ${QUANTIZABLE_OPS.join(', ')})`, fixed.length === unknownOps.length ? `operator types are case-sensitive: --ops ${fixed.join(',')}` : undefined);
  }
}
