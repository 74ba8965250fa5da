/**
 * One shared in-process DuckDB for reading Parquet (and a private one per
 * Parquet output, see privateDuckdb), loaded on first use:
 * `@duckdb/node-api` is a 70 MB native module, and `--help` or the registry
 * commands must not pay for it.
 *
 * Measured on this machine (1M x 31 float64, snappy, 244 MB), reading every
 * column into typed arrays: DuckDB 0.47 s at 350 MB RSS; hyparquet (pure JS)
 * about 3.0 s at 910 MB; parquet-wasm + apache-arrow about 4.7 s at 1.4 GB.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { MlopsError } from '../../util/errors.js';

let starting: Promise<DuckDBInstance> | undefined;
let connecting: Promise<DuckDBConnection> | undefined;

/**
 * Memory DuckDB may hold before it spills to its temp folder (a predict-batch
 * Parquet output waits in a DuckDB table until it is written). Override with
 * MLOPS_DUCKDB_MEMORY (DuckDB syntax: 512MB, 2GB).
 */
const DEFAULT_MEMORY = '1GB';

/** MLOPS_DUCKDB_MEMORY and MLOPS_DUCKDB_THREADS, checked: a typo is a usage error, not DuckDB's stack. */
function environment(): { memory: string; threads: string } {
  const memory = process.env.MLOPS_DUCKDB_MEMORY?.trim() || DEFAULT_MEMORY;
  if (!/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(memory))
    throw new MlopsError('OPTION_INVALID', `MLOPS_DUCKDB_MEMORY is "${memory}", not an amount of memory`, {
      hint: 'set it like 512MB or 2GB (DuckDB units: KB, MB, GB, TB, KiB, MiB, GiB, TiB), or unset it for 1GB',
    });
  const threads = process.env.MLOPS_DUCKDB_THREADS?.trim() || '2';
  if (!/^[1-9]\d{0,3}$/.test(threads))
    throw new MlopsError('OPTION_INVALID', `MLOPS_DUCKDB_THREADS is "${threads}", not a whole number of threads`, {
      hint: 'set it like 1 or 4, or unset it for 2',
    });
  return { memory, threads };
}

/** Settings for every DuckDB mlops opens. */
function settings(): Record<string, string> {
  const { memory, threads } = environment();
  return {
    // Parquet decoding on two threads by default: inference runs on onnxruntime's own threads meanwhile.
    threads,
    memory_limit: memory,
    // No extension downloads: the run stays offline.
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  };
}

function instance(): Promise<DuckDBInstance> {
  starting ??= import('@duckdb/node-api').then(({ DuckDBInstance }) => DuckDBInstance.create(':memory:', settings()));
  return starting;
}

/** The shared connection, for statements run to completion (a footer, a COPY). */
export function duckdb(): Promise<DuckDBConnection> {
  connecting ??= instance().then((db) => db.connect());
  return connecting;
}

/**
 * A connection of its own, for a streamed result: a statement run on a
 * connection ends the result still streaming there, so two readers of rows
 * (a shard's sample and its rows, a check's input and expected files) would
 * cut each other short. The caller closes it.
 */
export async function streamingConnection(): Promise<DuckDBConnection> {
  return (await instance()).connect();
}

/**
 * A database of its own, spilling to `tempDirectory` past the memory limit:
 * DuckDB fixes a database's temp folder once it was used, and a writer wants
 * its spill beside its output. Its connection also never ends a result the
 * shared one is streaming. close() frees both.
 */
export async function privateDuckdb(tempDirectory: string): Promise<{ connection: DuckDBConnection; close(): void }> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { ...settings(), temp_directory: tempDirectory });
  const connection = await db.connect();
  return {
    connection,
    close() {
      connection.closeSync();
      db.closeSync();
    },
  };
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
  if (/failed to allocate|out of memory/i.test(message))
    return new MlopsError('PARQUET_UNREADABLE', `${file}: DuckDB ran out of memory: ${firstLine(message)}`, {
      hint: `raise MLOPS_DUCKDB_MEMORY (now ${process.env.MLOPS_DUCKDB_MEMORY?.trim() || DEFAULT_MEMORY}; it bounds reading Parquet and holding a Parquet output)`,
    });
  return new MlopsError('PARQUET_UNREADABLE', `${file}: cannot read it as Parquet: ${firstLine(message)}`, {
    hint: 'check that the file is complete (a Parquet file ends with its footer and the bytes PAR1); re-export it with pandas, polars or pyarrow',
  });
}

function firstLine(text: string): string {
  return text.split('\n')[0].replace(/^[A-Za-z ]+ Error: /, '');
}
