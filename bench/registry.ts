/**
 * Registry benchmark: 1,000 versions of one model, then wall time of the CLI
 * (Node start-up included) for `registry list`, `registry list <name>`,
 * `registry show` and `registry history`, as a release job would run them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promote, registerModel } from '../src/release/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 1000);
const RUNS = 10;

function cli(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'mlops'), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`mlops ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - started;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function benchRegistry(): Promise<void> {
  const registry = mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-reg-'));
  const model = path.join(ROOT, 'fixtures', 'models', 'mlp-dynamo.onnx');
  const started = performance.now();
  for (let i = 0; i < VERSIONS; i++) {
    await registerModel({
      registry,
      name: 'fraud',
      file: model,
      allowDuplicate: true,
      description: `version ${i + 1}`,
      metrics: { auc: 0.9 },
    });
    if (i % 100 === 50) await promote({ registry, ref: `fraud@${i + 1}`, to: 'production' });
  }
  const registerMs = (performance.now() - started) / VERSIONS;
  console.log(
    `registry: ${VERSIONS} versions registered in-process, ${registerMs.toFixed(1)} ms per register (validation, copy, sha256, lock, append)`,
  );
  const baseline = median(
    Array.from({ length: RUNS }, () => {
      const t = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      return performance.now() - t;
    }),
  );
  console.log(`  node -e 0 (bare Node start-up)        ${baseline.toFixed(0)} ms`);
  for (const args of [
    ['registry', 'list'],
    ['registry', 'list', 'fraud'],
    ['registry', 'show', 'fraud@production'],
    ['registry', 'history', 'fraud', '--json'],
    ['registry', '--help'],
  ]) {
    const ms = median(
      Array.from({ length: RUNS }, () => cli([...args, ...(args[1] === '--help' ? [] : ['--registry', registry])])),
    );
    console.log(
      `  mlops ${args.join(' ').padEnd(32)} ${ms.toFixed(0)} ms (median of ${RUNS}, ${(ms / baseline).toFixed(1)}x bare Node)`,
    );
  }
  if (!process.env.BENCH_KEEP) rmSync(registry, { recursive: true, force: true });
  else console.log(`  kept ${registry}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchRegistry();
