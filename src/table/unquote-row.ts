/**
 * The fast path for quoted rows: a row on one line whose quoted fields hold
 * no comma, quote or line break (pandas' QUOTE_ALL and QUOTE_NONNUMERIC
 * files, quoted ids) is, once its quotes are dropped, a plain row with the
 * same fields. Unquoting it in place lets the consumer parse it as bytes like
 * any plain row, instead of sending it to csv-parse (about 40 MB/s).
 *
 * Anything else (a "" escape, a quoted comma or line break, a quote inside an
 * unquoted value, text after a closing quote, a quote never closed on this
 * line, a stray carriage return) is left untouched for csv-parse, which stays
 * the reference for such rows and for the messages about broken quoting.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

export class RowUnquoter {
  // Rows are unquoted here first, so a row that turns out to need csv-parse is still intact in the buffer.
  private scratch = Buffer.allocUnsafe(64 * 1024);

  /**
   * Unquote the row buf[start, end) (its line break excluded) in place; returns
   * its new length, or -1 (and the row untouched) when it is not for this path.
   * A row that unquotes to nothing (`""`) is left to csv-parse as well: an empty
   * range would read as a blank line.
   */
  unquote(buf: Buffer, start: number, end: number): number {
    if (end - start > this.scratch.length) this.scratch = Buffer.allocUnsafe(end - start);
    const length = unquoteInto(buf, start, end, this.scratch);
    if (length <= 0) return -1;
    this.scratch.copy(buf, start, 0, length);
    return length;
  }
}

/** The row's bytes without their enclosing quotes, written to `out`; -1 when the row needs csv-parse. */
function unquoteInto(buf: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let r = start;
  let w = 0;
  for (;;) {
    // r is at the start of a field.
    if (r < end && buf[r] === QUOTE) {
      r++;
      for (;;) {
        if (r >= end) return -1; // still open at the line break: csv-parse's path (or its error)
        const b = buf[r++];
        if (b === QUOTE) break;
        if (b === COMMA || b === CR || b === LF) return -1;
        out[w++] = b;
      }
      if (r >= end) return w;
      // After a closing quote only a comma may follow; "" and "a"b are csv-parse's.
      if (buf[r] !== COMMA) return -1;
      out[w++] = COMMA;
      r++;
      continue;
    }
    for (;;) {
      if (r >= end) return w;
      const b = buf[r++];
      if (b === COMMA) {
        out[w++] = COMMA;
        break;
      }
      // A quote inside an unquoted value is malformed: csv-parse words the message.
      if (b === QUOTE || b === CR) return -1;
      out[w++] = b;
    }
  }
}
