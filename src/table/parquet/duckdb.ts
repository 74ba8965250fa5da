/**
 * One in-process DuckDB for Parquet reading and writing, loaded on first use:
 * `@duckdb/node-api` is a 70 MB native module, and `--help` or the registry
 * commands must not pay for it.
 *
 * Measured on this machine (1M x 31 float64, snappy, 244 MB), reading every
 * column into typed arrays: DuckDB 0.47 s at 350 MB RSS; hyparquet (pure JS)
 * about 3.0 s at 910 MB; parquet-wasm + apache-arrow about 4.7 s at 1.4 GB.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { MlopsError } from '../../util/errors.js';

let creating: Promise<DuckDBInstance> | undefined;
let connecting: Promise<DuckDBConnection> | undefined;

/**
 * Memory DuckDB may hold before it spills to its temp folder (a predict-batch
 * Parquet output waits in a DuckDB table until it is written). Override with
 * MLOPS_DUCKDB_MEMORY (DuckDB syntax: 512MB, 2GB).
 */
const MEMORY_LIMIT = process.env.MLOPS_DUCKDB_MEMORY ?? '1GB';

function instance(): Promise<DuckDBInstance> {
  creating ??= (async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    return DuckDBInstance.create(':memory:', {
      // Parquet decoding on two threads: inference runs on onnxruntime's own threads meanwhile.
      threads: String(Number(process.env.MLOPS_DUCKDB_THREADS) || 2),
      memory_limit: MEMORY_LIMIT,
      // No extension downloads: the run stays offline.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
  })();
  return creating;
}

/** The shared connection, for one-shot queries (a file's schema). */
export function duckdb(): Promise<DuckDBConnection> {
  connecting ??= instance().then((db) => db.connect());
  return connecting;
}

/**
 * A connection of its own, for a streamed result: a connection runs one query at a time, and a
 * second query on it ends the first's stream (drift reads its two files at once, a parity check
 * its input and expected files in step). The caller closes it.
 */
export async function ownConnection(): Promise<DuckDBConnection> {
  return (await instance()).connect();
}

/** A SQL string literal (paths go into read_parquet and COPY, which take no parameters everywhere). */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A SQL identifier (column names may hold anything). */
export function sqlName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** DuckDB's message for a file it cannot read as Parquet, in our words. */
export function parquetError(file: string, err: unknown): MlopsError {
  if (err instanceof MlopsError) return err;
  const message = (err as Error).message ?? String(err);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || /No files found|does not exist/i.test(message))
    return new MlopsError('CSV_NOT_FOUND', `input file ${file} does not exist`, { hint: 'check the path' });
  return new MlopsError('PARQUET_UNREADABLE', `${file}: cannot read it as Parquet: ${firstLine(message)}`, {
    hint: 'check that the file is complete (a Parquet file ends with its footer and the bytes PAR1); re-export it with pandas, polars or pyarrow',
  });
}

function firstLine(text: string): string {
  return text.split('\n')[0].replace(/^[A-Za-z ]+ Error: /, '');
}
