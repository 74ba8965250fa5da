/**
 * A batch's kept cells, rows x keep count: each one text, or the byte range
 * of a read buffer it was parsed from (the WebAssembly parser's rows), which
 * the CSV writer copies as bytes and anything else decodes on demand. A
 * million ids as strings were about 0.1 s of the main thread and most of its
 * garbage; as ranges they cost three stores each.
 */
export class KeptCells {
  /** Cells given as text; undefined where a cell is a byte range (or not set). */
  readonly texts: string[] = [];
  private readonly buffers: Array<Uint8Array | undefined> = [];
  /** Made on the first byte range: a batch of text cells (Parquet input, quoted rows) needs none. */
  private starts?: Int32Array;
  private ends?: Int32Array;

  /** `capacity`: cells at most (rows x keep count). */
  constructor(private readonly capacity: number) {}

  /** Text cells only (tests, callers that have strings). */
  static of(texts: string[]): KeptCells {
    const cells = new KeptCells(0);
    for (const text of texts) cells.texts.push(text);
    return cells;
  }

  setBytes(i: number, buf: Uint8Array, start: number, end: number): void {
    this.starts ??= new Int32Array(this.capacity);
    this.ends ??= new Int32Array(this.capacity);
    this.texts[i] = undefined as unknown as string;
    this.buffers[i] = buf;
    this.starts[i] = start;
    this.ends[i] = end;
  }

  /** Drop the cells from `count` on (a rejected row's). */
  truncate(count: number): void {
    this.texts.length = Math.min(this.texts.length, count);
    this.buffers.length = Math.min(this.buffers.length, count);
  }

  /** Cell i as text (UTF-8 decoded, as the read path decodes a field). */
  text(i: number): string {
    const text = this.texts[i];
    if (text !== undefined) return text;
    const buf = this.buffers[i];
    return buf ? Buffer.prototype.toString.call(buf, 'utf8', this.starts![i], this.ends![i]) : (undefined as never);
  }

  /** The first `count` cells as text, for writers that take strings (Parquet, non-float outputs). */
  toTexts(count: number): string[] {
    return Array.from({ length: count }, (_, i) => this.text(i));
  }

  /** Cell i's bytes, when it is a byte range: buffer, start, end (else undefined). */
  bytes(i: number): Uint8Array | undefined {
    return this.texts[i] === undefined ? this.buffers[i] : undefined;
  }
  startOf(i: number): number {
    return this.starts![i];
  }
  endOf(i: number): number {
    return this.ends![i];
  }
}
