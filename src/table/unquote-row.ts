/**
 * The fast path for quoted rows: a row on one line whose quoted fields hold
 * no comma, quote or line break (pandas' QUOTE_ALL and QUOTE_NONNUMERIC
 * files, quoted ids) is, once its quotes are dropped, a plain row with the
 * same fields. Unquoting it in place lets the consumer parse it as bytes like
 * any plain row, instead of sending it to csv-parse (about 40 MB/s).
 *
 * Anything else (a "" escape, a quoted comma or line break, a quote inside an
 * unquoted value, text after a closing quote, a quote never closed on this
 * line, a carriage return inside the row) is left untouched for csv-parse,
 * which stays the reference for such rows and for the messages about broken
 * quoting. A carriage return goes there because a rejected row is written
 * back as its fields re-quoted, and a field holding one is quoted then.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;

export class RowUnquoter {
  // The head of a row (up to its last quote) is unquoted here first, so a row that turns out to need csv-parse is still intact.
  private scratch = Buffer.allocUnsafe(64 * 1024);
  /** Where unquoteHead stopped: the start of the row's tail, which holds no quote. */
  private tail = 0;

  /**
   * Unquote the row buf[start, end) in place (its line break excluded; the
   * caller has checked it holds no carriage return); `lastQuote` is the
   * index of its last quote. Returns the new length, or -1 (the row
   * untouched) when it is not for this path. A row that unquotes to nothing
   * (`""`) is left to csv-parse as well: an empty range would be a blank line.
   */
  unquote(buf: Buffer, start: number, end: number, lastQuote: number): number {
    if (lastQuote - start >= this.scratch.length) this.scratch = Buffer.allocUnsafe(lastQuote - start + 1);
    const head = this.unquoteHead(buf, start, end, lastQuote, this.scratch);
    const tail = end - this.tail;
    if (head < 0 || head + tail === 0) return -1;
    // The tail moves left by the quotes dropped (one native copy: a QUOTE_NONNUMERIC row is mostly tail), then the head lands.
    if (tail > 0 && this.tail !== start + head) buf.copyWithin(start + head, this.tail, end);
    this.scratch.copy(buf, start, 0, head);
    return head + tail;
  }

  /** The row's fields up to the first one after lastQuote, without their quotes, into `out`; -1 when the row needs csv-parse. */
  private unquoteHead(buf: Uint8Array, start: number, end: number, lastQuote: number, out: Uint8Array): number {
    let r = start;
    let w = 0;
    for (;;) {
      // r is at the start of a field.
      if (r > lastQuote) {
        this.tail = r;
        return w;
      }
      if (buf[r] === QUOTE) {
        r++;
        for (;;) {
          if (r >= end) return -1; // still open at the line break: csv-parse's path (or its error)
          const b = buf[r++];
          if (b === QUOTE) break;
          if (b === COMMA) return -1;
          out[w++] = b;
        }
        if (r >= end) {
          this.tail = end;
          return w;
        }
        // After a closing quote only a comma may follow; "" and "a"b are csv-parse's.
        if (buf[r] !== COMMA) return -1;
        out[w++] = COMMA;
        r++;
        continue;
      }
      for (;;) {
        if (r >= end) {
          this.tail = end;
          return w;
        }
        const b = buf[r++];
        if (b === COMMA) {
          out[w++] = COMMA;
          break;
        }
        // A quote inside an unquoted value is malformed: csv-parse words the message.
        if (b === QUOTE) return -1;
        out[w++] = b;
      }
    }
  }
}
