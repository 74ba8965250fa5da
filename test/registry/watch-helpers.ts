/** What the watch tests share: collecting lines as they come, waiting for them with a deadline, a CLI watch process. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers.js';

/** Resolves once `ready()` holds, polling; fails after `ms` naming `what`. */
export async function waitUntil(ready: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface CliWatch {
  /** Parsed stdout lines so far. */
  lines: Array<Record<string, unknown>>;
  stderr: () => string;
  /** Send a signal and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `mlops registry watch ...` as a background process; stdout lines must each be JSON. */
export function startCliWatch(args: string[], env: NodeJS.ProcessEnv): CliWatch {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'mlops'), 'registry', 'watch', ...args], {
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const parts = out.split('\n');
    out = parts.pop() ?? '';
    for (const line of parts) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  // A test that fails before stopping it must not leave it running.
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  guard.unref();
  void exited.then(() => clearTimeout(guard));
  return {
    lines,
    stderr: () => err,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      try {
        return await exited;
      } finally {
        clearTimeout(killer);
      }
    },
  };
}
