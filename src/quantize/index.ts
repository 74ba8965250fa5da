/** `mlops quantize`: int8 quantization (dynamic or static QDQ) with a report that says what happened. */
import path from 'node:path';
import { decodeModel, hasExternalData } from '../onnx/load-model.js';
import { loadModel, type LoadedModel } from '../models/load-model.js';
import { opsetVersions } from '../onnx/graph.js';
import { removeDeadCode, uniqueNamer } from '../onnx/graph-edit.js';
import { encodeModel, type NodeProto } from '../onnx/proto.js';
import { sha256Bytes } from '../util/hash.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { guardOutputs } from '../util/output-guard.js';
import { registryRoot } from '../registry/folder-store.js';
import { checkCanRegister } from '../registry/context.js';
import { MlopsError } from '../util/errors.js';
import { rewriteDynamic, WeightCache, type QuantizedNode } from './dynamic.js';
import { findTargets, type Skipped } from './targets.js';
import { readSamples } from './samples.js';
import { calibrate, rewriteStatic, type CalibrationMethod } from './static.js';
import { compareQuantized, type ValidationReport } from './validate.js';
import { findNewNonFinite, refuseNonFinite, SYNTHESIZED_SOURCE, type FiniteCheck } from './finite-check.js';
import { checkQuantizeOptions, PREDICT_BATCH_SIZE } from './options.js';
import { nodeName } from './targets.js';
import { closeMatches } from '../util/close-matches.js';
import type { TableFormat } from '../table/table-format.js';

export interface QuantizeOptions {
  model: string;
  registry?: string;
  output: string;
  mode?: 'dynamic' | 'static';
  /** CSV or folder of .pb/.npy tensors (static mode). */
  calibration?: string;
  calibrationRows?: number;
  calibrate?: CalibrationMethod;
  percentile?: number;
  perChannel?: boolean;
  reduceRange?: boolean;
  /** Operator types to quantize (default MatMul, Gemm; Conv too in static mode). */
  ops?: string[];
  /** Node names to leave in float. */
  exclude?: string[];
  /** Leave weights with fewer elements than this in float. */
  minElements?: number;
  /** CSV or tensor folder to compare float and int8 on. */
  validate?: string;
  /** `--input-format`: read calibration and validation tables as this format (a file not in it is refused); by default, by their first bytes. */
  inputFormat?: TableFormat;
  validationRows?: number;
  /** Validation rows per inference call, as predict-batch --batch-size (default: its default, PREDICT_BATCH_SIZE). */
  batchSize?: number;
  /** CSV column mapping for calibration and validation data. */
  features?: string[];
  ignore?: string[];
  /** Register the result as a new version of this model. */
  register?: string;
  threads?: number;
}

export interface QuantizeResult {
  source: { path: string; sha256: string; size_bytes: number; registry?: { name: string; model_version: number } };
  output: { path: string; sha256: string; size_bytes: number };
  size_ratio: number;
  mode: 'dynamic' | 'static';
  per_channel: boolean;
  reduce_range: boolean;
  quantized: QuantizedNode[];
  skipped: Skipped[];
  calibration: { source: string; rows: number; method: CalibrationMethod; tensors: number } | null;
  validation: ValidationReport | null;
  /** The rows the int8 model was run on to make sure it outputs no NaN/Inf where the float model does not. */
  finite_check: FiniteCheck;
  warnings: string[];
  registered: { name: string; model_version: number } | null;
  duration_ms: number;
}

