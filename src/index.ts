/**
 * The programmatic API: every capability as a plain async function taking an
 * options object and returning a typed result (the CLI is a thin layer over these).
 */
export { inspectModel, type InspectOptions, type InspectResult } from './check/inspect.js';
export { checkModel, type CheckOptions, type CheckResult } from './check/index.js';
export { predictBatch, type PredictBatchOptions, type PredictBatchResult } from './predict/index.js';
export { quantizeModel, type QuantizeOptions, type QuantizeResult } from './quantize/index.js';
export { detectDrift, type DriftOptions, type DriftResult } from './drift/index.js';
export { benchModel, type BenchOptions, type BenchResult } from './benchmark/index.js';
export { runChecklist, type ChecklistOptions, type ChecklistResult } from './checklist/index.js';
export * from './registry/index.js';
export {
  registerModel,
  promote,
  aliasPolicy,
  type RegisterModelOptions,
  type PromoteModelOptions,
  type AliasPolicyOptions,
} from './release/index.js';
export { ks2samp, type KsResult } from './stats/ks.js';
export { chi2Contingency } from './stats/chi2.js';
export { loadModel, type LoadedModel } from './models/load-model.js';
export { MlopsError, ExitCode, type ErrorCode } from './util/errors.js';
export { ERROR_CODES } from './util/error-codes.js';
export { FINDING_CODES, type FindingCode } from './check/finding-codes.js';
