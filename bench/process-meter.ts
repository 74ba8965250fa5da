/**
 * Runs a command and measures it honestly, whatever it spawns (issue 16's "counting every process"):
 * - wall time, and user + sys CPU time from GNU time (wait4's rusage: the process and every
 *   descendant it waited for), so CPU utilisation = (user + sys) / wall / cores;
 * - peak RSS of the whole process tree: /proc sampled every 50 ms, summing VmRSS (statm) over the
 *   process and all its descendants (found through /proc/<pid>/task/<tid>/children), or GNU time's
 *   max RSS (the kernel's exact peak of the largest single process) when that is higher, as it is
 *   when a one-process peak lasts less than a sampling interval;
 * - CPU seconds per thread, from the last sample of /proc/<pid>/task/<tid>/stat (up to 50 ms of each
 *   thread's end missing), so a breakdown shows which threads did the work: node's worker threads and
 *   onnxruntime's pool are all named "node", so they are told apart by id, the main thread's being the pid.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Measured {
  wall_s: number;
  user_s: number;
  sys_s: number;
  /** (user + sys) / wall: 2.0 means both cores of this machine busy for the whole run. */
  cores_busy: number;
  /** Peak of the summed RSS of the process tree: the sampled sum, or GNU time's exact single-process peak if higher. */
  tree_peak_rss_mb: number;
  /** GNU time's max RSS: the largest single process of the tree. */
  max_rss_mb: number;
  processes: number;
  /** CPU seconds of each thread of the tree, busiest first. */
  threads: { pid: number; tid: number; main: boolean; name: string; cpu_s: number }[];
  stdout: string;
  stderr: string;
}

const PAGE = 4096;
const TICK = 100; // USER_HZ: /proc's CPU times are in 1/100 s on Linux

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process or thread ended between listing and reading
  }
}

function descendants(pid: number, into: Set<number>): void {
  into.add(pid);
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tasks)
    for (const child of (read(`/proc/${pid}/task/${tid}/children`) ?? '').split(' '))
      if (child.trim()) descendants(Number(child), into);
}

export function measure(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-meter-'));
  const timeFile = path.join(dir, 'time');
  const started = performance.now();
  // GNU time itself (about 2 MB) is left out of the tree: only what it runs is ours.
  const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%U %S %M', command, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  let peak = 0;
  const seen = new Set<number>();
  const threadCpu = new Map<string, Measured['threads'][number]>();
  const sample = () => {
    const tree = new Set<number>();
    descendants(child.pid!, tree);
    tree.delete(child.pid!);
    let rss = 0;
    for (const pid of tree) {
      seen.add(pid);
      rss += Number((read(`/proc/${pid}/statm`) ?? '0 0').split(' ')[1]) * PAGE;
      let tasks: string[] = [];
      try {
        tasks = readdirSync(`/proc/${pid}/task`);
      } catch {}
      for (const tid of tasks) {
        const stat = read(`/proc/${pid}/task/${tid}/stat`);
        if (!stat) continue;
        // comm is in parentheses and may hold spaces; the fields after it are space-separated.
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cpu_s = (Number(fields[11]) + Number(fields[12])) / TICK;
        threadCpu.set(`${pid}/${tid}`, { pid, tid: Number(tid), main: Number(tid) === pid, name, cpu_s });
      }
    }
    peak = Math.max(peak, rss);
  };
  const timer = setInterval(sample, 50);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      const wall = (performance.now() - started) / 1000;
      const timed = read(timeFile) ?? '';
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-800)}`));
      // The last line: earlier ones are "Command exited with non-zero status" and the like.
      const [user, sys, maxKb] = timed.trim().split('\n').at(-1)!.split(' ').map(Number);
      const threads = [...threadCpu.values()].sort((a, b) => b.cpu_s - a.cpu_s);
      resolve({
        wall_s: wall,
        user_s: user,
        sys_s: sys,
        cores_busy: (user + sys) / wall,
        tree_peak_rss_mb: Math.max(peak / 2 ** 20, maxKb / 1024),
        max_rss_mb: maxKb / 1024,
        processes: seen.size,
        threads,
        stdout,
        stderr,
      });
    });
  });
}

/** The run with the least wall time of `n`. */
export async function bestOf<T extends { wall_s: number }>(n: number, run: () => Promise<T>): Promise<T> {
  let best: T | undefined;
  for (let i = 0; i < n; i++) {
    const r = await run();
    if (!best || r.wall_s < best.wall_s) best = r;
  }
  return best!;
}
