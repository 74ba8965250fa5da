/** The built-in checks. Each returns a verdict; a check that cannot run throws, and is reported as failed with why. */
import path from 'node:path';
import type { LoadedModel } from '../models/load-model.js';
import { modelRefIn } from '../models/resolve-model.js';
import { allGraphs, normalizeDomain, opsetVersions } from '../onnx/graph.js';
import { toNumber, type LongLike } from '../onnx/proto.js';
import { tensorFromProto, isExternal } from '../onnx/tensor.js';
import { MlopsError } from '../util/errors.js';
import type { CheckConfig, MetricName } from './config.js';
import type { HistoryResult, ShowResult } from '../registry/index.js';

export interface CheckContext {
  /** The model reference as given (path or registry reference). */
  model: string;
  registry?: string;
  /** Folder relative paths in the config are resolved against. */
  baseDir: string;
  /** The model, loaded once per run (the registry is read once for it). */
  load(): Promise<LoadedModel>;
  /** The version's record and history, read once per run for the registry checks. */
  registryRecord?: Promise<RegistryFacts>;
}

type RegistryFacts = { record: ShowResult; history: HistoryResult; loaded: LoadedModel };

export interface Verdict {
  status: 'pass' | 'fail';
  message: string;
  value?: number | string | null;
  threshold?: string;
}

const str = (c: CheckConfig, key: string) => c[key] as string | undefined;
const num = (c: CheckConfig, key: string) => c[key] as number | undefined;
const list = (c: CheckConfig, key: string) => c[key] as string[] | undefined;
const fmt = (x: number) => (Number.isInteger(x) ? String(x) : Number(x.toPrecision(4)).toString());

function verdict(pass: boolean, message: string, value?: number | string | null, threshold?: string): Verdict {
  return { status: pass ? 'pass' : 'fail', message, value, threshold };
}

function registryRecord(ctx: CheckContext): Promise<RegistryFacts> {
  return (ctx.registryRecord ??= readRegistryRecord(ctx));
}

async function readRegistryRecord(ctx: CheckContext): Promise<RegistryFacts> {
  const loaded = await ctx.load();
  if (!loaded.registry) {
    throw new MlopsError(
      'CHECKLIST_NOT_REGISTERED',
      `${ctx.model} is a file, not a registry reference, so registry checks cannot run`,
      { hint: 'pass `model` name@version' },
    );
  }
  const { versionWithHistory } = await import('../registry/index.js');
  const { version: record, history } = await versionWithHistory({
    registry: ctx.registry,
    ref: `${loaded.registry.name}@${loaded.registry.model_version}`,
  });
  return { record, history, loaded };
}

/** The latency and throughput checks: one bench run at one batch size, on `input` (or synthesized rows). */
async function benchOne(ctx: CheckContext, c: CheckConfig, rel: (p: string) => string, batch: number, runs: number) {
  const { benchModel } = await import('../benchmark/index.js');
  const r = await benchModel({
    model: ctx.model,
    loaded: await ctx.load(),
    registry: ctx.registry,
    input: str(c, 'input') && rel(str(c, 'input')!),
    features: list(c, 'features'),
    ignore: list(c, 'ignore'),
    batchSizes: [batch],
    iterations: num(c, 'iterations') ?? runs,
  });
  return r.results[0];
}

type CheckFn = (ctx: CheckContext, c: CheckConfig, rel: (p: string) => string) => Promise<Verdict>;

