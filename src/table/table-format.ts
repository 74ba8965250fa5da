/**
 * Which reader a table file needs: Parquet files start (and end) with the
 * bytes PAR1, whatever their name; anything else is read as CSV, whose own
 * checks refuse binaries. `--input-format` overrides the sniffing.
 */
import { open } from 'node:fs/promises';
import { MlopsError } from '../util/errors.js';

export type TableFormat = 'csv' | 'parquet';

export const TABLE_FORMATS: readonly TableFormat[] = ['csv', 'parquet'];

const PAR1 = [0x50, 0x41, 0x52, 0x31];

/** The file's format by its first bytes; `override` ('csv' | 'parquet') wins, but a mismatch is refused. */
export async function tableFormat(file: string, override?: TableFormat): Promise<TableFormat> {
  const head = Buffer.alloc(4);
  let read = 0;
  try {
    const handle = await open(file, 'r');
    try {
      read = (await handle.read(head, 0, 4, 0)).bytesRead;
    } finally {
      await handle.close();
    }
  } catch {
    // Missing or unreadable: the reader reports it in its own words.
    return override ?? 'csv';
  }
  const parquet = read === 4 && PAR1.every((b, i) => head[i] === b);
  if (override === 'parquet' && !parquet)
    throw new MlopsError('TABLE_FORMAT_MISMATCH', `${file} is not a Parquet file (it does not start with PAR1)`, {
      hint: 'drop `inputFormat` parquet, or pass the Parquet file',
    });
  if (override === 'csv' && parquet)
    throw new MlopsError('TABLE_FORMAT_MISMATCH', `${file} is a Parquet file, not CSV`, {
      hint: 'drop `inputFormat` csv: Parquet is detected and read as it is',
    });
  return parquet ? 'parquet' : 'csv';
}
