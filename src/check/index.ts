/** `mlops check`: is this exported model right? Structure, compatibility, load and run, parity. */
import path from 'node:path';
import { loadModel, type LoadedModel } from '../models/load-model.js';
import { feedInputs, opsetVersions, valueSignature } from '../onnx/graph.js';
import { toNumber, type LongLike } from '../onnx/proto.js';
import type { Tensor } from '../onnx/tensor.js';
import type { ModelSession } from '../runtime/session.js';
import { ORT_VERSION } from '../runtime/capabilities.js';
import type { MappingWarning } from '../table/column-map.js';
import { MlopsError } from '../util/errors.js';
import { MAX_BATCH_SIZE } from '../util/limits.js';
import { checkCompatibility } from './compatibility.js';
import { PARITY_BATCH_ROWS, parityCsv } from './csv-parity.js';
import { COMPARISON_RULE, compareTensors, type OutputComparison, type Tolerance } from './parity.js';
import { hasErrors, type Problem } from './problems.js';
import { SMOKE_BATCH_ROWS, smokeRun, type SmokeRun } from './smoke-run.js';
import { checkExternalData, checkStructure } from './structure.js';
import { readTestData, type TestDataSet } from './test-data.js';
import type { TableFormat } from '../table/table-format.js';

export type { Problem } from './problems.js';

export interface CheckOptions {
  /** Columns of --input feeding the model's single [N, F] input, in order. */
  features?: string[];
  /** Columns of --input that are not features (ids, labels). */
  ignore?: string[];
  /** Model path or registry reference; may be omitted when testData holds a model.onnx. */
  model?: string;
  /** The model, already loaded through models/ (a checklist loads it once for all its checks); `model` is then not read. */
  loaded?: LoadedModel;
  registry?: string;
  /** Folder in the ONNX test-data layout. */
  testData?: string;
  /** Tabular parity: input rows and the source framework's outputs. */
  input?: string;
  expected?: string;
  /** `--input-format`: read the tables as this format (a file not in it is refused); by default, by their first bytes. */
  inputFormat?: TableFormat;
  /** Feed a missing value (empty, NaN, NA...) in `input` as NaN instead of refusing it, as predict-batch does. */
  allowMissing?: boolean;
  rtol?: number;
  atol?: number;
  /** Sizes for named symbolic dims in the smoke run. */
  dims?: Record<string, number>;
  /**
   * Rows per model call, as in every command: the synthesized run tries it for symbolic dims after 1
   * (default 7: a batch other than 1 catches batch-1-only exports), and tabular parity calls the model
   * with this many rows at a time (default PARITY_BATCH_ROWS, 8,192).
   */
  batchSize?: number;
  /** @deprecated the old name of `batchSize`. */
  batch?: number;
  threads?: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-5 };

export type StageName = 'structure' | 'compatibility' | 'load' | 'run' | 'parity';
export type StageStatus = 'passed' | 'failed' | 'warning' | 'skipped';

export interface ParitySetResult {
  name: string;
  outputs: OutputComparison[];
  passed: boolean;
}

export interface ParityReport {
  source: 'test-data' | 'csv';
  rule: string;
  rtol: number;
  atol: number;
  sets: ParitySetResult[];
  passed: boolean;
}

export interface CheckResult {
  model: {
    path: string;
    sha256: string;
    size_bytes: number;
    ir_version: number;
    opsets: Record<string, number>;
    producer: string;
    /** The registry version, when the model was given as a reference. */
    registry?: { name: string; model_version: number };
  };
  runtime: { onnxruntime: string };
  passed: boolean;
  summary: { errors: number; warnings: number; infos: number };
  stages: Array<{ name: StageName; status: StageStatus }>;
  problems: Problem[];
  runs: SmokeRun[];
  parity: ParityReport | null;
}

