/** The longest CSV row any reader accepts: one rule for the streaming and the whole-file readers. */
import { MlopsError } from '../util/errors.js';
import { formatCount } from '../util/format-number.js';

/** Rows (and the header) longer than this are refused: see maxRowBytes. */
export const DEFAULT_MAX_ROW_BYTES = 8 * 1024 * 1024;

/**
 * The longest row read, from MLOPS_MAX_ROW_BYTES or 8 MiB. A bound keeps a
 * file with no line breaks (or one 300 MB line) from being buffered whole: it
 * is refused at once, with bounded memory, instead of slowly.
 */
export function maxRowBytes(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.MLOPS_MAX_ROW_BYTES;
  if (text === undefined || text === '') return DEFAULT_MAX_ROW_BYTES;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new MlopsError('ENV_INVALID', `MLOPS_MAX_ROW_BYTES="${text}" is not a positive whole number of bytes`, {
      hint: 'e.g. MLOPS_MAX_ROW_BYTES=33554432 for 32 MiB, or unset it for the 8 MiB default',
    });
  }
  return n;
}

export function rowTooLong(file: string, line: number, limit: number): MlopsError {
  return new MlopsError(
    'CSV_ROW_TOO_LONG',
    `${file}:${line}: the ${line === 1 ? 'header' : 'row'} starting on this line is longer than ${formatBytes(limit)}`,
    {
      hint: `a CSV row that long is usually a file with no line breaks (or only \\r), or not CSV at all; if the rows really are that wide, raise the limit with MLOPS_MAX_ROW_BYTES=<bytes>`,
    },
  );
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${formatCount(n)} bytes`;
}
