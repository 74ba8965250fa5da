import type { QuantizeResult } from '../quantize/index.js';
import { PREDICT_BATCH_SIZE } from '../quantize/options.js';
import { paint, type RenderOptions } from './style.js';
import { formatBytes, joinSections, renderFields, renderTable } from './table.js';

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const num = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 1e-3 ? x.toFixed(5) : x.toExponential(2));

export function renderQuantize(r: QuantizeResult, options: RenderOptions): string {
  const parts: string[] = [];
  const fields: Array<[string, string]> = [
    ['source', `${r.source.path} (${formatBytes(r.source.size_bytes)})`],
    ['output', `${r.output.path} (${formatBytes(r.output.size_bytes)})`],
    ['size ratio', r.size_ratio.toFixed(3)],
    ['mode', `${r.mode}${r.per_channel ? ', per-channel' : ''}${r.reduce_range ? ', reduce-range' : ''}`],
  ];
  if (r.calibration)
    fields.push([
      'calibration',
      `${r.calibration.rows} rows of ${r.calibration.source}, ${r.calibration.method}, ${r.calibration.tensors} tensors`,
    ]);
  if (r.registered) fields.push(['registered', `${r.registered.name}@${r.registered.model_version}`]);
  const rows = [
    ...r.quantized.map((q) => [
      q.name,
      q.op_type,
      paint(options, 'green', q.how),
      `[${q.weight_shape.join(', ')}]${q.per_channel ? ' per-channel' : ''}`,
    ]),
    ...r.skipped.map((s) => [s.name, s.op_type, paint(options, 'dim', `float: ${s.reason}`), '']),
  ];
  parts.push(
    joinSections(
      [renderFields(fields, options), renderTable(['node', 'op', 'what happened', 'weight'], rows, options)],
      options,
    ),
  );
  if (r.validation) {
    const v = r.validation;
    const why = v.fixed_batch
      ? ` (the model's fixed batch size${v.fixed_batch.left_out ? `; the last ${v.fixed_batch.left_out} rows are left out` : ''})`
      : v.batch_size === PREDICT_BATCH_SIZE
        ? " (predict-batch's default batch size)"
        : '';
    const batching = `in calls of ${v.batch_size} rows${why}`;
    const spread = v.outputs.some((o) => o.batch_spread !== null);
    parts.push(
      `validation on ${v.rows} rows of ${v.source}, ${batching}\n` +
        renderTable(
          ['output', 'max abs diff', 'mean abs diff', 'argmax agreement', ...(spread ? ['batch spread'] : [])],
          v.outputs.map((o) => [
            o.output,
            num(o.max_abs_diff),
            num(o.mean_abs_diff),
            o.argmax_agreement === null ? '-' : pct(o.argmax_agreement),
            ...(spread ? [o.batch_spread === null ? '-' : num(o.batch_spread)] : []),
          ]),
          options,
        ),
    );
    const speed = `${v.speedup.toFixed(2)}x`;
    parts.push(
      `latency at batch ${v.latency_batch}: float ${v.float_ms.toFixed(2)} ms, int8 ${v.int8_ms.toFixed(2)} ms, speed-up ${v.speedup >= 1 ? paint(options, 'green', speed) : paint(options, 'red', speed)}`,
    );
  }
  const check = r.finite_check;
  const judged =
    check.finite_rows !== undefined && check.finite_rows < check.rows
      ? ` (the float model is finite on ${check.finite_rows} of them)`
      : '';
  parts.push(
    `NaN/Inf check: ${check.rows} rows of ${check.data === 'synthesized' ? `synthesized inputs (${check.source})` : `${check.data} data ${check.source}`}${judged}, no NaN/Inf where the float model is finite${check.data === 'synthesized' ? '; pass --validate with real rows for a check that means something' : ''}`,
  );
  if (r.mode === 'dynamic') {
    const spreads = (r.validation?.outputs ?? []).map((o) => o.batch_spread).filter((x): x is number => x !== null);
    const measured = spreads.length
      ? `: up to ${num(Math.max(...spreads))} apart between calls of ${r.validation!.batch_size} rows and one row at a time`
      : r.validation
        ? ''
        : ' (pass --validate to measure by how much)';
    parts.push(
      `${paint(options, 'dim', 'note')}: dynamic int8 quantizes activations per inference call, so outputs depend on how rows are batched${measured}`,
    );
  }
  for (const w of r.warnings) parts.push(`${paint(options, 'yellow', 'warning')}: ${w}`);
  return parts.join('\n') + '\n';
}
