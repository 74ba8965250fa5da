/** Version of every `--json` document; bump on breaking changes. */
export const JSON_SCHEMA_VERSION = 1;

/** One JSON document: `{ "version": 1, ...result }`, bigint as numbers when safe. */
export function renderJson(result: object): string {
  return JSON.stringify({ version: JSON_SCHEMA_VERSION, ...result }, jsonReplacer, 2);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  return value;
}