export const CHECKS: Record<string, CheckFn> = {
  async model_valid(ctx) {
    const { checkModel } = await import('../check/index.js');
    const r = await checkModel({ model: ctx.model, loaded: await ctx.load(), registry: ctx.registry });
    const errors = r.problems.filter((p) => p.severity === 'error');
    return verdict(
      r.passed,
      r.passed
        ? `structure, load and run passed (${r.summary.warnings} warnings)`
        : `${errors.length} problem(s): ${errors
            .slice(0, 3)
            .map((p) => p.code)
            .join(', ')}`,
      errors.length,
      '0 errors',
    );
  },

  async parity(ctx, c, rel) {
    const { checkModel } = await import('../check/index.js');
    const r = await checkModel({
      model: ctx.model,
      loaded: await ctx.load(),
      registry: ctx.registry,
      testData: str(c, 'test_data') && rel(str(c, 'test_data')!),
      input: str(c, 'input') && rel(str(c, 'input')!),
      expected: str(c, 'expected') && rel(str(c, 'expected')!),
      rtol: num(c, 'rtol'),
      atol: num(c, 'atol'),
      features: list(c, 'features'),
      ignore: list(c, 'ignore'),
      allowMissing: c.allow_missing === true,
    });
    const outputs = r.parity?.sets.flatMap((s) => s.outputs) ?? [];
    const worst = Math.max(0, ...outputs.map((o) => o.max_abs_error));
    const mismatches = outputs.reduce((n, o) => n + o.mismatches, 0);
    return verdict(
      r.parity?.passed ?? false,
      r.parity ? `${mismatches} mismatching elements, max abs error ${fmt(worst)}` : 'parity did not run',
      worst,
      `rtol ${r.parity?.rtol}, atol ${r.parity?.atol}`,
    );
  },

  async finite_weights(ctx) {
    const loaded = await ctx.load();
    const bad: string[] = [];
    for (const graph of allGraphs(loaded.model)) {
      for (const t of graph.initializer ?? []) {
        if (isExternal(t) || ![1, 11].includes(t.dataType ?? 0)) continue;
        const data = tensorFromProto(t).data as Float32Array;
        if (data.some((v) => !Number.isFinite(v))) bad.push(t.name ?? '');
      }
    }
    return verdict(
      bad.length === 0,
      bad.length
        ? `NaN/Inf in ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', ...' : ''}`
        : 'all float weights are finite',
      bad.length,
      '0 tensors',
    );
  },

  async opset_range(ctx, c) {
    const loaded = await ctx.load();
    const ir = toNumber(loaded.model.irVersion as LongLike);
    const opset = opsetVersions(loaded.model).get('') ?? 0;
    const problems = [
      num(c, 'min_opset') !== undefined && opset < num(c, 'min_opset')!
        ? `opset ${opset} < ${num(c, 'min_opset')}`
        : '',
      num(c, 'max_opset') !== undefined && opset > num(c, 'max_opset')!
        ? `opset ${opset} > ${num(c, 'max_opset')}`
        : '',
      num(c, 'min_ir') !== undefined && ir < num(c, 'min_ir')! ? `IR ${ir} < ${num(c, 'min_ir')}` : '',
      num(c, 'max_ir') !== undefined && ir > num(c, 'max_ir')! ? `IR ${ir} > ${num(c, 'max_ir')}` : '',
    ].filter(Boolean);
    const range = `opset ${num(c, 'min_opset') ?? '-'}..${num(c, 'max_opset') ?? '-'}, IR ${num(c, 'min_ir') ?? '-'}..${num(c, 'max_ir') ?? '-'}`;
    return verdict(
      problems.length === 0,
      problems.length ? problems.join('; ') : `opset ${opset}, IR ${ir}`,
      `opset ${opset}, IR ${ir}`,
      range,
    );
  },

  async max_size_mb(ctx, c) {
    const loaded = await ctx.load();
    const mb = loaded.sizeBytes / 1e6;
    return verdict(mb <= num(c, 'max')!, `${fmt(mb)} MB`, mb, `<= ${num(c, 'max')} MB`);
  },

  async no_custom_domains(ctx) {
    const { RUNTIME_DOMAINS } = await import('../runtime/capabilities.js');
    const { isStandardDomain } = await import('../onnx/op-registry.js');
    const loaded = await ctx.load();
    const functions = new Set((loaded.model.functions ?? []).map((f) => normalizeDomain(f.domain)));
    const custom = new Set<string>();
    for (const graph of allGraphs(loaded.model)) {
      for (const node of graph.node ?? []) {
        const d = normalizeDomain(node.domain);
        if (!isStandardDomain(d) && !RUNTIME_DOMAINS.has(d) && !functions.has(d)) custom.add(`${d}::${node.opType}`);
      }
    }
    return verdict(
      custom.size === 0,
      custom.size ? `custom operators: ${[...custom].join(', ')}` : 'standard operators only',
      custom.size,
      '0',
    );
  },

  async external_data_inside(ctx) {
    const { checkExternalData } = await import('../check/structure.js');
    const loaded = await ctx.load();
    const problems = await checkExternalData(loaded.model, loaded.dir);
    return verdict(
      problems.length === 0,
      problems.length ? problems[0].message : 'no external data outside the model folder',
      problems.length,
      '0',
    );
  },

  async latency(ctx, c, rel) {
    const batch = num(c, 'batch_size') ?? 1;
    const p95 = (await benchOne(ctx, c, rel, batch, 50)).p95_ms;
    return verdict(
      p95 <= num(c, 'max_p95_ms')!,
      `p95 ${fmt(p95)} ms at batch ${batch}`,
      p95,
      `<= ${num(c, 'max_p95_ms')} ms`,
    );
  },

  async throughput(ctx, c, rel) {
    const batch = num(c, 'batch_size') ?? 256;
    const rate = (await benchOne(ctx, c, rel, batch, 30)).throughput_rows_per_s;
    return verdict(
      rate >= num(c, 'min_rows_per_s')!,
      `${Math.round(rate)} rows/s at batch ${batch}`,
      rate,
      `>= ${num(c, 'min_rows_per_s')} rows/s`,
    );
  },

  async metric(ctx, c, rel) {
    const { evaluateMetric } = await import('./quality.js');
    const metric = str(c, 'metric') as MetricName;
    const notes: string[] = [];
    const options = {
      data: rel(str(c, 'data')!),
      label: str(c, 'label')!,
      metric,
      output: str(c, 'output'),
      features: list(c, 'features'),
      ignore: list(c, 'ignore'),
      registry: ctx.registry,
      onNote: (m: string) => notes.includes(m) || notes.push(m),
    };
    const model = await ctx.load();
    const value = await evaluateMetric(model, options);
    const higherIsBetter = metric === 'accuracy' || metric === 'f1' || metric === 'auc';
    const failures: string[] = [];
    const thresholds: string[] = [];
    if (num(c, 'min') !== undefined) {
      thresholds.push(`>= ${num(c, 'min')}`);
      if (!(value >= num(c, 'min')!)) failures.push(`${metric} ${fmt(value)} < ${num(c, 'min')}`);
    }
    if (num(c, 'max') !== undefined) {
      thresholds.push(`<= ${num(c, 'max')}`);
      if (!(value <= num(c, 'max')!)) failures.push(`${metric} ${fmt(value)} > ${num(c, 'max')}`);
    }
    let baselineText = '';
    if (str(c, 'baseline')) {
      // The baseline is scored on the columns the model is (its own recorded list first, else the model's).
      const base = await evaluateMetric(modelRefIn(ctx.baseDir, str(c, 'baseline')!), {
        ...options,
        fallbackFeatures: model.recordedFeatures,
      });
      // Improvement in the metric's good direction; margins as MLflow's MetricThreshold.
      const change = higherIsBetter ? value - base : base - value;
      const minAbs = num(c, 'min_absolute_change') ?? 0;
      thresholds.push(`change vs baseline >= ${minAbs}`);
      if (!(change >= minAbs)) failures.push(`${fmt(change)} better than the baseline's ${fmt(base)}, need ${minAbs}`);
      if (num(c, 'min_relative_change') !== undefined) {
        const relChange = change / Math.abs(base);
        thresholds.push(`relative change >= ${num(c, 'min_relative_change')}`);
        if (!(relChange >= num(c, 'min_relative_change')!))
          failures.push(`relative change ${fmt(relChange)} < ${num(c, 'min_relative_change')}`);
      }
      baselineText = ` (baseline ${str(c, 'baseline')}: ${fmt(base)})`;
    }
    const noted = notes.length ? ` (${notes.join('; ')})` : '';
    return verdict(
      failures.length === 0,
      (failures.length ? failures.join('; ') : `${metric} ${fmt(value)}${baselineText}`) + noted,
      value,
      thresholds.join(', '),
    );
  },

  async quantization_agreement(ctx, c, rel) {
    const { readSamples } = await import('../quantize/samples.js');
    const { validateQuantized } = await import('../quantize/validate.js');
    const { loadModel } = await import('../models/load-model.js');
    const loaded = await ctx.load();
    const candidate = await loadModel(modelRefIn(ctx.baseDir, str(c, 'candidate')!), { registry: ctx.registry });
    const notes: string[] = [];
    const samples = await readSamples(rel(str(c, 'data')!), loaded, {
      rows: 5000,
      features: list(c, 'features'),
      ignore: list(c, 'ignore'),
      what: 'quantization check',
      onWarning: (m) => notes.includes(m) || notes.push(m),
    });
    const r = await validateQuantized(loaded, candidate.bytes, samples, { latencyRuns: 1 });
    const agreements = r.outputs.map((o) => o.argmax_agreement).filter((a): a is number => a !== null);
    if (agreements.length === 0)
      throw new MlopsError('CHECKLIST_NOT_CLASSIFIER', 'no [N, K] float output to compare argmax on');
    const agreement = Math.min(...agreements);
    return verdict(
      agreement >= num(c, 'min_agreement')!,
      `argmax agreement ${(agreement * 100).toFixed(2)} % on ${r.rows} rows${notes.length ? ` (${notes.join('; ')})` : ''}`,
      agreement,
      `>= ${num(c, 'min_agreement')}`,
    );
  },

  async drift(_ctx, c, rel) {
    const { detectDrift } = await import('../drift/index.js');
    const notes: string[] = [];
    const r = await detectDrift({
      reference: rel(str(c, 'reference')!),
      current: rel(str(c, 'current')!),
      features: list(c, 'features'),
      ignore: list(c, 'ignore') ?? list(c, 'exclude'),
      alpha: num(c, 'alpha'),
      // Bad rows skipped in either file: said in the verdict, so a pass judged on part of the data reads as such.
      onWarning: (m) => notes.includes(m) || notes.push(m),
    });
    const max = num(c, 'max_share');
    const pass = max === undefined ? !r.dataset_drift : r.drift_share <= max;
    const untested = r.columns.length - r.tested;
    return verdict(
      pass,
      `${r.drifted} of ${r.tested} columns drifted (${(r.drift_share * 100).toFixed(0)} %)${untested ? `, ${untested} not tested` : ''}${notes.length ? ` (${notes.join('; ')})` : ''}`,
      r.drift_share,
      max === undefined ? 'no dataset drift' : `share <= ${max}`,
    );
  },

  async registry_metadata(ctx, c) {
    const { record } = await registryRecord(ctx);
    const missing = list(c, 'fields')!.filter((field) => {
      const value = field
        .split('.')
        .reduce<unknown>(
          (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
          record,
        );
      return (
        value === undefined ||
        value === null ||
        value === '' ||
        (typeof value === 'object' && Object.keys(value as object).length === 0)
      );
    });
    return verdict(
      missing.length === 0,
      missing.length ? `missing: ${missing.join(', ')}` : `present: ${list(c, 'fields')!.join(', ')}`,
      missing.length,
      '0 missing',
    );
  },

  async rollback_available(ctx, c) {
    const { record, history } = await registryRecord(ctx);
    const alias = str(c, 'alias') ?? 'production';
    // Another non-archived version that has held the alias (or any earlier version) to go back to.
    const archived = new Set(history.events.flatMap((e) => (e.type === 'archive' ? [e.model_version] : [])));
    const held = new Set(history.events.flatMap((e) => (e.type === 'alias' && e.alias === alias ? [e.to] : [])));
    const candidates = [...held].filter((v) => v !== record.model_version && !archived.has(v));
    return verdict(
      candidates.length > 0,
      candidates.length
        ? `can roll back ${alias} to ${candidates
            .sort((a, b) => b - a)
            .slice(0, 3)
            .map((v) => `${record.name}@${v}`)
            .join(', ')}`
        : `no other version has held "${alias}"`,
      candidates.length,
      '>= 1 version',
    );
  },

  async max_age_days(ctx, c) {
    const { record } = await registryRecord(ctx);
    const days = (Date.now() - Date.parse(record.created_at)) / 86_400_000;
    return verdict(days <= num(c, 'max')!, `registered ${fmt(days)} days ago`, days, `<= ${num(c, 'max')} days`);
  },

  async registry_sha256(ctx) {
    const { record, loaded } = await registryRecord(ctx);
    return verdict(
      loaded.sha256 === record.sha256,
      loaded.sha256 === record.sha256
        ? 'stored file matches its sha256'
        : `sha256 ${loaded.sha256} differs from the record`,
      loaded.sha256.slice(0, 12),
      record.sha256.slice(0, 12),
    );
  },
};

export function resolverFor(baseDir: string): (p: string) => string {
  return (p) => (path.isAbsolute(p) ? p : path.resolve(baseDir, p));
}