export async function checkModel(options: CheckOptions): Promise<CheckResult> {
  checkCheckOptions(options);
  const testData = options.testData ? await readTestData(options.testData) : undefined;
  const modelPath = options.model ?? testData?.model;
  if (!modelPath && !options.loaded) {
    throw new MlopsError('OPTION_MISSING', 'no model given', {
      hint: 'pass a model file, or a `testData` folder that holds model.onnx',
    });
  }
  const loaded = options.loaded ?? (await loadModel(modelPath!, { registry: options.registry }));
  checkDims(options.dims, loaded.model, loaded.path);
  const problems: Problem[] = [...checkStructure(loaded.model), ...(await checkExternalData(loaded.model, loaded.dir))];
  problems.push(...checkCompatibility(loaded.model));
  const batchSize = options.batchSize ?? options.batch;
  const symbolicSizes = [...new Set([1, batchSize ?? SMOKE_BATCH_ROWS])];
  const smoke = await smokeRun(loaded, { dims: options.dims, symbolicSizes, threads: options.threads });
  // A problem the structure stage found (e.g. an escaping external path) also stops the load: report it once.
  const seen = new Set(problems.map((p) => `${p.code}\u0000${p.message}`));
  problems.push(
    ...smoke.problems
      .filter((p) => !seen.has(`${p.code}\u0000${p.message}`))
      .map((p) => (p.code === 'RUNTIME_LOAD_FAILED' ? { ...p, hint: loadFailureHint(problems) } : p)),
  );

  let parity: ParityReport | null = null;
  const tolerance: Tolerance = {
    rtol: options.rtol ?? DEFAULT_TOLERANCE.rtol,
    atol: options.atol ?? DEFAULT_TOLERANCE.atol,
  };
  try {
    if (smoke.session && testData) {
      parity = report(
        'test-data',
        tolerance,
        await Promise.all(testData.sets.map((set) => paritySet(smoke.session!, set, tolerance))),
      );
    } else if (smoke.session && options.input && options.expected) {
      const mapping = {
        features: options.features,
        ignore: options.ignore,
        recordedFeatures: loaded.recordedFeatures,
        onWarning: (message: string, code: MappingWarning['code'] = 'FEATURES_BY_ORDER') =>
          problems.push({
            severity: 'warning',
            stage: 'parity',
            code,
            message,
            ...(code === 'FEATURES_BY_ORDER'
              ? { hint: 'record the feature names with the model, or pass --features' }
              : {}),
          }),
      };
      parity = report('csv', tolerance, [
        await parityCsv(
          smoke.session,
          { input: options.input, expected: options.expected, format: options.inputFormat },
          { ...mapping, allowMissing: options.allowMissing },
          tolerance,
          batchSize ?? PARITY_BATCH_ROWS,
        ),
      ]);
    }
  } finally {
    await smoke.session?.release();
  }
  if (parity) {
    // Real inputs ran: a failure on synthesized inputs (shape or index tensors
    // filled with 0/1, say) says more about the synthesized data than the model.
    for (const p of problems) {
      if (p.stage === 'run' && p.severity === 'error') {
        p.severity = 'warning';
        p.message += ` (the model runs on the given ${parity.source === 'csv' ? 'CSV rows' : 'test data'}, so this only concerns synthesized inputs)`;
      }
    }
  }
  if (parity && !parity.passed) {
    for (const set of parity.sets) {
      for (const o of set.outputs.filter((x) => !x.passed)) {
        problems.push({
          severity: 'error',
          stage: 'parity',
          code: 'PARITY_MISMATCH',
          tensor: o.output,
          message: `${set.name}: output "${o.output}" differs from the expected values in ${o.mismatches} of ${o.total} elements (max abs error ${fmt(o.max_abs_error)}, max rel error ${fmt(o.max_rel_error)})${o.note ? `; ${o.note}` : ''}`,
          hint: 'the exported model does not reproduce the source framework; compare opsets and export flags, or loosen --rtol/--atol if the differences are expected',
        });
      }
    }
  }

  const loadedOk = smoke.session !== undefined;
  const status = (stage: StageName, ran: boolean): StageStatus => {
    if (!ran) return 'skipped';
    if (stage === 'load' && !loadedOk) return 'failed';
    const mine = problems.filter((p) => p.stage === stage);
    return hasErrors(mine) ? 'failed' : mine.some((p) => p.severity === 'warning') ? 'warning' : 'passed';
  };
  return {
    model: {
      path: loaded.path,
      sha256: loaded.sha256,
      size_bytes: loaded.sizeBytes,
      ir_version: toNumber(loaded.model.irVersion as LongLike),
      opsets: Object.fromEntries([...opsetVersions(loaded.model)].map(([d, v]) => [d || 'ai.onnx', v])),
      producer: [loaded.model.producerName, loaded.model.producerVersion].filter(Boolean).join(' '),
      ...(loaded.registry ? { registry: loaded.registry } : {}),
    },
    runtime: { onnxruntime: ORT_VERSION },
    passed: !hasErrors(problems),
    summary: {
      errors: problems.filter((p) => p.severity === 'error').length,
      warnings: problems.filter((p) => p.severity === 'warning').length,
      infos: problems.filter((p) => p.severity === 'info').length,
    },
    stages: [
      { name: 'structure', status: status('structure', true) },
      { name: 'compatibility', status: status('compatibility', true) },
      { name: 'load', status: status('load', true) },
      { name: 'run', status: status('run', loadedOk && smoke.runs.length > 0) },
      { name: 'parity', status: status('parity', parity !== null) },
    ],
    problems,
    runs: smoke.runs,
    parity,
  };
}

function fmt(n: number): string {
  return Number.isFinite(n) ? n.toPrecision(3) : String(n);
}

function report(source: ParityReport['source'], tolerance: Tolerance, sets: ParitySetResult[]): ParityReport {
  return { source, rule: COMPARISON_RULE, ...tolerance, sets, passed: sets.every((s) => s.passed) };
}

