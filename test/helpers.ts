import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/test/). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function fixture(...parts: string[]): string {
  return path.join(ROOT, 'fixtures', ...parts);
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run bin/mlops as a user would, without colours. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'mlops'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** stderr less its `warning:` lines, for tests about what else a command says. */
export function withoutWarnings(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !line.startsWith('warning: '))
    .join('\n');
}

const tempDirs = new Set<string>();

/**
 * Everything this test process and the CLIs it spawns put in the temp folder
 * lands in one folder removed at exit, including files no test asked for:
 * onnxruntime-node's bundled library writes mat-debug-<pid>.log and .ses to
 * $TMPDIR on every load (thousands of them over a few suite runs).
 */
const runRoot = mkdtempSync(path.join(os.tmpdir(), 'mlops-test-run-'));
process.env.TMPDIR = runRoot;
tempDirs.add(runRoot);
process.once('exit', removeTempDirs);

/**
 * A fresh folder under the system temp dir, removed when this test file's
 * process exits (each test file runs in its own process), pass or fail.
 */
export function tempDir(prefix = 'mlops-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function removeTempDirs(): void {
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A test made a folder read-only: give write access back, then remove.
      makeWritable(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  tempDirs.clear();
}

function makeWritable(dir: string): void {
  try {
    chmodSync(dir, 0o755);
    for (const entry of readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) makeWritable(path.join(dir, entry.name));
  } catch {
    // already gone
  }
}
