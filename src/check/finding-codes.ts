/**
 * Every code a finding of `mlops check` can carry. `check --json` prints them
 * (`problems[].code`), so they are an API like the error codes: a finding
 * cannot be reported with a code that is not here, and docs/errors.md lists
 * them (`npm run docs:errors`). A finding can also carry an error code (an
 * MlopsError caught on load or run, e.g. RUNTIME_LOAD_FAILED).
 */
import type { Severity } from './problems.js';

export interface FindingCodeInfo {
  severity: Severity;
  /** The stage of check that reports it. */
  stage: 'structure' | 'compatibility' | 'run' | 'parity';
  meaning: string;
}

const structure = (meaning: string, severity: Severity = 'error'): FindingCodeInfo => ({
  severity,
  stage: 'structure',
  meaning,
});
const compatibility = (meaning: string, severity: Severity): FindingCodeInfo => ({
  severity,
  stage: 'compatibility',
  meaning,
});

export const FINDING_CODES = {
  MODEL_NO_IR_VERSION: structure('ir_version is not set'),
  MODEL_IR_TOO_NEW: structure('ir_version is newer than any known ONNX release'),
  MODEL_IR_UNSUPPORTED: structure('ir_version is newer than the bundled onnxruntime supports'),
  MODEL_NO_OPSET_IMPORT: structure('opset_import is empty'),
  MODEL_DUPLICATE_METADATA_KEY: structure('a metadata_props key appears more than once'),
  MODEL_NO_GRAPH: structure('the model has no graph'),
  OPSET_UNKNOWN_VERSION: structure('an imported opset version does not exist'),
  OPSET_UNSUPPORTED_BY_RUNTIME: structure('an imported opset is newer than the bundled onnxruntime supports'),
  OPSET_INVALID_VERSION: structure('an opset import has an invalid version'),
  GRAPH_NO_NAME: structure('the graph has no name (onnx.checker requires one; onnxruntime does not)', 'warning'),
  GRAPH_DUPLICATE_INPUT: structure('a graph input is declared twice'),
  GRAPH_NOT_TOPOLOGICALLY_SORTED: structure('a node reads a value before the node that produces it'),
  GRAPH_OUTPUT_NOT_PRODUCED: structure('a graph output is produced by no node, initializer or input'),
  INITIALIZER_NO_NAME: structure('an initializer has an empty name'),
  INITIALIZER_DUPLICATE: structure('an initializer is defined twice'),
  INITIALIZER_BAD_DATA: structure('the data of an initializer does not match its declared type or shape'),
  NODE_DUPLICATE_NAME: structure('a node name is used more than once', 'warning'),
  NODE_UNDEFINED_INPUT: structure('a node reads a value no node, initializer or graph input produces'),
  NODE_DUPLICATE_OUTPUT: structure('a node writes a value that is already defined'),
  NODE_NO_OP_TYPE: structure('a node has no op_type'),
  DOMAIN_NOT_IMPORTED: structure('a node uses an operator domain opset_import does not declare'),
  OP_UNKNOWN: structure('an operator is not part of its domain'),
  OP_NOT_IN_OPSET: structure('an operator first appears in a later opset than the model imports'),
  OP_CUSTOM_DOMAIN: structure('a custom operator, which onnxruntime runs only with its custom-op library'),
  BATCH_DIM_FIXED: compatibility(
    'an input fixes its batch dimension to 1, so onnxruntime refuses larger batches',
    'warning',
  ),
  INPUT_FLOAT64: compatibility('an input is float64: callers feeding float32 (the usual case) are rejected', 'warning'),
  OUTPUT_ZIPMAP: compatibility(
    "an output is scikit-learn's ZipMap, which check and predict-batch replace with its probability tensor",
    'info',
  ),
  OUTPUT_NOT_TENSOR: compatibility(
    'an output is not a tensor, which onnxruntime-node cannot return, so it is not checked',
    'warning',
  ),
  EXTERNAL_DATA: compatibility('the weights are stored in external data files that must ship with the model', 'info'),
  OUTPUT_RANK_MISMATCH: {
    severity: 'error',
    stage: 'run',
    meaning: 'an output has another rank than declared on the synthesized run',
  },
  OUTPUT_SHAPE_MISMATCH: {
    severity: 'warning',
    stage: 'run',
    meaning: 'an output has another shape than declared on the synthesized run',
  },
  OUTPUT_NONFINITE: { severity: 'error', stage: 'run', meaning: 'an output holds NaN or Inf on synthesized inputs' },
  PARITY_MISMATCH: {
    severity: 'error',
    stage: 'parity',
    meaning: 'an output differs from the expected outputs beyond the tolerance',
  },
  FEATURES_NOT_RECORDED_ORDER: {
    severity: 'warning',
    stage: 'parity',
    meaning: '`features` gives another list than the feature names recorded with the model, and is used',
  },
  IGNORE_READ_ANYWAY: {
    severity: 'warning',
    stage: 'parity',
    meaning: '`ignore` names a column the model still reads (a recorded feature or an input of that name)',
  },
  FEATURES_BY_ORDER: {
    severity: 'warning',
    stage: 'parity',
    meaning: 'input columns were mapped onto the model by their order, not by recorded feature names',
  },
} as const satisfies Record<string, FindingCodeInfo>;

export type FindingCode = keyof typeof FINDING_CODES;
