/**
 * DuckDB vectors -> plain typed arrays we own. A vector's memory belongs to
 * its chunk, so values are copied out (a memcpy for numbers) before the next
 * fetch. `items` and the validity bitmap are read from node-api's vector
 * objects (version pinned in package.json; the Parquet tests fail if that
 * layout changes), with getItem as the slow fallback.
 */
import type { DuckDBVector } from '@duckdb/node-api';
import type { ParquetKind } from './parquet-info.js';

export type ColumnValues =
  | Float64Array
  | Float32Array
  | Int32Array
  | BigInt64Array
  | BigUint64Array
  | Uint8Array
  | string[];

/** One column of a chunk of Parquet rows. */
export interface TableColumn {
  kind: ParquetKind;
  /** Cell values by row; a null cell holds 0 or ''. Booleans as 0/1 in a Uint8Array. */
  values: ColumnValues;
  /** 1 where the cell is null; null when no cell is. */
  nulls: Uint8Array | null;
}

type Internals = {
  items?: ArrayLike<unknown> & { slice(): ColumnValues };
  validity?: { data?: BigUint64Array | null };
};

/** Rows [0, count) of `vector`, DuckDB type `type`, as a column of `kind`. */
export function columnFromVector(vector: DuckDBVector, kind: ParquetKind, type: string, count: number): TableColumn {
  const inside = vector as unknown as Internals;
  const nulls = nullMask(vector, inside, count);
  let values: ColumnValues;
  if (kind === 'float' || kind === 'int') {
    const items = inside.items;
    if (items && items.length === count) {
      values = /^(TINYINT|SMALLINT|UTINYINT|USMALLINT)$/.test(type)
        ? Int32Array.from(items as ArrayLike<number>)
        : type === 'UINTEGER'
          ? Float64Array.from(items as ArrayLike<number>)
          : items.slice();
    } else {
      values = numericFallback(vector, type, count);
    }
  } else if (kind === 'bool') {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = vector.getItem(i) === true ? 1 : 0;
    values = out;
  } else {
    const out = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      const v = vector.getItem(i);
      out[i] = v === null ? '' : String(v);
    }
    values = out;
  }
  return { kind, values, nulls };
}

function nullMask(vector: DuckDBVector, inside: Internals, count: number): Uint8Array | null {
  const validity = inside.validity;
  if (validity && 'data' in validity) {
    const bits = validity.data;
    if (!bits) return null; // DuckDB leaves the bitmap out when every cell is valid
    const bytes = new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
    let mask: Uint8Array | null = null;
    for (let i = 0; i < count; i++) {
      if ((bytes[i >> 3] & (1 << (i & 7))) === 0) (mask ??= new Uint8Array(count))[i] = 1;
    }
    return mask;
  }
  let mask: Uint8Array | null = null;
  for (let i = 0; i < count; i++) if (vector.getItem(i) === null) (mask ??= new Uint8Array(count))[i] = 1;
  return mask;
}

function numericFallback(vector: DuckDBVector, type: string, count: number): ColumnValues {
  const big = type === 'BIGINT' || type === 'UBIGINT';
  const out = big
    ? type === 'BIGINT'
      ? new BigInt64Array(count)
      : new BigUint64Array(count)
    : new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = vector.getItem(i);
    if (v !== null) (out as unknown as unknown[])[i] = big ? BigInt(v as bigint) : Number(v);
  }
  return out;
}
