/** Limits of `mlops serve` that the CLI's help also names (no dependencies: the CLI imports it eagerly). */

/**
 * Inference workers per model, at most. Each worker is an onnxruntime session with
 * its own copy of the weights and thread pool: beyond a few per core they only add
 * memory and contention, and 1000 of them exhaust the machine before serving.
 */
export const MAX_INSTANCES = 32;

/**
 * A served name must be one URL path segment, reachable as written in
 * /v2/models/<name>: no "/", "\", "?", "#", "%", spaces or control characters, not "." or "..".
 */
export function unreachableName(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'it is not a path segment';
  const bad = /[/\\?#%\s\p{Cc}]/u.exec(name);
  return bad ? `it holds ${JSON.stringify(bad[0])}, which a URL path segment cannot carry as written` : undefined;
}
