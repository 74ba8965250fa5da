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

type Typed = Exclude<ColumnValues, string[]>;

/** The typed array a numeric DuckDB type is held in (small integers widen to int32, UINTEGER to double). */
function typedFor(type: string): new (n: number) => Typed {
  if (/^(TINYINT|SMALLINT|UTINYINT|USMALLINT|INTEGER)$/.test(type)) return Int32Array;
  if (type === 'FLOAT') return Float32Array;
  if (type === 'BIGINT') return BigInt64Array;
  if (type === 'UBIGINT') return BigUint64Array;
  return Float64Array;
}

/**
 * One column of a chunk, filled from DuckDB's vectors of up to 2048 rows
 * straight into arrays of the chunk's size: numbers are copied once (a
 * typed-array set), not sliced per vector and joined again.
 */
export class ColumnBuilder {
  private values: ColumnValues;
  private nulls: Uint8Array | null = null;
  private at = 0;

  constructor(
    private readonly kind: ParquetKind,
    private readonly type: string,
    private readonly capacity: number,
  ) {
    this.values = this.fresh();
  }

  private fresh(): ColumnValues {
    return this.kind === 'float' || this.kind === 'int'
      ? new (typedFor(this.type))(this.capacity)
      : this.kind === 'bool'
        ? new Uint8Array(this.capacity)
        : new Array<string>(this.capacity);
  }

  /** Rows [0, count) of `vector` after the rows so far (count + rows so far <= capacity). */
  append(vector: DuckDBVector, count: number): void {
    const items = (vector as unknown as Internals).items;
    const numeric = this.kind === 'float' || this.kind === 'int';
    if (numeric && items && items.length === count && !Array.isArray(this.values)) {
      (this.values as Float64Array).set(items as unknown as Float64Array, this.at);
      const inside = vector as unknown as Internals;
      const bits = inside.validity && 'data' in inside.validity ? inside.validity.data : undefined;
      if (bits !== null) this.appendNulls(nullMask(vector, inside, count), count);
    } else {
      const column = columnFromVector(vector, this.kind, this.type, count);
      if (Array.isArray(this.values)) {
        const strings = column.values as string[];
        for (let i = 0; i < count; i++) (this.values as string[])[this.at + i] = strings[i];
      } else {
        (this.values as Float64Array).set(column.values as Float64Array, this.at);
      }
      this.appendNulls(column.nulls, count);
    }
    this.at += count;
  }

  private appendNulls(mask: Uint8Array | null, count: number): void {
    if (!mask) return;
    (this.nulls ??= new Uint8Array(this.capacity)).set(mask.subarray(0, count), this.at);
  }

  /** The rows so far as a column (the builder starts again, with new arrays: the chunk keeps these). */
  take(): TableColumn {
    const count = this.at;
    const values = Array.isArray(this.values)
      ? this.values.slice(0, count)
      : ((this.values as Float64Array).subarray(0, count) as ColumnValues);
    const column: TableColumn = { kind: this.kind, values, nulls: this.nulls?.subarray(0, count) ?? null };
    this.values = this.fresh();
    this.nulls = null;
    this.at = 0;
    return column;
  }
}
