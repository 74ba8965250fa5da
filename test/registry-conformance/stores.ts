/**
 * The conformance harness: every test written with `forEachStore` runs twice,
 * once on a fresh folder registry and once on a fresh PostgreSQL database
 * (one real server per test file, started on first use, a database per test).
 * Each run gets its own local cache folder, so nothing lands in ~/.cache.
 */
import test, { after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { closeStores } from '../../src/registry/context.js';
import { type CliRun, ROOT, runCli, tempDir } from '../helpers.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

export type StoreKind = 'folder' | 'postgres';
export const STORE_KINDS: StoreKind[] = ['folder', 'postgres'];

export interface StoreUnderTest {
  kind: StoreKind;
  /** What `--registry` / MLOPS_REGISTRY takes: a folder or a postgres:// URL (with its password). */
  registry: string;
  /** How messages name the registry: the folder, or the URL without its password. */
  display: string;
  /** MLOPS_CACHE_DIR of this run. */
  cacheDir: string;
  /** Environment for CLI runs: the registry, the cache, a fixed actor. */
  env: NodeJS.ProcessEnv;
  /** Run bin/mlops against this registry. */
  cli(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): CliRun;
  /** The same, without blocking the test process (to run stores or clients side by side). */
  cliAsync(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<CliRun>;
  /** The database's name (postgres only). */
  database?: string;
}

// In-process library calls on a database registry cache model bytes too: never in ~/.cache.
process.env.MLOPS_CACHE_DIR = path.join(tempDir('mlops-conf-cache-'), 'in-process');

let server: Promise<TestPostgres> | undefined;

// Registered when this module loads, at the file's top level: an `after` called inside a
// test would belong to that test and stop the server before the next one.
after(async () => {
  await closeStores();
  if (server) await (await server).close();
});

/** The file's PostgreSQL server, started on first use and removed after the file's tests. */
export function postgresServer(): Promise<TestPostgres> {
  server ??= startPostgres();
  return server;
}

export async function openStoreUnderTest(kind: StoreKind): Promise<StoreUnderTest> {
  const cacheDir = path.join(tempDir('mlops-conf-cache-'), 'cache');
  let registry: string;
  let display: string;
  let database: string | undefined;
  if (kind === 'folder') {
    registry = tempDir('mlops-conf-reg-');
    display = registry;
  } else {
    const pg = await postgresServer();
    const db = await pg.freshDatabase();
    registry = db.url;
    database = db.name;
    display = `postgres://postgres@127.0.0.1:${pg.port}/${db.name}`;
  }
  const env = { MLOPS_REGISTRY: registry, MLOPS_CACHE_DIR: cacheDir, MLOPS_ACTOR: 'alice' };
  return {
    kind,
    registry,
    display,
    cacheDir,
    env,
    database,
    cli: (args, options = {}) => runCli(args, { cwd: options.cwd, env: { ...env, ...options.env } }),
    cliAsync: (args, options = {}) => runCliAsync(args, { cwd: options.cwd, env: { ...env, ...options.env } }),
  };
}

/** runCli without blocking: bin/mlops as a user runs it, without colours. */
export function runCliAsync(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin', 'mlops'), ...args],
      {
        cwd: options.cwd ?? ROOT,
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...options.env },
        encoding: 'utf8',
        timeout: 120_000,
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        if (err && status === null && !err.killed) reject(err);
        else resolve({ status, stdout, stderr });
      },
    );
  });
}

/** One test per store: `title [folder]` and `title [postgres]`. */
export function forEachStore(
  title: string,
  fn: (store: StoreUnderTest, t: TestContext) => void | Promise<void>,
  options: { timeout?: number } = {},
): void {
  for (const kind of STORE_KINDS)
    test(`${title} [${kind}]`, { timeout: options.timeout ?? 180_000 }, async (t) => {
      await fn(await openStoreUnderTest(kind), t);
    });
}

/**
 * Change one byte of a version's stored bytes behind mlops's back: the folder
 * store's file, or the first chunk of the database's blob (the same offset, so
 * both stores then hold the same damaged bytes).
 */
export async function tamperVersion(store: StoreUnderTest, name: string, version: number, offset = 100): Promise<void> {
  const shown = store.cli(['registry', 'show', `${name}@${version}`, '--json']);
  assert.equal(shown.status, 0, shown.stderr);
  const { sha256 } = JSON.parse(shown.stdout);
  if (store.kind === 'folder') {
    const file = path.join(store.registry, 'models', name, 'versions', String(version), 'model.onnx');
    chmodSync(file, 0o644);
    const bytes = readFileSync(file);
    bytes[offset] ^= 0xff;
    writeFileSync(file, bytes);
  } else {
    const pg = await postgresServer();
    const r = await pg.sql(
      store.database as string,
      'UPDATE mlops_blob_chunks SET data = set_byte(data, $2, get_byte(data, $2) # 255) WHERE sha256 = $1 AND n = 0',
      [sha256, offset],
    );
    assert.equal(r.rowCount, 1);
  }
}