export async function quantizeModel(options: QuantizeOptions): Promise<QuantizeResult> {
  const started = performance.now();
  checkQuantizeOptions(options);
  const mode = options.mode ?? 'dynamic';
  if (mode === 'static' && !options.calibration) {
    throw new MlopsError('QUANTIZE_NO_CALIBRATION', 'static quantization needs calibration data', {
      hint: 'pass `calibration` data.csv (or a folder of .pb/.npy tensors), or use `mode` dynamic',
    });
  }
  await guardOutputs(
    [{ path: options.output, what: '--output' }],
    [
      { path: options.model, what: 'the model' },
      ...(options.calibration ? [{ path: options.calibration, what: 'the calibration data' }] : []),
      ...(options.validate ? [{ path: options.validate, what: 'the validation data' }] : []),
    ],
    { registries: [registryRoot(options.registry)] },
  );
  if (options.register) await checkCanRegister({ registry: options.registry }, '`register`');
  const loaded = await loadModel(options.model, { registry: options.registry });
  if (hasExternalData(loaded.model)) {
    throw new MlopsError('QUANTIZE_EXTERNAL_DATA', `${loaded.path} keeps its weights in external data files`, {
      hint: 'save it as a single file first: onnx.save(onnx.load(path), out, save_as_external_data=False) (models up to 2 GiB)',
    });
  }
  const model = decodeModel(loaded.bytes, loaded.path); // a private copy to rewrite
  const graph = model.graph!;
  const opset = opsetVersions(model).get('') ?? 0;
  if (opset < 11) {
    throw new MlopsError(
      'QUANTIZE_OPSET_TOO_OLD',
      `${loaded.path} imports ai.onnx opset ${opset}; int8 operators need opset 11 or newer (13 for per-channel)`,
      { hint: 'export with opset_version=13 or newer' },
    );
  }
  checkExcludedNodes(options.exclude ?? [], graph.node ?? [], loaded.path);
  const ops = new Set(options.ops ?? (mode === 'static' ? ['MatMul', 'Gemm', 'Conv'] : ['MatMul', 'Gemm']));
  const { targets, skipped } = findTargets(graph, {
    ops,
    exclude: new Set(options.exclude ?? []),
    minElements: options.minElements ?? 0,
  });
  if (targets.length === 0) {
    throw new MlopsError(
      'QUANTIZE_NOTHING',
      `no weights to quantize in ${loaded.path}${skipped.length ? `: ${skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}` : ': it has no MatMul, Gemm or Conv with constant float32 weights'}`,
      {
        hint:
          mode === 'dynamic' && skipped.some((s) => s.op_type === 'Conv')
            ? 'Conv is left in float in dynamic mode (ConvInteger is slow on CPU); use `mode` static, or `ops` Conv to force it'
            : undefined,
      },
    );
  }
  const warnings: string[] = [];
  if (mode === 'dynamic' && !options.ops && (graph.node ?? []).some((n) => n.opType === 'Conv')) {
    warnings.push(
      'Conv nodes stay in float in dynamic mode: ConvInteger is many times slower than float Conv on CPU (set `ops` to include Conv to force it, or use `mode` static)',
    );
  }
  const unique = uniqueNamer(graph);
  const weights = new WeightCache(graph, unique);
  let quantized: QuantizedNode[] = [];
  let calibration: QuantizeResult['calibration'] = null;
  let calibrationSamples: Awaited<ReturnType<typeof readSamples>> | undefined;
  const rewriteOptions = {
    perChannel: options.perChannel ?? false,
    reduceRange: options.reduceRange ?? false,
    opset,
    unique,
  };
  if (options.perChannel && opset < 13)
    warnings.push(
      `per-channel DequantizeLinear needs opset 13 (the model has ${opset}): weights on the left and QDQ weights use one scale per tensor`,
    );

  if (mode === 'dynamic') {
    const byNode = new Map<NodeProto, (typeof targets)[number]>(targets.map((t) => [t.node, t]));
    const activations = new Map<string, [string, string, string]>();
    const nodes: NodeProto[] = [];
    for (const node of graph.node ?? []) {
      const target = byNode.get(node);
      if (!target) {
        nodes.push(node);
        continue;
      }
      const rewritten = rewriteDynamic(graph, target, rewriteOptions, weights, activations);
      nodes.push(...rewritten.nodes);
      quantized.push(rewritten.report);
    }
    graph.node = nodes;
  } else {
    const samples = await readSamples(options.calibration!, loaded, {
      rows: options.calibrationRows ?? 1000,
      features: options.features,
      ignore: options.ignore,
      what: 'calibration',
      format: options.inputFormat,
      onWarning: (m) => warnings.push(m),
    });
    calibrationSamples = samples;
    const ranges = await calibrate(loaded, targets, samples, {
      method: options.calibrate ?? 'minmax',
      percentile: options.percentile ?? 99.999,
      threads: options.threads,
    });
    calibration = {
      source: samples.source,
      rows: samples.rows,
      method: options.calibrate ?? 'minmax',
      tensors: ranges.size,
    };
    quantized = rewriteStatic(graph, targets, ranges, rewriteOptions, weights);
  }
  removeDeadCode(graph);
  const bytes = encodeModel(model);
  await checkRuns(bytes, loaded);

  // NaN/Inf check on the best rows at hand: validation data, else calibration data, else synthesized inputs.
  let validation: ValidationReport | null = null;
  let finiteCheck: FiniteCheck;
  if (options.validate) {
    const batchSize = options.batchSize ?? PREDICT_BATCH_SIZE;
    const samples = await readSamples(options.validate, loaded, {
      rows: options.validationRows ?? 5000,
      features: options.features,
      ignore: options.ignore,
      what: 'validation',
      format: options.inputFormat,
      batchSize,
      onWarning: (m) => warnings.includes(m) || warnings.push(m),
    });
    const validated = await compareQuantized(loaded, bytes, samples, { threads: options.threads, batchSpread: true });
    finiteCheck = { data: 'validation', source: samples.source, rows: samples.rows, finite_rows: validated.tested };
    refuseNonFinite(validated.nonfinite, finiteCheck, validated.tested, mode);
    validation = validated.report;
    if (mode === 'dynamic' && !samples.fixedBatch && samples.rows < batchSize) {
      warnings.push(
        `validation ran ${samples.rows} rows, fewer than the batch size ${batchSize}: the batch spread is measured on calls of ${samples.rows} rows and understates what batches of ${batchSize} give; pass more rows (\`validationRows\`)`,
      );
    }
    if (validation.speedup < 1)
      warnings.push(
        `the int8 model is slower than the float one on the validation data (${validation.speedup.toFixed(2)}x): keep the float model, or try the other \`mode\``,
      );
  } else {
    const { found, rows, tested } = await findNewNonFinite(loaded, bytes, calibrationSamples?.batches, options.threads);
    finiteCheck = calibrationSamples
      ? { data: 'calibration', source: calibrationSamples.source, rows, finite_rows: tested }
      : { data: 'synthesized', source: SYNTHESIZED_SOURCE, rows, finite_rows: tested };
    refuseNonFinite(found, finiteCheck, tested, mode);
  }
  const output = path.resolve(options.output);
  await writeFileAtomic(output, bytes);

  let registered: QuantizeResult['registered'] = null;
  if (options.register) {
    // No alias moves here, so no checklist gate applies (release/ is for those; it would import the checklist, which imports quantize).
    const { registerCheckedModel: registerModel } = await import('../check/registrable.js');
    const metrics: Record<string, number> = { size_ratio: bytes.length / loaded.sizeBytes };
    if (validation) {
      metrics.speedup = validation.speedup;
      validation.outputs.forEach((o) => {
        metrics[`${o.output}_max_abs_diff`] = o.max_abs_diff;
        if (o.argmax_agreement !== null) metrics[`${o.output}_argmax_agreement`] = o.argmax_agreement;
        if (o.batch_spread !== null) metrics[`${o.output}_batch_spread`] = o.batch_spread;
      });
    }
    // The int8 model reads the same columns: a feature list recorded with the source carries over.
    const features: Record<string, string> =
      loaded.recordedFeatures?.source === 'registry' ? { features: loaded.recordedFeatures.names.join(',') } : {};
    const r = await registerModel({
      registry: options.registry,
      name: options.register,
      file: output,
      parent: loaded.registry ? `${loaded.registry.name}@${loaded.registry.model_version}` : undefined,
      description: `int8 ${mode} quantization of ${loaded.registry ? `${loaded.registry.name}@${loaded.registry.model_version}` : path.basename(loaded.path)}`,
      tags: { quantization: mode, per_channel: String(options.perChannel ?? false), ...features },
      metrics,
    }).catch((err: unknown) => {
      // The model file is written and good; say so, so the user can register it by hand.
      if (err instanceof MlopsError)
        throw new MlopsError(err.code, `wrote ${output}, but did not register it: ${err.message}`, {
          hint: err.hint,
          cause: err,
        });
      throw err;
    });
    registered = { name: r.name, model_version: r.model_version };
  }
  return {
    source: {
      path: loaded.path,
      sha256: loaded.sha256,
      size_bytes: loaded.sizeBytes,
      ...(loaded.registry ? { registry: loaded.registry } : {}),
    },
    output: { path: output, sha256: sha256Bytes(bytes), size_bytes: bytes.length },
    size_ratio: bytes.length / loaded.sizeBytes,
    mode,
    per_channel: options.perChannel ?? false,
    reduce_range: options.reduceRange ?? false,
    quantized,
    skipped,
    calibration,
    validation,
    finite_check: finiteCheck,
    warnings,
    registered,
    duration_ms: Math.round(performance.now() - started),
  };
}

