/**
 * The nesting limit of a JSON body, checked by one linear byte scan before any
 * JSON.parse. A body like `[[[[...1]]]]` 700000 deep parses, but every
 * recursive walk of it afterwards (tensor checks, JSON.stringify in a message,
 * structured clone from the parse worker) overflows the stack; refusing it
 * here closes the whole class on every path. No real request comes close:
 * a tensor nests as deep as its rank, a table three levels.
 */

/** The deepest nesting of `[` and `{` a request body may have. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** Why the body nests too deep (a message naming the limit), or undefined when it does not. */
export function tooDeep(bytes: Uint8Array, max = MAX_JSON_DEPTH): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      // UTF-8 continuation bytes are >= 0x80, so a byte scan never mistakes them for a quote.
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > max)
        return `the JSON body nests deeper than ${max} levels of [ and { (byte ${i}): ${max} is the limit`;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) depth--;
  }
  return undefined;
}