/** Match tensors to names: by their own names when all of them match, else by position. */
function matchByNameOrPosition(
  tensors: Tensor[],
  names: string[],
  what: string,
  where: string,
): Array<[string, Tensor]> {
  if (tensors.length && tensors.every((t) => t.name && names.includes(t.name))) return tensors.map((t) => [t.name!, t]);
  if (tensors.length > names.length) {
    throw new MlopsError(
      'TEST_DATA_MISMATCH',
      `${where} has ${tensors.length} ${what} files but the model has ${names.length} ${what}s (${names.join(', ')})`,
    );
  }
  return tensors.map((t, i) => [names[i], t]);
}

async function paritySet(session: ModelSession, set: TestDataSet, tolerance: Tolerance): Promise<ParitySetResult> {
  const inputs = matchByNameOrPosition(
    set.inputs,
    session.inputs.map((i) => i.name),
    'input',
    set.dir,
  );
  const outputs = matchByNameOrPosition(
    set.outputs,
    session.tensorOutputs.map((o) => o.name),
    'output',
    set.dir,
  );
  const missing = session.inputs.filter((i) => !inputs.some(([n]) => n === i.name)).map((i) => i.name);
  if (missing.length)
    throw new MlopsError(
      'TEST_DATA_MISMATCH',
      `${set.dir} has no data for model input${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
    );
  const actual = await session.run(
    Object.fromEntries(inputs),
    outputs.map(([n]) => n),
  );
  const comparisons = outputs.map(([name, expected]) => compareTensors(name, actual[name], expected, tolerance));
  return { name: path.basename(set.dir), outputs: comparisons, passed: comparisons.every((c) => c.passed) };
}

/** Flag combinations that would otherwise be silently ignored. */
function checkCheckOptions(options: CheckOptions): void {
  if (options.batchSize !== undefined && options.batch !== undefined)
    throw new MlopsError('OPTIONS_CONFLICT', '`batch` is the old name of `batchSize`: pass one');
  const batchSize = options.batchSize ?? options.batch;
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE))
    throw new MlopsError(
      'OPTION_INVALID',
      `\`batchSize\` must be an integer from 1 to ${MAX_BATCH_SIZE} rows per model call (got ${batchSize})`,
    );
  if ((options.input === undefined) !== (options.expected === undefined)) {
    throw new MlopsError(
      'OPTION_MISSING',
      '`input` and `expected` go together: input rows and the outputs the source framework gave for them',
    );
  }
  if (options.testData && options.input) {
    throw new MlopsError(
      'OPTIONS_CONFLICT',
      '`testData` and `input`/`expected` are two ways to give parity data: pass one',
      { hint: 'run check twice to compare against both' },
    );
  }
  const mapping = options.features ? '`features`' : options.ignore ? '`ignore`' : undefined;
  if (options.allowMissing && !options.input)
    throw new MlopsError('OPTION_MISSING', '`allowMissing` applies to the rows of `input`, which is not given', {
      hint: 'add `input` rows.csv `expected` outputs.csv, or drop it',
    });
  if (mapping && !options.input)
    throw new MlopsError('OPTION_MISSING', `${mapping} maps columns of \`input\`, which is not given`, {
      hint: 'add `input` rows.csv `expected` outputs.csv, or drop it',
    });
}

/** `--dim name=8` for a dim the model does not have would be silently ignored. */
function checkDims(
  dims: Record<string, number> | undefined,
  model: Parameters<typeof opsetVersions>[0],
  file: string,
): void {
  if (!dims || !model.graph) return;
  const symbolic = new Set(
    feedInputs(model.graph)
      .map(valueSignature)
      .flatMap((i) => (i.shape ?? []).filter((d): d is string => typeof d === 'string')),
  );
  const unknown = Object.keys(dims).filter((d) => !symbolic.has(d));
  if (unknown.length) {
    throw new MlopsError(
      'DIM_UNKNOWN',
      `\`dims\`: ${file} has no symbolic dim ${unknown.map((u) => `"${u}"`).join(', ')} (${symbolic.size ? `its symbolic dims: ${[...symbolic].join(', ')}` : 'its inputs have no named symbolic dims'})`,
      {
        hint: symbolic.size
          ? 'name one of those dims, e.g. `dims` ' + [...symbolic][0] + '=8'
          : 'drop `dims`; `batchSize` sets the size of unnamed dims',
      },
    );
  }
}

/**
 * The session layer's generic hint says "run mlops check", which is what is
 * running: point at the findings above, or say what is left when there are none.
 */
function loadFailureHint(found: Problem[]): string {
  const errors = [...new Set(found.filter((p) => p.severity === 'error').map((p) => p.code))];
  if (errors.length)
    return `fix the structural errors above (${errors.join(', ')}) first: onnxruntime refuses models that have them`;
  return `onnxruntime ${ORT_VERSION} rejects a model that passes the structural checks; its message names the node or type it refuses: re-export without it or with another opset, and check the model loads in Python's onnxruntime ${ORT_VERSION}`;
}
