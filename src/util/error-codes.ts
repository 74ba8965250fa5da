/**
 * Every code an MlopsError can carry, with its exit code and meaning. `--json`
 * prints `error.code`, so these are an API: scripts match on them. A code
 * cannot be thrown unless it is here (MlopsError's code is typed by this
 * object), and docs/errors.md is generated from it (`npm run docs:errors`).
 * Rename or remove a code only as a breaking change.
 */

/** 0 ok, 1 the command ran and found a failure, 2 usage or input error, 3 internal error. */
export type ErrorExit = 0 | 1 | 2 | 3;

export type ErrorArea =
  | 'usage'
  | 'model'
  | 'runtime'
  | 'table'
  | 'input'
  | 'output'
  | 'predict'
  | 'check'
  | 'quantize'
  | 'drift'
  | 'checklist'
  | 'bench'
  | 'registry'
  | 'internal';

export interface ErrorCodeInfo {
  area: ErrorArea;
  exit: ErrorExit;
  meaning: string;
}

/** Headings of the areas in docs/errors.md, in the order they appear there. */
export const ERROR_AREAS: Record<ErrorArea, string> = {
  usage: 'Options and command line',
  model: 'Model files',
  runtime: 'Running the model (onnxruntime)',
  table: 'Tables (CSV input)',
  input: 'Mapping data onto model inputs',
  output: 'Output files',
  predict: 'predict-batch',
  check: 'check',
  quantize: 'quantize',
  drift: 'drift',
  checklist: 'checklist',
  bench: 'bench',
  registry: 'Registry',
  internal: 'Internal',
};

const usage = (meaning: string): ErrorCodeInfo => ({ area: 'usage', exit: 2, meaning });
const model = (meaning: string): ErrorCodeInfo => ({ area: 'model', exit: 2, meaning });
const runtime = (meaning: string): ErrorCodeInfo => ({ area: 'runtime', exit: 2, meaning });
const table = (meaning: string): ErrorCodeInfo => ({ area: 'table', exit: 2, meaning });
const input = (meaning: string): ErrorCodeInfo => ({ area: 'input', exit: 2, meaning });
const output = (meaning: string): ErrorCodeInfo => ({ area: 'output', exit: 2, meaning });
const predict = (meaning: string): ErrorCodeInfo => ({ area: 'predict', exit: 2, meaning });
const check = (meaning: string): ErrorCodeInfo => ({ area: 'check', exit: 2, meaning });
const quantize = (meaning: string): ErrorCodeInfo => ({ area: 'quantize', exit: 2, meaning });
const drift = (meaning: string): ErrorCodeInfo => ({ area: 'drift', exit: 2, meaning });
const checklist = (meaning: string): ErrorCodeInfo => ({ area: 'checklist', exit: 2, meaning });
const registry = (meaning: string): ErrorCodeInfo => ({ area: 'registry', exit: 2, meaning });

