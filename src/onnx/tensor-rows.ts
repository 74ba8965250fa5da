/**
 * Rows of a tensor whose first axis is the batch: slice some off, join parts
 * back. One element per storage slot (every type onnxruntime-node returns to
 * us: floats, ints, int64 as BigInt64Array, bool as bytes, strings as an
 * array); packed sub-byte types are not row-addressable this way.
 */

/** The shape both our decoded tensors and the worker's wire tensors share. */
export interface RowTensor {
  name?: string;
  type: string;
  dims: readonly number[];
  data: unknown;
}

type Sliceable = { length: number; slice(start: number, end: number): unknown };
type Settable = ArrayLike<unknown> & { set(values: ArrayLike<unknown>, offset: number): void };

function rowWidth(dims: readonly number[]): number {
  let n = 1;
  for (let k = 1; k < dims.length; k++) n *= dims[k];
  return n;
}

/** Rows [start, end) along axis 0, copied. */
export function sliceRows<T extends RowTensor>(t: T, start: number, end: number): T {
  const per = rowWidth(t.dims);
  const data = (t.data as Sliceable).slice(start * per, end * per);
  return {
    ...(t.name !== undefined ? { name: t.name } : {}),
    type: t.type,
    dims: [end - start, ...t.dims.slice(1)],
    data,
  } as unknown as T;
}

/** Parts joined along axis 0 (a single part is returned as it is). */
export function concatRows<T extends RowTensor>(parts: T[]): T {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  const rows = parts.reduce((n, p) => n + Number(p.dims[0]), 0);
  let data: unknown;
  if (Array.isArray(first.data)) {
    data = parts.flatMap((p) => p.data as unknown[]);
  } else {
    const datas = parts.map((p) => p.data as Settable);
    const total = datas.reduce((n, d) => n + d.length, 0);
    const out = new (datas[0].constructor as new (length: number) => Settable)(total);
    let at = 0;
    for (const d of datas) {
      out.set(d, at);
      at += d.length;
    }
    data = out;
  }
  return {
    ...(first.name !== undefined ? { name: first.name } : {}),
    type: first.type,
    dims: [rows, ...first.dims.slice(1).map(Number)],
    data,
  } as unknown as T;
}

/** `n` rows: the tensor's rows from the first, over again from the first when it has fewer (it has at least one). */
export function repeatRows<T extends RowTensor>(t: T, n: number): T {
  const rows = Number(t.dims[0]);
  const copies = Math.max(1, Math.ceil(n / rows));
  return sliceRows(copies === 1 ? t : concatRows(Array.from({ length: copies }, () => t)), 0, n);
}

/**
 * `run` on the feeds in slices of `split` rows (a model with a fixed batch size), outputs joined
 * along axis 0; one run when `split` is absent.
 */
export async function runInSlices<T extends RowTensor, R extends RowTensor>(
  run: (feeds: Record<string, T>) => Promise<Record<string, R>>,
  feeds: Record<string, T>,
  fetch: string[],
  split: number | undefined,
): Promise<Record<string, R>> {
  if (!split) return run(feeds);
  const rows = Object.values(feeds)[0].dims[0];
  const parts: Array<Record<string, R>> = [];
  for (let from = 0; from < rows; from += split)
    parts.push(
      await run(Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, sliceRows(t, from, from + split)]))),
    );
  return Object.fromEntries(fetch.map((n) => [n, concatRows(parts.map((p) => p[n]))]));
}
