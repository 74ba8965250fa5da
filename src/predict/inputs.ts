/** --input values: files, folders (their *.csv and *.parquet), globs with * or ? in the file name, and - (stdin). */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { MlopsError } from '../util/errors.js';

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${escaped}$`);
}

export async function expandInputs(values: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const value of values) {
    // stdin: read as a stream by the command (CSV only); its own rules are checked with the other options.
    if (value === '-') {
      out.push(value);
      continue;
    }
    if (/[*?]/.test(path.dirname(value)))
      throw new MlopsError('OPTION_INVALID', `\`inputs\` ${value}: wildcards are supported in the file name only`);
    if (/[*?]/.test(path.basename(value))) {
      const dir = path.dirname(value);
      const pattern = globToRegExp(path.basename(value));
      const entries = await readdir(dir).catch(() => {
        throw new MlopsError('CSV_NOT_FOUND', `\`inputs\` ${value}: folder ${dir} does not exist`);
      });
      const matched = entries
        .filter((e) => pattern.test(e))
        .sort()
        .map((e) => path.join(dir, e));
      if (matched.length === 0) throw new MlopsError('CSV_NOT_FOUND', `\`inputs\` ${value} matches no file`);
      out.push(...matched);
      continue;
    }
    const info = await stat(value).catch(() => undefined);
    if (!info) throw new MlopsError('CSV_NOT_FOUND', `input file ${value} does not exist`, { hint: 'check the path' });
    if (info.isDirectory()) {
      // Spark and Dask write part-*.parquet files (with _SUCCESS and .crc files beside them).
      const tables = (await readdir(value))
        .filter((e) => /\.(csv|parquet)$/i.test(e) && !e.startsWith('.'))
        .sort()
        .map((e) => path.join(value, e));
      if (tables.length === 0) throw new MlopsError('CSV_NOT_FOUND', `folder ${value} has no .csv or .parquet files`);
      out.push(...tables);
    } else {
      out.push(value);
    }
  }
  return out;
}
