/**
 * The slower path for quoted rows the in-place unquoting cannot take
 * (unquote-row.ts): "" escapes, quoted commas, line breaks and carriage
 * returns. A well-formed such row is decoded once and split here into its
 * fields, without csv-parse (which reads about 40 MB/s). Anything odd (a
 * quote inside an unquoted value, text after a closing quote, a quote never
 * closed, a carriage return outside quotes) returns null and the row goes to
 * csv-parse, which stays the reference and words the message about broken
 * quoting.
 *
 * The row starts after a line break, an ASCII byte, so decoding it alone
 * gives the same text as csv-parse's one string for the run.
 */

/** The fields of the row buf[start, end) (its final line break excluded), or null when it needs csv-parse. */
export function splitQuotedRow(buf: Buffer, start: number, end: number): string[] | null {
  const row = buf.toString('utf8', start, end);
  const fields: string[] = [];
  const length = row.length;
  let r = 0;
  for (;;) {
    // r is at the start of a field.
    if (r < length && row.charCodeAt(r) === 0x22) {
      let from = ++r;
      let text = '';
      for (;;) {
        const q = row.indexOf('"', r);
        if (q < 0) return null; // never closed within the row
        if (row.charCodeAt(q + 1) === 0x22) {
          // A doubled quote is one quote in the value.
          text += row.slice(from, q + 1);
          from = r = q + 2;
          continue;
        }
        text += row.slice(from, q);
        r = q + 1;
        break;
      }
      fields.push(text);
      if (r >= length) return fields;
      if (row.charCodeAt(r) !== 0x2c) return null; // text after the closing quote
      r++;
      continue;
    }
    const from = r;
    for (; r < length; r++) {
      const c = row.charCodeAt(r);
      if (c === 0x2c) break;
      if (c === 0x22 || c === 0x0d || c === 0x0a) return null;
    }
    fields.push(row.slice(from, r));
    if (r >= length) return fields;
    r++;
  }
}