export const ERROR_CODES = {
  // Options and command line
  USAGE: usage(
    'the command line cannot be parsed: an unknown flag or command, or a missing argument (a flag given twice takes its last value)',
  ),
  OPTION_MISSING: usage('an option the command needs is not given, alone or as the companion another option needs'),
  OPTION_INVALID: usage('an option has a value that is malformed or out of range'),
  OPTIONS_CONFLICT: usage('options that cannot be combined were given together'),
  ENV_INVALID: usage(
    'an environment variable mlops reads (MLOPS_MAX_ROW_BYTES, an array-job index) holds an invalid value',
  ),

  // Model files
  MODEL_NOT_FOUND: model('the model file (or a registry reference to it) does not exist'),
  MODEL_UNREADABLE: model('the model file cannot be read (permissions)'),
  MODEL_TOO_LARGE: model('the file is over the 2 GiB protobuf limit, so it cannot be a single-file ONNX model'),
  ONNX_DECODE_FAILED: model('the file is empty, truncated or not an ONNX protobuf'),
  EXTERNAL_DATA_INVALID: model('a tensor marked as external data has no usable location'),
  EXTERNAL_DATA_MISSING: model('an external data file the model names does not exist'),
  EXTERNAL_DATA_OUTSIDE_MODEL_DIR: model("an external data path points outside the model's folder"),
  EXTERNAL_DATA_TRUNCATED: model('an external data file is shorter than the offset and length a tensor names'),
  TENSOR_BAD_DATA: model("a tensor's data does not match its declared type or shape"),
  TENSOR_UNSUPPORTED_TYPE: model('a tensor has a data type mlops cannot read'),

  // Running the model
  RUNTIME_LOAD_FAILED: runtime('onnxruntime refused to load the model'),
  RUNTIME_RUN_FAILED: runtime('onnxruntime failed while running the model'),
  RUNTIME_BAD_INPUT: runtime('onnxruntime rejected an input tensor (type or shape)'),

  // Tables
  CSV_NOT_FOUND: table('a CSV file (or a folder or pattern of them) does not exist or matches nothing'),
  CSV_NOT_A_FILE: table('the input is a pipe, a device or stdin, which cannot be read by position'),
  CSV_UNREADABLE: table('a CSV file cannot be read'),
  CSV_NOT_TEXT: table('the file is binary (gzip, Parquet, Excel...), not comma-separated text'),
  CSV_EMPTY: table('the file has no header or no data rows'),
  CSV_BAD_HEADER: table('a header column (or a Parquet column) is unnamed or named twice'),
  CSV_DELIMITER: table('the header is one column: the file is not comma-separated'),
  CSV_LINE_ENDINGS: table('lines end in a lone carriage return, which mlops does not read'),
  CSV_PARSE_ERROR: table('the CSV cannot be parsed (an unclosed quote, a quote inside an unquoted field)'),
  CSV_BAD_ROW: table('a row has the wrong number of fields or a value the model input cannot take'),
  CSV_BAD_VALUE: table('a cell is not a value of the type its column needs'),
  CSV_ROW_TOO_LONG: table('a row is longer than the row-size limit (MLOPS_MAX_ROW_BYTES)'),
  CSV_COLUMNS_MISSING: table('a column the model or an option needs is not in the file'),
  CSV_FEATURE_COUNT: table("the number of feature columns differs from the model input's width"),
  CSV_EXPECTED_COLUMNS: table('the expected-outputs CSV has a different number of columns than the model produces'),
  CSV_EXPECTED_ROWS: table('the expected-outputs CSV has a different number of rows than the input CSV'),
  PARQUET_UNREADABLE: table('a Parquet file cannot be read (truncated, not Parquet, an unsupported encoding)'),
  PARQUET_COLUMN_UNSUPPORTED: table('a nested, list or map Parquet column is used where a value per cell is needed'),
  PARQUET_NOT_SEEKABLE: table('Parquet was given on stdin or written to stdout, which needs a seekable file'),
  TABLE_FORMAT_MISMATCH: table('--input-format names a format the file is not in'),

  // Mapping data onto model inputs
  FEATURE_COUNT: input('a feature list names a different number of features than the model input takes'),
  FEATURES_INVALID: input('a feature list is empty, names a column twice, or holds a name a list cannot store'),
  FEATURES_NOT_APPLICABLE: input('a feature list was given for a model whose inputs each read their own column'),
  INPUT_NOT_TENSOR: input('a model input is a sequence or map, not a tensor'),
  INPUT_SHAPE_UNSUPPORTED: input('a model input has a shape that cannot be fed from table rows'),
  INPUT_UNKNOWN_RANK: input('a model input declares no shape, so inputs cannot be synthesized'),
  INPUT_UNSUPPORTED_TYPE: input('a model input has an element type that cannot be read or synthesized'),
  DIM_UNKNOWN: input('a dimension size is given for a symbolic dimension the model does not have'),
  SAMPLES_NOT_FOUND: input('calibration or validation data does not exist'),
  SAMPLES_EMPTY: input('calibration or validation data has no rows, or fewer than the fixed batch size'),
  SAMPLES_INVALID: input('calibration or validation tensors do not match the model inputs, or cannot be read'),
  SAMPLES_NONFINITE: input('calibration data holds NaN or Inf'),

  // Output files
  OUTPUT_EXISTS: output('the output file exists and overwriting it was not asked for'),
  OUTPUT_IS_FOLDER: output('the output path is a folder, not a file'),
  OUTPUT_DIR_MISSING: output('the output folder does not exist, is not a folder, or cannot be created'),
  OUTPUT_NOT_WRITABLE: output('the output cannot be created where it was asked for'),
  OUTPUT_WRITE_FAILED: output(
    'writing the output failed (disk full, I/O error, read-only file system); nothing was written',
  ),
  OUTPUT_READER_GONE: {
    area: 'output',
    exit: 0,
    meaning: 'the reader of the output pipe went away (`| head`): the command stops quietly',
  },
  OUTPUT_CLASH: output('two outputs of one run would be the same file'),
  OUTPUT_IS_INPUT: output('an output is one of the inputs; writing it would destroy the input'),
  OUTPUT_IN_REGISTRY: output('an output is inside the model registry, whose stored files are immutable'),
  OUTPUT_NOT_PER_ROW: output('a model output has no row per input row, so it cannot be written as CSV columns'),
  OUTPUT_TYPE_UNSUPPORTED: output('a model output has an element type that cannot be written as CSV or Parquet'),
  PARQUET_COLUMN_NAMES: output(
    'two columns of a Parquet output differ only in case (id, ID), which DuckDB, the Parquet writer, cannot tell apart',
  ),

  // predict-batch
  TOO_MANY_REJECTS: {
    area: 'predict',
    exit: 1,
    meaning: 'more rows were rejected than the allowed maximum; no predictions were written',
  },
  SHARD_INVALID: predict('a shard spec is malformed, out of range, or contradicts the shard count'),
  SHARD_INDEX_MISSING: predict('a shard count is given but no array-job index says which shard this is'),
  SHARD_UNSAFE: predict('the input cannot be split into shards safely (a quoted field spans lines)'),

  // check
  TEST_DATA_NOT_FOUND: check('the test-data folder holds no test_data_set_N folders'),
  TEST_DATA_INVALID: check('a test-data file is not a serialized TensorProto'),
  TEST_DATA_MISMATCH: check('the test data does not match the model inputs or outputs'),

  // quantize
  QUANTIZE_NO_CALIBRATION: quantize('static quantization was asked for without calibration data'),
  QUANTIZE_NOTHING: quantize('the model has no weights quantize can rewrite'),
  QUANTIZE_UNKNOWN_NODE: quantize('a node to leave in float is not in the model'),
  QUANTIZE_OPSET_TOO_OLD: quantize('the model imports an opset older than int8 operators need'),
  QUANTIZE_EXTERNAL_DATA: quantize('the weights are stored in external data files, which quantize does not read'),
  QUANTIZE_NOTHING_CHECKED: quantize(
    "the float model's outputs are NaN/Inf on every row, so the int8 model cannot be checked",
  ),
  QUANTIZE_NONFINITE: {
    area: 'quantize',
    exit: 1,
    meaning: "the int8 model gives NaN/Inf where the float model's output is finite; nothing was written",
  },
  QUANTIZE_BROKEN_OUTPUT: {
    area: 'quantize',
    exit: 3,
    meaning: 'the quantized model does not run (a bug in mlops); nothing was written',
  },

  // drift
  DRIFT_EMPTY_INPUT: drift('the reference or current data has no data rows'),
  DRIFT_NO_COMMON_COLUMNS: drift('the reference and current data have no column in common'),
  DRIFT_NOTHING_TESTED: drift('no column could be tested (too few values), so there is no verdict'),

  // checklist
  CHECKLIST_CONFIG: checklist(
    'the checklist file is malformed (the message names the path of the bad entry), or an acknowledged id is not a manual check in it',
  ),
  CHECKLIST_NOT_REGISTERED: checklist('a registry check was asked for a model file, not a registry reference'),
  CHECKLIST_NOT_CLASSIFIER: checklist('an agreement check needs a classifier output ([N, K] scores)'),
  CHECKLIST_OUTPUT: checklist('the model has no output the quality metric can score'),

  // bench
  BENCH_FIXED_BATCH: {
    area: 'bench',
    exit: 2,
    meaning: 'the model has a fixed batch dimension, so it cannot run the batch size asked for',
  },

  // Registry
  REGISTRY_NOT_FOUND: registry('the registry folder does not exist'),
  REGISTRY_NOT_A_FOLDER: registry('the registry path, or a folder on the way to it, is not a folder'),
  REGISTRY_NOT_WRITABLE: registry('the registry cannot be written (permissions, read-only file system)'),
  REGISTRY_UNREADABLE: registry('a registry file cannot be read'),
  REGISTRY_CORRUPT: registry(
    "a line of a model's history or of the alias policies is not a valid event (edited by hand or damaged)",
  ),
  REGISTRY_EMPTY: registry('the registry holds no registered models'),
  REGISTRY_BAD_NAME: registry('a model or alias name is not valid'),
  REGISTRY_BAD_REF: registry('a reference (name@version or name@alias) is not valid'),
  REGISTRY_MODEL_NOT_FOUND: registry('no model of that name is registered'),
  REGISTRY_VERSION_NOT_FOUND: registry('the model has no such version'),
  REGISTRY_VERSION_REQUIRED: registry('the operation needs an explicit version (name@version)'),
  REGISTRY_ALIAS_NOT_FOUND: registry('the model has no such alias'),
  REGISTRY_ALIAS_HELD: registry('a version cannot be archived while an alias points at it'),
  REGISTRY_ARCHIVED: registry('the version is archived and cannot be used this way'),
  REGISTRY_DUPLICATE: registry('these bytes are already registered with different features'),
  REGISTRY_INVALID_MODEL: registry('the file is not a valid ONNX model, so it is not registered'),
  REGISTRY_EXTERNAL_DATA: registry('the model keeps weights in external data files, which the registry does not store'),
  REGISTRY_TAMPERED: registry('a stored model file is missing or its bytes changed since it was registered'),
  REGISTRY_CHANGED: registry('the registry changed under the operation (another process); nothing was changed'),
  REGISTRY_LOCKED: registry('timed out waiting for the lock another mlops process holds'),
  REGISTRY_LOCK_LOST: registry('the lock was broken as stale while this process held it; nothing was changed'),
  REGISTRY_STAGING_LOST: registry('another process removed a staged copy before it was registered'),
  REGISTRY_URL_INVALID: registry('the postgres:// registry URL cannot be parsed (host, port, sslmode)'),
  REGISTRY_UNREACHABLE: registry('the PostgreSQL server cannot be reached, or went away during the command'),
  REGISTRY_AUTH_FAILED: registry('PostgreSQL refused the login (user, password, database, pg_hba.conf)'),
  REGISTRY_TLS_FAILED: registry(
    'the TLS connection sslmode asks for cannot be made (the server has no TLS, or its certificate is not trusted)',
  ),
  REGISTRY_PERMISSION_DENIED: registry(
    'the database role may not do this (a read-only role that registers or promotes)',
  ),
  REGISTRY_SCHEMA_MISSING: registry(
    "the connection's search_path names no schema that exists, so the registry has nowhere to live",
  ),
  REGISTRY_DATABASE_NOT_FOUND: registry('the database the registry URL names does not exist on the server'),
  REGISTRY_SCHEMA_OLD: registry('the database holds an older registry schema: run mlops registry migrate'),
  REGISTRY_SCHEMA_NEWER: registry('the database was written by a newer mlops; this one does not change it'),
  REGISTRY_TIMEOUT: registry('a PostgreSQL statement or lock wait timed out; nothing was changed'),
  REGISTRY_BUSY: registry(
    'PostgreSQL kept aborting the transaction (serialization failures, deadlocks); nothing was changed',
  ),
  REGISTRY_COMMIT_UNKNOWN: registry('the connection was lost while committing: the change may or may not be recorded'),
  REGISTRY_DATABASE_ERROR: registry(
    'the PostgreSQL server cannot do the work now (out of disk, memory or connections)',
  ),
  REGISTRY_CACHE_UNWRITABLE: registry('the local cache of model bytes cannot be written (MLOPS_CACHE_DIR)'),
  REGISTRY_COPY_DIVERGED: registry('a model exists in both registries and neither history extends the other'),
  REGISTRY_COPY_SAME: registry('`registry copy` was asked to copy a registry onto itself'),
  REGISTRY_SOURCE_CHANGED: registry('the model file changed while it was being registered; nothing was registered'),
  REGISTRY_ROLLBACK_TARGET: registry('the alias never pointed at the version to roll back to'),
  REGISTRY_NOTHING_TO_ROLL_BACK: registry('the alias is at the first version of its history'),
  REGISTRY_PROMOTION_ORDER: {
    area: 'registry',
    exit: 1,
    meaning: 'the version has not passed through the aliases the policy requires first',
  },
  REGISTRY_GATE_FAILED: {
    area: 'registry',
    exit: 1,
    meaning: 'the checklist of the alias policy failed, so the version was not promoted',
  },
  REGISTRY_POLICY_INVALID: registry('the alias policy could never be met (an alias that requires itself)'),
  REGISTRY_POLICY_CHECKLIST_MISSING: registry('the checklist an alias policy needs is not where the policy says'),
  REGISTRY_POLICY_CHECKLIST_CHANGED: registry('the checklist an alias policy needs changed since the policy was set'),

  // Internal
  INTERNAL: {
    area: 'internal',
    exit: 3,
    meaning: 'a bug in mlops: not an MlopsError; the stack is printed (only ever in --json output)',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;