/** Never hand back a broken model: load it and run it on synthesized inputs first. */
async function checkRuns(bytes: Uint8Array, source: LoadedModel): Promise<void> {
  const { smokeRun } = await import('../check/smoke-run.js');
  const candidate: LoadedModel = {
    ...source,
    bytes,
    sizeBytes: bytes.length,
    sha256: sha256Bytes(bytes),
    model: decodeModel(bytes, 'the quantized model'),
  };
  const result = await smokeRun(candidate, { symbolicSizes: [1, 3] });
  await result.session?.release();
  // NaN/Inf is judged against the float model on the same rows (finite-check.ts), not here.
  const errors = result.problems.filter((p) => p.severity === 'error' && p.code !== 'OUTPUT_NONFINITE');
  if (errors.length) {
    throw new MlopsError('QUANTIZE_BROKEN_OUTPUT', `the quantized model does not run: ${errors[0].message}`, {
      hint: 'this is a bug in mlops quantize; nothing was written. Report it with the model, and use `exclude` to leave the failing node in float meanwhile',
    });
  }
}

/** `--exclude-nodes` naming a node the model does not have would silently exclude nothing. */
function checkExcludedNodes(exclude: string[], nodes: NodeProto[], modelPath: string): void {
  const names = nodes.map((n, i) => nodeName(n, i));
  const known = new Set(names);
  const unknown = exclude.filter((e) => !known.has(e));
  if (unknown.length === 0) return;
  const quantizable = nodes
    .map((n, i) => [n, names[i]] as const)
    .filter(([n]) => ['MatMul', 'Gemm', 'Conv'].includes(n.opType ?? ''))
    .map(([, name]) => name);
  const suggestions = [...new Set(unknown.flatMap((u) => closeMatches(u, names)))];
  const listed =
    quantizable.length <= 8
      ? quantizable.join(', ')
      : `${quantizable.slice(0, 8).join(', ')}, ... (${quantizable.length} in all)`;
  throw new MlopsError(
    'QUANTIZE_UNKNOWN_NODE',
    `\`exclude\`: ${modelPath} has no node named ${unknown.map((u) => `"${u}"`).join(', ')}${suggestions.length ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?` : ''}`,
    {
      hint: `its MatMul/Gemm/Conv nodes are ${listed || 'none'}; the report of a run without \`exclude\` lists them too (node column)`,
    },
  );
}
