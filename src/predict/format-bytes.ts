/**
 * The CSV lines of formatRows (format.ts), written straight into one buffer
 * per batch: float32 digits go in as bytes, so no string is made per value
 * or per line (those strings were most of the formatting time and of the
 * garbage collector's work). The text is byte for byte formatRows' text.
 */
import type { Tensor } from '../onnx/tensor.js';
import { formatFloat32, shortest, shortestFloat32 } from '../util/format-number.js';
import { csvField } from './encode.js';
import { formatRows } from './format.js';
import { FloatRowsText } from '../table/wasm/float-text.js';
import { REGION_BYTES } from '../table/wasm/module.js';
import { KeptCells } from './kept-cells.js';

const COMMA = 0x2c;
const NEWLINE = 0x0a;

/** A growing byte buffer: a fresh one per batch, as the write may still hold the last one. */
class ByteWriter {
  buf: Buffer;
  at = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(extra: number): void {
    if (this.at + extra <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + extra));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
  text(s: string): void {
    this.ensure(s.length * 3);
    this.at += this.buf.write(s, this.at, 'utf8');
  }

  /** Kept cell i: its bytes copied when they are plain ASCII (most ids), else its text through cell(). */
  keptCell(kept: KeptCells, i: number): void {
    const src = kept.bytes(i);
    if (!src) {
      this.cell(kept.text(i));
      return;
    }
    const start = kept.startOf(i);
    const n = kept.endOf(i) - start;
    this.ensure(n);
    const buf = this.buf;
    const at = this.at;
    for (let j = 0; j < n; j++) {
      const byte = src[start + j];
      // As cell(): quote, comma, CR, LF need quoting, and other than ASCII goes through the text (invalid UTF-8 included).
      if (byte >= 0x80 || byte === 0x22 || byte === 0x2c || byte === 0x0a || byte === 0x0d) {
        this.cell(kept.text(i));
        return;
      }
      buf[at + j] = byte;
    }
    this.at = at + n;
  }

  /** A kept cell as csvField writes it: plain ASCII copied char by char (most ids), anything else through csvField. */
  cell(value: string): void {
    // formatRows would print a missing cell as "undefined": the same here, never a throw.
    const s = typeof value === 'string' ? value : String(value);
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    const at = this.at;
    for (let j = 0; j < n; j++) {
      const code = s.charCodeAt(j);
      // Quote, comma, CR, LF need quoting; >= 0x80 is more than one byte. Bytes written so far are overwritten.
      if (code >= 0x80 || code === 0x22 || code === 0x2c || code === 0x0a || code === 0x0d) {
        this.text(csvField(s));
        return;
      }
      buf[at + j] = code;
    }
    this.at = at + n;
  }
}

/** The WebAssembly writer, made on first use (formatting runs on the main thread only). */
let floatText: FloatRowsText | undefined;

/**
 * formatRows' CSV lines as bytes. The float values are written by the
 * WebAssembly writer (float-text.c, the same text) unless `wasm` is false;
 * kept cells, and any row it hands back, are written here.
 */
