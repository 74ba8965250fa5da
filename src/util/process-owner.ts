/**
 * Who owns a lock or a staging entry, in a way that survives PID namespaces.
 *
 * A pid means something only inside one pid namespace of one running kernel.
 * Two containers can share a hostname (host networking, one pod) and a
 * volume while each has its own pid 7, so "same host, pid 7 is dead here"
 * proves nothing. An owner is therefore {host, boot id, pid-namespace inode,
 * pid}: only when all but the pid match ours can the pid be checked (a dead
 * pid is abandoned at once). Anything else (another namespace, another host,
 * a record from an older mlops), and a live pid that may have been reused, is
 * judged by age: the owner refreshes the entry's mtime while it works (see
 * startHeartbeat), so an entry not refreshed for longer than a stated
 * threshold is abandoned.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import os from 'node:os';

export interface ProcessOwner {
  host: string;
  /** /proc/sys/kernel/random/boot_id: one running kernel ('' where there is none). */
  boot: string;
  /** Inode of /proc/self/ns/pid: one pid namespace ('' where there is none). */
  pidns: string;
  pid: number;
}

let self: ProcessOwner | undefined;

function readOr(read: () => string): string {
  try {
    return read();
  } catch {
    return ''; // not Linux, or /proc not mounted: the host and pid are all we have
  }
}

export function currentOwner(): ProcessOwner {
  self ??= {
    host: os.hostname(),
    boot: readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
    pidns: readOr(() => String(statSync('/proc/self/ns/pid').ino)),
    pid: process.pid,
  };
  return self;
}

export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type Liveness = 'alive' | 'dead' | 'unknown';

/** 'alive' or 'dead' when the owner's pid can be checked from here; 'unknown' when it cannot. */
export function ownerLiveness(owner: Partial<ProcessOwner> | null | undefined): Liveness {
  const me = currentOwner();
  if (!owner || typeof owner.pid !== 'number') return 'unknown';
  const sameNamespace = owner.host === me.host && owner.boot === me.boot && owner.pidns === me.pidns;
  if (!sameNamespace) return 'unknown';
  return processAlive(owner.pid) ? 'alive' : 'dead';
}

/**
 * Abandoned: its owner is dead (checked at once in our namespace), or the entry
 * was not refreshed within `staleMs`. A live pid alone proves nothing: pids are
 * reused (a container's main process is pid 1 on every run), and live owners
 * refresh their entries well within the threshold.
 */
export function isAbandoned(
  owner: Partial<ProcessOwner> | null | undefined,
  mtimeMs: number,
  staleMs: number,
  now = Date.now(),
): boolean {
  if (ownerLiveness(owner) === 'dead') return true;
  return now - mtimeMs > staleMs;
}

/**
 * Refresh `path`'s mtime every `everyMs` while the work runs, so owners in
 * other namespaces see it alive. The timer is unref'd: it never keeps the
 * process running. Returns the function that stops it.
 */
export function startHeartbeat(path: string, everyMs: number): () => void {
  const timer = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {}); // gone (committed, removed): nothing to refresh
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

let tag: string | undefined;

/**
 * 8 hex digits naming this host, boot and pid namespace, for names that must
 * stay short (temporary files): two owners with the same tag can check each
 * other's pids.
 */
export function ownerTag(): string {
  if (tag) return tag;
  const me = currentOwner();
  tag = createHash('sha256').update(`${me.host}\n${me.boot}\n${me.pidns}`).digest('hex').slice(0, 8);
  return tag;
}
