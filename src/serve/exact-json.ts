/**
 * JSON text with 64-bit integers written as their exact digits. Node 20 has no
 * JSON.rawJSON, and JSON.stringify refuses bigints: a replacer turns each one
 * into a string carrying a per-process random mark, and a post-pass removes the
 * quotes and the mark. The mark is unguessable, so no client-supplied string (an
 * echoed id, a BYTES output) can be unquoted by it. Only answers that hold
 * bigints go through here (the replacer is slower than plain JSON.stringify).
 */
import { randomBytes } from 'node:crypto';

const MARK = `~mlops-int-${randomBytes(12).toString('hex')}~`;
const MARKED = new RegExp(`"${MARK}(-?\\d+)"`, 'g');

/** Set on a document (a symbol key, which JSON.stringify skips) that holds bigints. */
export const EXACT_INTEGERS = Symbol('mlops.exactIntegers');

export function exactJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `${MARK}${v}` : v));
  return text.replace(MARKED, '$1');
}

/** The JSON text of a reply: exact integers when the document is marked, plain JSON.stringify otherwise. */
export function replyJson(value: unknown): string {
  return value !== null && typeof value === 'object' && EXACT_INTEGERS in value
    ? exactJson(value)
    : JSON.stringify(value);
}