export function formatRowsBytes(
  rows: number,
  keptCells: KeptCells | string[],
  keepCount: number,
  outputs: Tensor[],
  widths: number[],
  names: string[],
  wasm = true,
): Buffer {
  const kept = Array.isArray(keptCells) ? KeptCells.of(keptCells) : keptCells;
  // Outputs other than float32 keep formatRows' way (rare, and not the hot path).
  if (!outputs.every((t) => t.type === 'float32'))
    return Buffer.from(formatRows(rows, kept.toTexts(rows * keepCount), keepCount, outputs, widths, names), 'utf8');
  const perRow = widths.reduce((a, w) => a + w, 0);
  const useWasm = wasm && perRow > 0 && rows > 0;
  // Rows per call of the WebAssembly writer: its text for them stays within REGION_BYTES.
  const slice = Math.max(1, Math.floor(REGION_BYTES / (perRow * 24 + 1)));
  const formatSlice = (from: number, to: number) =>
    (floatText ??= new FloatRowsText()).format(
      to - from,
      outputs.map((t, o) => (t.data as Float32Array).subarray(from * widths[o], to * widths[o])),
      widths,
    );
  let fast = useWasm ? formatSlice(0, Math.min(rows, slice)) : undefined;
  // Only predictions, all said by the writer in one call: its text is the batch's (copied out of its memory).
  if (fast && rows <= slice && keepCount === 0 && !fast.ends.includes(-1)) return Buffer.from(fast.text);
  // The buffer grows as needed: a first guess of at most 64 MiB, however large the batch.
  const w = new ByteWriter(Math.min(rows * (perRow * 24 + keepCount * 12 + 2) + 64, 1 << 26));
  let sliceStart = 0; // the first row of the writer's last call
  let from = 0; // where the next row's text starts in fast.text
  for (let r = 0; r < rows; r++) {
    if (useWasm && r === sliceStart + slice) {
      sliceStart = r;
      fast = formatSlice(r, Math.min(rows, r + slice));
      from = 0;
    }
    for (let k = 0; k < keepCount; k++) {
      // Room for the comma too: a cell that ended exactly at the buffer's end made this write fall off it
      // (dropped by the typed array) and left a byte of uninitialised memory in the output.
      if (k) {
        w.ensure(1);
        w.buf[w.at++] = COMMA;
      }
      w.keptCell(kept, r * keepCount + k);
    }
    // Sign, up to 9 digits, a point and up to 6 zeros: 24 bytes per value at most on the fast path.
    w.ensure(perRow * 24 + 2);
    const end = fast ? fast.ends[r - sliceStart] : -1;
    if (end >= 0) {
      const { buf } = w;
      const text = fast!.text;
      let at = w.at;
      if (keepCount > 0) buf[at++] = COMMA;
      for (let i = from; i < end; i++) buf[at++] = text[i];
      w.at = at;
      from = end;
      continue;
    }
    for (let o = 0; o < outputs.length; o++) {
      const data = outputs[o].data as Float32Array;
      const width = widths[o];
      for (let j = 0; j < width; j++) {
        if (keepCount > 0 || o > 0 || j > 0) w.buf[w.at++] = COMMA;
        writeFloat32(w, data[r * width + j]);
      }
    }
    w.buf[w.at++] = NEWLINE;
  }
  return w.buf.subarray(0, w.at);
}

/** formatFloat32's text, in plain notation written as bytes; other cases (zero, NaN, exponents) as its string. */
function writeFloat32(w: ByteWriter, value: number): void {
  const n = value === 0 || value !== value || value - value !== 0 ? -1 : shortestFloat32(value);
  if (n < 0) {
    w.text(formatFloat32(value));
    return;
  }
  let m = n | 0; // at most 9 digits
  let k = shortest.exponent;
  let q = (m / 10) | 0;
  while (m === q * 10) {
    m = q;
    q = (m / 10) | 0;
    k++;
  }
  const length = digitCount(m);
  const point = length + k;
  if (point > 21 || point <= -6) {
    w.text(formatFloat32(value));
    return;
  }
  const buf = w.buf;
  let at = w.at;
  if (value < 0) buf[at++] = 0x2d;
  if (point <= 0) {
    buf[at++] = 0x30;
    buf[at++] = 0x2e;
    for (let z = point; z < 0; z++) buf[at++] = 0x30;
    at = writeDigits(buf, at, m, length);
  } else if (point >= length) {
    at = writeDigits(buf, at, m, length);
    for (let z = length; z < point; z++) buf[at++] = 0x30;
  } else {
    // The digits, then the fraction moved one byte right to make room for the point.
    writeDigits(buf, at, m, length);
    for (let d = at + length; d > at + point; d--) buf[d] = buf[d - 1];
    buf[at + point] = 0x2e;
    at += length + 1;
  }
  w.at = at;
}

function digitCount(m: number): number {
  let length = 1;
  for (let x = m; x >= 10; x = (x / 10) | 0) length++;
  return length;
}

/** m's decimal digits at buf[at .. at+length); returns at + length. */
function writeDigits(buf: Buffer, at: number, m: number, length: number): number {
  let x = m;
  for (let d = at + length - 1; d >= at; d--) {
    const q = (x / 10) | 0;
    buf[d] = 0x30 + x - q * 10;
    x = q;
  }
  return at + length;
}
