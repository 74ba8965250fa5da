/**
 * Start and stop the two servers the serve benchmark compares, each in its own
 * process: `mlops serve` (bin/mlops) and the FastAPI + onnxruntime baseline.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Running {
  url: string;
  child: ChildProcess;
  /** stderr so far (mlops: its start-up lines and one JSON line per request). */
  log(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => Promise<boolean> | boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * `mlops serve <args> --port 0`. Its stderr goes to a file, not a pipe: at 10k requests/s the
 * request log would otherwise cost this process (which also runs the load generator) CPU.
 */
export async function startMlops(args: string[], logFile: string): Promise<Running> {
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'mlops'), 'serve', ...args, '--port', '0'], {
    stdio: ['ignore', 'ignore', fd],
  });
  closeSync(fd);
  const exited = exitOf(child);
  const log = () => readFileSync(logFile, 'utf8');
  let url = '';
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  await waitFor(() => {
    if (gone) throw new Error(`mlops serve exited: ${log().slice(0, 500)}`);
    url = /at (http:\/\/[^/\s]+)\/v2\/models\//.exec(log())?.[1] ?? '';
    return url !== '';
  }, 'mlops serve to start');
  await waitFor(() => answers(`${url}/v2/health/ready`), 'mlops serve to be ready');
  return { url, child, log, exited };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The baseline, or the reason it cannot run here. */
export async function startBaseline(model: string): Promise<Running | string> {
  const probe = spawnSync('python3', ['-c', 'import fastapi, uvicorn, onnxruntime, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0)
    return 'python3 with fastapi, uvicorn and onnxruntime is not installed here (pip install fastapi uvicorn onnxruntime): baseline not run';
  const port = await freePort();
  let stderr = '';
  const child = spawn('python3', [path.join(ROOT, 'bench', 'baseline_serve.py'), model, String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => answers(`${url}/health`), 'the FastAPI baseline to start');
  return { url, child, log: () => stderr, exited: exitOf(child) };
}

export async function stop(server: Running): Promise<void> {
  if (server.child.exitCode === null) server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 35_000);
  await server.exited;
  clearTimeout(timer);
}
