/**
 * Never hand back a model that turns finite outputs into NaN or Inf: run the
 * float and the int8 model on the same rows and count the rows where only the
 * int8 one is not finite. A float model that already outputs NaN somewhere is
 * not blamed on quantization.
 */
import type { LoadedModel } from '../models/load-model.js';
import type { Tensor } from '../onnx/tensor.js';
import { synthesizeInputs } from '../runtime/synthesize.js';
import { MlopsError } from '../util/errors.js';
import { openPair } from './session-pair.js';

export interface FiniteCheck {
  /** Which rows the check ran on: --validate data, else calibration data, else synthesized inputs. */
  data: 'validation' | 'calibration' | 'synthesized';
  source: string;
  rows: number;
  /** Rows where the float model's output is finite: the rows the check could judge. */
  finite_rows?: number;
}

export interface NewNonFinite {
  output: string;
  /** Rows where the int8 output has NaN/Inf and the float output is finite at that element. */
  rows: number;
  /** Rows of this output that were compared. */
  total_rows: number;
}

/** Synthesized inputs, as check's smoke run makes them: floats in [0, 1), symbolic dims 1 then 3. */
export const SYNTHESIZED_SOURCE = 'floats in [0, 1)';

/** Rows of `int8` with a NaN/Inf where `float` has a finite value. */
export function newNonFiniteRows(float: Tensor, int8: Tensor): number {
  const a = float.data as Float32Array;
  const b = int8.data as Float32Array;
  const rows = int8.dims.length ? int8.dims[0] : 1;
  const per = rows ? b.length / rows : 0;
  let bad = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = r * per; i < (r + 1) * per; i++) {
      if (!Number.isFinite(b[i]) && Number.isFinite(a[i])) {
        bad++;
        break;
      }
    }
  }
  return bad;
}

/** Rows of `float` whose values are all finite: the rows the check can say anything about. */
function finiteRows(float: Tensor): number {
  const a = float.data as Float32Array;
  const rows = float.dims.length ? float.dims[0] : 1;
  const per = rows ? a.length / rows : 0;
  let finite = 0;
  for (let r = 0; r < rows; r++) {
    let ok = true;
    for (let i = r * per; i < (r + 1) * per && ok; i++) ok = Number.isFinite(a[i]);
    if (ok) finite++;
  }
  return finite;
}

/** Accumulates counts over batches. */
export class NonFiniteTally {
  private readonly counts = new Map<string, NewNonFinite>();
  private readonly finite = new Map<string, number>();

  add(output: string, float: Tensor, int8: Tensor): void {
    const entry = this.counts.get(output) ?? { output, rows: 0, total_rows: 0 };
    entry.rows += newNonFiniteRows(float, int8);
    entry.total_rows += int8.dims.length ? int8.dims[0] : 1;
    this.counts.set(output, entry);
    // Integer and string outputs (labels) are always finite.
    const floats = float.data instanceof Float32Array || float.data instanceof Float64Array;
    this.finite.set(output, (this.finite.get(output) ?? 0) + (floats ? finiteRows(float) : (float.dims[0] ?? 1)));
  }

  found(): NewNonFinite[] {
    return [...this.counts.values()].filter((c) => c.rows > 0);
  }

  /** Rows on which at least one output of the float model was finite throughout. */
  tested(): number {
    return Math.max(0, ...this.finite.values());
  }
}

/** Run both models on `batches` (or synthesized inputs when there are none) and count. */
export async function findNewNonFinite(
  loaded: LoadedModel,
  int8Bytes: Uint8Array,
  batches: Array<Record<string, Tensor>> | undefined,
  threads?: number,
): Promise<{ found: NewNonFinite[]; rows: number; tested: number }> {
  const pair = await openPair(loaded, int8Bytes, threads);
  try {
    const feeds = batches ?? synthesizedBatches(pair.float.inputs);
    const tally = new NonFiniteTally();
    let rows = 0;
    for (const batch of feeds) {
      const a = await pair.float.run(batch, pair.outputs);
      const b = await pair.int8.run(batch, pair.outputs);
      for (const name of pair.outputs) tally.add(name, a[name], b[name]);
      rows += Object.values(batch)[0]?.dims[0] ?? 1;
    }
    return { found: tally.found(), rows, tested: tally.tested() };
  } finally {
    await pair.release();
  }
}

function synthesizedBatches(inputs: Parameters<typeof synthesizeInputs>[0]): Array<Record<string, Tensor>> {
  const symbolic = inputs.some((i) => i.shape?.some((d) => typeof d !== 'number'));
  return (symbolic ? [1, 3] : [1]).map((size) => synthesizeInputs(inputs, { symbolicSize: size }));
}

export function refuseNonFinite(
  found: NewNonFinite[],
  check: FiniteCheck,
  tested: number,
  mode: 'dynamic' | 'static',
): void {
  const where =
    check.data === 'synthesized' ? `synthesized inputs (${check.source})` : `${check.data} data ${check.source}`;
  if (tested === 0) {
    // A check that compared nothing must not read as "no NaN/Inf".
    throw new MlopsError(
      'QUANTIZE_NOTHING_CHECKED',
      `the float model's outputs are NaN/Inf on every one of the ${check.rows} rows of ${where}, so whether int8 keeps them finite cannot be checked; nothing was written`,
      {
        hint:
          check.data === 'validation'
            ? 'pass `validate` rows the model is meant for (inputs in its valid range)'
            : 'pass `validate` data.csv with rows the model is meant for (inputs in its valid range)',
      },
    );
  }
  if (found.length === 0) return;
  const first = found[0];
  const more =
    found.length > 1
      ? ` (and ${found
          .slice(1)
          .map((f) => `"${f.output}" in ${f.rows}`)
          .join(', ')})`
      : '';
  throw new MlopsError(
    'QUANTIZE_NONFINITE',
    `the int8 model's output "${first.output}" is NaN/Inf in ${first.rows} of ${first.total_rows} rows of ${where}${more} where the float model's output is finite; nothing was written`,
    {
      hint:
        mode === 'static'
          ? 'int8 rounding broke a node whose result feeds Log, Div, Sqrt or similar: leave it in float with `exclude` <node>, try `perChannel`, or calibrate with `calibrate` minmax'
          : 'int8 rounding broke a node whose result feeds Log, Div, Sqrt or similar: leave it in float with `exclude` <node> (mlops inspect lists the nodes), or try `perChannel`',
    },
  );
}
