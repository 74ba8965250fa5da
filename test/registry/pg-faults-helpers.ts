/**
 * Shared by the PostgreSQL fault tests (pg-*.test.ts): run the CLI against a
 * database with a private cache, dump the registry's tables to compare states,
 * count orphan rows.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type CliRun, ROOT, runCli, tempDir } from '../helpers.js';
import type { TestPostgres } from '../support/postgres.js';

export const TABLES = [
  'mlops_meta',
  'mlops_blobs',
  'mlops_blob_chunks',
  'mlops_versions',
  'mlops_events',
  'mlops_policy_events',
];

/** `mlops <args>` against `url`, with a cache of its own (never ~/.cache). */
export { paddedModel } from './helpers.js';

export function pgCli(
  url: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cache = tempDir('mlops-cache-'),
): CliRun {
  return runCli(args, { env: { MLOPS_REGISTRY: url, MLOPS_CACHE_DIR: cache, ...env } });
}

/** The same, asynchronously, so a test can act while it runs (kill it, stop the server). */
export function pgCliAsync(
  url: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ReturnType<typeof spawn>; done: Promise<CliRun & { signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'mlops'), ...args], {
    env: { ...process.env, NO_COLOR: '1', MLOPS_REGISTRY: url, MLOPS_CACHE_DIR: tempDir('mlops-cache-'), ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Every row of the registry's tables (chunks by hash of their bytes), as text: equal dumps, equal registries. */
export async function dumpTables(pg: TestPostgres, db: string): Promise<string> {
  const exists = await pg.sql(db, `SELECT to_regclass('mlops_meta')::text AS t`);
  if (!exists.rows[0].t) return '(no tables)';
  const out: string[] = [];
  for (const table of TABLES) {
    const query =
      table === 'mlops_blob_chunks'
        ? 'SELECT sha256, n, md5(data) AS data FROM mlops_blob_chunks ORDER BY 1, 2'
        : `SELECT t::text AS row FROM ${table} t ORDER BY 1`;
    const { rows } = await pg.sql(db, query);
    out.push(`${table}: ${JSON.stringify(rows)}`);
  }
  return out.join('\n');
}

/** Blobs no version points at, and chunks without a blob or past its count. */
export async function orphanRows(pg: TestPostgres, db: string): Promise<{ blobs: number; chunks: number }> {
  const blobs = await pg.sql(
    db,
    'SELECT count(*)::int AS n FROM mlops_blobs b WHERE NOT EXISTS (SELECT 1 FROM mlops_versions v WHERE v.sha256 = b.sha256)',
  );
  const chunks = await pg.sql(
    db,
    `SELECT count(*)::int AS n FROM mlops_blob_chunks c
     WHERE NOT EXISTS (SELECT 1 FROM mlops_blobs b WHERE b.sha256 = c.sha256 AND c.n < b.chunks)`,
  );
  return { blobs: blobs.rows[0].n, chunks: chunks.rows[0].n };
}

/** No `    at ` frames and no "internal error": a user-facing failure. */
export const STACK = /internal error|\n\s+at /;

/** A CSV the small MLP of modelVariants predicts on (four float features). */
export function mlpCsv(): string {
  const file = path.join(tempDir('mlops-csv-'), 'rows.csv');
  writeFileSync(file, 'a,b,c,d\n0.1,0.2,0.3,0.4\n1,2,3,4\n');
  return file;
}
