/**
 * The slower byte-level path for quoted rows the in-place unquoting cannot
 * take (unquote-row.ts): "" escapes, quoted commas, line breaks and carriage
 * returns. A well-formed such row is split here into its fields, straight
 * from the bytes, without csv-parse (which reads about 40 MB/s). Anything
 * odd (a quote inside an unquoted value, text after a closing quote, a quote
 * never closed, a carriage return outside quotes, a row that is one empty
 * field) returns null and the row goes to csv-parse, which stays the
 * reference and words the message about broken quoting.
 *
 * Fields are decoded one by one; every field boundary is an ASCII byte (a
 * quote or a comma), so this decodes UTF-8 exactly as csv-parse's one string
 * for the run does, invalid sequences included.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/** The fields of the row buf[start, end) (its final line break excluded), or null when it needs csv-parse. */
export function splitQuotedRow(buf: Buffer, start: number, end: number): string[] | null {
  const fields: string[] = [];
  let r = start;
  for (;;) {
    // r is at the start of a field.
    if (r < end && buf[r] === QUOTE) {
      let from = ++r;
      let text = '';
      for (;;) {
        const q = buf.indexOf(QUOTE, r);
        if (q < 0 || q >= end) return null; // never closed within the row
        if (q + 1 < end && buf[q + 1] === QUOTE) {
          // A doubled quote is one quote in the value.
          text += buf.toString('utf8', from, q + 1);
          from = r = q + 2;
          continue;
        }
        text += buf.toString('utf8', from, q);
        r = q + 1;
        break;
      }
      fields.push(text);
      if (r >= end) return fields;
      if (buf[r] !== COMMA) return null; // text after the closing quote
      r++;
      continue;
    }
    const from = r;
    while (r < end) {
      const b = buf[r];
      if (b === COMMA) break;
      if (b === QUOTE || b === CR || b === LF) return null;
      r++;
    }
    fields.push(buf.toString('utf8', from, r));
    if (r >= end) return fields.length === 1 && fields[0] === '' ? null : fields;
    r++;
  }
}
